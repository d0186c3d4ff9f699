// One offline run per shipped stack (Pulumi.dev.yaml, Pulumi.prod.yaml, Pulumi.scale.yaml), shared by every test file
// that reads it, instead of a fresh mock-engine run in each file.
//
// How it works: vitest's global setup (test/helpers/globalSetup.ts) makes an empty directory for
// this `vitest run` and hands its path to every test file. The first file that asks for a stack
// takes a lock file there, runs the program under the mock engine in its own worker, and writes the
// RunResult next to the lock; every other file (in any worker) waits for that file and reads it.
// The directory is new for each invocation and removed at its end, so nothing stale is ever read,
// and a stack nobody asks for is never run. A failed run is written down too: every file that
// asked for that stack then fails with the same error, and the tests that need no run still run.
//
// How to use it in a new test:
//   const r = await sharedRun("prod");                     // the shipped stack, as it is
//   const edited = await run(stackWith("prod", { ... }));  // a changed configuration: a fresh run
// The shared result is deep-frozen: a test that would modify it throws instead of changing what
// other tests see. A test that needs a run of its own of an unchanged stack (determinism, a
// customized fake cloud) calls run("prod") or runStack as before.
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { inject } from "vitest";
import { runStack, type RunResult } from "../../offline/engine";
import { readStackFile } from "../../offline/stackFile";
import { SHARED_RUN_DIR } from "./globalSetup";
import { takeLock } from "./procs";

/** The stacks the repository ships, which tests may share. */
export type ShippedStack = "dev" | "prod" | "scale";

/** How long a file waits for another worker's run before it gives up. */
const WAIT_MS = 120_000;

const memo = new Map<ShippedStack, Promise<RunResult>>();

/** The shared, read-only run of a shipped stack (see the header for how it is shared). */
export function sharedRun(stack: ShippedStack): Promise<RunResult> {
  let p = memo.get(stack);
  if (!p) {
    p = load(stack);
    memo.set(stack, p);
  }
  return p;
}

async function load(stack: ShippedStack): Promise<RunResult> {
  const dir = sharedDir();
  // Without the global setup (a test run under another config) the run is shared within the file only.
  if (dir === undefined) return deepFreeze(await runStack(readStackFile(stack)));
  const result = path.join(dir, `${stack}.v8`);
  const failure = path.join(dir, `${stack}.error`);
  if (!fs.existsSync(result) && !fs.existsSync(failure)) {
    if (takeLock(path.join(dir, `${stack}.lock`))) await produce(stack, result, failure);
    else await waitForEither(result, failure, stack);
  }
  if (fs.existsSync(failure)) throw new Error(`the shared ${stack} run failed (in the test file that ran it):\n${fs.readFileSync(failure, "utf8")}`);
  // v8's serializer, not JSON: undefined values and key order survive exactly as recorded.
  return deepFreeze(v8.deserialize(fs.readFileSync(result)) as RunResult);
}

function sharedDir(): string | undefined {
  try {
    return inject(SHARED_RUN_DIR);
  } catch {
    return undefined;
  }
}

async function produce(stack: ShippedStack, result: string, failure: string): Promise<void> {
  try {
    const r = await runStack(readStackFile(stack));
    // Written whole, then renamed: a reader never sees half a file.
    fs.writeFileSync(`${result}.tmp`, v8.serialize(r));
    fs.renameSync(`${result}.tmp`, result);
  } catch (e) {
    fs.writeFileSync(failure, e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
}

async function waitForEither(result: string, failure: string, stack: ShippedStack): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!fs.existsSync(result) && !fs.existsSync(failure)) {
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS / 1000} s for the shared ${stack} run that another test file started; did its worker die?`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
