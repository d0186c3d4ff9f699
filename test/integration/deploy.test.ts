// The deploy program for real: the dev stack's rehearsal (real nginx, a real Docker Engine, the
// registry as a container, real sshd and sudo) driven over SSH with the deploy key, under load from
// 32 keep-alive connections of GETs and 32 of POSTs at once. Every failure counts.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerCli, restartPrivateDockerd } from "../../cli/local/docker";
import { run } from "../../cli/local/procs";
import { down, readState, runOverSsh, runProgram, startRegistry, stopRegistry, up, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { DEPLOY_USER_COMMANDS } from "../../lib/deployRules";
import { Pusher } from "../helpers/apps";
import { startLoad, type LoadResult } from "../helpers/load";
import { curl, requireBinaries, scratchDir } from "../helpers/procs";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "visudo", "python3", "ss", "flock", "nsenter", "sysctl", "mount");
const dir = scratchDir("deploy");
let endpoints: Endpoints;
let state: RehearsalState;
let pusher: Pusher;
let ca: string;
const TAGS = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);

beforeAll(async () => {
  try {
    endpoints = await up({ stack: "dev", dir });
  } catch (e) {
    await down(dir).catch(() => undefined);
    throw e;
  }
  state = readState(dir);
  ca = fs.readFileSync(endpoints.caFile, "utf8");
  pusher = new Pusher(endpoints.dockerHost, endpoints.registry);
  await pusher.login(endpoints.username, fs.readFileSync(endpoints.passwordFile, "utf8").trim());
  // Front and back end of one tag build at once; tags in order (retention keeps the newest).
  for (const tag of TAGS) {
    await Promise.all([pusher.buildAndPush("web-frontend", tag, "frontend"), pusher.buildAndPush("web-backend", tag, "backend")]);
  }
  await Promise.all([pusher.buildAndPush("web-frontend", "unhealthy", "frontend"), pusher.buildAndPush("web-backend", "unhealthy", "backend", "unhealthy")]);
  await Promise.all([pusher.buildAndPush("web-frontend", "crash", "frontend", "crash"), pusher.buildAndPush("web-backend", "crash", "backend")]);
}, 600_000);

afterAll(async () => {
  try {
    if (state) await down(dir);
  } finally {
    pusher?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const ssh = (request: string): ReturnType<typeof runOverSsh> => runOverSsh(state, request);
const app = (p: string): Promise<Awaited<ReturnType<typeof curl>>> => curl(["--cacert", endpoints.caFile, `${endpoints.apps.web.url.replace(/\/$/, "")}${p}`]);
const version = async (p: string): Promise<string> => {
  const r = await app(p);
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { version: string }).version;
};
const logLines = (): Array<Record<string, unknown>> =>
  fs
    .readFileSync(path.join(dir, "var/log/berth/deploy.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
interface DeployStatus {
  live: { color: string; tag: string; seq: number } | null;
  previous: { color: string; tag: string; seq: number } | null;
  switch: string;
  maintenance: boolean;
  containers: Record<string, Record<string, { state: string; tag: string; container: string }>>;
  releases: Array<{ seq: number; color: string; tag: string }>;
  rollback: { available: boolean; to: string | null };
  interrupted: { op: string; tag: string; step: string } | null;
  repaired: string[];
}
const status = async (): Promise<DeployStatus> => {
  const r = await ssh("status web --json");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DeployStatus;
};
const load = (): ReturnType<typeof startLoad> => startLoad({ url: endpoints.apps.web.url, ca, paths: ["/", "/api/items"] }, 32);
const summary = (r: LoadResult): string => JSON.stringify({ ...r, samples: r.samples.slice(0, 5) });

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
    await stopRegistry(state);
    try {
      await failsAndKeeps("deploy web v9", /pull 127\.0\.0\.1:\d+\/web-frontend:v9 failed/);
    } finally {
      await startRegistry(state);
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
    const nginxPid = fs.readFileSync(state.nginx.pidFile, "utf8").trim();
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
    expect(fs.readFileSync(state.nginx.pidFile, "utf8").trim()).toBe(nginxPid);
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
    const user = state.ssh.user;
    const groups = await run("id", ["-nG", user]);
    expect(groups.stdout).not.toMatch(/\bdocker\b/);
    const socket = endpoints.dockerHost.replace("unix://", "");
    const direct = await run("sudo", ["-n", "-u", user, "docker", "-H", `unix://${socket}`, "ps"]);
    expect(direct.code).not.toBe(0);
    const list = await run("sudo", ["-n", "-l", "-U", user]);
    const rules = list.stdout.replace(/\s+/g, " ");
    for (const c of DEPLOY_USER_COMMANDS) expect(rules).toContain(`${state.program} ${c} *`);
    expect(rules).not.toMatch(/NOPASSWD: ALL/);
    const restore = await run("sudo", ["-n", "-u", user, "sudo", "-n", state.program, "restore"]);
    expect(restore.code).not.toBe(0);
    const shell = await run("sudo", ["-n", "-u", user, "sudo", "-n", "/bin/sh", "-c", "id"]);
    expect(shell.code).not.toBe(0);
  });

  it("logs who deployed, from where, what, the result and the durations", () => {
    const ok = logLines()
      .filter((l) => l.action === "deploy" && l.result === "ok")
      .at(-1)!;
    expect(ok).toMatchObject({ app: "web", who: state.ssh.user, via: "ssh 127.0.0.1" });
    expect(Object.keys(ok.durations as object)).toEqual(expect.arrayContaining(["pull", "start", "health", "switch", "drain", "stop", "total", "deploy"]));
  });
});

describe("the switch survives a reboot", () => {
  it("restore puts every app back on its recorded color after the rules are gone", async () => {
    const live = (await status()).live!;
    await runProgram(state, ["teardown"]);
    expect((await app("/")).status).toBe(502);
    const r = await runProgram(state, ["restore"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status()).switch).toBe(live.color);
    expect(await version("/")).toBe(live.tag);
  });
});

describe("faults: a killed, failed or disturbed deploy never costs a request or the rollback", () => {
  const stateDir = (): string => path.join(dir, "var/lib/berth/deploy");
  const journal = (): { tag?: string; step?: string } | null => {
    try {
      return JSON.parse(fs.readFileSync(path.join(stateDir(), "apps/web.intent.json"), "utf8")) as { tag?: string; step?: string };
    } catch {
      return null;
    }
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  /**
   * Starts `deploy web TAG` as root (the program's own process, as sudo runs it) and SIGKILLs it as
   * soon as its journal records `step` (plus `delayMs`). Returns whether the kill landed mid-run.
   */
  const killAt = async (tag: string, step: string, delayMs = 0): Promise<{ killed: boolean; output: string }> => {
    const child = spawn(state.program, ["deploy", "web", tag], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let seen = false;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const j = journal();
      if (j?.tag === tag && j.step === step) {
        seen = true;
        if (delayMs > 0) await sleep(delayMs);
        child.kill("SIGKILL");
        break;
      }
      await sleep(2);
    }
    const code = await exited;
    return { killed: seen && code === null, output };
  };

  /** Runs `f` under load, then a normal deploy of `next` over SSH; every failed request counts. */
  const thenDeploy = async (f: () => Promise<void>, next: string): Promise<LoadResult> => {
    const running = load();
    await sleep(500);
    await f();
    const r = await ssh(`deploy web ${next}`);
    expect(r.code, r.stderr).toBe(0);
    await sleep(500);
    const result = await running.stop();
    expect(result.failed, summary(result)).toBe(0);
    expect(await version("/")).toBe(next);
    expect(await version("/api/x")).toBe(next);
    const s = await status();
    expect(s.live?.tag).toBe(next);
    expect(s.switch).toBe(s.live!.color);
    expect(s.rollback.available).toBe(true);
    expect(s.interrupted).toBeNull();
    // Only the live release and the rollback target are kept.
    expect(s.releases.map((x) => x.seq).sort()).toEqual([s.live!.seq, s.previous!.seq].sort());
    return result;
  };

  it.each([
    ["before the pull", "pull", "v6", "v7", 0, false],
    ["during the health check", "health", "v8", "v9", 0, false],
    ["just after the switch", "switched", "v6", "v7", 0, true],
    ["during the drain", "drain", "v8", "v9", 200, true],
    ["while the old color stops", "stop", "v6", "v7", 0, true],
  ])(
    "SIGKILL %s, then the next deploy succeeds with zero failed requests",
    async (_what, step, tag, next, delay, switched) => {
      const before = await status();
      let seenAfterKill: DeployStatus | undefined;
      const result = await thenDeploy(async () => {
        const k = await killAt(tag, step, delay);
        expect(k.killed, `the kill landed at ${step}: ${k.output}`).toBe(true);
        // What serves is what the switch says, and status says the same (repaired from the switch).
        seenAfterKill = await status();
        expect(seenAfterKill.switch).toBe(switched ? (before.live!.color === "blue" ? "green" : "blue") : before.live!.color);
        expect(seenAfterKill.live?.tag).toBe(switched ? tag : before.live!.tag);
        // New connections follow the switch at once; nginx's pooled connections to the old color (killed before
        // its drain) end on their own within about a second (keepalive_time 1s), so allow them that.
        await sleep(2_000);
        expect(await version("/")).toBe(seenAfterKill.live!.tag);
        // The rollback target survives: the previous live release when the switch moved, else the old one.
        expect(seenAfterKill.rollback).toEqual({ available: true, to: switched ? before.live!.tag : before.previous!.tag });
        expect(seenAfterKill.interrupted).toMatchObject({ op: "deploy", tag });
        // The killed run wrote its intent to the deploy log before it acted.
        expect(logLines().filter((l) => l.tag === tag && l.result === "started").length).toBeGreaterThan(0);
      }, next);
      console.log(`SIGKILL at ${step}, then deploy ${next}: ${summary(result)}`);
      // Killed before it could save its state, the deploy left a state naming the old color: the next look repaired it.
      if (step === "switched") expect(seenAfterKill!.repaired.join("\n")).toMatch(/state repaired from the switch/);
    },
    300_000,
  );

  it("restore after a reboot follows the journal of a deploy killed just after its switch", async () => {
    const before = await status();
    const k = await killAt("v8", "switched");
    expect(k.killed).toBe(true);
    const newColor = before.live!.color === "blue" ? "green" : "blue";
    // A reboot: the kernel's rules are gone and the state file still names the old color.
    await runProgram(state, ["teardown"]);
    const r = await runProgram(state, ["restore"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status()).switch).toBe(newColor);
    await sleep(2_000); // nginx's pooled connections to the old color end within about a second
    expect(await version("/")).toBe("v8");
    const d = await ssh("deploy web v9");
    expect(d.code, d.stderr).toBe(0);
    expect((await status()).previous?.tag).toBe("v8");
  }, 300_000);

  /** Bind-mounts `target` read-only over itself (EROFS for root too) while `f` runs. */
  const readOnly = async <T>(target: string, f: () => Promise<T>): Promise<T> => {
    await run("mount", ["--bind", target, target]).then((x) => expect(x.code, x.stderr).toBe(0));
    try {
      await run("mount", ["-o", "remount,bind,ro", target]).then((x) => expect(x.code, x.stderr).toBe(0));
      return await f();
    } finally {
      await run("umount", [target]);
    }
  };

  it("an unwritable state directory refuses the deploy before it acts (one line), and the next deploy succeeds", async () => {
    const before = await status();
    const result = await thenDeploy(async () => {
      const r = await readOnly(path.join(stateDir(), "apps"), () => ssh("deploy web v6"));
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([
        "berth-deploy: failed: cannot write the deploy journal /var/lib/berth/deploy/apps/web.intent.json (Read-only file system); free space or fix the directory on the host, then run the command again",
      ]);
      expect((await status()).live).toEqual(before.live);
    }, "v7");
    console.log(`read-only state directory, then deploy: ${summary(result)}`);
  }, 300_000);

  it("a state file that cannot be replaced after the switch is a warning: the deploy succeeds, the next one repairs", async () => {
    const file = path.join(stateDir(), "apps/web.json");
    const result = await thenDeploy(async () => {
      const r = await readOnly(file, async () => {
        const d = await ssh("deploy web v8");
        // The stale state file is still mounted: status repairs its view from the switch and the journal.
        expect((await status()).live?.tag).toBe("v8");
        return d;
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^berth-deploy: warning: cannot write the state \/var\/lib\/berth\/deploy\/apps\/web\.json \(Device or resource busy\)/m);
      expect(r.stdout).toMatch(/web v8 is live on/);
    }, "v9");
    console.log(`state file not replaceable after the switch, then deploy: ${summary(result)}`);
  }, 300_000);

  it("an unwritable deploy log is a warning, never a false failure", async () => {
    const r = await readOnly(path.join(dir, "var/log/berth/deploy.log"), () => ssh("deploy web v6"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^berth-deploy: warning: could not write the deploy log \/var\/log\/berth\/deploy\.log \(Read-only file system\); the deploy itself is not affected$/m,
    );
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(await version("/")).toBe("v6");
  }, 120_000);

  const rollbackAfter = async (failing: () => Promise<void>): Promise<LoadResult> => {
    const before = await status();
    const running = load();
    await sleep(500);
    await failing();
    const s = await status();
    expect(s.live).toEqual(before.live);
    expect(s.rollback).toEqual({ available: true, to: before.previous!.tag });
    const r = await ssh("rollback web");
    expect(r.code, r.stderr).toBe(0);
    await sleep(500);
    const result = await running.stop();
    expect(result.failed, summary(result)).toBe(0);
    expect(await version("/")).toBe(before.previous!.tag);
    return result;
  };

  it("a pull that fails (registry down) keeps the rollback target: rollback afterwards has zero failed requests", async () => {
    const result = await rollbackAfter(async () => {
      await stopRegistry(state);
      try {
        const r = await ssh("deploy web v10");
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/pull .* failed/);
      } finally {
        await startRegistry(state);
      }
    });
    console.log(`pull failure, then rollback: ${summary(result)}`);
  }, 300_000);

  it("an unhealthy candidate keeps the rollback target: rollback afterwards has zero failed requests", async () => {
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    const original = fs.readFileSync(appsFile, "utf8");
    fs.writeFileSync(appsFile, original.replace(/"deadlineSeconds": \d+/g, '"deadlineSeconds": 4'));
    try {
      const result = await rollbackAfter(async () => {
        const r = await ssh("deploy web unhealthy");
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/did not become healthy within 4s/);
      });
      console.log(`unhealthy candidate, then rollback: ${summary(result)}`);
    } finally {
      fs.writeFileSync(appsFile, original);
    }
  }, 300_000);

  it("a Docker daemon restart under load costs no request (live-restore; the switch bypasses dockerd)", async () => {
    expect(state.dockerd, "the rehearsal started its own dockerd").toBeDefined();
    const live = (await status()).live!;
    const running = load();
    await sleep(1_000);
    await restartPrivateDockerd(state.dockerd!);
    await sleep(2_000);
    const result = await running.stop();
    console.log(`dockerd restart under load: ${summary(result)}`);
    expect(result.failed, summary(result)).toBe(0);
    expect(result.requests).toBeGreaterThan(500);
    expect(Object.keys(result.versions)).toEqual([live.tag]);
    // Deploys work after the restart.
    const r = await ssh("deploy web v7");
    expect(r.code, r.stderr).toBe(0);
  }, 300_000);

  it("three deploys sent half a second apart run in the order they arrived: the last one sent ends live", async () => {
    const running = load();
    const sent = ["v3", "v4", "v5"];
    const results = await Promise.all(sent.map((tag, i) => sleep(i * 500).then(() => ssh(`deploy web ${tag}`))));
    const result = await running.stop();
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(result.failed, summary(result)).toBe(0);
    expect(await version("/")).toBe("v5");
    const done = logLines()
      .filter((l) => l.action === "deploy" && l.result === "ok")
      .slice(-3)
      .map((l) => l.tag);
    expect(done).toEqual(sent);
  }, 300_000);
});

describe("registry retention", () => {
  it("keeps the newest N tags and the live and previous deploys, deletes the rest, collects garbage read-only, restarts the registry", async () => {
    const appsFile = path.join(dir, "etc/berth/deploy/apps.json");
    fs.writeFileSync(appsFile, fs.readFileSync(appsFile, "utf8").replace(/"keep": \d+/, '"keep": 3'));
    const s = await status();
    const protectedTags = [s.live!.tag, s.previous!.tag];
    const docker = dockerCli(endpoints.dockerHost);
    const startedBefore = (await docker(["inspect", "--format", "{{.State.StartedAt}}", state.registryContainer])).stdout.trim();
    const r = await runProgram(state, ["retention"]);
    expect(r.code, r.stderr).toBe(0);
    const last = logLines().at(-1)!;
    expect(last).toMatchObject({ action: "retention", result: "ok", keep: 3, gc: "done" });
    expect(Number(last.freedBytes)).toBeGreaterThan(0);
    expect(Number(last.blobsDeleted)).toBeGreaterThan(0);
    const tagsOf = async (repo: string): Promise<string[]> => {
      const t = await curl([
        "--cacert",
        endpoints.caFile,
        "-u",
        `${endpoints.username}:${fs.readFileSync(endpoints.passwordFile, "utf8").trim()}`,
        `https://${endpoints.registry}/v2/${repo}/tags/list`,
      ]);
      return ((JSON.parse(t.body) as { tags: string[] | null }).tags ?? []).sort();
    };
    // Pushed last: crash, then unhealthy before it, then v11; plus what is live and previous.
    const expected = [...new Set(["crash", "unhealthy", "v11", ...protectedTags])].sort();
    expect(await tagsOf("web-frontend")).toEqual(expected);
    expect(await tagsOf("web-backend")).toEqual(expected);
    const startedAfter = (await docker(["inspect", "--format", "{{.State.StartedAt}}", state.registryContainer])).stdout.trim();
    expect(startedAfter).not.toBe(startedBefore);
    expect((await docker(["ps", "-a", "--format", "{{.Names}}"])).stdout).not.toContain("readonly");
    // A kept image that is on no container any more pulls again from the registry: its layers
    // survived garbage collection. A deleted one does not.
    for (const repo of ["web-frontend", "web-backend"]) {
      const ref = `${endpoints.registry}/${repo}:v11`;
      await docker(["rmi", ref]);
      const pulled = await docker(["--config", pusher.configDir, "pull", "-q", ref]);
      expect(pulled.code, pulled.stderr).toBe(0);
      const gone = await docker(["--config", pusher.configDir, "pull", "-q", `${endpoints.registry}/${repo}:v2`]);
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
    apps.apps[0].parts[0].volumes = [`${state.namePrefix}-data:/data`];
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
      const mounts = await dockerCli(endpoints.dockerHost)([
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}",
        s.containers[s.live!.color].frontend.container,
      ]);
      expect(s.containers[s.live!.color].frontend.container).toBe(`${state.namePrefix}-web-frontend-${s.live!.color}-${s.live!.seq}`);
      expect(mounts.stdout.trim()).toBe(`${state.namePrefix}-data:/data`);
    } finally {
      fs.writeFileSync(appsFile, original);
    }
  }, 120_000);
});
