// No function in the source runs past MAX_LINES lines: a long one becomes named steps, the way
// pulumi-awsx's Vpc constructor hands off to named helpers and Kamal's boot is a list of short steps.
// Every .ts file outside node_modules/ and test/ is parsed with the TypeScript compiler; function
// declarations, methods, constructors, accessors, arrow functions and function expressions are
// measured from their first line to their last (leading comments not counted). A nested function
// counts towards its parent as well: moving a step into an inner arrow does not shorten the outer one.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const MAX_LINES = 120;
const SKIP = new Set(["node_modules", "test"]);

function sourceFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith(".")) return [];
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path.relative(ROOT, p)] : [];
  });
}

/** A name for a function-like node, as a reader would look for it. */
function nameOf(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return `${ts.isClassLike(node.parent) && node.parent.name ? node.parent.name.text : "(class)"} constructor`;
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText(sf);
  return "(anonymous)";
}

/** Every function longer than `max` lines in one file's text: `file:line name (N lines)`. */
export function longFunctions(file: string, text: string, max = MAX_LINES): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const fn = node;
      const first = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
      const last = sf.getLineAndCharacterOfPosition(fn.getEnd()).line + 1;
      const lines = last - first + 1;
      if (lines > max) found.push(`${file}:${first} ${nameOf(fn, sf)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe("function length", () => {
  it(`keeps every function in the source within ${MAX_LINES} lines`, () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const long = files.flatMap((f) => longFunctions(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(long, "split these into named steps").toEqual([]);
  });

  it("catches a long function of every kind, and only those", () => {
    const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join("\n");
    const text = [
      `function declared() {\n${body(4)}\n}`,
      `function tooLong() {\n${body(5)}\n}`,
      `const arrow = () => {\n${body(5)}\n};`,
      `const expr = function () {\n${body(5)}\n};`,
      `class C {\n  constructor() {\n${body(5)}\n  }\n  method() {\n${body(5)}\n  }\n  get prop() {\n${body(5)}\n    return 1;\n  }\n}`,
      `export const o = { key: () => {\n${body(5)}\n} };`,
      `function outer() {\n  const inner = () => 1;\n${body(2)}\n  return inner;\n}`,
    ].join("\n");
    const found = longFunctions("x.ts", text, 6);
    expect(found.map((f) => f.replace(/^x\.ts:\d+ /, ""))).toEqual([
      "tooLong (7 lines)",
      "arrow (7 lines)",
      "expr (7 lines)",
      "C constructor (7 lines)",
      "method (7 lines)",
      "prop (8 lines)",
      "key (7 lines)",
    ]);
    // Six lines is within the limit: declared() and outer() pass.
    expect(found.some((f) => f.includes("declared") || f.includes("outer"))).toBe(false);
  });
});
