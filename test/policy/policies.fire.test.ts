// Each Berth policy fires on a bad resource: the shipped plan of a stack with one resource added
// or changed, run through the same harness as the passing plans. One row per guardrail, plus
// rows that must stay quiet (prod-only rules on dev), so a policy that never fires cannot pass.
import { beforeAll, describe, expect, it } from "vitest";
import * as P from "../../policy/policies";
import { runPolicies } from "../helpers/policyHarness";
import { plain, sharedRun, type RecordedResource, type RunResult } from "../helpers/stack";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
});

type Patch = Record<string, unknown>;

/** The run with resource `name` changed in both its inputs and its state. */
function patched(r: RunResult, name: string, patch: Patch): RunResult {
  if (!r.resources.some((x) => x.name === name)) throw new Error(`no resource ${name}`);
  return { ...r, resources: r.resources.map((x) => (x.name === name ? { ...x, inputs: { ...x.inputs, ...patch }, state: { ...x.state, ...patch } } : x)) };
}

/** The run with one more resource (a sibling of `like`, so it carries the same stack in its URN). */
function added(r: RunResult, like: string, type: string, name: string, inputs: Patch, extra: Partial<RecordedResource> = {}): RunResult {
  const base = r.resources.find((x) => x.name === like);
  if (!base) throw new Error(`no resource ${like}`);
  const urn = `${base.urn.split("::").slice(0, 2).join("::")}::${type}::${name}`;
  const res: RecordedResource = { ...base, urn, type, name, id: `${name}-id`, inputs: inputs, state: inputs, ...extra };
  return { ...r, resources: [...r.resources, res] };
}

const ingress = (r: RunResult, name: string, inputs: Patch): RunResult => {
  const sg = r.resources.find((x) => x.name === "firewall-host-sg")!;
  return added(
    r,
    "firewall-host-sg",
    P.T.ingressRule,
    name,
    { securityGroupId: sg.id, description: "bad rule for the test", ...inputs },
    { options: { ...sg.options, propertyDependencies: { securityGroupId: [sg.urn] } } },
  );
};
/** The run with the host's user data rewritten by `edit` (the shipped text carries the host's SSH host key). */
function userData(r: RunResult, edit: (text: string, key: (name: string) => { privateKeyOpenssh: string; publicKeyOpenssh: string }) => string): RunResult {
  const text = String(plain(r.resources.find((x) => x.name === "host-instance")!.inputs.userData));
  const key = (name: string) => {
    const k = r.resources.find((x) => x.name === name)!;
    return { privateKeyOpenssh: String(plain(k.state.privateKeyOpenssh)), publicKeyOpenssh: String(k.state.publicKeyOpenssh).trim() };
  };
  return patched(r, "host-instance", { userData: edit(text, key) });
}
/**
 * The run with an interface VPC endpoint in a security group of its own whose one ingress rule is
 * `rule` (a stack without ECS apps: no group of ECS tasks exists that could be admitted).
 */
function endpointWith(r: RunResult, rule: Patch): RunResult {
  const host = r.resources.find((x) => x.name === "firewall-host-sg")!;
  const withSg = added(r, "firewall-host-sg", P.T.securityGroup, "bad-endpoints-sg", { vpcId: host.inputs.vpcId, description: "endpoints of the test" });
  const sg = withSg.resources.find((x) => x.name === "bad-endpoints-sg")!;
  const dependsOn = (prop: string) => ({ options: { ...sg.options, propertyDependencies: { [prop]: [sg.urn] } } });
  const withEndpoint = added(
    withSg,
    "firewall-host-sg",
    P.T.vpcEndpoint,
    "bad-endpoint",
    { vpcEndpointType: "Interface", securityGroupIds: [sg.id] },
    dependsOn("securityGroupIds"),
  );
  return added(
    withEndpoint,
    "firewall-host-sg",
    P.T.ingressRule,
    "bad-endpoint-in",
    { securityGroupId: sg.id, description: "rule of the test", ...rule },
    dependsOn("securityGroupId"),
  );
}
const PEM_KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBadKeyMaterialForTheTest\n-----END EC PRIVATE KEY-----\n";
const BCRYPT = `$2y$10$${"a".repeat(53)}`;

interface Row {
  readonly policy: { readonly name: string };
  readonly stack: "dev" | "prod";
  readonly case: string;
  readonly bad: (r: RunResult) => RunResult;
  /** Expected message; null: the policy must stay silent. */
  readonly fires: RegExp | null;
}

const ROWS: Row[] = [
  {
    policy: P.noAdminPortsFromWorld,
    stack: "dev",
    case: "SSH rule open to 0.0.0.0/0",
    bad: (r) => ingress(r, "bad-ssh", { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
    fires: /Port 22 \(SSH\) is open to 0\.0\.0\.0\/0/,
  },
  {
    policy: P.noAdminPortsFromWorld,
    stack: "prod",
    case: "port range over MySQL from ::/0",
    bad: (r) => ingress(r, "bad-range", { ipProtocol: "tcp", fromPort: 3000, toPort: 4000, cidrIpv6: "::/0" }),
    fires: /Port 3306 \(MySQL\) is open to ::\/0/,
  },
  {
    policy: P.noAdminPortsFromWorld,
    stack: "prod",
    case: "all traffic from the world",
    bad: (r) => ingress(r, "bad-all", { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
    fires: /admits all traffic from 0\.0\.0\.0\/0/,
  },
  {
    policy: P.noAdminPortsFromWorld,
    stack: "dev",
    case: "inline Docker API rule on a security group",
    bad: (r) =>
      patched(r, "firewall-host-sg", { ingress: [{ protocol: "tcp", fromPort: 2376, toPort: 2376, cidrBlocks: ["0.0.0.0/0"], description: "docker api" }] }),
    fires: /Port 2376 \(the Docker API\) is open/,
  },
  {
    policy: P.databaseFromHostOnly,
    stack: "prod",
    case: "database rule for the whole subnet",
    bad: (r) => patched(r, "firewall-database-in-host", { cidrIpv4: "10.30.0.0/24" }),
    fires: /admits 10\.30\.0\.0\/24 to the database; only the host's private IP \(10\.30\.\d+\.\d+\/32\)/,
  },
  {
    policy: P.databaseFromHostOnly,
    stack: "dev",
    case: "another security group as source",
    bad: (r) => patched(r, "firewall-database-in-host", { referencedSecurityGroupId: "sg-0123" }),
    fires: /admits another security group/,
  },
  {
    policy: P.vpcEndpointsFromTasksOnly,
    stack: "dev",
    case: "endpoint rule for a CIDR",
    bad: (r) => endpointWith(r, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "10.20.0.0/16" }),
    fires: /bad-endpoint-in admits 10\.20\.0\.0\/16 to the VPC endpoints; only the ECS tasks' security group/,
  },
  {
    policy: P.vpcEndpointsFromTasksOnly,
    stack: "prod",
    case: "endpoint rule for another group",
    bad: (r) => endpointWith(r, { ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: "sg-0123" }),
    fires: /admits another security group or prefix list to the VPC endpoints/,
  },
  {
    policy: P.databaseEncryptedAndPrivate,
    stack: "dev",
    case: "unencrypted storage",
    bad: (r) => patched(r, "database-instance", { storageEncrypted: false }),
    fires: /storage is not encrypted/,
  },
  {
    policy: P.databaseEncryptedAndPrivate,
    stack: "prod",
    case: "publicly accessible",
    bad: (r) => patched(r, "database-instance", { publiclyAccessible: true }),
    fires: /publicly accessible/,
  },
  {
    policy: P.databaseBackups,
    stack: "prod",
    case: "3 days on prod",
    bad: (r) => patched(r, "database-instance", { backupRetentionPeriod: 3 }),
    fires: /keeps 3 day\(s\) of backups; this stack needs at least 7/,
  },
  {
    policy: P.databaseBackups,
    stack: "dev",
    case: "no backups on dev",
    bad: (r) => patched(r, "database-instance", { backupRetentionPeriod: 0 }),
    fires: /needs at least 1/,
  },
  {
    policy: P.databaseDeletionProtection,
    stack: "prod",
    case: "prod without deletion protection",
    bad: (r) => patched(r, "database-instance", { deletionProtection: false }),
    fires: /without deletion protection/,
  },
  {
    policy: P.databaseDeletionProtection,
    stack: "prod",
    case: "prod skipping the final snapshot",
    bad: (r) => patched(r, "database-instance", { skipFinalSnapshot: true }),
    fires: /without a final snapshot/,
  },
  {
    policy: P.databaseDeletionProtection,
    stack: "dev",
    case: "dev may tear down freely",
    bad: (r) => patched(r, "database-instance", { deletionProtection: false, skipFinalSnapshot: true }),
    fires: null,
  },
  {
    policy: P.instanceImdsv2,
    stack: "dev",
    case: "IMDSv1 allowed",
    bad: (r) => patched(r, "host-instance", { metadataOptions: { httpTokens: "optional" } }),
    fires: /accepts IMDSv1/,
  },
  {
    policy: P.encryptedVolumes,
    stack: "prod",
    case: "plain root volume",
    bad: (r) => patched(r, "host-instance", { rootBlockDevice: { encrypted: false, volumeSize: 100 } }),
    fires: /Root volume is not encrypted/,
  },
  {
    policy: P.encryptedVolumes,
    stack: "dev",
    case: "plain data volume",
    bad: (r) => patched(r, "host-instance", { ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] }),
    fires: /EBS volume \/dev\/sdf is not encrypted/,
  },
  {
    policy: P.securityGroupRulesDescribed,
    stack: "dev",
    case: "rule without a description",
    bad: (r) => ingress(r, "bad-undescribed", { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "" }),
    fires: /has no description/,
  },
  {
    policy: P.registryPortNotPublicInProd,
    stack: "prod",
    case: "registry port open to the world",
    bad: (r) => ingress(r, "bad-registry", { ipProtocol: "tcp", fromPort: 5000, toPort: 5000, cidrIpv4: "0.0.0.0/0" }),
    fires: /Registry port 5000 is open to 0\.0\.0\.0\/0/,
  },
  {
    policy: P.registryPortNotPublicInProd,
    stack: "prod",
    case: "registry container on all addresses",
    bad: (r) => patched(r, "services-registry-container", { ports: [{ internal: 5000, external: 5000, ip: "0.0.0.0" }] }),
    fires: /publishes port 5000 on 0\.0\.0\.0/,
  },
  { policy: P.registryPortNotPublicInProd, stack: "dev", case: "dev publishes the registry directly", bad: (r) => r, fires: null },
  {
    policy: P.dataVolumeSnapshottedInProd,
    stack: "prod",
    case: "data volume without its snapshot policy",
    bad: (r) => ({ ...r, resources: r.resources.filter((x) => x.type !== P.T.snapshotPolicy) }),
    fires: /Data volume data-volume has no daily snapshots on a production stack/,
  },
  {
    policy: P.dataVolumeSnapshottedInProd,
    stack: "prod",
    case: "snapshot policy disabled",
    bad: (r) => patched(r, "data-snapshots", { state: "DISABLED" }),
    fires: /Data volume data-volume has no daily snapshots/,
  },
  {
    policy: P.dataVolumeSnapshottedInProd,
    stack: "prod",
    case: "snapshot policy targets another tag",
    bad: (r) => {
      const p = r.resources.find((x) => x.name === "data-snapshots")!;
      const details = { ...(p.inputs.policyDetails as Patch), targetTags: { BerthDataVolume: "someone-else" } };
      return patched(r, "data-snapshots", { policyDetails: details });
    },
    fires: /Data volume data-volume has no daily snapshots/,
  },
  {
    policy: P.dataVolumeSnapshottedInProd,
    stack: "prod",
    case: "unencrypted data volume",
    bad: (r) => patched(r, "data-volume", { encrypted: false }),
    fires: /Data volume data-volume is not encrypted on a production stack/,
  },
  {
    policy: P.dataVolumeSnapshottedInProd,
    stack: "dev",
    case: "a dev volume without snapshots",
    bad: (r) => added(r, "network-vpc", P.T.volume, "dev-volume", { availabilityZone: "ap-northeast-2a", size: 10, encrypted: true, tags: { Name: "x" } }),
    fires: null,
  },
  {
    policy: P.registryNameNotProxied,
    stack: "prod",
    case: "proxied Cloudflare record for the registry name",
    bad: (r) =>
      added(r, "dns-www.example.net", P.T.cloudflareRecord, "dns-docker-cf", { name: "docker.example.com", type: "A", content: "203.0.113.5", proxied: true }),
    fires: /Cloudflare record docker\.example\.com is proxied, but the registry \(docker\.example\.com\)/,
  },
  {
    policy: P.registryNameNotProxied,
    stack: "prod",
    case: "proxied record the registry name resolves through",
    bad: (r) =>
      added(r, "dns-www.example.net", P.T.cloudflareRecord, "dns-host-cf", { name: "host.example.com", type: "A", content: "203.0.113.5", proxied: true }),
    fires: /Cloudflare record host\.example\.com is proxied/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "dev",
    case: "private key in user data",
    bad: (r) => patched(r, "host-instance", { userData: `#cloud-config\nwrite_files:\n- content: |\n${PEM_KEY}` }),
    fires: /host-instance: userData holds a private key in plain text/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "prod",
    case: "another private key in user data beside the host key",
    bad: (r) => userData(r, (t) => t.replace("write_files:\n", `write_files:\n  - path: /root/key\n    content: ${JSON.stringify(PEM_KEY)}\n`)),
    fires: /host-instance: userData holds a private key in plain text/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "dev",
    case: "the deploy key's private half where the host key goes",
    bad: (r) =>
      userData(r, (t, key) => t.replace(/^ {2}ed25519_private: .*$/m, `  ed25519_private: ${JSON.stringify(key("host-deploy-key").privateKeyOpenssh)}`)),
    fires: /host-instance: userData holds a private key in plain text/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "dev",
    case: "the host key beside a public half that is not its own",
    bad: (r) => userData(r, (t, key) => t.replace(/^ {2}ed25519_public: .*$/m, `  ed25519_public: ${JSON.stringify(key("host-deploy-key").publicKeyOpenssh)}`)),
    fires: /host-instance: userData holds a private key in plain text/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "dev",
    case: "the host key a second time in user data",
    bad: (r) => userData(r, (t, key) => `${t}# ${JSON.stringify(key("host-ssh-host-key").privateKeyOpenssh)}\n`),
    fires: /host-instance: userData holds a private key in plain text/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "prod",
    case: "password hash in a container's environment",
    bad: (r) => patched(r, "services-registry-container", { envs: [`HTPASSWD=ci:${BCRYPT}`] }),
    fires: /envs\[0\] holds a bcrypt password hash/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "prod",
    case: "a generated secret in a container env other than the secret channel",
    bad: (r) => {
      const pw = r.resources.find((x) => x.name === "services-registry-password")!;
      return patched(r, "services-registry-container", { envs: [`REGISTRY_HTTP_SECRET=x`, `DEBUG_PASSWORD=${(pw.state.result as { value: string }).value}`] });
    },
    fires: /services-registry-container: envs\[1\] contains the value of a generated secret/,
  },
  {
    policy: P.noPlaintextSecrets,
    stack: "prod",
    case: "a generated password on a command line",
    bad: (r) => {
      const pw = r.resources.find((x) => x.name === "services-registry-password")!;
      const value = (pw.state.result as { value: string }).value;
      return patched(r, "services-provisioned", { create: `echo ${value} | docker login` });
    },
    fires: /services-provisioned: create contains the value of a generated secret/,
  },
  {
    policy: P.logGroupRetention,
    stack: "dev",
    case: "an app's log group without a retention",
    bad: (r) => patched(r, "app-logs-web", { retentionInDays: undefined }),
    fires: /Log group \/berth\/dev\/apps\/web keeps its lines forever/,
  },
  {
    policy: P.logGroupRetention,
    stack: "prod",
    case: "a log group added with retention 0",
    bad: (r) => added(r, "network-flow-logs", P.T.logGroup, "bad-group", { name: "/berth/prod/extra", retentionInDays: 0 }),
    fires: /Log group \/berth\/prod\/extra keeps its lines forever/,
  },
  {
    policy: P.alertsConfigured,
    stack: "prod",
    case: "an alarm without an action",
    bad: (r) => patched(r, "alerts-db-cpu", { alarmActions: [] }),
    fires: /Alarm berth-prod-alarm-db-cpu has no alarm action/,
  },
  {
    policy: P.alertsConfigured,
    stack: "prod",
    case: "the system status alarm without EC2's recover action",
    bad: (r) => patched(r, "alerts-host-system-status", { alarmActions: ["arn:aws:sns:ap-northeast-2:123456789012:berth-prod-alerts"] }),
    fires: /has no StatusCheckFailed_System alarm with EC2's recover action/,
  },
  {
    policy: P.alertsConfigured,
    stack: "prod",
    case: "prod without alerts",
    bad: (r) => ({ ...r, resources: r.resources.filter((x) => x.type !== P.T.alarm) }),
    fires: /Production stack has no alarms: set berth:alerts.enabled/,
  },
  { policy: P.alertsConfigured, stack: "dev", case: "dev without alerts", bad: (r) => r, fires: null },
  {
    policy: P.logsLeastPrivilege,
    stack: "prod",
    case: "the host's app-logs policy on every log group",
    bad: (r) =>
      patched(r, "host-iam-app-logs", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: "*" }] }),
      }),
    fires: /host-iam-app-logs: grants logs:PutLogEvents on \*; limit it to the stack's own log groups/,
  },
  {
    policy: P.logsLeastPrivilege,
    stack: "dev",
    case: "the host's app-logs policy with logs:*",
    bad: (r) => {
      const arn = String(r.resources.find((x) => x.name === "app-logs-web")!.state.arn);
      return patched(r, "host-iam-app-logs", { policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "logs:*", Resource: arn } }) });
    },
    fires: /host-iam-app-logs: grants logs:\*; name the CloudWatch Logs actions/,
  },
  {
    policy: P.runTaskLeastPrivilege,
    stack: "dev",
    case: "RunTask of any task definition",
    bad: (r) =>
      patched(r, "host-iam-monitoring", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["ecs:RunTask"], Resource: "*" }] }),
      }),
    fires: /host-iam-monitoring: grants ecs:RunTask on \*; limit it to the stack's own task definition families/,
  },
  {
    policy: P.runTaskLeastPrivilege,
    stack: "prod",
    case: "ecs:* (which covers RunTask)",
    bad: (r) => patched(r, "host-iam-monitoring", { policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "ecs:*", Resource: "arn:aws:ecs:x" } }) }),
    fires: /host-iam-monitoring: grants ecs:\*, which covers ecs:RunTask or iam:PassRole/,
  },
  {
    policy: P.runTaskLeastPrivilege,
    stack: "dev",
    case: "PassRole of the host's own role to any service",
    bad: (r) => {
      const arn = String(r.resources.find((x) => x.name === "host-iam-role")!.state.arn);
      return patched(r, "host-iam-monitoring", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: arn }] }) });
    },
    fires: /host-iam-monitoring: grants iam:PassRole to any service; add an iam:PassedToService condition/,
  },
  {
    policy: P.runTaskLeastPrivilege,
    stack: "prod",
    case: "a role Scheduler assumes for any account",
    bad: (r) =>
      patched(r, "host-iam-role", {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    fires: /host-iam-role: lets EventBridge Scheduler assume it for any account's schedule; add an aws:SourceAccount condition/,
  },
];

describe("each policy fires on a bad resource", () => {
  it.each(ROWS.map((row) => [row.policy.name, row.stack, row.case, row] as const))("%s (%s): %s", async (_n, stack, _c, row) => {
    const policy = P.policies.find((p) => p.name === row.policy.name)!;
    const found = await runPolicies([policy], row.bad(runs[stack]));
    if (row.fires === null) expect(found).toEqual([]);
    else
      expect(
        found.map((v) => v.message),
        JSON.stringify(found),
      ).toEqual([expect.stringMatching(row.fires)]);
  });

  it("has a firing row for every policy", () => {
    const firing = new Set(ROWS.filter((r) => r.fires).map((r) => r.policy.name));
    expect(P.policies.map((p) => p.name).filter((n) => !firing.has(n))).toEqual([]);
  });

  it("marks the security guardrails mandatory and says what to do in every message", () => {
    for (const p of P.policies) expect(p.description.length, p.name).toBeGreaterThan(30);
    expect(P.policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name)).toEqual([P.securityGroupRulesDescribed.name]);
  });
});
