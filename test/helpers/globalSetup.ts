// vitest global setup: an empty directory per `vitest run` where the first test file that needs a
// shipped stack's run leaves it for the others (test/helpers/sharedRuns.ts), and beside which files
// that share a rehearsal keep it (test/helpers/deployRehearsal.ts); at the end those rehearsals are
// taken down and everything removed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

/** Key of the shared directory in vitest's provide/inject. */
export const SHARED_RUN_DIR = "berthSharedRunDir";

/**
 * The directory of the shared rehearsal `share` for the run whose shared directory is `runDir`: beside
 * it, not in it, because sshd reads the deploy user's keys as that user, who may not enter `runDir` (0700).
 */
export const sharedRehearsalPath = (runDir: string, share: string): string => `${runDir}-rehearsal-${share}`;

declare module "vitest" {
  export interface ProvidedContext {
    [SHARED_RUN_DIR]: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-shared-runs-"));
  project.provide(SHARED_RUN_DIR, dir);
  return async () => {
    try {
      const prefix = path.basename(sharedRehearsalPath(dir, ""));
      const rehearsals = fs
        .readdirSync(path.dirname(dir), { withFileTypes: true })
        .filter((e) => e.name.startsWith(prefix)) // the rehearsals, and their lock and image files
        .map((e) => path.join(path.dirname(dir), e.name));
      for (const d of rehearsals) {
        if (fs.existsSync(path.join(d, "rehearsal", "state.json"))) {
          // Loaded only when there is something to take down: the unit layer never pays for it.
          const { down } = await import("../../cli/local/rehearsal");
          await down(d).catch((e: unknown) => console.error(`taking down the shared rehearsal ${d}: ${String(e)}`));
        }
        fs.rmSync(d, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
