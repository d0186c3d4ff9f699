// Berth's host check for real, on loopback: a private dockerd, a real nginx and a real registry
// (Debian's docker-registry binary), a certificate made by openssl, a deploy log, and a UDP
// listener standing in for the CloudWatch agent's embedded-metric listener. Up, the check
// reports every service up; stopped, the next run reports it down; failed deploys and container
// restarts are counted. Every line it sends names exactly the namespace, metric and dimensions
// of an alarm of lib/alerts.ts. shellcheck passes the script and the agent's install lines, and
// systemd-analyze verifies its units.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerOk, ensureRegistryImage, startPrivateDockerd, stopPrivateDockerd, type PrivateDockerd } from "../../cli/local/docker";
import { run } from "../../cli/local/procs";
import { installAgent, renderHostCheck, renderHostCheckUnits, type MonitoringInput } from "../../components/render/monitoring";
import { alarmSpecs } from "../../lib/alerts";
import { BERTH_NAMESPACE, watchedMounts } from "../../lib/hostMetrics";
import { requireBinaries, scratchDir } from "../helpers/procs";
import { ALERT_THRESHOLDS } from "../helpers/alerts";
import { readEmfLine, type Line } from "../helpers/emf";

const bin = requireBinaries("bash", "nginx", "docker-registry", "openssl", "curl", "shellcheck", "systemd-analyze", "dockerd", "docker");
const STACK = "itest";

const dir = scratchDir("host-check");
let dockerd: PrivateDockerd | undefined;
let nginxPid = "";
let registryProc: ChildProcess | undefined;
let udp: dgram.Socket;
const received: string[] = [];
let registryPort = 0;

const input = (registryUrl: string): MonitoringInput => ({
  stack: STACK,
  mounts: watchedMounts({ dataVolume: false }),
  intervalSeconds: 60,
  deployLogGroup: "/berth/itest/deploy",
  metricsLogGroup: "/berth/itest/host-metrics",
  nginx: true,
  registryUrl,
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startNginx(): Promise<void> {
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  fs.mkdirSync(path.join(dir, "nginx-tmp"), { recursive: true });
  fs.writeFileSync(
    conf,
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/nginx-error.log;`,
      "events {}",
      `http { access_log off; client_body_temp_path ${dir}/nginx-tmp; proxy_temp_path ${dir}/nginx-tmp; fastcgi_temp_path ${dir}/nginx-tmp; uwsgi_temp_path ${dir}/nginx-tmp; scgi_temp_path ${dir}/nginx-tmp;`,
      `  server { listen 127.0.0.1:${port}; return 200; } }`,
      "",
    ].join("\n"),
  );
  const r = spawnSync(bin.nginx, ["-p", dir, "-c", conf], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  nginxPid = fs.readFileSync(path.join(dir, "nginx.pid"), "utf8").trim();
}

async function startRegistry(): Promise<void> {
  registryPort = await freePort();
  const conf = path.join(dir, "registry.yml");
  fs.writeFileSync(conf, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/registry-data\nhttp:\n  addr: 127.0.0.1:${registryPort}\n`);
  registryProc = spawn(bin["docker-registry"], ["serve", conf], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const r = await run(bin.curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${registryPort}/v2/`]);
    if (r.stdout === "200") return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("the registry did not answer /v2/");
}

/** One run of the check; the lines the listener received from it, parsed. */
async function checkOnce(script: string): Promise<Line[]> {
  received.length = 0;
  const r = await run(bin.bash, [script], {
    env: {
      ...process.env,
      DOCKER_HOST: dockerd?.host ?? "unix:///nonexistent.sock",
      BERTH_CHECK_EMF_PORT: String(udp.address().port),
      BERTH_CHECK_NGINX_PID: path.join(dir, "nginx.pid"),
      BERTH_CHECK_CERTIFICATE: path.join(dir, "server.crt"),
      BERTH_CHECK_DEPLOY_LOG: path.join(dir, "deploy.log"),
      BERTH_CHECK_STATE_DIR: path.join(dir, "state"),
    },
    timeoutMs: 60_000,
  });
  expect(r.code, r.stderr).toBe(0);
  // Loopback UDP: the lines are there once the script has exited; give the event loop a turn.
  await new Promise((res) => setTimeout(res, 200));
  return received.map(readEmfLine);
}

const find = (lines: Line[], metric: string, dims: Record<string, string> = {}): Line | undefined =>
  lines.find((l) => l.metric === metric && Object.entries(dims).every(([k, v]) => l.dimensions[k] === v));

const thresholds = ALERT_THRESHOLDS;
/** The alarms that read Berth's namespace, as the stack would make them for this check. */
const berthAlarms = alarmSpecs({
  instanceId: "i-0",
  instanceType: "m6i.large",
  databaseId: "db",
  databaseInstanceClass: "db.t3.micro",
  databaseAllocatedGiB: 20,
  databaseMaxConnections: 85,
  stack: STACK,
  mounts: watchedMounts({ dataVolume: false }),
  services: ["docker", "nginx", "registry"],
  thresholds,
}).filter((s) => s.metric.namespace === BERTH_NAMESPACE);

let script = "";
beforeAll(async () => {
  udp = dgram.createSocket("udp4");
  udp.on("message", (m) => received.push(...m.toString("utf8").split("\n").filter(Boolean)));
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  dockerd = await startPrivateDockerd(path.join(dir, "docker"), path.join(dir, "dockerd.log"));
  await startNginx();
  await startRegistry();
  const cert = spawnSync(
    bin.openssl,
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "10",
      "-subj",
      "/CN=itest",
      "-keyout",
      path.join(dir, "server.key"),
      "-out",
      path.join(dir, "server.crt"),
    ],
    { encoding: "utf8" },
  );
  expect(cert.status, cert.stderr).toBe(0);
  fs.writeFileSync(path.join(dir, "deploy.log"), `${JSON.stringify({ action: "deploy", result: "failed", time: "2026-01-01T00:00:00Z" })}\n`);
  script = path.join(dir, "berth-host-check");
  fs.writeFileSync(script, renderHostCheck(input(`http://127.0.0.1:${registryPort}/v2/`)), { mode: 0o755 });
}, 120_000);

afterAll(async () => {
  if (nginxPid) spawnSync("kill", [nginxPid]);
  registryProc?.kill();
  if (dockerd) await stopPrivateDockerd(dockerd).catch(() => undefined);
  udp?.close();
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("the host check on loopback", () => {
  let first: Line[] = [];

  it("reports docker, nginx and the registry up and the certificate's days, and counts no old failure", async () => {
    first = await checkOnce(script);
    expect(find(first, "ServiceUp", { Service: "docker" })?.value).toBe(1);
    expect(find(first, "ServiceUp", { Service: "nginx" })?.value).toBe(1);
    expect(find(first, "ServiceUp", { Service: "registry" })?.value).toBe(1);
    // Made for 10 days a moment ago: 10, or 9 once a second has passed.
    expect([9, 10]).toContain(find(first, "CertificateDaysToExpiry")?.value);
    // The failure written before the first run is history, not news.
    expect(find(first, "DeployFailures")?.value).toBe(0);
    expect(find(first, "ContainerRestarts")?.value).toBe(0);
  }, 60_000);

  it("sends every line with exactly an alarm's namespace, metric name and dimensions", () => {
    expect(first.length).toBe(6);
    const alarmKeys = new Set(berthAlarms.map((s) => JSON.stringify([s.metric.namespace, s.metric.metricName, s.metric.dimensions])));
    for (const l of first) {
      const sorted = Object.fromEntries(Object.entries(l.dimensions).sort());
      const match = berthAlarms.find(
        (s) =>
          s.metric.namespace === l.namespace &&
          s.metric.metricName === l.metric &&
          JSON.stringify(Object.fromEntries(Object.entries(s.metric.dimensions).sort())) === JSON.stringify(sorted),
      );
      expect(match, `${JSON.stringify(l)} matches no alarm of ${[...alarmKeys].join(" ")}`).toBeDefined();
    }
    // And every alarm on Berth's namespace has its line.
    expect(berthAlarms.length).toBe(6);
  });

  it("reports nginx and the registry down once stopped, a new failed deploy, and container restarts", async () => {
    await ensureRegistryImage(dockerd!.host, "berth-itest-registry:1");
    // The registry binary with a config that does not exist exits at once: a crash loop.
    await dockerOk(dockerd!.host, ["run", "-d", "--name", "crashloop", "--restart", "always", "berth-itest-registry:1", "/nonexistent.yml"]);
    spawnSync("kill", [nginxPid]);
    registryProc!.kill();
    // As the deploy program writes them (Python's json.dumps, sort_keys).
    fs.appendFileSync(path.join(dir, "deploy.log"), '{"action": "deploy", "result": "failed"}\n{"action": "deploy", "result": "ok"}\n');
    for (let i = 0; i < 100; i++) {
      const r = await run(bin.docker, ["inspect", "--format", "{{.RestartCount}}", "crashloop"], { env: { ...process.env, DOCKER_HOST: dockerd!.host } });
      if (Number(r.stdout.trim()) >= 2) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    for (let i = 0; i < 50 && fs.existsSync(`/proc/${nginxPid}`); i++) await new Promise((res) => setTimeout(res, 100));
    const second = await checkOnce(script);
    expect(find(second, "ServiceUp", { Service: "docker" })?.value).toBe(1);
    expect(find(second, "ServiceUp", { Service: "nginx" })?.value).toBe(0);
    expect(find(second, "ServiceUp", { Service: "registry" })?.value).toBe(0);
    expect(find(second, "DeployFailures")?.value).toBe(1);
    expect(find(second, "ContainerRestarts")?.value).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("reports Docker down once its daemon stops, and sends no restart count it cannot know", async () => {
    await stopPrivateDockerd(dockerd!);
    const third = await checkOnce(script);
    expect(find(third, "ServiceUp", { Service: "docker" })?.value).toBe(0);
    expect(find(third, "ContainerRestarts")).toBeUndefined();
    expect(find(third, "DeployFailures")?.value).toBe(0);
  }, 120_000);
});

describe("the check's text", () => {
  it("passes shellcheck, with the agent's install lines", () => {
    const install = path.join(dir, "install-agent.sh");
    fs.writeFileSync(install, `#!/usr/bin/env bash\nset -euo pipefail\n${installAgent().join("\n")}\n`);
    for (const f of [script, install]) {
      const r = spawnSync(bin.shellcheck, ["--shell", "bash", "--severity", "warning", f], { encoding: "utf8" });
      expect(r.status, `${f}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it("has units systemd-analyze verifies", () => {
    const units = path.join(dir, "units");
    fs.mkdirSync(units, { recursive: true });
    for (const [name, text] of Object.entries(renderHostCheckUnits()))
      // The script lives elsewhere here; systemd checks that ExecStart is executable.
      fs.writeFileSync(path.join(units, name), text.replace(/^ExecStart=.*$/m, `ExecStart=${script}`));
    const r = spawnSync(bin["systemd-analyze"], ["verify", path.join(units, "berth-host-check.service"), path.join(units, "berth-host-check.timer")], {
      encoding: "utf8",
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/berth-host-check/);
  });
});
