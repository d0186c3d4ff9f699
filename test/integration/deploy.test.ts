// The deploy program for real: the dev stack's rehearsal (real nginx, a real Docker Engine, the
// registry as a container, real sshd and sudo) driven over SSH with the deploy key, under load from
// 32 keep-alive connections of GETs and 32 of POSTs at once. Every failure counts. The fault tests
// (killed, failed or disturbed deploys) are in deploy-faults.test.ts, which shares its rehearsal (one
// after the other, never together), and the operations without load (lock, maintenance, the deploy
// key, restore, retention, env files) in deploy-ops.test.ts, on a rehearsal of its own; any can run alone.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { assertPortFree, claimPort, run } from "../../cli/local/procs";
import { startRegistry, stopRegistry } from "../../cli/local/rehearsal";
import { useDeployRehearsal } from "../helpers/deployRehearsal";
import { requireBinaries, scratchDir } from "../helpers/procs";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "visudo", "python3", "ss", "flock", "nsenter", "sysctl", "mount");
const TAGS = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);
// The rehearsal deploy-faults.test.ts leaves (they run one after the other, test/helpers/sequencer.mts); alone, one of its own.
const rig = useDeployRehearsal("deploy", TAGS, [], "dev-load");
const { dir, ssh, app, version, logLines, status, load, summary } = rig;

describe("deploys over SSH", () => {
  it("deploys the first version through the CLI: ssh, forced command, sudo, the program", async () => {
    const cli = await run("npx", ["tsx", path.resolve(__dirname, "../../cli/local.ts"), "deploy", "web", "v1", "--dir", dir], { timeoutMs: 120_000 });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/web v1 is live on (blue|green)/);
    expect(await version("/")).toBe("v1");
    const api = JSON.parse((await app("/api/items")).body) as { version: string; part: string };
    expect(api).toMatchObject({ version: "v1", part: "backend" });
    const s = await status();
    expect(s.live?.tag).toBe("v1");
    expect(s.switch).toBe(s.live?.color);
    expect(cli.stdout).toContain(`live on ${s.switch}`);
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
