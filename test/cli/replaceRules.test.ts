// The replace-on-change table (cli/replaceRules.ts) covers every input Berth sets, in both stacks
// and in the TLS modes they do not ship with, so a new property or resource type cannot reach a
// plan diff unclassified; and the engine's recorded replaceOnChanges agree with it.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { classified, pathCovered, REPLACE_RULES, replaceReason, RULES_READ_FOR } from "../../cli/replaceRules";
import { run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

/** Every leaf path of a value: a.b, a[0].c. */
function leaves(v: unknown, path = ""): string[] {
  if (Array.isArray(v)) return v.length ? v.flatMap((x, i) => leaves(x, `${path}[${i}]`)) : [path];
  if (v && typeof v === "object") {
    const e = Object.entries(v);
    return e.length ? e.flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k)) : [path];
  }
  return [path];
}

const VARIANTS: Array<[string, () => Promise<RunResult>]> = [
  ["dev", () => sharedRun("dev")],
  ["prod", () => sharedRun("prod")],
  ["scale", () => sharedRun("scale")],
  // Tasks in private subnets behind VPC endpoints, scaling on requests (not shipped: scale runs its tasks in the public subnets).
  [
    "scale with private task subnets and requests scaling",
    () => {
      const proxy = section("scale", "proxy") as { apps: Array<Record<string, unknown>> };
      const apps = proxy.apps.map((a) => (a.runtime === "ecs" ? { ...a, scaleOn: { metric: "requests", target: 1000 } } : a));
      return run(stackWith("scale", { cluster: { ...section("scale", "cluster"), taskSubnets: "private" }, proxy: { ...proxy, apps } }));
    },
  ],
  // Every served name a proxied Cloudflare record, as Cloudflare's Origin CA requires (as in tls.test.ts).
  [
    "prod with cloudflare-origin TLS",
    () =>
      run(
        stackWith("prod", {
          registry: { enabled: false },
          proxy: { enabled: true, apps: [(section("prod", "proxy") as { apps: unknown[] }).apps[1]] },
          tls: { mode: "cloudflare-origin" },
        }),
      ),
  ],
];

describe.each(VARIANTS)("%s", (_n, load) => {
  it("classifies every input path of every provider resource", async () => {
    const r = await load();
    const missing: string[] = [];
    for (const res of r.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      if (!REPLACE_RULES[res.type]) {
        missing.push(`${res.type} (no rule)`);
        continue;
      }
      for (const leaf of leaves(res.inputs)) if (!classified(res.type, leaf)) missing.push(`${res.type} ${leaf}`);
    }
    expect([...new Set(missing)]).toEqual([]);
  });
  it("agrees with the replaceOnChanges the SDKs send", async () => {
    const r = await load();
    for (const res of r.resources.filter((x) => x.options.replaceOnChanges.length > 0)) {
      for (const p of res.options.replaceOnChanges)
        expect(
          REPLACE_RULES[res.type]?.replace.some((x) => pathCovered(p, x)),
          `${res.type} ${p}`,
        ).toBe(true);
    }
  });
});

describe("the provider versions the rules were read for", () => {
  const ROOT = path.resolve(__dirname, "../..");
  const manifest = (dir: string): { version: string; dependencies: Record<string, string> } =>
    JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
  const pinned = manifest(ROOT).dependencies;

  it.each(Object.entries(RULES_READ_FOR))("%s: installed and pinned at %s", (pkg, readFor) => {
    const installed = manifest(path.join(ROOT, "node_modules", pkg)).version;
    expect(
      installed,
      `${pkg} ${installed} is installed, but cli/replaceRules.ts was read for ${readFor}: re-read the ${pkg} rules from the sources its SRC names, for ${installed}, then set RULES_READ_FOR and package.json to it`,
    ).toBe(readFor);
    expect(pinned[pkg], `package.json must pin ${pkg} to exactly ${readFor}, the version cli/replaceRules.ts was read for`).toBe(readFor);
  });

  it("names every provider package the program depends on and every provider a rule is for", () => {
    const providers = Object.keys(pinned).filter((p) => p.startsWith("@pulumi/") && p !== "@pulumi/pulumi");
    expect(Object.keys(RULES_READ_FOR).sort()).toEqual(providers.sort());
    const ruleProviders = [...new Set(Object.keys(REPLACE_RULES).map((t) => `@pulumi/${t.split(":")[0]}`))];
    for (const p of ruleProviders) expect(Object.keys(RULES_READ_FOR), p).toContain(p);
  });
});

describe("replace rules", () => {
  it("name the provider source each was read from", () => {
    for (const [type, rule] of Object.entries(REPLACE_RULES)) expect(rule.source, type).toMatch(/@ [0-9a-f]{12}|node_modules\/@pulumi\//);
  });
  it.each<[string, string, string[], string | undefined]>([
    ["aws:ec2/instance:Instance", "ami", [], "provider schema"],
    ["aws:ec2/instance:Instance", "rootBlockDevice.encrypted", [], "provider schema"],
    ["aws:ec2/instance:Instance", "rootBlockDevice.volumeSize", [], undefined],
    ["aws:ec2/instance:Instance", "instanceType", [], undefined],
    ["aws:rds/instance:Instance", "storageEncrypted", [], "provider schema"],
    ["aws:rds/instance:Instance", "allocatedStorage", [], undefined],
    ["aws:rds/instance:Instance", "identifier", [], undefined],
    ["tls:index/selfSignedCert:SelfSignedCert", "subject.commonName", [], "provider schema"],
    ["docker:index/container:Container", "ports[0].ip", [], "provider schema"],
    ["docker:index/container:Container", "restart", [], undefined],
    ["command:remote:Command", "triggers[0]", ["triggers[*]"], "replaceOnChanges option"],
    ["command:remote:Command", "stdin", ["triggers[*]"], undefined],
    ["cloudflare:index/dnsRecord:DnsRecord", "proxied", [], undefined],
    ["aws:route53/record:Record", "name", [], "provider schema"],
    ["aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions", [], "provider schema"],
    ["aws:ecs/service:Service", "taskDefinition", [], undefined],
    ["aws:ecs/service:Service", "name", [], "provider schema"],
    ["aws:lb/listenerRule:ListenerRule", "priority", [], undefined],
    ["aws:acm/certificate:Certificate", "subjectAlternativeNames[0]", [], "provider schema"],
  ])("%s %s", (type, path, roc, reason) => {
    expect(replaceReason(type, path, roc)).toBe(reason);
  });
  it("replaces a security-group rule whose kind of source changes, and updates one whose CIDR changes", () => {
    const custom = REPLACE_RULES["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"].custom!;
    expect(custom({ cidrIpv4: "10.0.0.1/32" }, { cidrIpv4: "10.0.0.2/32" })).toBeUndefined();
    expect(custom({ cidrIpv4: "10.0.0.1/32" }, { referencedSecurityGroupId: "sg-1" })).toBe("source changes from cidrIpv4 to referencedSecurityGroupId");
  });
});
