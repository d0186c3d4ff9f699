// Test helpers over the mock engine: run a shipped stack (optionally with config changed),
// find recorded resources, and read secrets the way the engine reports them.
import { runStack, type RecordedResource, type RunResult } from "../../offline/engine";
import { ConfigError, parseConfig, type RawConfigInput } from "../../config";
import { isSecretValue } from "../../offline/mocks";
import { readStackFile, type StackFile } from "../../offline/stackFile";

export type { RecordedResource, RunResult };
export { isSecretValue };
export { sharedRun, type ShippedStack } from "./sharedRuns";

/** The shipped stack file with `berth:<section>` replaced by `mutate(section)`. */
export function stackWith(stack: string, edits: Record<string, unknown> = {}, secrets: Record<string, string> = {}): StackFile {
  const file = readStackFile(stack);
  const config = { ...file.config };
  const secretKeys = [...file.secretKeys];
  for (const [key, value] of Object.entries(edits)) {
    const full = key.includes(":") ? key : `berth:${key}`;
    if (value === undefined) delete config[full];
    else config[full] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const [key, value] of Object.entries(secrets)) {
    const full = key.includes(":") ? key : `berth:${key}`;
    config[full] = value;
    secretKeys.push(full);
  }
  return { ...file, config, secretKeys };
}

/** The parsed `berth:<section>` object of a stack file (for edits that change one field). */
export function section(stack: string, name: string): Record<string, unknown> {
  const raw = readStackFile(stack).config[`berth:${name}`];
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/** A fresh run of a stack file (or of a shipped stack by name). To read a shipped stack as it is, use sharedRun. */
export function run(stackOrFile: string | StackFile): Promise<RunResult> {
  return runStack(typeof stackOrFile === "string" ? readStackFile(stackOrFile) : stackOrFile);
}

export function ofType(r: RunResult, type: string): RecordedResource[] {
  return r.resources.filter((x) => x.type === type);
}

export function one(r: RunResult, type: string, name?: string): RecordedResource {
  const found = ofType(r, type).filter((x) => name === undefined || x.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((f) => f.name).join(", ")}`);
  return found[0];
}

/** The plain value of an input, unwrapping Pulumi's secret marker. */
/** Logical names of the resources whose inputs differ between two runs (added and removed ones too), sorted. */
export function changedNames(a: RunResult, b: RunResult): string[] {
  const before = new Map(a.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const after = new Map(b.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  return [...new Set([...before.keys(), ...after.keys()])]
    .filter((u) => before.get(u) !== after.get(u))
    .map((u) => u.split("::").pop()!)
    .sort();
}

export function plain(v: unknown): unknown {
  return isSecretValue(v) ? v.value : v;
}

/** The ConfigError a configuration is rejected with; fails the test when it is accepted. */
export function rejection(input: RawConfigInput): ConfigError {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected the configuration to be rejected");
}

/** Visits every value under `v`, telling whether it sits inside a Pulumi secret. */
export function walk(v: unknown, path: string, visit: (path: string, value: unknown, insideSecret: boolean) => void, insideSecret = false): void {
  visit(path, v, insideSecret);
  if (isSecretValue(v)) return walk(v.value, path, visit, true);
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, visit, insideSecret));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, visit, insideSecret);
}

/**
 * Every value that is itself a secret string (a password, a key, a bundle), in any resource or
 * output of a run. Strings merely nested in a secret object (the SSH connection's host name) are not.
 */
export function secretStrings(r: RunResult): Set<string> {
  const out = new Set<string>();
  const collect = (v: unknown): void =>
    walk(v, "", (_p, value) => {
      if (isSecretValue(value) && typeof value.value === "string" && value.value.length >= 8) out.add(value.value);
    });
  for (const res of r.resources) {
    collect(res.inputs);
    collect(res.state);
  }
  collect(r.outputs);
  return out;
}
