// A private Docker Engine for the local rehearsal and the tests: Debian's dockerd with its own data
// and exec roots, socket, pid file, bridge and subnet, so several can run side by side and none
// touches the machine's own daemon, its docker0 bridge or its iptables rules (--iptables=false:
// published loopback ports go through docker-proxy). Stopped by its pid, bridge removed after.
// Also builds the images the rehearsal needs from Debian binaries, since nothing can be pulled.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pidAlive, readPidFile, requireBinary, run, runOk, stopProcess, waitFor, type RunResult } from "./procs";

/** A daemon this code started (absent when the caller gave one). */
export interface PrivateDockerd {
  /** DOCKER_HOST value, unix://... */
  readonly host: string;
  readonly pidFile: string;
  /** Linux bridge the daemon's containers sit on (made here, removed on stop). */
  readonly bridge: string;
  /** The bridge's /24, e.g. 10.213.7.0/24. */
  readonly subnet: string;
  readonly execRoot: string;
  readonly dataRoot: string;
  readonly log: string;
}

/** The `docker` client against one daemon, never a shell. */
export function dockerCli(
  host: string,
): (args: readonly string[], opts?: { readonly input?: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv }) => Promise<RunResult> {
  const bin = requireBinary("docker");
  return (args, opts = {}) =>
    run(bin, args, {
      env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "0", ...(opts.env ?? {}) },
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 300_000,
    });
}

/** Throws with the command's output when it fails. */
export async function dockerOk(
  host: string,
  args: readonly string[],
  opts: { readonly input?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const r = await dockerCli(host)(args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** The second and third octets of every 10.0.0.0/8 destination the machine routes to (from the kernel's table). */
function routedTenNets(): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  try {
    for (const line of fs.readFileSync("/proc/net/route", "utf8").split("\n").slice(1)) {
      const dest = line.split("\t")[1];
      if (!dest || dest.length !== 8) continue;
      const b = Buffer.from(dest, "hex"); // little endian
      if (b[0] === 10) out.push([b[1], b[2]]);
    }
  } catch {
    // no routing table: nothing to avoid
  }
  return out;
}

/**
 * A /16 for a rehearsal's apps network (the deploy program's fixed container addresses), one the
 * machine does not route yet: 10.100.0.0/16 to 10.199.0.0/16, picked at random so two rehearsals
 * started together rarely try the same one (docker refuses an overlap, and `up` then fails clearly).
 */
export function freeAppsSubnet(): string {
  const used = new Set(routedTenNets().map(([second]) => second)); // other rehearsals' apps networks
  const free = Array.from({ length: 100 }, (_, i) => 100 + i).filter((n) => !used.has(n));
  if (free.length === 0) throw new Error("no free 10.x.0.0/16 (x in 100-199) for the rehearsal's apps network");
  return `10.${free[randomBytes(1)[0] % free.length]}.0.0/16`;
}

function usedSubnets(): Set<number> {
  return new Set(
    routedTenNets()
      .filter(([second]) => second === 213)
      .map(([, third]) => third),
  );
}

/**
 * Starts dockerd with state under `dataRoot` and a short exec root and socket under /run (socket
 * paths must stay under about 100 characters). Ready when `docker version` answers.
 */
export async function startPrivateDockerd(dataRoot: string, logFile: string): Promise<PrivateDockerd> {
  const dockerd = requireBinary("dockerd");
  const ip = requireBinary("ip");
  requireBinary("docker");
  const id = randomBytes(3).toString("hex");
  const bridge = `brb${id}`;
  const used = usedSubnets();
  let third = -1;
  for (let i = 0; i < 64 && third < 0; i++) {
    const n = randomBytes(1)[0];
    if (!used.has(n)) third = n;
  }
  if (third < 0) throw new Error("no free 10.213.x.0/24 subnet for the rehearsal's Docker bridge");
  const subnet = `10.213.${third}.0/24`;
  const execRoot = `/run/bd-${id}`;
  fs.mkdirSync(execRoot, { recursive: true, mode: 0o700 });
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  await runOk(ip, ["link", "add", "name", bridge, "type", "bridge"]);
  const d: PrivateDockerd = {
    host: `unix://${execRoot}/docker.sock`,
    pidFile: path.join(execRoot, "dockerd.pid"),
    bridge,
    subnet,
    execRoot,
    dataRoot,
    log: logFile,
  };
  try {
    await runOk(ip, ["addr", "add", `10.213.${third}.1/24`, "dev", bridge]);
    await runOk(ip, ["link", "set", bridge, "up"]);
    const daemonJson = path.join(dataRoot, "daemon.json");
    // As on the host (components/render/dockerDaemon.ts): containers outlive a daemon restart.
    fs.writeFileSync(daemonJson, `${JSON.stringify({ "live-restore": true })}\n`);
    spawnDockerd(dockerd, d);
    const cli = dockerCli(d.host);
    const ok = await waitFor(async () => (await cli(["version", "--format", "{{.Server.Version}}"])).code === 0, 30_000, 200);
    if (!ok) throw new Error(`dockerd did not answer on ${d.host} within 30 s; see ${logFile}`);
    return d;
  } catch (e) {
    await stopPrivateDockerd(d).catch(() => undefined);
    throw e;
  }
}

function dockerdArgs(d: PrivateDockerd): string[] {
  return [
    "--config-file",
    path.join(d.dataRoot, "daemon.json"),
    "--data-root",
    path.join(d.dataRoot, "data"),
    "--exec-root",
    d.execRoot,
    "--pidfile",
    d.pidFile,
    "-H",
    d.host,
    "--bridge",
    d.bridge,
    // The machine's firewall is not ours: no nat or filter rules; loopback ports use docker-proxy.
    "--iptables=false",
    "--ip-masq=false",
    "--ip-forward=false",
  ];
}

function spawnDockerd(dockerd: string, d: PrivateDockerd): void {
  const log = fs.openSync(d.log, "a");
  const child = spawn(dockerd, dockerdArgs(d), { detached: true, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  child.unref();
}

/**
 * Restarts the daemon the way a package upgrade does (SIGTERM, wait for it to exit, start it again)
 * and waits until it answers; with live-restore its containers keep running meanwhile.
 */
export async function restartPrivateDockerd(d: PrivateDockerd): Promise<void> {
  const pid = readPidFile(d.pidFile);
  if (pid === undefined || !pidAlive(pid)) throw new Error(`dockerd of ${d.host} is not running`);
  process.kill(pid, "SIGTERM");
  if (!(await waitFor(() => Promise.resolve(!pidAlive(pid)), 30_000, 50))) throw new Error(`dockerd (pid ${pid}) did not stop within 30 s`);
  spawnDockerd(requireBinary("dockerd"), d);
  const cli = dockerCli(d.host);
  const ok = await waitFor(async () => (await cli(["version", "--format", "{{.Server.Version}}"])).code === 0, 30_000, 200);
  if (!ok) throw new Error(`dockerd did not answer on ${d.host} within 30 s after the restart; see ${d.log}`);
}

/** Removes every container, stops the daemon by its pid, removes its bridge and exec root. */
export async function stopPrivateDockerd(d: PrivateDockerd): Promise<"stopped" | "not-running"> {
  const pid = readPidFile(d.pidFile);
  let result: "stopped" | "not-running" = "not-running";
  if (pid !== undefined && pidAlive(pid)) {
    const cli = dockerCli(d.host);
    const ids = (await cli(["ps", "-aq"], { timeoutMs: 30_000 })).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await cli(["rm", "-f", ...ids], { timeoutMs: 60_000 });
    result = await stopProcess(pid, "dockerd", 20_000);
  }
  await run(requireBinary("ip"), ["link", "del", d.bridge]).catch(() => undefined);
  // With live-restore, dockerd leaves its mounts (the data root's own private bind mount among them)
  // in place when it stops, for the next start to pick up: this daemon is not coming back.
  await unmountUnder(d.dataRoot);
  await unmountUnder(d.execRoot);
  fs.rmSync(d.execRoot, { recursive: true, force: true });
  return result;
}

/** Unmounts every mount at or below `dir`, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const root = path.resolve(dir);
  let mounts: string[];
  try {
    mounts = fs
      .readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
      .filter((m) => m === root || m.startsWith(`${root}/`));
  } catch {
    return;
  }
  for (const m of [...new Set(mounts)].sort((a, b) => b.length - a.length)) {
    const r = await run(requireBinary("umount"), [m]);
    if (r.code !== 0) await run(requireBinary("umount"), ["-l", m]);
  }
}

/** Copies `bins` and the libraries `ldd` lists for them into a fresh root filesystem. */
async function rootfs(bins: ReadonlyArray<readonly [string, string]>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-rootfs-"));
  const ldd = requireBinary("ldd");
  for (const [src, dest] of bins) {
    fs.mkdirSync(path.join(dir, path.dirname(dest)), { recursive: true });
    fs.copyFileSync(src, path.join(dir, dest));
    fs.chmodSync(path.join(dir, dest), 0o755);
    const out = (await runOk(ldd, [src])).stdout;
    for (const m of out.matchAll(/(\/\S+\.so[\w.]*) \(0x/g)) {
      const lib = m[1];
      fs.mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(fs.realpathSync(lib), path.join(dir, lib));
    }
  }
  fs.mkdirSync(path.join(dir, "tmp"), { mode: 0o1777 });
  return dir;
}

async function importRootfs(host: string, dir: string, tag: string, entrypoint: readonly string[]): Promise<void> {
  await runOk(requireBinary("tar"), ["-C", dir, "-cf", `${dir}.tar`, "."]);
  try {
    await dockerOk(host, ["import", "-c", `ENTRYPOINT ${JSON.stringify(entrypoint)}`, `${dir}.tar`, tag]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(`${dir}.tar`, { force: true });
  }
}

async function hasImage(host: string, tag: string): Promise<boolean> {
  return (await dockerCli(host)(["image", "inspect", "--format", "{{.Id}}", tag])).code === 0;
}

/**
 * The registry image under the config's name (e.g. registry:2.8.3): Debian's docker-registry binary
 * at /bin/registry with the C library, run as `registry serve <config>` like the upstream image.
 */
export async function ensureRegistryImage(host: string, tag: string): Promise<void> {
  if (await hasImage(host, tag)) return;
  const dir = await rootfs([[requireBinary("docker-registry"), "/bin/registry"]]);
  await importRootfs(host, dir, tag, ["/bin/registry", "serve"]);
}

/** A base image holding this machine's node binary, for test and example apps (`FROM` it). */
export async function ensureNodeImage(host: string, tag: string): Promise<void> {
  if (await hasImage(host, tag)) return;
  const dir = await rootfs([[fs.realpathSync(requireBinary("node")), "/usr/bin/node"]]);
  await importRootfs(host, dir, tag, ["/usr/bin/node"]);
}
