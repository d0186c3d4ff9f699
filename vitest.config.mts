// Two layers: "unit" (mock engine, renderers, policy: everything but real binaries) and
// "integration" (real nginx, registry, openssl, processes). The unit files mirror the source tree
// (test/lib/cidr.test.ts tests lib/cidr.ts; test/meta/test-tree.test.ts keeps it so), whatever
// folder they sit in: the unit project takes every test outside test/integration/. scripts/test.sh runs and times each;
// `npm run test:unit` is the fast layer alone.
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import LoadSpreadingSequencer from "./test/helpers/sequencer.mts";

export default defineConfig({
  test: {
    // The mock engine keeps global state per process: forks, not threads; runs within a process
    // are serialised by the engine.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node's
    // own loader refuses; let Vite load it instead.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
    // One run per shipped stack per invocation, shared by the files that read it (test/helpers/sharedRuns.ts).
    globalSetup: ["test/helpers/globalSetup.ts"],
    // Integration files two at a time, the load-heavy ones apart (test/helpers/sequencer.mts).
    sequence: { sequencer: LoadSpreadingSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**"],
          // vitest leaves a core to itself by default (1 worker on 2 cores); its main process is
          // idle while unit files run, so use every core.
          maxWorkers: availableParallelism(),
          // Files share worker processes, so @pulumi/* and the program load once per worker instead
          // of once per file (this halves the layer's CPU time). processGuard fails a file that
          // leaves process-wide state behind for the next one.
          isolate: false,
          setupFiles: ["test/helpers/processGuard.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // Two files at a time (each with its own rehearsal). Rehearsals side by side claim their ports
          // machine-wide (cli/local/procs.ts PORT_CLAIMS_DIR): an app's live port is bound by nothing (the
          // switch is a DNAT rule that captures every local connection to it), so without claims a second
          // rehearsal could pick it for its registry and be answered by the first one's app.
          maxWorkers: 2,
          // Its own group (after the unit files) when one vitest run takes both projects.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
