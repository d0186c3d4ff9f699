// Helpers for integration tests that drive real binaries on loopback: scratch directories that
// are always removed, curl and skopeo calls isolated from any credentials on this machine.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireBinary, run, type RunResult } from "../../cli/local/procs";

/** Fails (never skips) with the apt package to install when a binary is missing. */
export function requireBinaries(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, requireBinary(n)]));
}

/** A fresh scratch directory; remove it with fs.rmSync in afterAll. */
export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `berth-${prefix}-`));
}

/** Creates `lock` holding this process's pid: true when it did, false when it exists already (atomic: O_EXCL). */
export function takeLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

/** curl with -sS; returns status, headers (lower-case names) and body. */
export async function curl(args: readonly string[]): Promise<{ status: number; headers: Record<string, string[]>; body: string; result: RunResult }> {
  const result = await run(requireBinary("curl"), ["-sS", "-D", "-", "--max-time", "20", ...args]);
  if (result.code !== 0) throw new Error(`curl ${args.join(" ")} failed (exit ${result.code}): ${result.stderr}`);
  // With -D - the headers of the final response come right before the body.
  const blocks = result.stdout.split(/\r\n\r\n/);
  let i = 0;
  while (i + 1 < blocks.length && /^HTTP\/\S+ (1\d\d)/.test(blocks[i])) i++;
  const head = blocks[i].split("\r\n");
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(head[0])?.[1] ?? 0);
  const headers: Record<string, string[]> = {};
  for (const line of head.slice(1)) {
    const c = line.indexOf(":");
    if (c > 0) (headers[line.slice(0, c).toLowerCase()] ??= []).push(line.slice(c + 1).trim());
  }
  return { status, headers, body: blocks.slice(i + 1).join("\r\n\r\n"), result };
}

/**
 * Runs skopeo with HOME and the auth file pointed at an empty scratch dir, so credentials stored
 * on this machine can never make an unauthenticated push succeed.
 */
export async function skopeo(args: readonly string[], timeoutMs = 180_000): Promise<RunResult> {
  const home = scratchDir("skopeo-home");
  try {
    const env = { ...process.env, HOME: home, REGISTRY_AUTH_FILE: path.join(home, "auth.json"), XDG_RUNTIME_DIR: home, DOCKER_CONFIG: home };
    return await run(requireBinary("skopeo"), args, { env, timeoutMs });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** A directory with the CA as ca.crt, the layout skopeo's --dest-cert-dir/--src-cert-dir expect. */
export function certDir(caFile: string): string {
  const dir = scratchDir("certs");
  fs.copyFileSync(caFile, path.join(dir, "ca.crt"));
  return dir;
}
