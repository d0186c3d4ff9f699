// The host check in the rehearsal (`npm run local -- check`): the dev stack's own script runs
// against the rehearsal's nginx, registry container and private dockerd. Up, it reports them up;
// stop one and the next run reports it down. Its lines, caught by a UDP listener on loopback
// where the CloudWatch agent would be, name exactly an alarm's namespace, metric and dimensions.
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, type RunResult } from "../../cli/local/procs";
import { down, readState, stopNginx, stopRegistry, type RehearsalState } from "../../cli/local/rehearsal";
import { alarmSpecs } from "../../lib/alerts";
import { BERTH_NAMESPACE, watchedMounts } from "../../lib/hostMetrics";
import { requireBinaries, scratchDir } from "../helpers/procs";
import { ALERT_THRESHOLDS } from "../helpers/alerts";
import { readEmfLine, type Line } from "../helpers/emf";

requireBinaries("bash", "nginx", "docker-registry", "dockerd", "docker", "sshd", "openssl", "curl");
const ROOT = path.resolve(__dirname, "..", "..");
const cli = (...args: string[]): Promise<RunResult> =>
  run(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "cli", "local.ts"), ...args], { timeoutMs: 120_000 });

const dir = scratchDir("rehearsal-check");
const received: string[] = [];
let udp: dgram.Socket;
let state: RehearsalState;

beforeAll(async () => {
  udp = dgram.createSocket("udp4");
  udp.on("message", (m) => received.push(...m.toString("utf8").split("\n").filter(Boolean)));
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const up = await cli("up", "dev", "--dir", dir);
  if (up.code !== 0) {
    await down(dir).catch(() => undefined);
    throw new Error(`npm run local -- up dev failed:\n${up.stderr}`);
  }
  state = readState(dir);
}, 300_000);

afterAll(async () => {
  try {
    if (fs.existsSync(path.join(dir, "rehearsal", "state.json"))) await down(dir);
  } finally {
    udp?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** `npm run local -- check` once; the lines the listener caught. */
async function check(): Promise<Line[]> {
  received.length = 0;
  const r = await cli("check", "--dir", dir, "--emf-port", String(udp.address().port));
  expect(r.code, r.stderr).toBe(0);
  await new Promise((res) => setTimeout(res, 200));
  // What it printed is what it sent.
  expect(r.stdout.split("\n").filter(Boolean)).toEqual(received);
  return received.map(readEmfLine);
}

const up = (lines: Line[], service: string): number | undefined => lines.find((l) => l.metric === "ServiceUp" && l.dimensions.Service === service)?.value;

const thresholds = ALERT_THRESHOLDS;

describe("npm run local -- check (dev)", () => {
  it("reports Docker, nginx and the registry up, with lines that match the dev stack's alarms exactly", async () => {
    const lines = await check();
    expect([up(lines, "docker"), up(lines, "nginx"), up(lines, "registry")]).toEqual([1, 1, 1]);
    // The rehearsal's fresh server certificate (its own CA): well above the alarm's 14 days.
    expect(lines.find((l) => l.metric === "CertificateDaysToExpiry")?.value).toBeGreaterThan(thresholds.certificateDaysToExpiry);
    const alarms = alarmSpecs({
      instanceId: "i-0",
      instanceType: "t3.xlarge",
      databaseId: "db",
      databaseInstanceClass: "db.t3.micro",
      databaseAllocatedGiB: 20,
      databaseMaxConnections: 85,
      stack: "dev",
      mounts: watchedMounts({ dataVolume: false }),
      services: ["docker", "nginx", "registry"],
      thresholds,
    }).filter((s) => s.metric.namespace === BERTH_NAMESPACE);
    const key = (namespace: string, metric: string, dims: Readonly<Record<string, string>>): string =>
      JSON.stringify([namespace, metric, Object.entries(dims).sort()]);
    expect(lines.map((l) => key(l.namespace, l.metric, l.dimensions)).sort()).toEqual(
      alarms.map((s) => key(s.metric.namespace, s.metric.metricName, s.metric.dimensions as Record<string, string>)).sort(),
    );
  }, 120_000);

  it("reports nginx down once it stops, then the registry", async () => {
    await stopNginx(state);
    let lines = await check();
    expect([up(lines, "docker"), up(lines, "nginx"), up(lines, "registry")]).toEqual([1, 0, 1]);
    await stopRegistry(state);
    lines = await check();
    expect([up(lines, "docker"), up(lines, "nginx"), up(lines, "registry")]).toEqual([1, 0, 0]);
  }, 120_000);
});
