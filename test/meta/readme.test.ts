// The README is an interface too: every config key and every stack output must be documented,
// and the two set-up commands must stay at its top and match what CI runs. The configuration
// tables (key, type, default, dev, prod) are generated (npm run docs:config, staleness in
// docs-config.test.ts); this file checks what they say against the zod schema and the stack files
// on its own, so a generator bug cannot make them wrong unnoticed.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configKeys, nestedConfigKeys, SECRET_KEYS } from "../../config";
import { SECTIONS, unwrap } from "../../config/schema";
import { readStackFile } from "../../offline/stackFile";
import { sharedRun, type ShippedStack } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

function sectionText(heading: string): string {
  const start = readme.indexOf(heading);
  expect(start, `README has no heading ${heading}`).toBeGreaterThan(-1);
  const next = readme.indexOf("\n### ", start + heading.length);
  const nextTop = readme.indexOf("\n## ", start + heading.length);
  const end = Math.min(...[next, nextTop].filter((i) => i > 0), readme.length);
  return readme.slice(start, end);
}

describe("README", () => {
  it("starts with the main job and the test command, and CI runs that test command", () => {
    const blocks = [...readme.matchAll(/```sh\n([^`]+)```/g)].map((m) => m[1].trim());
    expect(blocks[0]).toBe("bash scripts/install-deps.sh && npm run plan -- dev");
    expect(blocks[1]).toBe("bash scripts/test.sh");
    expect(readme.indexOf(blocks[1])).toBeLessThan(readme.indexOf("## "));
    expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).toMatch(/^bash scripts\/test\.sh$/m);
  });

  it.each(Object.entries(configKeys()))("documents every key of berth:%s", (section, keys) => {
    const text = sectionText(`### \`berth:${section}\``);
    for (const key of keys) expect(text, `berth:${section}.${key}`).toContain(`| \`${key}\` |`);
  });

  it.each(Object.entries(nestedConfigKeys()))("documents every field of berth:%s", (where, keys) => {
    const text = sectionText(`### \`berth:${where.split(".")[0]}\``);
    for (const key of keys) expect(text, `berth:${where}.${key}`).toMatch(new RegExp(`\`${key}\`|[{,] ${key}[ ,}]`));
  });

  it("documents every secret key", () => {
    const text = sectionText("### Secret keys");
    for (const key of SECRET_KEYS) expect(text).toContain(`| \`berth:${key}\` |`);
  });

  it.each<ShippedStack>(["dev", "prod"])("documents exactly the outputs of the %s stack, with their secrecy", async (stack) => {
    const r = await sharedRun(stack);
    const text = sectionText("## Outputs reference");
    const rows = [...text.matchAll(/^\| `([a-zA-Z0-9]+)` \| (yes)? *\|/gm)].map((m) => ({ name: m[1], secret: m[2] === "yes" }));
    const documented = new Map(rows.map((x) => [x.name, x.secret]));
    for (const name of Object.keys(r.outputs)) expect(documented.has(name), `output ${name} is not in the README`).toBe(true);
    const { isSecretValue } = await import("../../offline/mocks");
    for (const [name, secret] of documented) {
      if (name in r.outputs) expect(isSecretValue(r.outputs[name]), `README secrecy of ${name}`).toBe(secret);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The configuration tables against the schema and the stack files

interface Row {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly dev: string;
  readonly prod: string;
}

/** The `| key | type | default | dev | prod |` table under a heading (cells split on unescaped |). */
function table(heading: string): Row[] {
  const all = sectionText(heading).split("\n");
  const start = all.findIndex((l) => l.startsWith("| key |"));
  expect(start, `${heading}: no | key | type | default | dev | prod | table`).toBeGreaterThan(-1);
  const end = all.findIndex((l, i) => i > start && !l.startsWith("|"));
  const lines = all.slice(start, end === -1 ? all.length : end);
  const cells = (l: string): string[] =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, "|"));
  expect(cells(lines[0]), `${heading}: columns`).toEqual(["key", "type", "default", "dev", "prod"]);
  // The first line is the header, the second its |---| separator.
  return lines.slice(2).map((l) => {
    const [key, type, def, dev, prod] = cells(l);
    return { key: key.replace(/^`|`$/g, ""), type, default: def, dev, prod };
  });
}

/**
 * How a value is written in a table, as YAML's flow style: strings bare, lists as [a, b], mappings as
 * { key: value } with strings quoted where YAML would need it.
 */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const inner = Object.entries(v).map(([k, x]) => `${k}: ${typeof x === "string" && !/^[\w.@/-]+$/.test(x) ? JSON.stringify(x) : literal(x)}`);
    return `{ ${inner.join(", ")} }`;
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The fields of a section's object schema. */
const shapeOf = (name: string): Record<string, z.ZodType> => (unwrap(SECTIONS[name as keyof typeof SECTIONS]) as z.ZodObject).shape;
const isScalar = (v: unknown): boolean => typeof v !== "object" || v === null;
/** Scalars, lists of scalars and mappings of scalars are written out; anything deeper is described in words. */
/** A value the cell writes out whole: a scalar, a list of scalars, or an object of such (nested objects too, as host.dataVolume). */
const isScalarOrList = (v: unknown): boolean =>
  isScalar(v) ||
  (Array.isArray(v)
    ? v.every(isScalar)
    : Object.values(v as Record<string, unknown>).every((x) => isScalar(x) || (typeof x === "object" && x !== null && isScalarOrList(x))));
const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** Problems of one value cell (a stack's column) against the value the stack file sets. */
function valueCellProblems(what: string, cell: string, value: unknown): string[] {
  if (value === undefined)
    return cell === "" ? [] : [`${what}: the stack file does not set it, so the cell must be empty (the default applies), not "${cell}"`];
  if (cell === "") return [`${what}: the stack file sets ${JSON.stringify(value)}; the cell is empty`];
  if (isScalarOrList(value)) return cell.startsWith(`\`${literal(value)}\``) ? [] : [`${what}: must start with \`${literal(value)}\`, not "${cell}"`];
  // Lists of objects are described in words: every name and number the cell mentions must be in the value.
  const json = JSON.stringify(value);
  const mentioned = [...ticked(cell), ...(cell.replace(/`[^`]*`/g, "").match(/\b\d+\b/g) ?? [])];
  return mentioned.filter((m) => !json.includes(m)).map((m) => `${what}: mentions ${m}, which the stack file does not hold`);
}

/** Problems of the type and default cells against the field's schema. */
function schemaCellProblems(what: string, row: Row, field: z.ZodType): string[] {
  const out: string[] = [];
  const inner = unwrap(field);
  // The type cell is "<type>: <the schema's description>"; the checks below read the type part.
  const description = field.meta()?.description ?? "";
  const suffix = `: ${description}`;
  if (description === "" || !row.type.endsWith(suffix)) out.push(`${what}: the type cell must end with the schema's description, not "${row.type}"`);
  const type = row.type.endsWith(suffix) ? row.type.slice(0, -suffix.length) : row.type;
  const parsed = field.safeParse(undefined);
  if (!parsed.success) {
    if (!row.default.includes("(required)")) out.push(`${what}: required by the schema, so the default cell must say (required), not "${row.default}"`);
  } else if (parsed.data !== undefined) {
    if (!row.default.startsWith(`\`${literal(parsed.data)}\``))
      out.push(`${what}: the schema's default is \`${literal(parsed.data)}\`; the cell says "${row.default}"`);
  } else if (row.default === "" || row.default.startsWith("`")) {
    out.push(`${what}: optional without a default, so the default cell must say what happens when it is unset, not "${row.default}"`);
  }
  if (inner instanceof z.ZodEnum) {
    const options = (inner.options as readonly string[]).map(String);
    if (JSON.stringify(ticked(type).sort()) !== JSON.stringify([...options].sort()))
      out.push(`${what}: the type must list exactly ${options.map((o) => `\`${o}\``).join(" | ")}, not "${type}"`);
  } else if (inner instanceof z.ZodBoolean) {
    if (!type.startsWith("boolean")) out.push(`${what}: a boolean, not "${type}"`);
  } else if (inner instanceof z.ZodNumber) {
    // A bound the schema does not set shows as the safe-integer limit (z.int()) or as infinity.
    const bound = (v: number | null): number | undefined => (v === null || !Number.isFinite(v) || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
    const [min, max] = [bound(inner.minValue), bound(inner.maxValue)];
    if (min === 1 && max === 65535) {
      if (type !== "port") out.push(`${what}: a port (1-65535), so the type is "port", not "${type}"`);
    } else if (min !== undefined && max !== undefined) {
      if (!type.includes(`${min}-${max}`)) out.push(`${what}: the schema allows ${min}-${max}; the type says "${type}"`);
    } else if (min !== undefined || max !== undefined) {
      const only = String(min ?? max);
      if (!new RegExp(`\\b${only}\\b`).test(type)) out.push(`${what}: the schema bounds it at ${only}; the type does not say so: "${type}"`);
    }
  } else if (inner instanceof z.ZodUnion) {
    const values = inner.options.map((o) => (o instanceof z.ZodLiteral ? String(o.value) : "?"));
    if (!type.startsWith(values.join(", "))) out.push(`${what}: the schema allows ${values.join(", ")}; the type says "${type}"`);
  } else if (inner instanceof z.ZodArray) {
    const checks = (inner.def.checks ?? []).map((c) => c._zod.def as { check: string; length?: number });
    const exactly = checks.find((c) => c.check === "length_equals")?.length;
    const word = exactly === 2 ? "two" : exactly === undefined ? "list" : String(exactly);
    if (!type.startsWith(word))
      out.push(`${what}: ${exactly === undefined ? "a list" : `exactly ${exactly} items`}, so the type starts with "${word}", not "${type}"`);
  } else if (/^(boolean|port|list|two)\b/.test(type)) {
    out.push(`${what}: the schema holds a ${inner.constructor.name}, not "${type}"`);
  }
  return out;
}

describe("README configuration tables", () => {
  const stacks = { dev: readStackFile("dev"), prod: readStackFile("prod") };
  const sectionOf = (stack: "dev" | "prod", name: string): Record<string, unknown> => {
    const raw = stacks[stack].config[`berth:${name}`];
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  };
  const tabled = Object.keys(SECTIONS).filter((name) => unwrap(SECTIONS[name as keyof typeof SECTIONS]) instanceof z.ZodObject);

  it.each(tabled)("berth:%s: one row per key, type and default from the schema, dev and prod from the stack files", (name) => {
    const shape = shapeOf(name);
    const heading = readme.includes(`### \`berth:${name}\` (required)`) ? `### \`berth:${name}\` (required)` : `### \`berth:${name}\``;
    const rows = table(heading);
    expect(
      rows.map((r) => r.key),
      "the rows are exactly the schema's keys, in its order",
    ).toEqual(Object.keys(shape));
    const problems = rows.flatMap((row) => [
      ...schemaCellProblems(`berth:${name}.${row.key}`, row, shape[row.key]),
      ...valueCellProblems(`berth:${name}.${row.key} (dev)`, row.dev, sectionOf("dev", name)[row.key]),
      ...valueCellProblems(`berth:${name}.${row.key} (prod)`, row.prod, sectionOf("prod", name)[row.key]),
    ]);
    expect(problems).toEqual([]);
  });

  it("aws:region: required, with each stack's region", () => {
    const [row] = table("### `aws:region`");
    expect(row.key).toBe("aws:region");
    expect(row.default).toBe("(required)");
    expect([
      ...valueCellProblems("aws:region (dev)", row.dev, stacks.dev.config["aws:region"]),
      ...valueCellProblems("aws:region (prod)", row.prod, stacks.prod.config["aws:region"]),
    ]).toEqual([]);
  });

  it("catches drift: a wrong default, a stale dev value, a missing required mark, a wrong range", () => {
    const field = shapeOf("host");
    const row: Row = { key: "rootVolumeGiB", type: `8-16384: ${field.rootVolumeGiB.meta()?.description}`, default: "`30`", dev: "`30`", prod: "`100`" };
    expect(schemaCellProblems("x", row, field.rootVolumeGiB)).toEqual([]);
    expect(schemaCellProblems("x", { ...row, default: "`20`" }, field.rootVolumeGiB)).toEqual([expect.stringContaining("the schema's default is `30`")]);
    expect(schemaCellProblems("x", { ...row, type: row.type.replace("16384", "1000") }, field.rootVolumeGiB)).toEqual([
      expect.stringContaining("allows 8-16384"),
    ]);
    expect(schemaCellProblems("x", { ...row, type: "8-16384: a stale description" }, field.rootVolumeGiB)).toEqual([
      expect.stringContaining("must end with the schema's description"),
    ]);
    expect(valueCellProblems("x", "`40`", 30)).toEqual([expect.stringContaining("must start with `30`")]);
    expect(valueCellProblems("x", "`30`", undefined)).toEqual([expect.stringContaining("must be empty")]);
    const fw = shapeOf("firewall");
    const adminCidrs = `list of CIDRs: ${fw.adminCidrs.meta()?.description}`;
    expect(schemaCellProblems("x", { key: "adminCidrs", type: adminCidrs, default: "`[]`", dev: "", prod: "" }, fw.adminCidrs)).toEqual([
      expect.stringContaining("must say (required)"),
    ]);
    expect(valueCellProblems("x", "443 and 9000 from anywhere", [{ port: 443 }, { port: 8000 }])).toEqual([expect.stringContaining("mentions 9000")]);
  });
});
