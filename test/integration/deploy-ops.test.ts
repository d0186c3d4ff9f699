// The deploy program's everyday operations for real, on a dev-stack rehearsal of their own (real
// nginx, Docker Engine, registry container, sshd and sudo), driven over SSH with the deploy key: one
// deploy at a time per app, maintenance, what the deploy key may do, restore after a reboot, registry
// retention, env files and volumes. No load here: the switches under load are deploy.test.ts and
// deploy-faults.test.ts, which keep the machine's cores busy and run apart from each other
// (test/helpers/sequencer.mts); this file runs beside them.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dockerCli } from "../../cli/local/docker";
import { run } from "../../cli/local/procs";
import { runProgram } from "../../cli/local/rehearsal";
import { DEPLOY_USER_COMMANDS } from "../../lib/deployRules";
import { useDeployRehearsal } from "../helpers/deployRehearsal";
import { curl, requireBinaries } from "../helpers/procs";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "visudo", "python3", "ss", "flock", "nsenter", "sysctl", "mount");
// v2 is there for retention to delete; v4 and v5 deploy one after the other, v6 meets a held lock; v11 is the newest.
const rig = useDeployRehearsal("deploy-ops", ["v2", "v4", "v5", "v6", "v11"]);
const { dir, ssh, app, version, logLines, status } = rig;

describe("one deploy at a time per app", () => {
  it("runs two concurrent deploys one after the other: the second waits for the lock", async () => {
    const [a, b] = await Promise.all([ssh("deploy web v4"), new Promise((r) => setTimeout(r, 300)).then(() => ssh("deploy web v5"))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/waiting for deploy web v4 by bd[0-9a-f]+/);
    const [la, lb] = logLines()
      .filter((l) => l.result !== "started")
      .slice(-2);
    expect(la).toMatchObject({ tag: "v4", result: "ok" });
    expect(lb).toMatchObject({ tag: "v5", result: "ok" });
    expect(Number((lb.durations as Record<string, number>).lockWait)).toBeGreaterThan(0.5);
    expect(await version("/")).toBe("v5");
  }, 120_000);

  it("gives up clearly when the lock stays held past the bounded wait", async () => {
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    const original = fs.readFileSync(appsFile, "utf8");
    fs.writeFileSync(appsFile, original.replace(/"lockWaitSeconds": \d+/, '"lockWaitSeconds": 1'));
    const lock = path.join(dir, "var/lib/berth/deploy/locks/web.lock");
    const holder = run("flock", [lock, "sleep", "4"]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await ssh("deploy web v6");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/another deploy of this app is running .*waited 1s, giving up/);
    } finally {
      await holder;
      fs.writeFileSync(appsFile, original);
    }
  }, 60_000);
});

describe("maintenance", () => {
  it("answers 503 with Retry-After from nginx while on, the app keeps running; no reload", async () => {
    const nginxPid = fs.readFileSync(rig.state.nginx.pidFile, "utf8").trim();
    const on = await ssh("maintenance web on");
    expect(on.code, on.stderr).toBe(0);
    const r = await app("/");
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toEqual(["120"]);
    expect(r.headers["strict-transport-security"]).toBeDefined();
    expect(r.body).toMatch(/web is down for maintenance/);
    expect((await app("/api/items")).status).toBe(503);
    expect((await status()).maintenance).toBe(true);
    const s = await status();
    expect(Object.values(s.containers[s.live!.color]).map((c) => c.state)).toEqual(["running", "running"]);
    const off = await ssh("maintenance web off");
    expect(off.code, off.stderr).toBe(0);
    expect(await version("/")).toBe("v5");
    expect(fs.readFileSync(rig.state.nginx.pidFile, "utf8").trim()).toBe(nginxPid);
    expect(
      logLines()
        .slice(-2)
        .map((l) => l.mode),
    ).toEqual(["on", "off"]);
  });
});

describe("the deploy key can deploy and nothing else", () => {
  it.each([
    ["a shell (no command)", "", /not a shell/],
    ["an arbitrary command", "id", /command 'id' is not allowed/],
    ["a shell command line", "sh -c id", /command 'sh' is not allowed/],
    ["an injected tag", "deploy web 'v1;id'", /invalid tag 'v1;id'/],
    ["command substitution", "deploy web $(id)", /invalid tag '\$\(id\)'/],
    ["an unknown app", "deploy nope v1", /unknown app 'nope'; this host serves: web/],
    ["a root-only command", "restore", /command 'restore' is not allowed/],
    ["extra arguments", "status web --json extra", /usage/],
  ])("refuses %s with one clear line", async (_what, request, message) => {
    const r = await ssh(request);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("berth-deploy")),
    ).toHaveLength(1);
  });

  it("the deploy user is in no docker group, cannot reach the engine, and sudo allows only the deploy program's user commands", async () => {
    const user = rig.state.ssh.user;
    const groups = await run("id", ["-nG", user]);
    expect(groups.stdout).not.toMatch(/\bdocker\b/);
    const socket = rig.endpoints.dockerHost.replace("unix://", "");
    const direct = await run("sudo", ["-n", "-u", user, "docker", "-H", `unix://${socket}`, "ps"]);
    expect(direct.code).not.toBe(0);
    const list = await run("sudo", ["-n", "-l", "-U", user]);
    const rules = list.stdout.replace(/\s+/g, " ");
    for (const c of DEPLOY_USER_COMMANDS) expect(rules).toContain(`${rig.state.program} ${c} *`);
    expect(rules).not.toMatch(/NOPASSWD: ALL/);
    const restore = await run("sudo", ["-n", "-u", user, "sudo", "-n", rig.state.program, "restore"]);
    expect(restore.code).not.toBe(0);
    const shell = await run("sudo", ["-n", "-u", user, "sudo", "-n", "/bin/sh", "-c", "id"]);
    expect(shell.code).not.toBe(0);
  });

  it("logs who deployed, from where, what, the result and the durations", () => {
    const ok = logLines()
      .filter((l) => l.action === "deploy" && l.result === "ok")
      .at(-1)!;
    expect(ok).toMatchObject({ app: "web", who: rig.state.ssh.user, via: "ssh 127.0.0.1" });
    expect(Object.keys(ok.durations as object)).toEqual(expect.arrayContaining(["pull", "start", "health", "switch", "drain", "stop", "total", "deploy"]));
  });
});

describe("the switch survives a reboot", () => {
  it("restore puts every app back on its recorded color after the rules are gone", async () => {
    const live = (await status()).live!;
    await runProgram(rig.state, ["teardown"]);
    expect((await app("/")).status).toBe(502);
    const r = await runProgram(rig.state, ["restore"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status()).switch).toBe(live.color);
    expect(await version("/")).toBe(live.tag);
  });
});

describe("registry retention", () => {
  it("keeps the newest N tags and the live and previous deploys, deletes the rest, collects garbage read-only, restarts the registry", async () => {
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    fs.writeFileSync(appsFile, fs.readFileSync(appsFile, "utf8").replace(/"keep": \d+/, '"keep": 3'));
    const s = await status();
    const protectedTags = [s.live!.tag, s.previous!.tag];
    const docker = dockerCli(rig.endpoints.dockerHost);
    const startedBefore = (await docker(["inspect", "--format", "{{.State.StartedAt}}", rig.state.registryContainer])).stdout.trim();
    const r = await runProgram(rig.state, ["retention"]);
    expect(r.code, r.stderr).toBe(0);
    const last = logLines().at(-1)!;
    expect(last).toMatchObject({ action: "retention", result: "ok", keep: 3, gc: "done" });
    expect(Number(last.freedBytes)).toBeGreaterThan(0);
    expect(Number(last.blobsDeleted)).toBeGreaterThan(0);
    const tagsOf = async (repo: string): Promise<string[]> => {
      const t = await curl([
        "--cacert",
        rig.endpoints.caFile,
        "-u",
        `${rig.endpoints.username}:${fs.readFileSync(rig.endpoints.passwordFile, "utf8").trim()}`,
        `https://${rig.endpoints.registry}/v2/${repo}/tags/list`,
      ]);
      return ((JSON.parse(t.body) as { tags: string[] | null }).tags ?? []).sort();
    };
    // Pushed last: crash, then unhealthy before it, then v11; plus what is live and previous.
    const expected = [...new Set(["crash", "unhealthy", "v11", ...protectedTags])].sort();
    expect(await tagsOf("web-frontend")).toEqual(expected);
    expect(await tagsOf("web-backend")).toEqual(expected);
    const startedAfter = (await docker(["inspect", "--format", "{{.State.StartedAt}}", rig.state.registryContainer])).stdout.trim();
    expect(startedAfter).not.toBe(startedBefore);
    expect((await docker(["ps", "-a", "--format", "{{.Names}}"])).stdout).not.toContain("readonly");
    // A kept image that is on no container any more pulls again from the registry: its layers
    // survived garbage collection. A deleted one does not.
    for (const repo of ["web-frontend", "web-backend"]) {
      const ref = `${rig.endpoints.registry}/${repo}:v11`;
      await docker(["rmi", ref]);
      const pulled = await docker(["--config", rig.pusher.configDir, "pull", "-q", ref]);
      expect(pulled.code, pulled.stderr).toBe(0);
      const gone = await docker(["--config", rig.pusher.configDir, "pull", "-q", `${rig.endpoints.registry}/${repo}:v2`]);
      expect(gone.code).not.toBe(0);
    }
    const d = await ssh("deploy web v11");
    expect(d.code, d.stderr).toBe(0);
  }, 180_000);
});

describe("env file and volumes", () => {
  it("refuses before pulling when the env file is missing, then passes it and the volumes to the containers", async () => {
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    const original = fs.readFileSync(appsFile, "utf8");
    const apps = JSON.parse(original) as { apps: Array<{ parts: Array<{ envFile: string | null; volumes: string[] }> }> };
    apps.apps[0].parts[0].envFile = "/etc/berth/env/web-frontend.env";
    apps.apps[0].parts[0].volumes = [`${rig.state.namePrefix}-data:/data`];
    fs.writeFileSync(appsFile, JSON.stringify(apps));
    try {
      const missing = await ssh("deploy web v11");
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/env file \/etc\/berth\/env\/web-frontend\.env of web frontend does not exist on the host/);
      fs.mkdirSync(path.join(dir, "etc/berth/env"), { recursive: true });
      fs.writeFileSync(path.join(dir, "etc/berth/env/web-frontend.env"), "APP_VERSION=from-env-file\n", { mode: 0o600 });
      const ok = await ssh("deploy web v11");
      expect(ok.code, ok.stderr).toBe(0);
      expect(await version("/")).toBe("from-env-file");
      expect(await version("/api/x")).toBe("v11");
      const s = await status();
      const mounts = await dockerCli(rig.endpoints.dockerHost)([
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}",
        s.containers[s.live!.color].frontend.container,
      ]);
      expect(s.containers[s.live!.color].frontend.container).toBe(`${rig.state.namePrefix}-web-frontend-${s.live!.color}-${s.live!.seq}`);
      expect(mounts.stdout.trim()).toBe(`${rig.state.namePrefix}-data:/data`);
    } finally {
      fs.writeFileSync(appsFile, original);
    }
  }, 120_000);
});
