// Process and port helpers for the local rehearsal and the integration tests: finding host
// binaries (with the Debian package to install when one is missing), free loopback ports, and
// stopping a process by pid only after checking it is the one we started.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Debian package that ships each host binary Berth runs. */
export const APT_PACKAGE: Readonly<Record<string, string>> = {
  nginx: "nginx",
  "docker-registry": "docker-registry",
  skopeo: "skopeo",
  htpasswd: "apache2-utils",
  openssl: "openssl",
  curl: "curl",
  dockerd: "docker.io",
  docker: "docker.io",
  ip: "iproute2",
  iptables: "iptables",
  "iptables-restore": "iptables",
  sshd: "openssh-server",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  sudo: "sudo",
  visudo: "sudo",
  python3: "python3",
  useradd: "passwd",
  userdel: "passwd",
  ldd: "libc-bin",
  ss: "iproute2",
  flock: "util-linux",
  mariadbd: "mariadb-server",
  "mariadb-install-db": "mariadb-server",
  mariadb: "mariadb-client",
};

/**
 * Absolute path of a host binary. Looks in PATH and in /usr/sbin and /sbin (nginx lives there and
 * a non-login PATH may lack them). Throws with the apt package to install when it is missing.
 */
export function requireBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  const pkg = APT_PACKAGE[name] ?? name;
  throw new Error(`${name} is not installed (looked in PATH, /usr/sbin, /sbin); install it with: apt-get install -y ${pkg} (or run scripts/install-deps.sh)`);
}

/** Result of a finished command. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion without a shell; never throws on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  opts: { readonly env?: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === "string") {
          reject(new Error(`could not run ${file}: ${err.message}`));
          return;
        }
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) {
      // A program that exits without reading all of its input closes the pipe: EPIPE here is not an
      // error of ours (the exit code says how the program ended), and unhandled it would crash the caller.
      child.stdin?.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code !== "EPIPE") reject(e);
      });
      child.stdin?.end(opts.input);
    }
  });
}

/** Like run, but throws with the command's output when it fails. */
export async function runOk(
  file: string,
  args: readonly string[],
  opts: { readonly env?: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<RunResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${path.basename(file)} ${args.join(" ")} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

/** Throws when `port` cannot be bound on 127.0.0.1; `what` names the option in the message. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", (e: NodeJS.ErrnoException) => {
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `port ${port} on 127.0.0.1 is in use (${what}); pick another or omit it for a free one`
            : `cannot bind 127.0.0.1:${port} (${what}): ${e.message}`,
        ),
      );
    });
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

/**
 * Ports rehearsals have claimed, machine-wide: one file per port holding the claiming rehearsal's
 * directory. A rehearsal uses ports nothing binds: an app's live port is served only by the deploy
 * program's DNAT rule in the nat OUTPUT chain (which captures every local connection to that port,
 * whoever listens there), and a stopped color's port is bound again at its next start. The kernel
 * calls such ports free, so without claims a second rehearsal, or any test server, could take one.
 */
export const PORT_CLAIMS_DIR = "/run/berth-rehearsal-ports";

/** The rehearsal directory that holds a claim on `port`; a claim whose directory is gone is dropped. */
function claimOwner(port: number, claims: string): string | undefined {
  const file = path.join(claims, String(port));
  let owner: string;
  try {
    owner = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  if (owner !== "" && fs.existsSync(owner)) return owner;
  fs.rmSync(file, { force: true });
  return undefined;
}

/** A port that is free on 127.0.0.1 right now (the kernel picks it) and that no rehearsal has claimed. */
export async function freePort(claims = PORT_CLAIMS_DIR, kernel: () => Promise<number> = kernelFreePort): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = await kernel();
    if (claimOwner(port, claims) === undefined) return port;
  }
  throw new Error(`no unclaimed free port on 127.0.0.1 (claims in ${claims})`);
}

/**
 * Claims `port` for the rehearsal in `owner` (its directory): true when it is now `owner`'s, false
 * when another live rehearsal holds it. Atomic (O_EXCL), so two rehearsals never both get one port.
 */
export function claimPort(port: number, owner: string, claims = PORT_CLAIMS_DIR): boolean {
  const dir = fs.realpathSync(owner);
  fs.mkdirSync(claims, { recursive: true, mode: 0o755 });
  for (let i = 0; i < 3; i++) {
    try {
      fs.writeFileSync(path.join(claims, String(port)), dir, { flag: "wx", mode: 0o644 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = claimOwner(port, claims);
      if (holder !== undefined) return holder === dir;
    }
  }
  return false;
}

/** A free port claimed for the rehearsal in `owner`. */
export async function claimFreePort(owner: string, claims = PORT_CLAIMS_DIR): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = await freePort(claims);
    if (claimPort(port, owner, claims)) return port;
  }
  throw new Error(`could not claim a free port on 127.0.0.1 (claims in ${claims})`);
}

/** Drops every claim of the rehearsal in `owner`. */
export function releasePorts(owner: string, claims = PORT_CLAIMS_DIR): void {
  let dir: string;
  try {
    dir = fs.realpathSync(owner);
  } catch {
    dir = path.resolve(owner);
  }
  let names: string[];
  try {
    names = fs.readdirSync(claims);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(claims, name);
    try {
      if (fs.readFileSync(file, "utf8") === dir) fs.rmSync(file, { force: true });
    } catch {
      // Another rehearsal released or replaced it meanwhile.
    }
  }
}

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when the process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3 (after the parenthesised command name) is the state; Z = exited, not yet reaped.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The process's command line, or undefined when it is gone. */
export function pidCommand(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return undefined;
  }
}

/** Pids whose parent is `pid` (nginx workers of a master). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Reads a pid file; undefined when absent or empty. */
export function readPidFile(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Stops `pid` and its children if its command line contains `expect` (so a stale pid file never
 * kills an unrelated process): SIGTERM, then SIGKILL after `graceMs`. Resolves once all are gone;
 * throws if any survives.
 */
export async function stopProcess(pid: number, expect: string, graceMs = 10_000): Promise<"stopped" | "not-running"> {
  const cmd = pidCommand(pid);
  if (!pidAlive(pid) || cmd === undefined || !cmd.includes(expect)) return "not-running";
  const all = [pid, ...childPids(pid)];
  const signal = (sig: NodeJS.Signals): void => {
    for (const p of all) {
      try {
        process.kill(p, sig);
      } catch {
        // already gone
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (all.some(pidAlive) && Date.now() < deadline) await sleep(50);
  if (all.some(pidAlive)) {
    signal("SIGKILL");
    const hard = Date.now() + 5_000;
    while (all.some(pidAlive) && Date.now() < hard) await sleep(50);
  }
  const left = all.filter(pidAlive);
  if (left.length > 0) throw new Error(`could not stop ${expect}: pids ${left.join(", ")} still running`);
  return "stopped";
}

/** Polls `check` until it resolves true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
