// vitest's file order, with one change for the integration layer: its files run two at a time, and
// the files that keep the machine's CPUs busy with load for minutes (LOAD_HEAVY) are placed so that
// two of them do not start together: the first one first, the others after every other file. Two
// load generators side by side slow both down without finishing sooner, while a light file beside
// one costs little. Everything else keeps vitest's own order (failed first, then longest first).
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Integration files that run 32+32 connections of load for most of their time. */
export const LOAD_HEAVY = ["test/integration/deploy-faults.test.ts", "test/integration/deploy.test.ts"] as const;

/** `files` with the heavy ones spread: the first heavy file, the light ones, then the other heavy ones. */
export function spreadHeavy<T>(files: readonly T[], isHeavy: (f: T) => number): T[] {
  const heavy = files.filter((f) => isHeavy(f) >= 0).sort((a, b) => isHeavy(a) - isHeavy(b));
  const light = files.filter((f) => isHeavy(f) < 0);
  return heavy.length === 0 ? [...files] : [heavy[0], ...light, ...heavy.slice(1)];
}

export default class LoadSpreadingSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => LOAD_HEAVY.indexOf(path.relative(f.project.config.root, f.moduleId) as (typeof LOAD_HEAVY)[number]);
    const integration = sorted.filter((f) => f.project.name === "integration");
    if (integration.length === 0) return sorted;
    const first = sorted.indexOf(integration[0]);
    // BaseSequencer keeps each project's files together (groupOrder, then project name).
    return [...sorted.slice(0, first), ...spreadHeavy(integration, rank), ...sorted.slice(first + integration.length)];
  }
}
