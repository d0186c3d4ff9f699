// The plan as `--diff` compares it (`npm run plan -- <stack> --format snapshot`): the --json plan
// plus what decides whether a change replaces a resource (the options the engine recorded:
// ignoreChanges, deleteBeforeReplace, replaceOnChanges, dependencies, provider) and, when the
// caller hands over a key, a salted digest of every secret value.
//
// Why digests, and why keyed: the plan prints secrets as "[secret]", so two plans cannot tell
// whether a secret changed. A plain hash would let anyone holding the plan test guesses against
// it (a short password falls to a dictionary), so each secret leaf gets HMAC-SHA256 under a key
// that `--diff` draws at random for one comparison, passes to both plan processes in the
// environment (BERTH_PLAN_DIGEST_KEY) and then forgets. Equal digests mean equal values within
// that one comparison; the digest is never printed and means nothing without the key. Without a
// key the snapshot carries no digests, so it stays byte-identical across runs like the plan.
import { createHmac } from "node:crypto";
import type { ResourceOptionsRecord, RunResult } from "../offline/engine";
import { NO_OPTIONS, redactSecrets } from "../offline/engine";
import { isSecretValue } from "../offline/mocks";

export const DIGEST_KEY_ENV = "BERTH_PLAN_DIGEST_KEY";

export interface SnapshotResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly id: string | null;
  readonly parent: string | null;
  /** Inputs with secrets redacted to "[secret]". */
  readonly inputs: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  readonly options: ResourceOptionsRecord;
  /** Input path of each secret value (e.g. "stdin", "connection") -> its keyed digest. */
  readonly secretDigests: Record<string, string>;
}

export interface Snapshot {
  /** "plan-json": read from an older revision's `--json` plan, without options or digests. */
  readonly format: "berth-plan-snapshot/1" | "plan-json";
  readonly stack: string;
  readonly project: string;
  /** True when secretDigests were computed (a key was given). */
  readonly digests: boolean;
  readonly resources: SnapshotResource[];
  readonly outputs: Record<string, unknown>;
  /** Output path of each secret value -> its keyed digest. */
  readonly outputSecretDigests: Record<string, string>;
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function deepUnwrap(v: unknown): unknown {
  if (isSecretValue(v)) return deepUnwrap(v.value);
  if (Array.isArray(v)) return v.map(deepUnwrap);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepUnwrap(x)]));
  return v;
}

/** Path of a child: `a.b`, `a[0]`. */
export function childPath(parent: string, key: string | number): string {
  return typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
}

/** Keyed digest of every secret leaf under `v` (the outermost secret of a nested pair counts). */
export function secretDigests(v: unknown, key: Buffer, path = "", out: Record<string, string> = {}): Record<string, string> {
  if (isSecretValue(v)) {
    out[path] = createHmac("sha256", key)
      .update(canonicalJson(deepUnwrap(v)))
      .digest("hex");
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => secretDigests(x, key, childPath(path, i), out));
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) secretDigests(x, key, childPath(path, k), out);
  }
  return out;
}

/** Reads the digest key from the environment: 64 hex characters (32 bytes), or none. */
export function digestKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const hex = env[DIGEST_KEY_ENV];
  if (hex === undefined || hex === "") return undefined;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${DIGEST_KEY_ENV} must be 64 hex characters (32 random bytes)`);
  return Buffer.from(hex, "hex");
}

/** A snapshot from an older revision's `--json` plan (before `--format snapshot` existed). */
export function fromPlanJson(plan: {
  stack: string;
  project: string;
  resources: Array<Omit<SnapshotResource, "options" | "secretDigests">>;
  outputs: unknown;
}): Snapshot {
  return {
    format: "plan-json",
    stack: plan.stack,
    project: plan.project,
    digests: false,
    resources: plan.resources.map((r) => ({ ...r, options: NO_OPTIONS, secretDigests: {} })),
    outputs: (plan.outputs ?? {}) as Record<string, unknown>,
    outputSecretDigests: {},
  };
}

/** The snapshot of a stack that does not exist at a revision. */
export function emptySnapshot(stack: string, project: string): Snapshot {
  return { format: "berth-plan-snapshot/1", stack, project, digests: true, resources: [], outputs: {}, outputSecretDigests: {} };
}

export function toSnapshot(run: RunResult, key?: Buffer): Snapshot {
  return {
    format: "berth-plan-snapshot/1",
    stack: run.stack,
    project: run.project,
    digests: key !== undefined,
    resources: run.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      id: r.id,
      parent: r.parent,
      inputs: redactSecrets(r.inputs) as Record<string, unknown>,
      state: redactSecrets(r.state) as Record<string, unknown>,
      options: r.options,
      secretDigests: key ? secretDigests(r.inputs, key) : {},
    })),
    outputs: redactSecrets(run.outputs) as Record<string, unknown>,
    outputSecretDigests: key ? secretDigests(run.outputs, key) : {},
  };
}
