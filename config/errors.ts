// Config errors: every problem names the key, shows the value and says what is allowed, and all of
// them are reported at once. ConfigError is a pulumi.RunError, so `pulumi up` prints the list and
// not a stack trace.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { frameless } from "../lib/errors";
import type { Problem } from "../lib/problems";
import { RawSchema, unwrap } from "./schema";

// ---------------------------------------------------------------------------------------------
// Errors

/** One problem with one key (see lib/problems.ts). */
export type ConfigProblem = Problem;

export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid Berth configuration:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
    this.stack = frameless(this);
  }
}

export function formatProblem(p: ConfigProblem): string {
  const shown = p.value === undefined ? "(not set)" : JSON.stringify(p.value);
  return `  - ${p.key} = ${shown}: ${p.message}`;
}

function keyOf(path: readonly PropertyKey[]): string {
  let out = `berth:${String(path[0])}`;
  for (const seg of path.slice(1)) out += typeof seg === "number" ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours ("form" for "from") is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export function suggest(word: string, options: readonly string[]): string {
  const best = options.map((o) => [o, editDistance(word.toLowerCase(), o.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best[0]}"?)` : "";
}

function knownKeysAt(path: readonly PropertyKey[], raw: unknown): string[] {
  // Walk the schema shape along the path to list the keys allowed there; at a union of objects told
  // apart by a key (an app's `runtime`), follow the option the value itself names.
  let schema: z.ZodType = RawSchema;
  for (const [i, seg] of path.entries()) {
    schema = option(unwrap(schema), valueAt(raw, path.slice(0, i)));
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(seg)];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
    if (!schema) return [];
  }
  schema = option(unwrap(schema), valueAt(raw, path));
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The option of a discriminated union that `value` selects (the first that takes its discriminator), or `schema` itself. */
function option(schema: z.ZodType, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodDiscriminatedUnion)) return schema;
  const key = schema.def.discriminator;
  const given = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  const options = schema.options as z.ZodType[];
  return options.find((o) => o instanceof z.ZodObject && (o.shape as Record<string, z.ZodType>)[key]?.safeParse(given).success) ?? options[0];
}

export function zodProblems(error: z.ZodError, raw: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const allowed = knownKeysAt(issue.path, raw);
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        out.push({
          key: keyOf(path),
          value: valueAt(raw, path),
          message: `unknown key${suggest(k, allowed)}; allowed here: ${allowed.join(", ")}`,
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) message = "is required";
    else if (issue.code === "too_small" || issue.code === "too_big") {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const cmp = issue.code === "too_small" ? (issue.inclusive === false ? ">" : ">=") : issue.inclusive === false ? "<" : "<=";
      message =
        issue.origin === "array"
          ? `must have ${issue.exact ? "exactly" : issue.code === "too_small" ? "at least" : "at most"} ${String(bound)} item(s)`
          : issue.origin === "string"
            ? `must be ${issue.code === "too_small" ? "at least" : "at most"} ${String(bound)} characters`
            : `must be ${cmp} ${String(bound)}`;
    }
    out.push({ key: keyOf(issue.path), value: valueAt(raw, issue.path), message });
  }
  return out;
}
