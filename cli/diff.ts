// `npm run plan -- <stack> --diff <git-ref> [--format text|markdown] [--out FILE]`: the offline
// plan of the working tree against the offline plan at <git-ref>, stack files and code as they
// were there. No credentials and no Pulumi CLI, so it runs on forks. The revision is unpacked
// with `git archive` into a temporary directory that borrows this checkout's node_modules; both
// plans run as child processes (`--format snapshot`), sharing one random digest key so secrets
// compare without being revealed (see snapshot.ts). The comparison itself is planDiff.ts.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { diffSnapshots } from "./planDiff";
import { renderDiff, type DiffFormat } from "./diffRender";
import { DIGEST_KEY_ENV, emptySnapshot, fromPlanJson, type Snapshot } from "./snapshot";
import { PROJECT_DIR } from "../offline/stackFile";

export interface DiffRequest {
  readonly stack: string;
  readonly ref: string;
  readonly format: DiffFormat;
}

/** Why a diff could not be made: refused (the request cannot be met, exit 2) or failed (a step failed, exit 1). */
export class DiffError extends Error {
  constructor(
    message: string,
    readonly refused = true,
  ) {
    super(message);
  }
}

function git(args: string[], cwd: string): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.error) throw new DiffError(`git is needed for --diff: ${r.error.message}`, false);
  if (r.status !== 0) throw new DiffError(`git ${args.join(" ")}: ${r.stderr.trim()}`, false);
  return r.stdout.trim();
}

interface Child {
  code: number;
  stdout: string;
  stderr: string;
}

function runPlan(dir: string, args: string[], key: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_DIR, "node_modules/.bin/tsx"), ["cli/plan.ts", ...args], {
      cwd: dir,
      env: { ...process.env, [DIGEST_KEY_ENV]: key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [],
      err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** The snapshot of `stack` in `dir`: `--format snapshot`, or an older revision's `--json`, or empty when the stack file did not exist. */
async function snapshotAt(dir: string, stack: string, key: string, label: string): Promise<Snapshot> {
  let r = await runPlan(dir, [stack, "--format", "snapshot"], key);
  // A revision older than the snapshot format refuses it as a usage error: 64 before the exit codes
  // of cli/entry.ts, 2 with the help after them.
  if (r.code === 64 || (r.code === 2 && r.stderr.startsWith("usage: "))) {
    r = await runPlan(dir, [stack, "--json"], key);
    if (r.code === 0) return fromPlanJson(JSON.parse(r.stdout) as Parameters<typeof fromPlanJson>[0]);
  }
  if (r.code !== 0 && /no stack file Pulumi\./.test(r.stderr)) return emptySnapshot(stack, "berth");
  if (r.code !== 0) throw new DiffError(`the offline plan of ${stack} at ${label} failed (exit ${r.code}):\n${r.stderr.trim()}`, false);
  return JSON.parse(r.stdout) as Snapshot;
}

/** `config:` of a stack file, keys namespaced as the CLI does ({} when the file does not exist). */
export function stackConfig(dir: string, stack: string): Record<string, unknown> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return {};
  const project = ((parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) ?? {}) as { name?: string }).name ?? "berth";
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
}

/** Runs the comparison and returns the rendered report. */
export async function planDiff(req: DiffRequest, projectDir: string = PROJECT_DIR): Promise<string> {
  const top = git(["rev-parse", "--show-toplevel"], projectDir);
  const prefix = path.relative(top, projectDir);
  const sha = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${req.ref}^{commit}`], { cwd: projectDir, encoding: "utf8" });
  if (sha.status !== 0) throw new DiffError(`--diff: "${req.ref}" is not a commit in this repository (try main, HEAD~1, origin/main)`);
  const commit = sha.stdout.trim();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-diff-"));
  try {
    const archive = spawnSync("sh", ["-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", top, commit, tmp], { encoding: "utf8" });
    if (archive.status !== 0) throw new DiffError(`could not unpack ${req.ref}: ${archive.stderr.trim()}`, false);
    const oldDir = path.join(tmp, prefix);
    if (!fs.existsSync(path.join(oldDir, "cli/plan.ts"))) throw new DiffError(`${req.ref} has no cli/plan.ts: it predates the offline plan`);
    // The old tree runs with this checkout's packages (npm ci there would need the network and time).
    if (!fs.existsSync(path.join(oldDir, "node_modules"))) fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(oldDir, "node_modules"), "dir");
    // One key for both plans, drawn for this comparison only and never written anywhere.
    const key = randomBytes(32).toString("hex");
    const [before, after] = await Promise.all([snapshotAt(oldDir, req.stack, key, req.ref), snapshotAt(projectDir, req.stack, key, "the working tree")]);
    if (after.resources.length === 0) throw new DiffError(`stack ${req.stack} does not exist in the working tree`);
    const diff = diffSnapshots(before, after, stackConfig(oldDir, req.stack), stackConfig(projectDir, req.stack));
    return renderDiff(diff, { format: req.format, before: `${req.ref} (${commit.slice(0, 7)})`, after: "working tree" });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
