// tsconfig.json's include list is what `npx tsc --noEmit -p .` checks: every directory that holds
// TypeScript must be in it (a file reached by no import would otherwise go unchecked), and every
// pattern must match something (a stale one hides that a directory moved).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const SKIP = new Set(["node_modules", ".git"]);

/** Every .ts file under the repository, relative to it (policy/node_modules and the like skipped). */
function tsFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith(".ts") ? [path.relative(ROOT, full)] : [];
  });
}

/** The files a tsconfig include pattern of the form `*.ts` or `dir/**\/*.ts` matches. */
function matches(pattern: string, file: string): boolean {
  if (pattern === "*.ts") return !file.includes("/");
  const dir = /^([\w-]+)\/\*\*\/\*\.ts$/.exec(pattern)?.[1];
  if (dir === undefined) throw new Error(`tsconfig.test.ts does not know the pattern ${pattern}`);
  return file.startsWith(`${dir}/`);
}

describe("tsconfig.json", () => {
  const { include } = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as { include: string[] };
  const files = tsFiles();

  it("includes every TypeScript file of the repository", () => {
    expect(files.filter((f) => !include.some((p) => matches(p, f)))).toEqual([]);
  });

  it("has no include pattern that matches nothing", () => {
    expect(include.filter((p) => !files.some((f) => matches(p, f)))).toEqual([]);
  });
});
