// Value rules of the AWS and Cloudflare APIs that the providers do not check (lib/apiRules.ts):
// one test per rule, so the offline plan fails where the first real `pulumi up` would.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, type RawConfigInput } from "../../config";
import { toRawConfigInput } from "../../offline/stackFile";
import { fakeCloud } from "../../offline/mocks";
import { ec2Description } from "../../components/firewall";
import { replaceReason } from "../../cli/replaceRules";
import { diffSnapshots } from "../../cli/planDiff";
import { toSnapshot } from "../../cli/snapshot";
import {
  backupWindowProblem,
  EC2_TEXT,
  ec2TextProblem,
  isReservedName,
  logRetentionProblem,
  minMaxAllocatedStorage,
  mysqlMajor,
  rdsPasswordProblems,
  s3BucketNameProblem,
  securityGroupNameProblem,
  tagKeyProblem,
  tagValueProblem,
} from "../../lib/apiRules";
import { ofType, rejection, section, sharedRun, stackWith, type ShippedStack, type RunResult } from "../helpers/stack";

const devFw = section("dev", "firewall");
const input = (stack: string, edits: Record<string, unknown> = {}): RawConfigInput => toRawConfigInput(stackWith(stack, edits));
const problems = (stack: string, edits: Record<string, unknown>, extra: Partial<RawConfigInput> = {}): string =>
  rejection({ ...input(stack, edits), ...extra }).message;

describe("EC2 security-group texts", () => {
  it("allow EC2's character set and nothing else", () => {
    expect(ec2TextProblem("SSH from admin networks (office); port 22 & more: [ok] {x} !$*#,@+=")).toBeUndefined();
    expect(ec2TextProblem("the host's IP")).toMatch(
      /contains "'", which EC2 refuses in security-group texts; allowed: letters, digits, spaces and \._-:\/\(\)#,@\[\]\+=&;\{\}!\$\*/,
    );
    expect(ec2TextProblem("café")).toMatch(/contains "é"/);
    expect(ec2TextProblem("x".repeat(256))).toMatch(/is 256 characters; EC2 allows at most 255/);
    expect(ec2TextProblem("")).toMatch(/must not be empty/);
  });

  it("refuses a user-typed rule description EC2 would refuse, naming the key", () => {
    const ingress = [{ port: 8000, from: "anywhere", description: 'Berth\'s API "gateway"' }];
    expect(problems("dev", { firewall: { ...devFw, ingress } })).toMatch(
      /berth:firewall\.ingress\[0\]\.description = "Berth's API \\"gateway\\"": contains "'", "\\"", which EC2 refuses/,
    );
    expect(problems("dev", { firewall: { ...devFw, ingress: [{ port: 8000, from: "anywhere", description: "d".repeat(300) }] } })).toMatch(
      /berth:firewall\.ingress\[0\]\.description = "d+": is 300 characters; EC2 allows at most 255/,
    );
  });

  it("guards Berth's own texts too, as an error tied to the resource", () => {
    const resource = { urn: pulumi.output("urn:pulumi:dev::berth::berth:firewall:Firewall::firewall") } as unknown as pulumi.Resource;
    expect(() => ec2Description("MySQL from the host's private IP", "database ingress rule host", resource)).toThrow(pulumi.ResourceError);
    expect(() => ec2Description("MySQL from the host's private IP", "database ingress rule host", resource)).toThrow(
      /database ingress rule host: the description "MySQL from the host's private IP" contains "'"/,
    );
    expect(ec2Description("MySQL from the host private IP", "x", resource)).toBe("MySQL from the host private IP");
  });

  describe.each<ShippedStack>(["dev", "prod"])("every group name and description the %s stack sends", (stack) => {
    let r: RunResult;
    beforeAll(async () => {
      r = await sharedRun(stack);
    });
    it("is in EC2's character set", () => {
      const texts: string[] = [];
      for (const res of r.resources.filter((x) => /^aws:(ec2\/securityGroup|vpc\/securityGroup(Ingress|Egress)Rule)/.test(x.type))) {
        for (const k of ["description", "name", "namePrefix"]) {
          const v = res.inputs[k];
          if (typeof v === "string") texts.push(v);
        }
      }
      expect(texts.length).toBeGreaterThan(5);
      expect(texts.filter((t) => !EC2_TEXT.test(t) || t.length > 255)).toEqual([]);
    });
    it("plans a description change as a create-before-delete replacement of that group only", () => {
      const before = toSnapshot(r);
      const after = JSON.parse(JSON.stringify(before)) as typeof before;
      const group = after.resources.find((x) => x.name === "firewall-database-sg")!;
      group.inputs.description = "Berth database: MySQL from the Berth host private IP only";
      const diff = diffSnapshots(before, after);
      const changed = diff.resources.filter((c) => c.type === "aws:ec2/securityGroup:SecurityGroup");
      expect(changed.map((c) => [c.name, c.action, c.deleteBeforeReplace ?? false])).toEqual([["firewall-database-sg", "replace", false]]);
      // Nothing the group protects is replaced with it: the database follows the new id in place.
      expect(diff.resources.filter((c) => c.type === "aws:rds/instance:Instance" && c.action === "replace")).toEqual([]);
    });
    it("uses name prefixes, so a replaced group is created under a new name before the old one goes", () => {
      const groups = ofType(r, "aws:ec2/securityGroup:SecurityGroup");
      expect(groups.map((g) => [g.inputs.name, g.inputs.namePrefix])).toEqual([
        [undefined, `berth-${stack}-host-`],
        [undefined, `berth-${stack}-database-`],
      ]);
      // Create-before-delete is Pulumi's default; nothing may turn it off for a group.
      expect(groups.every((g) => !g.options.deleteBeforeReplace)).toBe(true);
      // Everything that uses a group refers to it by id, which a replacement updates in place.
      const byName = r.resources.filter(
        (x) => x.type !== "aws:ec2/securityGroup:SecurityGroup" && JSON.stringify(x.inputs).match(/berth-(dev|prod)-(host|database)-[0-9a-f]{26}/),
      );
      expect(byName).toEqual([]);
      const dbGroupId = String(groups[1].id);
      const users = r.resources.filter((x) => JSON.stringify(x.inputs).includes(dbGroupId));
      expect(users.map((u) => u.type).sort()).toEqual(["aws:rds/instance:Instance", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"]);
    });
  });

  it("a description change (a replacement, since EC2 cannot edit it) gets a group name that does not collide", () => {
    // The fake cloud names prefixed groups as the provider does: prefix + unique suffix.
    const cloud = fakeCloud({ region: "ap-northeast-2" });
    const create = (description: string): string => {
      const args: pulumi.runtime.MockResourceArgs = {
        type: "aws:ec2/securityGroup:SecurityGroup",
        name: "firewall-database-sg",
        inputs: { namePrefix: "berth-prod-database-", description },
        custom: true,
      };
      const res = cloud.newResource(args);
      return (res as unknown as { state: { name: string } }).state.name;
    };
    // The provider's own rule: EC2 cannot edit a group's description, so a change replaces the group.
    expect(replaceReason("aws:ec2/securityGroup:SecurityGroup", "description", [])).toBeDefined();
    expect(replaceReason("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "description", [])).toBeUndefined();
    const before = create("Berth database: MySQL from the host private IP only");
    const after = create("Berth database: MySQL from the Berth host private IP only");
    expect(before).toMatch(/^berth-prod-database-[0-9a-f]{26}$/);
    expect(after).toMatch(/^berth-prod-database-[0-9a-f]{26}$/);
    expect(after).not.toBe(before);
  });
});

describe("RDS master password", () => {
  it.each([
    ["Correct-Horse-42", []],
    ["short", [/must be 8 to 41 characters \(RDS MySQL\); it has 5/]],
    ["x".repeat(42), [/must be 8 to 41 characters/]],
    ["has/slash-in-it", [/must not contain/]],
    ["with space here", [/must not contain/]],
    ["naïve-password", [/must not contain/]],
  ])("%s", (password, expected) => {
    const found = rdsPasswordProblems(password);
    expect(found).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(found[i]).toMatch(re));
  });

  it.each<ShippedStack>(["dev", "prod"])("holds for every password the %s stack generates", async (stack) => {
    const generated = ofType(await sharedRun(stack), "random:index/randomPassword:RandomPassword").filter((p) => p.name.startsWith("database"));
    expect(generated).toHaveLength(1);
    const { length, overrideSpecial } = generated[0].inputs as { length: number; overrideSpecial: string };
    // Every character the generator may draw, at the length it draws.
    const alphabet = `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789${overrideSpecial}`;
    expect(rdsPasswordProblems(alphabet.slice(0, length).padEnd(length, "x"))).toEqual([]);
    for (const c of overrideSpecial) expect(rdsPasswordProblems(`Abcdefg${c}`), `special character ${c}`).toEqual([]);
  });
});

describe("RDS for MySQL", () => {
  it("defaults to 8.4 with Extended Support disabled, and the mysql8.4 parameter family", () => {
    const cfg = parseConfig(input("dev", { database: {} }));
    expect(cfg.database.engineVersion).toBe("8.4");
    expect(cfg.database.engineLifecycleSupport).toBe("open-source-rds-extended-support-disabled");
  });

  it.each([
    ["8.4", "8.4"],
    ["8.4.3", "8.4"],
    ["8.0", "8.0"],
    ["8.0.39", "8.0"],
    ["8.1", undefined],
    ["8.3.0", undefined],
    ["9.0", undefined],
    ["5.7", undefined],
  ])("knows whether RDS offers %s", (version, major) => {
    expect(mysqlMajor(version)).toBe(major);
  });

  it.each(["8.1", "8.2", "8.3.0"])("refuses %s, which RDS never offered", (v) => {
    expect(problems("dev", { database: { engineVersion: v } })).toMatch(
      new RegExp(`berth:database\\.engineVersion = "${v.replace(/\./g, "\\.")}": must be an RDS for MySQL version: 8\\.0 or 8\\.4`),
    );
  });

  it("refuses 8.0 after its standard support ended unless Extended Support is chosen on purpose", () => {
    const after = new Date("2026-11-23T00:00:00Z");
    expect(problems("dev", { database: { engineVersion: "8.0" } }, { now: after })).toMatch(
      /berth:database\.engineVersion = "8\.0": MySQL 8\.0 left RDS standard support on 2026-07-31, and RDS refuses to create it with engineLifecycleSupport open-source-rds-extended-support-disabled/,
    );
    expect(() =>
      parseConfig({ ...input("dev", { database: { engineVersion: "8.0", engineLifecycleSupport: "open-source-rds-extended-support" } }), now: after }),
    ).not.toThrow();
    expect(() => parseConfig({ ...input("dev", { database: { engineVersion: "8.0" } }), now: new Date("2026-07-01T00:00:00Z") })).not.toThrow();
  });

  it("refuses an unknown lifecycle value", () => {
    expect(problems("dev", { database: { engineLifecycleSupport: "extended" } })).toMatch(
      /berth:database\.engineLifecycleSupport = "extended": Invalid option: expected one of "open-source-rds-extended-support-disabled"\|"open-source-rds-extended-support"/,
    );
  });

  it("needs the storage autoscaling ceiling at least 10% above the allocated storage", () => {
    expect(minMaxAllocatedStorage(20)).toBe(22);
    expect(minMaxAllocatedStorage(50)).toBe(55);
    expect(problems("dev", { database: { allocatedStorageGiB: 20, maxAllocatedStorageGiB: 21 } })).toMatch(
      /berth:database\.maxAllocatedStorageGiB = 21: RDS needs the autoscaling ceiling at least 10% above allocatedStorageGiB \(20\), so 22 or more/,
    );
    expect(() => parseConfig(input("dev", { database: { allocatedStorageGiB: 20, maxAllocatedStorageGiB: 22 } }))).not.toThrow();
  });

  it.each<[string, RegExp | undefined]>([
    ["18:00-18:30", undefined],
    ["23:50-00:20", undefined],
    ["03:00-03:10", /is 10 minutes long; RDS needs a backup window of at least 30 minutes/],
    ["25:00-25:45", /hours are 00-23 and minutes 00-59/],
    ["3:00-4:00", /must be hh24:mi-hh24:mi in UTC/],
  ])("backup window %s", (w, expected) => {
    expect(backupWindowProblem(w)).toEqual(expected ? expect.stringMatching(expected) : undefined);
    if (expected) expect(problems("dev", { database: { backupWindow: w } })).toMatch(new RegExp(`berth:database\\.backupWindow = "${w}": `));
  });
});

describe("tags", () => {
  it.each<[string, string, RegExp]>([
    ["aws:owner", "me", /tag keys must not start with aws: or rds:/],
    ["Owner", "rds:me", /tag values must not start with aws: or rds:/],
    ["Owner", "ops#1", /tag values may hold only letters, digits, spaces and _\.:\/=\+-@ \(RDS refuses anything else\)/],
    ["Team's", "x", /tag keys may hold only letters, digits, spaces and _\.:\/=\+-@/],
    ["Owner", "v".repeat(257), /tag values are at most 256 characters/],
  ])("refuses %s = %s", (key, value, expected) => {
    expect(problems("dev", { tags: { [key]: value } })).toMatch(/berth:tags\./);
    expect(problems("dev", { tags: { [key]: value } })).toMatch(expected);
  });

  it("accepts Unicode letters, as AWS does", () => {
    expect(tagKeyProblem("팀")).toBeUndefined();
    expect(tagValueProblem("플랫폼 팀 / ops@corp")).toBeUndefined();
  });

  it("leaves room for Berth's own tags within AWS's 50 per resource", () => {
    const many = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, "v"]));
    expect(problems("dev", { tags: many })).toMatch(/berth:tags = 46: AWS allows 50 tags per resource and Berth sets up to 5 itself/);
    const fits = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, "v"]));
    expect(() => parseConfig(input("dev", { tags: fits }))).not.toThrow();
  });
});

describe("S3 bucket names", () => {
  it.each<[string, boolean]>([
    ["berth-prod-registry-20260101abcdef0123456789", true],
    ["abc", true],
    ["ab", false],
    ["a".repeat(64), false],
    ["Berth-prod", false],
    ["berth.prod", false],
    ["-berth", false],
    ["berth-", false],
    ["xn--berth", false],
    ["sthree-x", false],
    ["berth-s3alias", false],
    ["berth--ol-s3", false],
    ["berth_prod", false],
  ])("%s: %s", (name, ok) => expect(s3BucketNameProblem(name) === undefined).toBe(ok));

  it("checks the prefix S3 appends 26 characters to (37 at most, may end with a hyphen)", () => {
    expect(s3BucketNameProblem("berth-prod-registry-", true)).toBeUndefined();
    expect(s3BucketNameProblem(`${"a".repeat(38)}-`, true)).toMatch(/1-37 characters/);
  });

  it("refuses a project or stack name that makes the registry bucket prefix invalid, naming it", () => {
    expect(problems("prod", {}, { stack: "Production_EU" })).toMatch(
      /registry bucket name prefix "berth-production_eu-registry-" may hold only lower-case letters, digits and hyphens/,
    );
    expect(problems("prod", {}, { stack: "a-very-long-production-stack" })).toMatch(
      /registry bucket name prefix ".*" is 4\d characters; S3 bucket name prefixes are 1-37 characters/,
    );
    // dev keeps images on the host: no bucket, no rule.
    expect(() => parseConfig({ ...input("dev"), stack: "a-very-long-production-stack" })).not.toThrow();
  });
});

describe("names built from the project and stack", () => {
  const lines = (extra: Partial<RawConfigInput>): string[] => problems("dev", {}, extra).split("\n").slice(1);

  it.each<[string, boolean]>([
    ["sg-dev-host-", false],
    ["SG-dev", false],
    ["sgx-dev-host-", true],
    ["berth-sg-host-", true],
  ])("security-group name %s: %s", (name, ok) => expect(securityGroupNameProblem(name) === undefined).toBe(ok));

  it.each([
    ["sg", "sg-dev-host-"],
    ["sg-platform", "sg-platform-dev-host-"],
  ])("refuses the project %s: EC2 refuses a security-group name that begins with sg-", (project, prefix) => {
    expect(lines({ project })).toEqual([
      `  - (project name) = "${project}": the security groups' name prefix "${prefix}" begins with "sg-", which EC2 refuses in security-group names (it is the prefix of group ids); rename the project (name: in Pulumi.yaml)`,
    ]);
    expect(() => parseConfig({ ...input("dev"), project: "sgx" })).not.toThrow();
  });

  it("refuses a stack name with capitals: it would share the lower-case stack's RDS and log-group names", () => {
    expect(lines({ stack: "Dev" })).toEqual([
      `  - (stack name) = "Dev": has upper-case letters, and Berth's physical names are lower case (RDS refuses capitals), so it would share them with stack "dev"; use a lower-case stack name`,
    ]);
  });
});

describe("CloudWatch Logs retention", () => {
  it.each([
    [1, true],
    [30, true],
    [90, true],
    [3653, true],
    [0, false],
    [2, false],
    [365 * 2, false],
    [731, true],
  ])("%s days: %s", (d, ok) => {
    expect(logRetentionProblem(d) === undefined).toBe(ok);
  });
  it("refuses a retention CloudWatch refuses, naming the key and the allowed values", () => {
    expect(problems("prod", { network: { ...section("prod", "network"), flowLogRetentionDays: 100 } })).toMatch(
      /berth:network\.flowLogRetentionDays = 100: CloudWatch Logs keeps logs for one of 1, 3, 5, 7, 14, 30, 60, 90/,
    );
    expect(problems("prod", { database: { ...section("prod", "database"), logRetentionDays: 0 } })).toMatch(
      /berth:database\.logRetentionDays = 0: CloudWatch Logs keeps logs for one of/,
    );
    expect(problems("dev", { proxy: { ...section("dev", "proxy"), appLogRetentionDays: 10 } })).toMatch(
      /berth:proxy\.appLogRetentionDays = 10: CloudWatch Logs keeps logs for one of/,
    );
  });
});

describe("Cloudflare", () => {
  it("refuses a stack name that makes the record comment longer than the Free plan allows", () => {
    const long = { ...input("prod"), stack: "production-eu-west-blue-x" };
    expect(rejection(long).message).toMatch(/the Cloudflare record comment ".*" is 1\d\d characters; Cloudflare's Free plan allows 100/);
    expect(() => parseConfig(input("prod"))).not.toThrow();
  });
});

describe("reserved example names", () => {
  it.each([
    ["example.com", true],
    ["docker.example.net", true],
    ["shop.example.org", true],
    ["app.test", true],
    ["x.invalid", true],
    ["localhost", true],
    ["a.localhost", true],
    ["example", true],
    ["example.co.kr", false],
    ["myexample.com", false],
    ["berth.dev", false],
    ["examples.com", false],
  ])("%s reserved: %s", (name, reserved) => {
    expect(isReservedName(name)).toBe(reserved);
  });

  it("stop a real preview or update early, with one message naming every key to set", () => {
    const msg = rejection({ ...input("prod"), target: "cloud" }).message;
    expect(msg.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(1);
    expect(msg).toMatch(/\(reserved example names\) = 10: these keys hold reserved example names, which Route53, Cloudflare and Let's Encrypt refuse/);
    for (const key of [
      "berth:dns.zones[0].domain (example.com)",
      "berth:dns.zones[1].domain (example.net)",
      "berth:registry.hostname (docker.example.com)",
      "berth:proxy.apps[0].hostnames[0] (example.com)",
      "berth:proxy.apps[1].hostnames[1] (www.example.net)",
      "berth:proxy.extraHosts[0].hostname (jenkins.example.com)",
      "berth:tls.email (ops@example.com)",
      "berth:alerts.email[0] (ops@example.com)",
    ])
      expect(msg).toContain(key);
  });

  it("pass the offline plan, which shows the shape with them", () => {
    expect(() => parseConfig(input("prod"))).not.toThrow();
    expect(input("prod").target).toBe("offline");
  });

  it("are no issue for a stack without names (dev, reached by IP)", () => {
    expect(() => parseConfig({ ...input("dev"), target: "cloud" })).not.toThrow();
  });

  it("a real domain passes the cloud check", () => {
    const prod = JSON.stringify(stackWith("prod").config)
      .replace(/example\.com/g, "berth-shop.co.kr")
      .replace(/example\.net/g, "berth-landing.kr");
    const file = { ...stackWith("prod"), config: JSON.parse(prod) as Record<string, string> };
    expect(() => parseConfig({ ...toRawConfigInput(file), target: "cloud" })).not.toThrow();
  });
});
