// The deploy program for real: the dev stack's rehearsal (real nginx, a real Docker Engine, the
// registry as a container, real sshd and sudo) driven over SSH with the deploy key, under load from
// 32 keep-alive connections of GETs and 32 of POSTs at once. Every failure counts. The fault tests
// (killed, failed or disturbed deploys) are in deploy-faults.test.ts, on a rehearsal of their own (each
// file starts from a known state, and either can run alone).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dockerCli } from "../../cli/local/docker";
import { assertPortFree, claimPort, run } from "../../cli/local/procs";
import { runProgram, startRegistry, stopRegistry } from "../../cli/local/rehearsal";
import { DEPLOY_USER_COMMANDS } from "../../lib/deployRules";
import { useDeployRehearsal } from "../helpers/deployRehearsal";
import { curl, requireBinaries, scratchDir } from "../helpers/procs";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "visudo", "python3", "ss", "flock", "nsenter", "sysctl", "mount");
const TAGS = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);
const rig = useDeployRehearsal("deploy", TAGS);
const { dir, ssh, app, version, logLines, status, load, summary } = rig;

describe("deploys over SSH", () => {
  it("deploys the first version through the CLI: ssh, forced command, sudo, the program", async () => {
    const cli = await run("npx", ["tsx", path.resolve(__dirname, "../../cli/local.ts"), "deploy", "web", "v1", "--dir", dir], { timeoutMs: 120_000 });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/web v1 is live on green/);
    expect(await version("/")).toBe("v1");
    const api = JSON.parse((await app("/api/items")).body) as { version: string; part: string };
    expect(api).toMatchObject({ version: "v1", part: "backend" });
    const s = await status();
    expect(s.live).toMatchObject({ color: "green", tag: "v1" });
    expect(s.switch).toBe("green");
  });

  it("claims its apps' live ports: nothing binds them (the switch is a DNAT rule), yet no other rehearsal gets one", async () => {
    const other = scratchDir("other-rehearsal");
    try {
      for (const part of ["frontend", "backend"]) {
        const live = rig.state.appPorts[`web.${part}.livePort`];
        // The kernel calls the port free: a server started there would get none of its own clients (DNAT).
        await assertPortFree(live, "live port");
        expect(claimPort(live, other), `web.${part}.livePort ${live}`).toBe(false);
      }
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("switches 10 times under 32+32 keep-alive connections with zero failed requests", async () => {
    const running = load();
    await new Promise((r) => setTimeout(r, 1_000));
    const durations: number[] = [];
    for (const tag of TAGS.slice(1)) {
      const r = await ssh(`deploy web ${tag}`);
      expect(r.code, r.stderr).toBe(0);
      durations.push(Number((logLines().at(-1)!.durations as Record<string, number>).deploy));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const result = await running.stop();
    console.log(`10 deploys under load: ${summary(result)}; deploy seconds (excluding pull): ${durations.join(", ")}`);
    expect(result.failed, summary(result)).toBe(0);
    expect(result.get).toBeGreaterThan(1000);
    expect(result.post).toBeGreaterThan(1000);
    expect(Object.keys(result.versions).length).toBeGreaterThanOrEqual(10);
    expect(await version("/")).toBe("v11");
    // A healthy deploy takes seconds, not the old fixed 30 s (generous bound: shared 2-core machine).
    for (const d of durations) expect(d).toBeLessThan(15);
  }, 600_000);

  it("keeps the previous color's containers stopped for rollback, and rolls back under load with zero failures", async () => {
    const before = await status();
    expect(before.live?.tag).toBe("v11");
    expect(before.previous?.tag).toBe("v10");
    const prevColor = before.previous!.color;
    expect(Object.values(before.containers[prevColor]).map((c) => c.state)).toEqual(["exited", "exited"]);
    const running = load();
    const r = await ssh("rollback web");
    const result = await running.stop();
    expect(r.code, r.stderr).toBe(0);
    expect(result.failed, summary(result)).toBe(0);
    expect(await version("/")).toBe("v10");
    expect(await version("/api/x")).toBe("v10");
    const after = await status();
    expect(after.live).toMatchObject({ tag: "v10", color: prevColor });
    expect(after.previous?.tag).toBe("v11");
  }, 120_000);
});

describe("failed deploys leave the old version serving", () => {
  const failsAndKeeps = async (request: string, reason: RegExp): Promise<void> => {
    const before = await status();
    const running = load();
    const r = await ssh(request);
    const result = await running.stop();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(reason);
    expect(result.failed, summary(result)).toBe(0);
    const after = await status();
    expect(after.live).toEqual(before.live);
    expect(after.switch).toBe(before.switch);
    // The candidate containers are gone; the live ones still run; the rollback target is kept, stopped.
    const idle = before.live!.color === "blue" ? "green" : "blue";
    expect(after.previous).toEqual(before.previous);
    expect(after.rollback).toEqual({ available: true, to: before.previous!.tag });
    expect(Object.values(after.containers[idle]).map((c) => [c.tag, c.state])).toEqual([
      [before.previous!.tag, "exited"],
      [before.previous!.tag, "exited"],
    ]);
    expect(after.releases.map((r) => r.tag)).toEqual(expect.arrayContaining([before.live!.tag, before.previous!.tag]));
    expect(after.releases).toHaveLength(2);
    expect(Object.values(after.containers[before.live!.color]).map((c) => c.state)).toEqual(["running", "running"]);
    expect(await version("/")).toBe(before.live!.tag);
    const last = logLines().at(-1)!;
    expect(last).toMatchObject({ action: "deploy", result: "failed", app: "web" });
  };

  it("an unhealthy candidate (500 on its health path), at the health deadline", async () => {
    // The dev stack's deadline is the default 60 s; a shorter one keeps the test short.
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    const original = fs.readFileSync(appsFile, "utf8");
    fs.writeFileSync(appsFile, original.replace(/"deadlineSeconds": \d+/g, '"deadlineSeconds": 4'));
    try {
      await failsAndKeeps("deploy web unhealthy", /^berth-deploy: failed: web backend did not become healthy within 4s: GET \/: HTTP 500$/m);
    } finally {
      fs.writeFileSync(appsFile, original);
    }
  }, 120_000);

  it("a candidate that exits at start", async () => {
    await failsAndKeeps("deploy web crash", /web frontend failed its health check: container .*exited \(exit code 3\)/);
  }, 120_000);

  it("a tag that does not exist", async () => {
    await failsAndKeeps("deploy web v999", /pull 127\.0\.0\.1:\d+\/web-frontend:v999 failed: .*(manifest unknown|not found)/);
  }, 120_000);

  it("a pull that fails (registry down)", async () => {
    await stopRegistry(rig.state);
    try {
      await failsAndKeeps("deploy web v9", /pull 127\.0\.0\.1:\d+\/web-frontend:v9 failed/);
    } finally {
      await startRegistry(rig.state);
    }
  }, 120_000);
});

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
