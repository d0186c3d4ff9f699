import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The mock engine keeps global state per process: one file per fork.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node's
    // own loader refuses; let Vite load it instead.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
