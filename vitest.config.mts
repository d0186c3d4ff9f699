// Two layers: "unit" (mock engine, renderers, policy: everything but real binaries) and
// "integration" (real nginx, registry, openssl, processes). The unit files mirror the source tree
// (test/lib/cidr.test.ts tests lib/cidr.ts; test/meta/test-tree.test.ts keeps it so), whatever
// folder they sit in: the unit project takes every test outside test/integration/. scripts/test.sh runs and times each;
// `npm run test:unit` is the fast layer alone.
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

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
          // One file at a time: two side by side (each with its own rehearsal) ran green, but once a prod
          // rehearsal's registry answered 502 through nginx from the moment a second rehearsal was booting,
          // a cross-file interference not yet understood; until it is, files do not share the machine.
          maxWorkers: 1,
          // Its own group (after the unit files) when one vitest run takes both projects.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
