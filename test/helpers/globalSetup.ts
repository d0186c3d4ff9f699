// vitest global setup: an empty directory per `vitest run` where the first test file that needs a
// shipped stack's run leaves it for the others (test/helpers/sharedRuns.ts), removed at the end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

/** Key of the shared directory in vitest's provide/inject. */
export const SHARED_RUN_DIR = "berthSharedRunDir";

declare module "vitest" {
  export interface ProvidedContext {
    [SHARED_RUN_DIR]: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-shared-runs-"));
  project.provide(SHARED_RUN_DIR, dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
