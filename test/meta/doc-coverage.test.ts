// Every component argument and output is documented: each property of an exported interface (or
// of an exported object type) in components/*.ts, components/render/settings.ts, wiring/*.ts and berth.ts, and each public property of an
// exported class (a component's outputs), carries a JSDoc comment with text, not only tags.
//
// `@default` is kept honest with a heuristic: a default belongs on an argument only when the
// component applies it itself (config defaults live in the schema). So the tag's value, its text up
// to the first space, must be a code literal (a quoted string, a number, true, false, [] or {}) and
// must appear in the same file's code with the comments removed (the component's `?? value` or
// `= value`). A computed default ("the first two zones the region reports") is described in prose
// instead. The heuristic can be fooled by the same literal used elsewhere in the file; it catches
// the common drift, a default copied from the schema that no code in the component applies.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

/** The files whose exported types are the components' contract. */
function checkedFiles(): string[] {
  const components = fs
    .readdirSync(path.join(ROOT, "components"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `components/${f}`);
  // The settings the host layer reads are a contract of the same kind, and so are the wiring mappers' inputs.
  const wiring = fs
    .readdirSync(path.join(ROOT, "wiring"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `wiring/${f}`);
  return [...components.sort(), "components/render/settings.ts", ...wiring.sort(), "berth.ts"];
}

const isExported = (node: ts.Node): boolean => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** JSDoc blocks attached to `node` (the compiler keeps them on the node). */
function jsDocs(node: ts.Node): ts.JSDoc[] {
  return ts.getJSDocCommentsAndTags(node).filter((d): d is ts.JSDoc => ts.isJSDoc(d));
}

function commentText(c: string | ts.NodeArray<ts.JSDocComment> | undefined): string {
  if (c === undefined) return "";
  return typeof c === "string" ? c : c.map((part) => part.text).join("");
}

/** True when a JSDoc block has text of its own (a block with only `@default x` does not say what the member is). */
function hasDocText(node: ts.Node): boolean {
  return jsDocs(node).some((d) => commentText(d.comment).trim().length > 0);
}

const LITERAL = /^("[^"]*"|'[^']*'|`[^`]*`|-?\d+(\.\d+)?|true|false|\[\]|\{\})$/;

/** Problems of one source file: `file:line member: what is wrong`. */
function docProblems(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const code = ts.createPrinter({ removeComments: true }).printFile(sf);
  const problems: string[] = [];
  const where = (node: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;

  const checkMember = (owner: string, member: ts.PropertySignature | ts.PropertyDeclaration, isArg: boolean): void => {
    const name = `${owner}.${member.name.getText(sf)}`;
    if (!hasDocText(member)) problems.push(`${where(member)} ${name}: no doc comment`);
    if (!isArg) return;
    for (const tag of jsDocs(member).flatMap((d) => d.tags ?? [])) {
      if (tag.tagName.text !== "default") continue;
      const value = commentText(tag.comment).trim().split(/\s/)[0] ?? "";
      if (!LITERAL.test(value))
        problems.push(`${where(member)} ${name}: @default ${JSON.stringify(value)} is not a code literal (describe a computed default in prose)`);
      else if (!code.includes(value))
        problems.push(`${where(member)} ${name}: @default ${value} appears nowhere in the file's code (a config default belongs to the schema)`);
    }
  };
  /** Members of an object type, and of object types written directly as a member's type. */
  const checkTypeMembers = (owner: string, members: ts.NodeArray<ts.TypeElement>): void => {
    for (const m of members) {
      if (!ts.isPropertySignature(m)) continue;
      checkMember(owner, m, true);
      if (m.type && ts.isTypeLiteralNode(m.type)) checkTypeMembers(`${owner}.${m.name.getText(sf)}`, m.type.members);
    }
  };

  for (const stmt of sf.statements) {
    if (!isExported(stmt)) continue;
    if (ts.isInterfaceDeclaration(stmt)) checkTypeMembers(stmt.name.text, stmt.members);
    else if (ts.isTypeAliasDeclaration(stmt) && ts.isTypeLiteralNode(stmt.type)) checkTypeMembers(stmt.name.text, stmt.type.members);
    else if (ts.isClassDeclaration(stmt) && stmt.name) {
      for (const m of stmt.members) {
        if (!ts.isPropertyDeclaration(m) || ts.isPrivateIdentifier(m.name)) continue;
        const hidden = (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword);
        if (!hidden) checkMember(stmt.name.text, m, false);
      }
    }
  }
  return problems;
}

describe("documentation coverage", () => {
  it("flags an undocumented member, a tag-only comment and a @default the code never applies (self-test)", () => {
    const source = [
      "export interface FooArgs {",
      "  /** Documented. */",
      "  readonly a: string;",
      "  readonly b: number;",
      "  /** @default 3 */",
      "  readonly c?: number;",
      "  /**",
      "   * Port.",
      "   * @default 8080",
      "   */",
      "  readonly d?: number;",
      "  /** Nested. */",
      "  readonly e?: { readonly f: number };",
      "}",
      "interface NotExported { readonly g: string }",
      "export class Foo {",
      "  /** Documented output. */",
      "  public readonly out: string;",
      "  public readonly bare: string;",
      "  private readonly hidden: string;",
      '  constructor(args: FooArgs) { this.out = args.a; this.bare = String(args.d ?? 9090); this.hidden = ""; }',
      "}",
    ].join("\n");
    expect(docProblems("x.ts", source)).toEqual([
      "x.ts:4 FooArgs.b: no doc comment",
      "x.ts:6 FooArgs.c: no doc comment",
      "x.ts:6 FooArgs.c: @default 3 appears nowhere in the file's code (a config default belongs to the schema)",
      "x.ts:11 FooArgs.d: @default 8080 appears nowhere in the file's code (a config default belongs to the schema)",
      "x.ts:13 FooArgs.e.f: no doc comment",
      "x.ts:19 Foo.bare: no doc comment",
    ]);
    // Applied in code, the default passes; prose does not pass as a default.
    expect(
      docProblems(
        "y.ts",
        "export interface A {\n  /**\n   * Port.\n   * @default 8080\n   */\n  readonly p?: number;\n}\nexport const p = (a: A) => a.p ?? 8080;\n",
      ),
    ).toEqual([]);
    expect(docProblems("z.ts", "export interface A {\n  /**\n   * Zones.\n   * @default the first two\n   */\n  readonly z?: string[];\n}\n")).toEqual([
      'z.ts:6 A.z: @default "the" is not a code literal (describe a computed default in prose)',
    ]);
  });

  it("finds every component argument and output documented", () => {
    const files = checkedFiles();
    expect(files).toContain("components/network.ts");
    const problems = files.flatMap((f) => docProblems(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
    // One line per member, so the failure message is the to-do list.
    expect(problems.join("\n"), `${problems.length} undocumented or mis-defaulted member(s)`).toBe("");
  });
});
