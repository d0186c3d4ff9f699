// One way to write a CLI (cli/entry.ts): every CLI reads its arguments with util.parseArgs from one
// option table, prints its help from that table, starts through runAsProgram, and exits with the
// codes of EXIT, which the README's "Exit codes" table documents.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, parseCli, Refused, usage, type CliSpec } from "../../cli/entry";
import { LOCAL_CLI, main as localMain } from "../../cli/local";
import { OUTPUTS_CLI } from "../../cli/outputs";
import { PLAN_CLI } from "../../cli/plan";
import { DIAGRAMS_CLI } from "../../cli/docsDiagrams";
import { DEPLOY_CLI } from "../../cli/deploy";

const ROOT = path.resolve(__dirname, "../..");

const SPEC: CliSpec = {
  name: "demo",
  synopsis: ["demo <thing> [options]"],
  options: [
    { name: "out", type: "string", value: "FILE", help: "where to write" },
    { name: "json", type: "boolean", help: "print JSON" },
  ],
  examples: ["demo x --out y"],
};

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Refused);
    return (e as Error).message;
  }
  throw new Error("not refused");
};

describe("cli/entry.ts", () => {
  it("prints the help from the option table", () => {
    expect(usage(SPEC)).toBe(
      ["usage: demo <thing> [options]", "options:", "  --out FILE  where to write", "  --json      print JSON", "  e.g. demo x --out y", ""].join("\n"),
    );
  });

  it.each<[string, string[], Record<string, unknown>, string[]]>([
    ["a value after the option", ["a", "--out", "f"], { out: "f" }, ["a"]],
    ["a value after =", ["--out=f", "a"], { out: "f" }, ["a"]],
    ["a boolean", ["a", "--json"], { json: true }, ["a"]],
    ["words after --", ["--", "--json"], {}, ["--json"]],
  ])("reads %s", (_w, argv, values, positionals) => {
    const r = parseCli(SPEC, argv);
    expect({ ...r.values }).toEqual(values);
    expect(r.positionals).toEqual(positionals);
  });

  it.each<[string, string[], string]>([
    ["an unknown option", ["a", "--yaml"], "demo: Unknown option '--yaml'"],
    ["a missing value", ["a", "--out"], "demo: Option '--out <value>' argument missing"],
    ["an option as a value", ["a", "--out", "--json"], "demo: Option '--out' argument is ambiguous."],
    ["a value for a boolean", ["a", "--json=yes"], "demo: Option '--json' does not take an argument"],
  ])("refuses %s with the help, then the reason", (_w, argv, reason) => {
    expect(refusal(() => parseCli(SPEC, argv))).toBe(`${usage(SPEC)}${reason}\n`);
  });

  it("has one exit-code convention, the deploy program's, documented in the README", () => {
    expect(EXIT).toEqual({ ok: 0, failed: 1, refused: 2, crashed: 70 });
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Exit codes"), readme.indexOf("\n### ", readme.indexOf("### Exit codes") + 1));
    for (const code of Object.values(EXIT)) expect(section).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
  });
});

describe("every CLI", () => {
  const files = fs.readdirSync(path.join(ROOT, "cli")).filter((f) => f.endsWith(".ts"));
  const programs = files.filter((f) => fs.readFileSync(path.join(ROOT, "cli", f), "utf8").includes("require.main === module"));

  it("starts through runAsProgram and reads its arguments from its option table", () => {
    expect(programs.sort()).toEqual(["deploy.ts", "docsConfig.ts", "docsDiagrams.ts", "local.ts", "outputs.ts", "plan.ts"]);
    for (const f of programs) {
      const text = fs.readFileSync(path.join(ROOT, "cli", f), "utf8");
      expect(text, f).toContain("if (require.main === module) runAsProgram(main);");
      expect(text, f).toContain("parseCli(");
    }
    // No hand-written parser: only entry.ts reads process.argv.
    const readers = [...files, ...fs.readdirSync(path.join(ROOT, "cli/local")).map((f) => `local/${f}`)].filter((f) =>
      fs.readFileSync(path.join(ROOT, "cli", f), "utf8").includes("process.argv"),
    );
    expect(readers).toEqual(["entry.ts"]);
  });

  it.each([PLAN_CLI, OUTPUTS_CLI, LOCAL_CLI, DIAGRAMS_CLI, DEPLOY_CLI])("lists every option of $name in its help", (spec) => {
    const text = usage(spec);
    for (const o of spec.options) expect(text).toContain(`--${o.name}${o.value ? ` ${o.value}` : ""}  `);
  });
});

describe("npm run local (the arguments)", () => {
  it.each<[string, string[], string]>([
    ["no command", [], "which command?"],
    ["an unknown command", ["launch", "--dir", "/tmp/x"], "unknown command launch"],
    ["a missing --dir", ["up", "dev"], "up needs --dir"],
    ["an option of another command", ["deploy", "web", "v1", "--dir", "/tmp/x", "--json"], "deploy takes no --json"],
    ["a missing word", ["maintenance", "web", "--dir", "/tmp/x"], "maintenance takes <app> on|off"],
    ["a port out of range", ["up", "dev", "--dir", "/tmp/x", "--ssh-port", "70000"], '--ssh-port must be a port number from 1 to 65535, got "70000"'],
  ])("refuses %s before doing anything", async (_w, argv, reason) => {
    await expect(localMain(argv)).rejects.toThrow(new Refused(`${usage(LOCAL_CLI)}local: ${reason}\n`));
  });
});
