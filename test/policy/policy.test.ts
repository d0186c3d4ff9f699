// Policy: invariants over EVERY recorded resource of both shipped stacks. A new resource that
// breaks one of these fails here, whichever component created it.
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretValue, ofType, run, secretStrings, walk, type RecordedResource, type RunResult } from "../helpers/stack";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await run("dev");
  runs.prod = await run("prod");
});

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const ADMIN_ONLY_PORTS = [22, 2376, 3306];

/** Field names that hold credentials wherever they appear. */
const SENSITIVE_FIELD = /^(?!public)\w*(password|privateKey\w*|keyPem|secret|token|htpasswd)$/i;

describe.each(["dev", "prod"])("%s", (stack) => {
  const r = (): RunResult => runs[stack];
  const rules = (): RecordedResource[] => ofType(r(), INGRESS);

  it("opens no SSH, Docker API or database port to the world", () => {
    for (const rule of rules()) {
      const from = Number(rule.inputs.fromPort), to = Number(rule.inputs.toPort);
      if (WORLD.has(String(rule.inputs.cidrIpv4))) {
        for (const p of ADMIN_ONLY_PORTS) expect(p >= from && p <= to, `${rule.name} opens ${p} to the world`).toBe(false);
        expect(rule.inputs.ipProtocol, `${rule.name}: all-protocol rule from the world`).not.toBe("-1");
      }
    }
  });

  it("admits the database only from the host's private IP /32", () => {
    const dbSgs = ofType(r(), "aws:ec2/securityGroup:SecurityGroup").filter((s) => s.name.includes("database"));
    const hostIps = ofType(r(), "aws:ec2/instance:Instance").map((i) => `${String(i.state.privateIp)}/32`);
    expect(dbSgs).toHaveLength(1);
    for (const rule of rules().filter((x) => x.inputs.securityGroupId === dbSgs[0].id)) {
      expect(hostIps).toContain(rule.inputs.cidrIpv4);
    }
    // and nothing else references the database SG as a source or target
    expect(ofType(r(), "aws:ec2/securityGroup:SecurityGroup").every((s) => !s.inputs.ingress || (s.inputs.ingress as unknown[]).length === 0)).toBe(true);
    for (const db of ofType(r(), "aws:rds/instance:Instance")) expect(db.inputs.vpcSecurityGroupIds).toEqual([dbSgs[0].id]);
  });

  it("describes every security group rule", () => {
    for (const rule of [...rules(), ...ofType(r(), "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")]) {
      expect(String(rule.inputs.description ?? "").length, `${rule.name} has no description`).toBeGreaterThan(5);
    }
  });

  it("encrypts data at rest and keeps the database private", () => {
    for (const db of ofType(r(), "aws:rds/instance:Instance")) {
      expect(db.inputs.storageEncrypted).toBe(true);
      expect(db.inputs.publiclyAccessible).toBe(false);
    }
    for (const i of ofType(r(), "aws:ec2/instance:Instance")) {
      expect((i.inputs.rootBlockDevice as { encrypted: boolean }).encrypted).toBe(true);
      for (const v of (i.inputs.ebsBlockDevices as Array<{ encrypted: boolean }> | undefined) ?? []) expect(v.encrypted).toBe(true);
    }
  });

  it("requires IMDSv2 on every instance", () => {
    for (const i of ofType(r(), "aws:ec2/instance:Instance")) expect((i.inputs.metadataOptions as { httpTokens: string }).httpTokens).toBe("required");
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

  it("keeps user data free of key material and passwords", () => {
    for (const i of ofType(r(), "aws:ec2/instance:Instance")) {
      expect(isSecretValue(i.inputs.userData)).toBe(false);
      expect(String(i.inputs.userData)).not.toMatch(/PRIVATE KEY|\$2[aby]\$|password\s*[:=]/i);
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
