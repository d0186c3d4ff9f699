// Faults, on the dev stack's rehearsal for real (the one deploy.test.ts takes over after it; this file
// starts from its own initial deploys either way, and runs alone too): a deploy SIGKILLed at each
// step, a Docker daemon restart, unwritable state, a failed pull or health check, deploys racing for
// the lock. Each under 32 keep-alive GET and 32 POST connections; every failed request counts, and
// the rollback target must survive.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { restartPrivateDockerd } from "../../cli/local/docker";
import { run } from "../../cli/local/procs";
import { runProgram, startRegistry, stopRegistry } from "../../cli/local/rehearsal";
import { useDeployRehearsal, type DeployStatus } from "../helpers/deployRehearsal";
import type { LoadResult } from "../helpers/load";
import { requireBinaries } from "../helpers/procs";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "visudo", "python3", "ss", "flock", "nsenter", "sysctl", "mount", "conntrack");
// Something live and a rollback target before the first fault: v1 and v2 are deployed first, on a
// fresh rehearsal or on the one shared with deploy.test.ts (one file after the other, never together).
const rig = useDeployRehearsal(
  "deploy-faults",
  Array.from({ length: 10 }, (_, i) => `v${i + 1}`),
  ["v1", "v2"],
  "dev-load",
);
const { dir, ssh, version, settledVersions, logLines, status, load, summary } = rig;

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
  /** Runs `f` under load and returns the tally (when `f` throws, the rig stops the load after the test). */
  const underLoad = async (f: () => Promise<void>): Promise<LoadResult> => {
    const running = load();
    await f();
    return running.stop();
  };

  /**
   * Starts `deploy web TAG` as root (the program's own process, as sudo runs it) and SIGKILLs it as
   * soon as its journal records `step` (plus `delayMs`). Returns whether the kill landed mid-run.
   */
  const killAt = async (tag: string, step: string, delayMs = 0): Promise<{ killed: boolean; output: string }> => {
    const child = spawn(rig.state.program, ["deploy", "web", tag], { stdio: ["ignore", "pipe", "pipe"] });
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
    const result = await underLoad(async () => {
      await sleep(200);
      await f();
      const r = await ssh(`deploy web ${next}`);
      expect(r.code, r.stderr).toBe(0);
      await sleep(200);
    });
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
        const killedAt = Date.now();
        expect(k.killed, `the kill landed at ${step}: ${k.output}`).toBe(true);
        // What serves is what the switch says, and status says the same (repaired from the switch).
        seenAfterKill = await status();
        expect(seenAfterKill.switch).toBe(switched ? (before.live!.color === "blue" ? "green" : "blue") : before.live!.color);
        expect(seenAfterKill.live?.tag).toBe(switched ? tag : before.live!.tag);
        // New connections follow the switch at once; nginx's pooled connections to the old color (killed before
        // its drain) end on their own, after which every answer comes from what the switch says (at once when it did not move).
        expect(await settledVersions(switched ? killedAt : 0)).toEqual(Array<string>(10).fill(seenAfterKill.live!.tag));
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
    const killedAt = Date.now();
    expect(k.killed).toBe(true);
    const newColor = before.live!.color === "blue" ? "green" : "blue";
    // A reboot: the kernel's rules are gone and the state file still names the old color.
    await runProgram(rig.state, ["teardown"]);
    const r = await runProgram(rig.state, ["restore"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status()).switch).toBe(newColor);
    expect(await settledVersions(killedAt)).toEqual(Array<string>(10).fill("v8"));
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
    const result = await underLoad(async () => {
      await sleep(200);
      await failing();
      const s = await status();
      expect(s.live).toEqual(before.live);
      expect(s.rollback).toEqual({ available: true, to: before.previous!.tag });
      const r = await ssh("rollback web");
      expect(r.code, r.stderr).toBe(0);
      await sleep(200);
    });
    expect(result.failed, summary(result)).toBe(0);
    expect(await version("/")).toBe(before.previous!.tag);
    return result;
  };

  it("a pull that fails (registry down) keeps the rollback target: rollback afterwards has zero failed requests", async () => {
    const result = await rollbackAfter(async () => {
      await stopRegistry(rig.state);
      try {
        const r = await ssh("deploy web v10");
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/pull .* failed/);
      } finally {
        await startRegistry(rig.state);
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
    expect(rig.state.dockerd, "the rehearsal started its own dockerd").toBeDefined();
    const live = (await status()).live!;
    const running = load();
    await sleep(1_000);
    await restartPrivateDockerd(rig.state.dockerd!);
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

  it("three deploys sent one after another while the first runs go in the order they arrived: the last to arrive ends live", async () => {
    // Arrival is when the program takes its ticket in the app's queue (a file naming the request): the next
    // request is sent once the one before holds its ticket, so ssh's own timing on a busy machine cannot reorder them.
    const queueDir = path.join(stateDir(), "queue", "web");
    const holds = (file: string, tag: string): boolean => {
      try {
        return fs.readFileSync(file, "utf8").startsWith(`deploy web ${tag} by `);
      } catch {
        return false; // a ticket that just ended
      }
    };
    // Holding a ticket now, or already past the queue (its "started" record).
    const ticketed = (tag: string): boolean =>
      (fs.existsSync(queueDir) && fs.readdirSync(queueDir).some((f) => /^\d{12}$/.test(f) && holds(path.join(queueDir, f), tag))) ||
      logLines().some((l) => l.tag === tag && l.result === "started");
    const running = load();
    const sent = ["v3", "v4", "v5"];
    const requests: Array<ReturnType<typeof ssh>> = [];
    for (const tag of sent) {
      requests.push(ssh(`deploy web ${tag}`));
      const deadline = Date.now() + 60_000;
      while (!ticketed(tag) && Date.now() < deadline) await sleep(20);
      expect(ticketed(tag), `deploy web ${tag} took a ticket in ${queueDir}`).toBe(true);
    }
    const results = await Promise.all(requests);
    const result = await running.stop();
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(result.failed, summary(result)).toBe(0);
    const done = logLines()
      .filter((l) => l.action === "deploy" && l.result === "ok")
      .slice(-3)
      .map((l) => l.tag);
    expect(done).toEqual(sent);
    expect(await version("/")).toBe("v5");
  }, 300_000);
});
