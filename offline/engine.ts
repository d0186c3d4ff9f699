// Runs the real Berth program under Pulumi's mock engine with a stack's own config and the
// fake cloud from ./mocks, and records every resource (type, name, parent, inputs, state) and
// the stack outputs. The offline plan prints this; the unit and policy tests assert on it.
import * as pulumi from "@pulumi/pulumi";
import { fakeCloud, isSecretValue, type FakeCloud, type RecordedInvoke } from "./mocks";
import { toRawConfigInput, type StackFile } from "./stackFile";
import { parseConfig } from "../config";
import { beforeRegister, deserializeInputs, mockMonitor, onRegister, waitForRPCs, type RegisterRequest } from "../sdk/internals";

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly id: string | null;
  /** The parent's URN, or null for the stack itself. */
  readonly parent: string | null;
  readonly custom: boolean;
  /** Inputs as the engine received them (secret values keep Pulumi's secret marker). */
  readonly inputs: Record<string, unknown>;
  /** Inputs merged with what the (fake) provider assigned. */
  readonly state: Record<string, unknown>;
  /** Resource options that shape diffs and replacement, as sent to the engine. */
  readonly options: ResourceOptionsRecord;
}

/** The options the engine received with a registration (what previews and policies see). */
export interface ResourceOptionsRecord {
  readonly ignoreChanges: string[];
  readonly protect: boolean;
  readonly deleteBeforeReplace: boolean;
  /** Properties whose change forces replacement, as the SDK or the program asked (`replaceOnChanges`). */
  readonly replaceOnChanges: string[];
  /** URNs the inputs depend on. */
  readonly dependencies: string[];
  /** Input property -> URNs its value came from (what CrossGuard calls propertyDependencies). */
  readonly propertyDependencies: Record<string, string[]>;
  /** The provider reference `urn::id`, or "" for the default provider. */
  readonly provider: string;
  /** URNs the resource had before (its `aliases`); absent when it has none. */
  readonly aliases?: string[];
}

/** The options of a resource registered with none: what the SDK's defaults amount to. */
export const NO_OPTIONS: ResourceOptionsRecord = {
  ignoreChanges: [],
  protect: false,
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  dependencies: [],
  propertyDependencies: {},
  provider: "",
};

/**
 * The URNs of a registration's aliases: whole URNs as sent, specs completed from the resource
 * itself (an empty field means "unchanged") and URNs built the way the mock monitor builds them.
 */
export function aliasUrns(req: RegisterRequest, project: string, stack: string): string[] {
  const out = [...req.getAliasurnsList()];
  for (const alias of req.getAliasesList()) {
    const spec = alias.getSpec();
    if (alias.getUrn() !== "" || !spec) {
      if (alias.getUrn() !== "") out.push(alias.getUrn());
      continue;
    }
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    const type = spec.getType() || req.getType();
    const qualified = parent ? `${parent.split("::")[2].split("$").pop()!}$${type}` : type;
    out.push(`urn:pulumi:${spec.getStack() || stack}::${spec.getProject() || project}::${qualified}::${spec.getName() || req.getName()}`);
  }
  return out;
}

function recordOptions(req: RegisterRequest, aliases: string[]): ResourceOptionsRecord {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v, k) => {
    propertyDependencies[k] = v.getUrnsList();
  });
  return {
    ignoreChanges: req.getIgnorechangesList(),
    protect: req.getProtect(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    replaceOnChanges: req.getReplaceonchangesList(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    provider: req.getProvider(),
    ...(aliases.length > 0 ? { aliases } : {}),
  };
}

export interface RunResult {
  readonly project: string;
  readonly stack: string;
  readonly resources: RecordedResource[];
  /** Stack outputs; secret ones keep Pulumi's secret marker. */
  readonly outputs: Record<string, unknown>;
  /** Every invoke (lookup) the program made, in order. */
  readonly invokes: readonly RecordedInvoke[];
}

export interface RunOptions extends StackFile {
  /** Run as `pulumi preview` (unknowns stay unknown) instead of `pulumi up`. */
  readonly preview?: boolean;
  /** Lets a test adjust the fake cloud (e.g. add a handler). */
  readonly customize?: (cloud: FakeCloud) => void;
}

// One run at a time: the Pulumi runtime keeps global state.
let running: Promise<unknown> = Promise.resolve();

/** Runs the program once. Throws whatever the program throws (e.g. a ConfigError). */
export function runStack(options: RunOptions): Promise<RunResult> {
  const next = running.then(
    () => runFast(options),
    () => runFast(options),
  );
  running = next.catch(() => undefined);
  return next;
}

/**
 * The SDK captures a stack trace for every promise it creates (runtime/debuggable.js: for leak
 * reports at exit, which an offline run never prints), and with source maps on that was about two
 * thirds of a run's CPU time (measured: 520 ms a run, 120 ms without). So a run records no stack
 * frames; one that fails runs once more with them, so its error still says where it came from.
 * Runs are deterministic, so the second fails the same way (if it does not, the first error stands).
 */
async function runFast(options: RunOptions): Promise<RunResult> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await runOnce(options);
  } catch (fast) {
    Error.stackTraceLimit = limit;
    await runOnce(options);
    throw fast;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

async function runOnce(options: RunOptions): Promise<RunResult> {
  // Validate first, outside the stack: a ConfigError then surfaces as itself, with nothing
  // registered (the program validates again, identically, as its first step under Pulumi).
  parseConfig(toRawConfigInput(options));
  const region = options.config["aws:region"] ?? "us-east-1";
  const cloud = fakeCloud({ region });
  options.customize?.(cloud);
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  await pulumi.runtime.setMocks(cloud, options.project, options.stack, options.preview ?? false);

  const monitor = mockMonitor();
  const meta = new Map<string, { parent: string | null; custom: boolean; inputs: Record<string, unknown>; options: ResourceOptionsRecord }>();
  // A resource that moved (aliases) keeps what its provider assigned, such as an auto-generated
  // name: the fake cloud derives those from the name it had before (its first alias). With no
  // state to look at, this assumes the stack had that resource; where it never did, Pulumi ignores
  // the alias and the real name follows the new logical name.
  beforeRegister(monitor, (req) => {
    const former = aliasUrns(req, options.project, options.stack)[0];
    if (former !== undefined) cloud.formerNames.set(`${req.getType()}::${req.getName()}`, former.split("::").pop()!);
  });
  onRegister(monitor, (urn, req) => {
    meta.set(urn, {
      parent: req.getParent() || null,
      custom: req.getCustom(),
      // Secret inputs stay wrapped so the plan and the policy tests can see them.
      inputs: reSecret(deserializeInputs(req.getObject())) as Record<string, unknown>,
      options: recordOptions(req, aliasUrns(req, options.project, options.stack)),
    });
  });

  // Load the program only now: modules it imports may read config and settings when loaded.
  // (a dynamic import, so test runners that transform TypeScript load it through their pipeline)
  const { berth } = await import("../berth");
  // An error inside an Output (a failed invoke, a throwing apply) surfaces as an unhandled
  // rejection while the runtime keeps waiting for the RPC that will never finish: fail the run.
  let onUnhandled: ((e: unknown) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    let first = true;
    onUnhandled = (e: unknown) => {
      if (!first) return; // one failure tends to reject many dependent outputs: report the first
      first = false;
      const err = e instanceof Error ? e : new Error(String(e));
      // The runtime wraps the reason in `error serializing property "x"` and loses it; the fake
      // cloud remembers the errors it raised, so name the first one.
      const cause = cloud.failures[0];
      reject(cause ? new Error(`${cause} (${err.message.trim()})`, { cause: err }) : err);
    };
    process.on("unhandledRejection", onUnhandled);
  });
  try {
    await Promise.race([
      (async () => {
        await pulumi.runtime.runInPulumiStack(() => Promise.resolve(berth({ target: "offline" })));
        await waitForRPCs();
      })(),
      failed,
    ]);
  } finally {
    process.off("unhandledRejection", onUnhandled!);
  }

  const resources: RecordedResource[] = [];
  let outputs: Record<string, unknown> = {};
  for (const [urn, r] of monitor.getRegisteredResources()) {
    const m = meta.get(urn);
    const type = urn.split("::")[2].split("$").pop()!;
    // Outputs registered with registerOutputs (the stack's, every component's) arrive as a
    // protobuf Struct: convert them so secrets keep their marker and can be redacted.
    const struct = r.state as { toJavaScript?: () => Record<string, unknown> };
    const state = stripUnknowns(typeof struct?.toJavaScript === "function" ? struct.toJavaScript() : r.state) as Record<string, unknown>;
    if (type === "pulumi:pulumi:Stack") outputs = state;
    resources.push({
      urn,
      type,
      name: urn.split("::").pop()!,
      id: r.id,
      parent: m?.parent ?? null,
      custom: m?.custom ?? false,
      inputs: m?.inputs ?? {},
      state,
      options: m?.options ?? NO_OPTIONS,
    });
  }
  return { project: options.project, stack: options.stack, resources, outputs, invokes: [...cloud.invokes] };
}

/** deserializeProperties(keepSecrets) yields Pulumi's secret objects; turn them back into the wire marker. */
function reSecret(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reSecret);
  if (v && typeof v === "object") {
    if (isSecretValue(v)) return { ...(v as Record<string, unknown>), value: reSecret(v.value) };
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, reSecret(x)]));
  }
  return v;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
function stripUnknowns(v: unknown): unknown {
  if (v === UNKNOWN) return "(known after apply)";
  if (Array.isArray(v)) return v.map(stripUnknowns);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, stripUnknowns(x)]));
  return v;
}

/** Replaces every secret value with "[secret]" (what the plan prints). */
export function redactSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, redactSecrets(x)]));
  return v;
}
