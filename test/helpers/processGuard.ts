// Unit test files share worker processes (vitest.config.mts: isolate false), which is what makes
// the unit layer fast: @pulumi/* and the program load once per worker, not once per file. The
// price is that a file could leave something behind for the next. This setup file makes that a
// failure of the file that did it: whatever process-wide state a file changes (working
// directory, environment, the handlers of unhandled errors) must be back as it was when it ends.
// (Handlers for "exit" and "beforeExit" are left alone: @pulumi/aws adds one when it first loads.)
// Module state is not at risk the same way: the shared runs are frozen (sharedRuns.ts) and the
// offline engine resets the Pulumi runtime's settings at the start of every run.
import { afterAll, beforeAll, expect } from "vitest";

/** A leftover handler here would swallow or misattribute the next file's errors (the offline engine adds one per run). */
const EVENTS = ["unhandledRejection", "uncaughtException"] as const;

interface Snapshot {
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly listeners: Record<string, number>;
}

function snapshot(): Snapshot {
  return {
    cwd: process.cwd(),
    env: { ...process.env },
    listeners: Object.fromEntries(EVENTS.map((e) => [e, process.listenerCount(e)])),
  };
}

let before: Snapshot;
beforeAll(() => {
  before = snapshot();
});
afterAll(() => {
  const after = snapshot();
  expect(after.cwd, "the test file changed the working directory and left it so").toBe(before.cwd);
  expect(after.env, "the test file changed process.env and left it so").toEqual(before.env);
  expect(after.listeners, "the test file left handlers of unhandled errors behind").toEqual(before.listeners);
});
