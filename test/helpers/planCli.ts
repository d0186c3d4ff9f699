// The plan CLI (cli/plan.ts main) run in this process with its output captured: the one way the
// unit tests call it. `io` may hand in how a stack runs (a shared run) and the environment.
import { main, type PlanIo } from "../../cli/plan";

/** What one in-process plan printed, and its exit code. */
export interface PlanCapture {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run plan -- ...args` as main() with captured output; `io` adds `run` and `env`. */
export async function planInProcess(args: readonly string[], io: Pick<PlanIo, "run" | "env"> = {}): Promise<PlanCapture> {
  let stdout = "";
  let stderr = "";
  const status = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    ...io,
  });
  return { status, stdout, stderr };
}
