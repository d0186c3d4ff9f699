// Policy: invariants over EVERY recorded resource of both shipped stacks. A new resource that
// breaks one of these fails here, whichever component created it. The guardrails that CrossGuard
// can enforce live in policy/policies.ts and run here exactly as `pulumi preview --policy-pack
// policy` runs them; what a policy cannot see (Pulumi's secret markers, which the analyzer
// unwraps) and Berth's naming and tagging conventions are checked directly.
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/policies";
import { evaluatePolicies } from "../helpers/policyHarness";
import { isSecretValue, ofType, run, secretStrings, walk, type RunResult } from "../helpers/stack";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await run("dev");
  runs.prod = await run("prod");
});

/** Field names that hold credentials wherever they appear. */
const SENSITIVE_FIELD = /^(?!public)\w*(password|privateKey\w*|keyPem|secret|token|htpasswd)$/i;

describe.each(["dev", "prod"])("%s", (stack) => {
  const r = (): RunResult => runs[stack];

  it("passes every Berth policy, mandatory and advisory, and each policy finds something to check", async () => {
    const { violations, applied } = await evaluatePolicies(policies, r());
    expect(violations).toEqual([]);
    for (const p of policies) expect(applied[p.name] ?? 0, `${p.name} applied to nothing in ${stack}`).toBeGreaterThan(0);
  });

  it("keeps every credential a secret, in inputs, state and outputs", () => {
    const leaks: string[] = [];
    const check = (where: string, v: unknown) => walk(v, where, (path, value, inside) => {
      const field = path.split(".").pop() ?? "";
      if (!inside && SENSITIVE_FIELD.test(field) && typeof value === "string" && value.length > 0 && !/Fingerprint|Name$|Arn$|KmsKeyId$/.test(field)) {
        leaks.push(`${path} is sensitive but not secret`);
      }
    });
    for (const res of r().resources) { check(`${res.name}.inputs`, res.inputs); check(`${res.name}.state`, res.state); }
    check("outputs", r().outputs);
    expect(leaks).toEqual([]);
  });

  it("never shows a secret's value in plain text anywhere else", () => {
    const secrets = secretStrings(r());
    expect(secrets.size).toBeGreaterThan(0);
    const leaks: string[] = [];
    const scan = (where: string, v: unknown) => walk(v, where, (path, value, inside) => {
      if (inside || typeof value !== "string") return;
      for (const s of secrets) if (value.includes(s)) leaks.push(`${path} contains a secret value`);
    });
    for (const res of r().resources) { scan(`${res.name}.inputs`, res.inputs); scan(`${res.name}.state`, res.state); }
    scan("outputs", r().outputs);
    expect(leaks).toEqual([]);
  });

  it("keeps user data plain text, so previews show cloud-init changes (the policy keeps keys out of it)", () => {
    for (const i of ofType(r(), "aws:ec2/instance:Instance")) {
      expect(isSecretValue(i.inputs.userData)).toBe(false);
      expect(String(i.inputs.userData)).not.toMatch(/password\s*[:=]/i);
    }
  });

  it("tags through the provider: Project, Stack, ManagedBy; Name on each resource", () => {
    const provider = r().resources.find((x) => x.type === "pulumi:providers:aws")!;
    const tags = provider.inputs.defaultTags; // provider inputs travel as JSON text
    expect(typeof tags === "string" ? JSON.parse(tags) : tags).toEqual({ tags: { Project: "berth", Stack: stack, ManagedBy: "pulumi" } });
    const taggable = r().resources.filter((x) => x.type.startsWith("aws:") && "tags" in x.inputs);
    expect(taggable.length).toBeGreaterThan(10);
    for (const t of taggable) expect((t.inputs.tags as Record<string, string>).Name, t.name).toMatch(new RegExp(`^berth-${stack}-`));
  });

  it("gives every logical name the ${component}-${role} shape without the stack", () => {
    for (const res of r().resources.filter((x) => x.custom && !x.type.startsWith("pulumi:"))) {
      expect(res.name.includes(stack) && !res.name.startsWith("berth"), res.name).toBe(false);
    }
  });
});
