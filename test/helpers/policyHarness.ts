// Runs CrossGuard policy objects over a recorded run, the way the Pulumi engine's analyzer calls
// them: resource policies per resource with its inputs, stack policies once with every resource's
// outputs; secrets unwrapped to plain values (as @pulumi/policy's analyzer does), configuration
// defaults taken from each policy's configSchema. @pulumi/policy has no test harness of its own.
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isSecretValue, type RecordedResource, type RunResult } from "./stack";

export interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly urn: string;
  readonly name: string;
  readonly message: string;
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

class NotApplicable extends Error {}

/** Plain values, as a policy sees them. */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

function configOf(p: AnyPolicy, overrides: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries((p.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>)) {
    if (s.default !== undefined) defaults[k] = s.default;
  }
  return { ...defaults, ...overrides };
}

function options(r: RecordedResource): PolicyResourceOptions {
  return {
    protect: r.options.protect,
    ignoreChanges: r.options.ignoreChanges,
    deleteBeforeReplace: r.options.deleteBeforeReplace,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

const typeOf = (cls: unknown): string | undefined => (cls as { __pulumiType?: string }).__pulumiType;

/** Stack resources as AnalyzeStack gives them: outputs, parent, dependencies by property. */
export function policyResources(resources: readonly RecordedResource[]): PolicyResource[] {
  const out = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = unwrapSecrets(r.state) as Record<string, unknown>;
    out.set(r.urn, {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => typeOf(cls) === r.type,
      asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as PolicyResource["asType"],
    });
  }
  for (const r of resources) {
    const pr = out.get(r.urn)! as { parent?: PolicyResource; dependencies: PolicyResource[]; propertyDependencies: Record<string, PolicyResource[]> };
    if (r.parent && out.has(r.parent)) pr.parent = out.get(r.parent);
    pr.dependencies.push(...r.options.dependencies.flatMap((u) => (out.has(u) ? [out.get(u)!] : [])));
    for (const [prop, urns] of Object.entries(r.options.propertyDependencies)) {
      pr.propertyDependencies[prop] = urns.flatMap((u) => (out.has(u) ? [out.get(u)!] : []));
    }
  }
  return [...out.values()];
}

export interface PolicyRun {
  readonly violations: Violation[];
  /** Policy name -> how many resources (or stacks) it applied to, i.e. did not call notApplicable. */
  readonly applied: Record<string, number>;
}

/** Every violation the policies report over the run (resources as recorded, or as given). */
export async function runPolicies(
  policies: readonly AnyPolicy[],
  run: Pick<RunResult, "resources">,
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  return (await evaluatePolicies(policies, run, config)).violations;
}

/** runPolicies, also telling which policies found something to check. */
export async function evaluatePolicies(
  policies: readonly AnyPolicy[],
  run: Pick<RunResult, "resources">,
  config: Record<string, unknown> = {},
): Promise<PolicyRun> {
  const found: Violation[] = [];
  const applied: Record<string, number> = {};
  for (const p of policies) {
    const level = p.enforcementLevel ?? "advisory";
    const getConfig = <T extends object>(): T => configOf(p, config) as T;
    const notApplicable = (reason?: string): never => {
      throw new NotApplicable(reason);
    };
    if ("validateStack" in p) {
      const resources = policyResources(run.resources);
      const args: StackValidationArgs = { resources, stackTags: new Map(), getConfig, notApplicable };
      const stackUrn = run.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
      try {
        await p.validateStack(args, (message, urn) =>
          found.push({ policy: p.name, level, urn: urn ?? stackUrn, name: resources.find((r) => r.urn === urn)?.name ?? "(stack)", message }),
        );
        applied[p.name] = 1;
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
      }
      continue;
    }
    const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const r of run.resources) {
      const props = unwrapSecrets(r.inputs) as Record<string, unknown>;
      const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: options(r),
        stackTags: new Map(),
        getConfig,
        notApplicable,
        isType: (cls) => typeOf(cls) === r.type,
        asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as ResourceValidationArgs["asType"],
      };
      for (const v of validations) {
        try {
          await v(args, (message) => found.push({ policy: p.name, level, urn: r.urn, name: r.name, message }));
          applied[p.name] = (applied[p.name] ?? 0) + 1;
        } catch (e) {
          if (!(e instanceof NotApplicable)) throw e;
        }
      }
    }
  }
  return { violations: found, applied };
}
