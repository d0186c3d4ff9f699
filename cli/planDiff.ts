// The plan diff's pure core: two snapshots of a stack (before: a git ref, after: the working
// tree) in, a reviewable change set out. Which resources are added, removed, replaced or updated,
// with property-level changes, secrets compared by keyed digest only (see snapshot.ts), and the
// consequences the offline plan cannot show by itself: a replaced resource gets new provider-
// assigned values (ids, addresses) in a real deployment, so inputs built from them change too,
// which can replace those resources in turn. Rendering lives in diffRender.ts, I/O in diff.ts.
import type { Snapshot, SnapshotResource } from "./snapshot";
import { childPath } from "./snapshot";
import { disruption, pathCovered, REPLACE_RULES, replaceReason } from "./replaceRules";
import { bundleFiles } from "../lib/hostBundle";
import { APPS_FILE_PATH, removedVolumeNotes } from "./volumeNotes";

export const SECRET = "[secret]";

/** One changed input (or output) leaf. */
export interface PropertyChange {
  readonly path: string;
  /** Present before / after (absent: added or removed). */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly secret: boolean;
  /** secret: the value changed (known from the keyed digests, never from the value). */
  readonly secretChanged?: boolean;
  /** The value will be known only after apply because a resource it comes from is replaced. */
  readonly becauseReplaced?: string;
  /** Why this change replaces the resource, if it does. */
  readonly replaces?: string;
  /** An in-place update that still disrupts (e.g. stops the instance). */
  readonly disrupts?: string;
}

export type Action = "add" | "remove" | "replace" | "update";

export interface ResourceChange {
  readonly action: Action;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly changes: PropertyChange[];
  /** replace: the old resource goes first (deleteBeforeReplace), so there is a gap. */
  readonly deleteBeforeReplace?: boolean;
  readonly ignored?: string[];
  /** The URN the resource had before: it moved (an alias names the old URN), it was not made anew. */
  readonly movedFrom?: string;
}

/** A host file (nginx, registry, cloud-init) whose text changed. */
export interface FileChange {
  readonly resource: string;
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

export interface ConfigChange {
  readonly key: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly secret: boolean;
}

/** Something a reviewer must see first. */
export interface Danger {
  readonly message: string;
}

export interface PlanDiff {
  readonly stack: string;
  readonly resources: ResourceChange[];
  readonly unchanged: number;
  readonly outputs: PropertyChange[];
  readonly config: ConfigChange[];
  readonly files: FileChange[];
  readonly dangers: Danger[];
  /** Secret values that could not be compared (the old plan predates digests). */
  readonly uncomparableSecrets: number;
  /** The old plan predates the recorded options: replacements follow the provider rules only. */
  readonly oldPlanWithoutOptions: boolean;
  /** App volumes no longer declared: their directories and data stay on the host. */
  readonly removedVolumes?: readonly string[];
}

const HOST = "aws:ec2/instance:Instance";
const DATABASE = "aws:rds/instance:Instance";
const DATA_VOLUME = "aws:ebs/volume:Volume";
/** The database's engine and storage: changes here are flagged even when they update in place. */
export const DATABASE_ENGINE_STORAGE = [
  "engine",
  "engineVersion",
  "allocatedStorage",
  "maxAllocatedStorage",
  "storageType",
  "storageEncrypted",
  "iops",
  "storageThroughput",
  "kmsKeyId",
];

/** Resources with a cloud effect (components and the stack only group them). */
function counts(r: SnapshotResource): boolean {
  return r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("berth:");
}

function isLeaf(v: unknown): boolean {
  return v === null || typeof v !== "object";
}

/** Leaf-level differences between two values; arrays by index, objects by key. */
export function leafChanges(before: unknown, after: unknown, path = ""): Array<{ path: string; before?: unknown; after?: unknown }> {
  if (before === undefined && after === undefined) return [];
  if (before === after) return [];
  if (before === undefined || after === undefined || isLeaf(before) || isLeaf(after) || Array.isArray(before) !== Array.isArray(after)) {
    return [{ path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
  }
  const out: Array<{ path: string; before?: unknown; after?: unknown }> = [];
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) out.push(...leafChanges(before[i], after[i], childPath(path, i)));
    return out;
  }
  const b = before as Record<string, unknown>,
    a = after as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) out.push(...leafChanges(b[k], a[k], childPath(path, k)));
  return out;
}

function ignoredBy(path: string, ignoreChanges: readonly string[]): boolean {
  return ignoreChanges.some((i) => pathCovered(path, i));
}

/** Values a replaced resource gets anew from its provider: its id and every state value it did not receive as input. */
function providerAssigned(r: SnapshotResource): string[] {
  const inputs = new Set<string>();
  const collect = (v: unknown, into: Set<string>): void => {
    if (typeof v === "string") into.add(v);
    else if (Array.isArray(v)) v.forEach((x) => collect(x, into));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => collect(x, into));
  };
  collect(r.inputs, inputs);
  const state = new Set<string>();
  collect(r.state, state);
  const out = [...state].filter((s) => !inputs.has(s));
  if (r.id) out.push(r.id);
  // Short or generic values (a state, a zone letter) would match by accident.
  return [...new Set(out)].filter((s) => s.length >= 8 && s !== SECRET && !/^(known after apply|\(known after apply\))$/.test(s));
}

function leafStrings(v: unknown, path = "", out: Array<{ path: string; value: string }> = []): Array<{ path: string; value: string }> {
  if (typeof v === "string") out.push({ path, value: v });
  else if (Array.isArray(v)) v.forEach((x, i) => leafStrings(x, childPath(path, i), out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) leafStrings(x, childPath(path, k), out);
  return out;
}

/** Compares two snapshots of one stack. `configBefore/After` are the stack files' config maps (secure values as `{ secure: ciphertext }`). */
export function diffSnapshots(
  before: Snapshot,
  after: Snapshot,
  configBefore: Record<string, unknown> = {},
  configAfter: Record<string, unknown> = {},
): PlanDiff {
  const now = new Map(after.resources.filter(counts).map((r) => [r.urn, r]));
  const { old, moved } = followAliases(new Map(before.resources.filter(counts).map((r) => [r.urn, r])), now);
  const digests = Boolean(before.digests && after.digests);
  let uncomparable = 0;
  const results = new Map<string, Compared>();
  for (const [urn, n] of now) {
    const o = old.get(urn);
    if (!o) continue;
    const p = propertyChanges(o, n, digests);
    uncomparable += p.uncomparable;
    results.set(urn, { o, n, changes: p.changes, ignored: p.ignored });
  }
  const replaced = replacements(results);
  const { resources, unchanged } = resourceChanges(old, now, results, replaced, moved);
  const files = fileChanges(results);
  return {
    stack: after.stack,
    resources,
    unchanged,
    outputs: outputChanges(before, after),
    config: configChanges(configBefore, configAfter),
    files,
    dangers: dangers(resources),
    removedVolumes: files.filter((f) => f.path === APPS_FILE_PATH).flatMap((f) => removedVolumeNotes(f.before, f.after)),
    uncomparableSecrets: uncomparable,
    oldPlanWithoutOptions: before.format === "plan-json",
  };
}

/**
 * The old resources keyed as the new plan knows them: a new resource whose alias names an old URN
 * is that resource moved (Pulumi carries its state over), so it is compared with it instead of
 * being counted as one deleted and one created. `moved` maps each new URN to the old one.
 */
function followAliases(
  before: Map<string, SnapshotResource>,
  now: Map<string, SnapshotResource>,
): { old: Map<string, SnapshotResource>; moved: Map<string, string> } {
  const old = new Map(before);
  const moved = new Map<string, string>();
  for (const [urn, n] of now) {
    if (old.has(urn)) continue;
    const from = (n.options.aliases ?? []).find((a) => old.has(a) && !now.has(a));
    if (from === undefined) continue;
    old.set(urn, { ...old.get(from)!, urn });
    old.delete(from);
    moved.set(urn, from);
  }
  return { old, moved };
}

/** A resource in both snapshots, with the changes of its inputs (added to by replacements upstream of it). */
interface Compared {
  readonly o: SnapshotResource;
  readonly n: SnapshotResource;
  readonly changes: PropertyChange[];
  readonly ignored: string[];
}

/** The input changes of one resource; `uncomparable` counts secrets that only digests on both sides could compare. */
function propertyChanges(o: SnapshotResource, n: SnapshotResource, digests: boolean): { changes: PropertyChange[]; ignored: string[]; uncomparable: number } {
  const changes: PropertyChange[] = [];
  const ignored: string[] = [];
  for (const c of leafChanges(o.inputs, n.inputs)) {
    if (ignoredBy(c.path, n.options.ignoreChanges)) {
      ignored.push(c.path);
      continue;
    }
    changes.push({
      path: c.path,
      ...(c.before !== undefined ? { before: c.before } : {}),
      ...(c.after !== undefined ? { after: c.after } : {}),
      secret: c.before === SECRET || c.after === SECRET,
    });
  }
  // Both sides "[secret]" show no leaf change: compare the digests.
  for (const path of [...new Set([...Object.keys(o.secretDigests), ...Object.keys(n.secretDigests)])]) {
    if (o.secretDigests[path] === undefined || n.secretDigests[path] === undefined) continue;
    if (ignoredBy(path, n.options.ignoreChanges)) continue;
    if (o.secretDigests[path] !== n.secretDigests[path]) changes.push({ path, before: SECRET, after: SECRET, secret: true, secretChanged: true });
  }
  let uncomparable = 0;
  if (!digests) {
    // Counted, not listed: without digests on both sides nothing says these changed.
    const oldSecrets = new Set(
      leafStrings(o.inputs)
        .filter((x) => x.value === SECRET)
        .map((x) => x.path),
    );
    uncomparable = leafStrings(n.inputs).filter((l) => l.value === SECRET && oldSecrets.has(l.path)).length;
  }
  return { changes: changes.map((c) => (c.secret && c.secretChanged === undefined ? { ...c, secretChanged: true } : c)), ignored, uncomparable };
}

/** A change with what it does to the resource: replaces it (and why) or disrupts it. */
function classify(n: SnapshotResource, c: PropertyChange): PropertyChange {
  const why = replaceReason(n.type, c.path, n.options.replaceOnChanges);
  const d = why ? undefined : disruption(n.type, c.path);
  return { ...c, ...(why ? { replaces: why } : {}), ...(d ? { disrupts: d } : {}) };
}

function isReplaced(r: Compared): boolean {
  const rule = REPLACE_RULES[r.n.type];
  if (rule?.custom?.(r.o.inputs, r.n.inputs)) return true;
  if (r.o.options.provider && r.n.options.provider && r.o.options.provider.split("::")[0] !== r.n.options.provider.split("::")[0]) return true;
  return r.changes.some((c) => classify(r.n, c).replaces);
}

/**
 * The URNs of replaced resources, with the consequences of replacements, to a fixpoint: inputs
 * holding a replaced resource's assigned values change (added to the dependents' `changes`).
 */
function replacements(results: Map<string, Compared>): Set<string> {
  const replaced = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const [urn, r] of results)
      if (!replaced.has(urn) && isReplaced(r)) {
        replaced.add(urn);
        grew = true;
      }
    for (const urn of replaced) {
      const src = results.get(urn)!;
      const volatile = providerAssigned(src.o);
      if (volatile.length === 0) continue;
      for (const [durn, d] of results) {
        if (durn === urn || !d.n.options.dependencies.includes(urn)) continue;
        for (const leaf of readsFrom(d.n, urn)) {
          if (leaf.value === SECRET || !volatile.some((v) => leaf.value.includes(v))) continue;
          if (d.changes.some((c) => c.path === leaf.path) || ignoredBy(leaf.path, d.n.options.ignoreChanges)) continue;
          d.changes.push({ path: leaf.path, before: leaf.value, secret: false, becauseReplaced: src.n.name });
          grew = true;
        }
      }
    }
  }
  return replaced;
}

/**
 * The input leaves of `r` that may hold values of the resource `urn`: those of the properties the
 * engine recorded as built from it (propertyDependencies), so a value that merely contains the
 * replaced resource's id (a Name tag holding an ECS family, which is a task definition's id) is not
 * taken for one; every leaf when the snapshot has no per-property record.
 */
function readsFrom(r: SnapshotResource, urn: string): Array<{ path: string; value: string }> {
  const from = r.options.propertyDependencies;
  if (Object.keys(from).length === 0) return leafStrings(r.inputs);
  return Object.entries(r.inputs).flatMap(([property, value]) => ((from[property] ?? []).includes(urn) ? leafStrings(value, property) : []));
}

/** One entry per resource that is added, removed, replaced or updated, most disruptive first; the rest counted. */
function resourceChanges(
  old: Map<string, SnapshotResource>,
  now: Map<string, SnapshotResource>,
  results: Map<string, Compared>,
  replaced: Set<string>,
  moved: ReadonlyMap<string, string> = new Map(),
): { resources: ResourceChange[]; unchanged: number } {
  const resources: ResourceChange[] = [];
  let unchanged = 0;
  for (const [urn, n] of now) {
    if (!old.has(urn)) {
      resources.push({ action: "add", urn, type: n.type, name: n.name, changes: [] });
      continue;
    }
    const r = results.get(urn)!;
    const changes = r.changes.map((c) => classify(r.n, c)).sort((a, b) => a.path.localeCompare(b.path));
    const movedFrom = moved.get(urn);
    if (changes.length === 0 && !replaced.has(urn) && movedFrom === undefined) {
      unchanged++;
      continue;
    }
    const custom = REPLACE_RULES[n.type]?.custom?.(r.o.inputs, r.n.inputs);
    const withCustom = custom ? [...changes, { path: "(resource)", secret: false, replaces: `provider schema: ${custom}` }] : changes;
    const action: Action = replaced.has(urn) ? "replace" : "update";
    resources.push({
      action,
      urn,
      type: n.type,
      name: n.name,
      changes: withCustom,
      ...(action === "replace" && n.options.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
      ...(r.ignored.length ? { ignored: r.ignored } : {}),
      ...(movedFrom !== undefined ? { movedFrom } : {}),
    });
  }
  for (const [urn, o] of old) if (!now.has(urn)) resources.push({ action: "remove", urn, type: o.type, name: o.name, changes: [] });
  const order: Record<Action, number> = { replace: 0, remove: 1, add: 2, update: 3 };
  resources.sort((a, b) => order[a.action] - order[b.action] || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  return { resources, unchanged };
}

function outputChanges(before: Snapshot, after: Snapshot): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (const name of [...new Set([...Object.keys(before.outputs), ...Object.keys(after.outputs)])].sort()) {
    const b = before.outputs[name],
      a = after.outputs[name];
    if (b === SECRET && a === SECRET) {
      if (!(before.digests && after.digests)) continue;
      const keys = [...new Set([...Object.keys(before.outputSecretDigests), ...Object.keys(after.outputSecretDigests)])].filter(
        (k) => k === name || k.startsWith(`${name}.`) || k.startsWith(`${name}[`),
      );
      if (keys.some((k) => before.outputSecretDigests[k] !== after.outputSecretDigests[k]))
        out.push({ path: name, before: SECRET, after: SECRET, secret: true, secretChanged: true });
      continue;
    }
    for (const c of leafChanges(b, a, name))
      out.push({
        path: c.path,
        ...(c.before !== undefined ? { before: c.before } : {}),
        ...(c.after !== undefined ? { after: c.after } : {}),
        secret: c.before === SECRET || c.after === SECRET,
      });
  }
  return out;
}

function isSecure(v: unknown): boolean {
  return !!v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

function hasSecure(v: unknown): boolean {
  if (isSecure(v)) return true;
  if (Array.isArray(v)) return v.some(hasSecure);
  if (v && typeof v === "object") return Object.values(v).some(hasSecure);
  return false;
}

function configChanges(before: Record<string, unknown>, after: Record<string, unknown>): ConfigChange[] {
  const out: ConfigChange[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[key],
      a = after[key];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    // Ciphertext can change without the secret changing (re-encryption): say "secret", never show it.
    const secret = hasSecure(b) || hasSecure(a);
    out.push({ key, ...(b !== undefined ? { before: secret ? SECRET : b } : {}), ...(a !== undefined ? { after: secret ? SECRET : a } : {}), secret });
  }
  return out;
}

/** Host-file texts inside an input: bundle scripts (command stdin) and user data. */
function hostTexts(r: SnapshotResource, ignoreChanges: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const stdin = r.inputs.stdin;
  if (r.type === "command:remote:Command" && typeof stdin === "string" && stdin !== SECRET) for (const f of bundleFiles(stdin)) out.set(f.path, f.content);
  // User data under ignoreChanges never reaches a running host: no lines to review.
  if (r.type === HOST && typeof r.inputs.userData === "string" && !ignoredBy("userData", ignoreChanges)) out.set("(cloud-init user data)", r.inputs.userData);
  return out;
}

function fileChanges(results: Map<string, { o: SnapshotResource; n: SnapshotResource }>): FileChange[] {
  const out: FileChange[] = [];
  for (const { o, n } of results.values()) {
    const b = hostTexts(o, n.options.ignoreChanges),
      a = hostTexts(n, n.options.ignoreChanges);
    for (const path of [...new Set([...b.keys(), ...a.keys()])].sort()) {
      const before = b.get(path) ?? "",
        after = a.get(path) ?? "";
      if (before !== after) out.push({ resource: n.name, path, before, after });
    }
  }
  return out;
}

function dangers(resources: readonly ResourceChange[]): Danger[] {
  const out: Danger[] = [];
  const why = (r: ResourceChange): string => {
    const reasons = r.changes
      .filter((c) => c.replaces || c.becauseReplaced)
      .map((c) => (c.becauseReplaced ? `${c.path} (from the replaced ${c.becauseReplaced})` : c.path));
    return reasons.length ? `: ${[...new Set(reasons)].join(", ")}` : "";
  };
  for (const r of resources) {
    if (r.type === HOST && r.action === "replace")
      out.push({
        message: `REPLACES THE HOST ${r.name}${why(r)}. A new instance boots from scratch; everything on its disk (images in the registry's data directory) is lost.`,
      });
    if (r.type === HOST && r.action === "remove") out.push({ message: `DELETES THE HOST ${r.name}.` });
    if (r.type === DATABASE && r.action === "replace")
      out.push({ message: `REPLACES THE DATABASE ${r.name}${why(r)}. The new instance starts empty: restore from a snapshot.` });
    if (r.type === DATABASE && r.action === "remove") out.push({ message: `DELETES THE DATABASE ${r.name}.` });
    if (r.type === DATA_VOLUME && r.action === "replace")
      out.push({ message: `REPLACES THE DATA VOLUME ${r.name}${why(r)}. The new volume starts empty: restore from a snapshot.` });
    if (r.type === DATA_VOLUME && r.action === "remove") out.push({ message: `DELETES THE DATA VOLUME ${r.name}.` });
    if (r.type === DATABASE && (r.action === "update" || r.action === "replace")) {
      const es = r.changes.filter((c) => DATABASE_ENGINE_STORAGE.some((p) => pathCovered(c.path, p)));
      if (es.length)
        out.push({
          message: `CHANGES THE DATABASE'S ENGINE OR STORAGE (${r.name}): ${es.map((c) => `${c.path} ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`).join(", ")}.`,
        });
    }
  }
  return out;
}
