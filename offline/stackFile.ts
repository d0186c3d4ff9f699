// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program:
// a flat map of "namespace:key" to string (objects and arrays as JSON text) plus the list of
// keys that were stored as secrets. Shared by the offline plan and the local rehearsal.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, type RawConfigInput } from "../config/input";

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  /** Every config key as Pulumi passes it to the program (PULUMI_CONFIG). */
  readonly config: Record<string, string>;
  /** Keys whose values are secrets. */
  readonly secretKeys: string[];
}

/** Stand-in for a `secure:` value the offline tools cannot decrypt (no passphrase, no CLI). */
export const UNDECRYPTABLE_SECRET = "offline-placeholder-secret";

/** The directory holding Pulumi.yaml (the repository root). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** A stack that cannot be read: a bad name or no stack file. The message is for the user as it stands. */
export class StackFileError extends Error {}

export function readStackFile(stack: string, dir: string = PROJECT_DIR): StackFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackFileError(`stack name "${stack}" may hold only letters, digits, _, . and -`);
  const projectDoc = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { name?: string };
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(dir)
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5));
    throw new StackFileError(`no stack file ${path.basename(file)}; known stacks: ${known.join(", ") || "(none)"}`);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const project = projectDoc.name ?? "berth";
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
    // Keys without a namespace belong to the project, as in the Pulumi CLI.
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const { plain, secret } = decode(value);
    if (secret) secretKeys.push(key);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { project, stack, config, secretKeys };
}

function decode(value: unknown): { plain: unknown; secret: boolean } {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === "secure") return { plain: UNDECRYPTABLE_SECRET, secret: true };
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const d = decode(v);
      secret ||= d.secret;
      out[k] = d.plain;
    }
    return { plain: out, secret };
  }
  if (Array.isArray(value)) {
    const parts = value.map(decode);
    return { plain: parts.map((p) => p.plain), secret: parts.some((p) => p.secret) };
  }
  return { plain: value, secret: false };
}

/** The slice of a stack file that config validation needs. */
export function toRawConfigInput(file: StackFile): RawConfigInput {
  const values: Record<string, string> = {};
  // Berth's keys, whatever the project is called (as loadConfig reads them).
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(file.config)) if (k.startsWith(prefix)) values[k.slice(prefix.length)] = v;
  return {
    project: file.project,
    stack: file.stack,
    region: file.config["aws:region"],
    values,
    secretKeys: new Set(file.secretKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))),
    // Stack files read here feed the offline tools (plan, rehearsal, tests), never a real update.
    target: "offline",
  };
}
