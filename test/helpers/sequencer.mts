// vitest's file order, with one change for the integration layer: its files run two at a time, and
// the files that keep the machine's CPUs busy with load for minutes (LOAD_HEAVY) must not run
// together: two load generators side by side slow both down without finishing sooner, while a light
// file beside one costs little. vitest hands the next file in this order to whichever worker frees
// first, so the order decides the lanes: the first heavy file starts at once; the light files that
// follow it fill the other lane for about as long as it runs (by EXPECTED_SECONDS), so the next heavy
// file is next in line when it ends and starts in its lane; the remaining light files fill in after.
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Integration files that run 32+32 connections of load for most of their time, in the order they run. */
export const LOAD_HEAVY = ["test/integration/deploy-faults.test.ts", "test/integration/deploy.test.ts"] as const;

/**
 * Seconds each integration file took in a full run two at a time on the 2-core machine this project is
 * tested on (`npx vitest run --project integration` prints them). Only the order depends on them: a
 * wrong figure costs time, never a result. A file not listed counts DEFAULT_SECONDS.
 */
export const EXPECTED_SECONDS: Readonly<Record<string, number>> = {
  "test/integration/deploy-faults.test.ts": 162, // boots the rehearsal deploy.test.ts then reuses
  "test/integration/deploy.test.ts": 84,
  "test/integration/deploy-ops.test.ts": 52,
  "test/integration/runtime.test.ts": 52,
  "test/integration/rehearsal-prod.test.ts": 34,
  "test/integration/jobs.test.ts": 30,
  "test/integration/cli-processes.test.ts": 21,
  "test/integration/rehearsal-dev.test.ts": 19,
  "test/integration/plan-diff-cli.test.ts": 14,
  "test/integration/rehearsal-check.test.ts": 13,
  "test/integration/runtime-errors.test.ts": 8,
  "test/integration/configs.test.ts": 6,
  "test/integration/install-deps.test.ts": 6,
};
export const DEFAULT_SECONDS = 5;

/**
 * `files` in the order to run them two at a time: each heavy file (by rank) after the light files
 * that keep the other lane busy while the heavy ones before it run, light files longest first.
 */
export function placeHeavy<T>(files: readonly T[], heavyRank: (f: T) => number, seconds: (f: T) => number): T[] {
  const heavy = files.filter((f) => heavyRank(f) >= 0).sort((a, b) => heavyRank(a) - heavyRank(b));
  const light = files.filter((f) => heavyRank(f) < 0).sort((a, b) => seconds(b) - seconds(a));
  if (heavy.length === 0) return light;
  const out: T[] = [heavy[0]];
  let heavyLane = seconds(heavy[0]);
  let lightLane = 0;
  let next = 0;
  for (const h of heavy.slice(1)) {
    // Light files until the other lane is busy at least as long as the heavy lane: then this heavy
    // file is next in line exactly when the lane before it frees.
    while (next < light.length && lightLane < heavyLane) {
      out.push(light[next]);
      lightLane += seconds(light[next++]);
    }
    out.push(h);
    heavyLane += seconds(h);
  }
  return [...out, ...light.slice(next)];
}

export default class LoadSpreadingSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rel = (f: TestSpecification): string => path.relative(f.project.config.root, f.moduleId);
    const rank = (f: TestSpecification): number => LOAD_HEAVY.indexOf(rel(f) as (typeof LOAD_HEAVY)[number]);
    const seconds = (f: TestSpecification): number => EXPECTED_SECONDS[rel(f)] ?? DEFAULT_SECONDS;
    const integration = sorted.filter((f) => f.project.name === "integration");
    if (integration.length === 0) return sorted;
    const first = sorted.indexOf(integration[0]);
    // BaseSequencer keeps each project's files together (groupOrder, then project name).
    return [...sorted.slice(0, first), ...placeHeavy(integration, rank, seconds), ...sorted.slice(first + integration.length)];
  }
}
