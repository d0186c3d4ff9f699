// Policy: invariants over EVERY recorded resource of both shipped stacks. A new resource that
// breaks one of these fails here, whichever component created it. The guardrails that CrossGuard
// can enforce live in policy/policies.ts and run here exactly as `pulumi preview --policy-pack
// policy` runs them; what a policy cannot see (Pulumi's secret markers, which the analyzer
// unwraps) and Berth's naming and tagging conventions are checked directly.
import { beforeAll, describe, expect, it } from "vitest";
import { policies, withoutHostKey } from "../../policy/policies";
import { evaluatePolicies, policyResources } from "../helpers/policyHarness";
import { isSecretValue, ofType, plain, secretStrings, sharedRun, walk, type RecordedResource, type RunResult } from "../helpers/stack";
import { REGISTRY_S3_BUCKET_ACTIONS, REGISTRY_S3_OBJECT_ACTIONS } from "../../components/registryStorage";
import { LOG_RETENTION_DAYS } from "../../lib/apiRules";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
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

  it("keeps every bucket private, encrypted, ACL-free, TLS-only and free of abandoned uploads", () => {
    const buckets = ofType(r(), "aws:s3/bucket:Bucket");
    const of = (type: string, b: RecordedResource): RecordedResource[] => ofType(r(), type).filter((x) => x.inputs.bucket === b.id);
    for (const b of buckets) {
      expect(b.inputs.forceDestroy, b.name).toBe(false);
      expect(b.inputs.acl, b.name).toBeUndefined();
      expect(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b).map((x) => x.inputs)).toEqual([
        expect.objectContaining({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
      ]);
      expect(of("aws:s3/bucketOwnershipControls:BucketOwnershipControls", b).map((x) => x.inputs.rule)).toEqual([{ objectOwnership: "BucketOwnerEnforced" }]);
      const sse = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", b);
      expect(sse).toHaveLength(1);
      expect(
        (sse[0].inputs.rules as Array<{ applyServerSideEncryptionByDefault: { sseAlgorithm: string } }>)[0].applyServerSideEncryptionByDefault.sseAlgorithm,
      ).toMatch(/^(AES256|aws:kms)$/);
      const lifecycle = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", b);
      expect(
        (lifecycle[0].inputs.rules as Array<{ status: string; abortIncompleteMultipartUpload?: { daysAfterInitiation: number } }>).some(
          (x) => x.status === "Enabled" && (x.abortIncompleteMultipartUpload?.daysAfterInitiation ?? 0) > 0,
        ),
      ).toBe(true);
      const policy = JSON.parse(String(of("aws:s3/bucketPolicy:BucketPolicy", b)[0].inputs.policy)) as { Statement: Array<Record<string, unknown>> };
      expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }));
    }
    expect(buckets.length).toBe(stack === "prod" ? 1 : 0);
  });

  it("grants the host role exactly the registry s3 driver's documented actions, on its bucket only, and no access key exists", () => {
    expect(ofType(r(), "aws:iam/accessKey:AccessKey")).toEqual([]);
    expect(ofType(r(), "aws:iam/user:User")).toEqual([]);
    const bucket = ofType(r(), "aws:s3/bucket:Bucket")[0];
    const s3 = ofType(r(), "aws:iam/rolePolicy:RolePolicy").filter((x) => x.inputs.name === "registry-bucket");
    expect(s3.length).toBe(bucket ? 1 : 0);
    for (const p of s3) {
      const arn = String(bucket.state.arn);
      const policy = JSON.parse(String(p.inputs.policy)) as { Statement: Array<{ Action: string[]; Resource: string; Effect: string }> };
      expect(policy.Statement.map((x) => [x.Effect, [...x.Action].sort(), x.Resource])).toEqual([
        ["Allow", [...REGISTRY_S3_BUCKET_ACTIONS].sort(), arn],
        ["Allow", [...REGISTRY_S3_OBJECT_ACTIONS].sort(), `${arn}/*`],
      ]);
    }
    for (const role of ofType(r(), "aws:iam/role:Role")) {
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as {
        Statement: Array<{ Principal: { Service: string }; Condition?: Record<string, Record<string, string>> }>;
      };
      for (const st of trust.Statement) {
        expect(st.Principal.Service, role.name).toMatch(/^(ec2|vpc-flow-logs|dlm)\.amazonaws\.com$/);
        // A service that acts for many accounts (flow logs, snapshots) is held to this one.
        if (st.Principal.Service !== "ec2.amazonaws.com") expect(st.Condition?.StringEquals?.["aws:SourceAccount"], role.name).toMatch(/^\d{12}$/);
      }
    }
  });

  it("keeps an audit trail: flow logs and database logs to CloudWatch Logs with a retention (prod by default)", () => {
    const groups = ofType(r(), "aws:cloudwatch/logGroup:LogGroup");
    for (const g of groups)
      expect(LOG_RETENTION_DAYS, `${g.name} keeps logs forever or for a period CloudWatch refuses`).toContain(Number(g.inputs.retentionInDays));
    const flow = ofType(r(), "aws:ec2/flowLog:FlowLog");
    const db = ofType(r(), "aws:rds/instance:Instance")[0];
    if (stack === "prod") {
      expect(flow).toHaveLength(1);
      expect(flow[0].inputs).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs", vpcId: ofType(r(), "aws:ec2/vpc:Vpc")[0].id });
      expect(groups.map((g) => g.state.arn)).toContain(flow[0].inputs.logDestination);
      const role = ofType(r(), "aws:iam/role:Role").find((x) => x.state.arn === flow[0].inputs.iamRoleArn)!;
      const policy = JSON.parse(String(ofType(r(), "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!.inputs.policy)) as {
        Statement: Array<{ Action: string[]; Resource: string[] | string }>;
      };
      // Writes go to its own group only; the one account-wide action lists groups (no resource-level permissions).
      const [write, list] = policy.Statement;
      expect(policy.Statement).toHaveLength(2);
      for (const a of write.Action) expect(a).toMatch(/^logs:(CreateLogStream|PutLogEvents|DescribeLogStreams)$/);
      for (const res of write.Resource) expect(res.startsWith(String(flow[0].inputs.logDestination).replace(/:\*$/, ""))).toBe(true);
      expect(list).toEqual({ Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" });
      expect(db.inputs.enabledCloudwatchLogsExports).toEqual(["error", "slowquery"]);
      for (const log of ["error", "slowquery"]) expect(groups.map((g) => g.inputs.name)).toContain(`/aws/rds/instance/berth-prod-db/${log}`);
      const params = ofType(r(), "aws:rds/parameterGroup:ParameterGroup")[0].inputs.parameters as Array<{ name: string; value: string }>;
      expect(params).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: "slow_query_log", value: "1" }),
          expect.objectContaining({ name: "log_output", value: "FILE" }),
        ]),
      );
    } else {
      expect(flow).toEqual([]);
      expect(db.inputs.enabledCloudwatchLogsExports).toEqual([]);
    }
  });

  it("keeps every credential a secret, in inputs, state and outputs", () => {
    const leaks: string[] = [];
    const check = (where: string, v: unknown) =>
      walk(v, where, (path, value, inside) => {
        const field = path.split(".").pop() ?? "";
        if (!inside && SENSITIVE_FIELD.test(field) && typeof value === "string" && value.length > 0 && !/Fingerprint|Name$|Arn$|KmsKeyId$/.test(field)) {
          leaks.push(`${path} is sensitive but not secret`);
        }
      });
    for (const res of r().resources) {
      check(`${res.name}.inputs`, res.inputs);
      check(`${res.name}.state`, res.state);
    }
    check("outputs", r().outputs);
    expect(leaks).toEqual([]);
  });

  it("never shows a secret's value in plain text anywhere else", () => {
    const secrets = secretStrings(r());
    expect(secrets.size).toBeGreaterThan(0);
    const leaks: string[] = [];
    const scan = (where: string, v: unknown) =>
      walk(v, where, (path, value, inside) => {
        if (inside || typeof value !== "string") return;
        for (const s of secrets) if (value.includes(s)) leaks.push(`${path} contains a secret value`);
      });
    for (const res of r().resources) {
      scan(`${res.name}.inputs`, res.inputs);
      scan(`${res.name}.state`, res.state);
    }
    scan("outputs", r().outputs);
    expect(leaks).toEqual([]);
  });

  it("sends user data as a secret: it carries the host's SSH host key, and no other key or password", () => {
    for (const i of ofType(r(), "aws:ec2/instance:Instance")) {
      expect(isSecretValue(i.inputs.userData)).toBe(true);
      const text = String(plain(i.inputs.userData));
      expect(text).not.toMatch(/password\s*[:=]/i);
      // The policy's narrow exemption takes out exactly the host key; nothing key-like is left.
      expect(text).toMatch(/PRIVATE KEY/);
      expect(withoutHostKey(text, policyResources(r().resources))).not.toMatch(/PRIVATE KEY/);
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
