// The test tree mirrors the source tree: test/<folder>/<module>.test.ts tests <folder>/<module>.ts
// (or <folder>/<module>/, a folder of modules), and test/<folder>/<module>.<aspect>.test.ts one aspect
// of it (cidr.properties.test.ts, certbot.deployHook.test.ts). Only the cross-cutting folders below
// hold tests named after something else; helpers live in test/helpers/. A new test therefore has
// one obvious place, and a moved or renamed module leaves no test behind under its old name.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const TEST = path.join(ROOT, "test");

/** Folders of test/ that mirror no source folder, and why. */
const CROSS_CUTTING: Record<string, string> = {
  "stack/": "whole-stack invariants over the shared runs (determinism, blast radius, outputs, ...)",
  "meta/": "the repository itself: architecture, documents, doc coverage, workflows, examples, this tree",
  "helpers/": "shared test code, no tests",
  "integration/": "the real-binaries layer (its own vitest project)",
  "components/render/golden/": "the golden files of both stacks and the test that compares them",
};

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [path.relative(TEST, p).split(path.sep).join("/")];
  });
}

const crossCutting = (rel: string): boolean => Object.keys(CROSS_CUTTING).some((folder) => rel.startsWith(folder));

/** Why a test file at `rel` (relative to test/) mirrors no source, or undefined when it does. */
function mirrorProblem(rel: string): string | undefined {
  const dir = path.posix.dirname(rel);
  const module = path.posix.basename(rel).split(".")[0];
  const sourceDir = path.join(ROOT, dir);
  if (dir.split("/")[0] === "test" || !fs.existsSync(sourceDir) || !fs.statSync(sourceDir).isDirectory()) {
    return `there is no source folder ${dir}/`;
  }
  const mirrored = fs.readdirSync(sourceDir, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name : e.name.replace(/\.[^.]*$/, "")) === module);
  const where = dir === "." ? "" : `${dir}/`;
  return mirrored ? undefined : `there is no ${where}${module}.ts (or ${where}${module}/)`;
}

describe("the test tree", () => {
  const files = filesUnder(TEST);
  const tests = files.filter((f) => f.endsWith(".test.ts"));

  it("finds the tests", () => {
    expect(tests.length).toBeGreaterThan(50);
  });

  it("names every unit test file after the source file or folder it mirrors", () => {
    const problems = tests
      .filter((f) => !crossCutting(f))
      .map((f) => [f, mirrorProblem(f)])
      .filter(([, problem]) => problem !== undefined)
      .map(([f, problem]) => `test/${f}: ${problem}; move it to test/<folder>/<module>.test.ts, or into test/stack/ or test/meta/`);
    expect(problems).toEqual([]);
  });

  it("keeps TypeScript that is not a test in test/helpers/ (or test/integration/)", () => {
    const stray = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("helpers/") && !f.startsWith("integration/"));
    expect(stray).toEqual([]);
  });

  it("has no stale cross-cutting entry", () => {
    for (const folder of Object.keys(CROSS_CUTTING)) expect(fs.existsSync(path.join(TEST, folder)), folder).toBe(true);
  });

  it("tells a mirrored path from one that mirrors nothing", () => {
    expect(mirrorProblem("lib/cidr.test.ts")).toBeUndefined();
    expect(mirrorProblem("lib/cidr.properties.test.ts")).toBeUndefined();
    expect(mirrorProblem("config/validate/dns.test.ts")).toBeUndefined();
    expect(mirrorProblem("cli/local.test.ts")).toBeUndefined();
    expect(mirrorProblem("host/berth-deploy.test.ts")).toBeUndefined();
    expect(mirrorProblem("berth.test.ts")).toBeUndefined();
    expect(mirrorProblem("lib/cidr-properties.test.ts")).toBe("there is no lib/cidr-properties.ts (or lib/cidr-properties/)");
    expect(mirrorProblem("unit/cidr.test.ts")).toBe("there is no source folder unit/");
    expect(mirrorProblem("render/nginx.test.ts")).toBe("there is no source folder render/");
    expect(mirrorProblem("test/lib/cidr.test.ts")).toBe("there is no source folder test/lib/");
  });
});
