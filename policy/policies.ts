// Berth's guardrails as CrossGuard policies (@pulumi/policy). policy/index.ts builds the pack
// that `pulumi preview --policy-pack policy` runs; the unit tests run these same objects over the
// offline plan of both stacks (test/policy/). Only type imports from @pulumi/policy here, so the
// tests load this file without starting the pack's gRPC server.
//
// What a policy sees: resource policies get a resource's inputs, stack policies every resource's
// outputs, with secrets already unwrapped to plain values (so no policy can tell a Pulumi secret
// from plain text: the offline tests check the secret markers themselves). During a preview,
// values a provider assigns later are unknown; reading one makes the SDK skip that check with an
// advisory note, so the checks that need them (private IPs) run again at `pulumi up`.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { runnableFamily } from "../lib/ecsRules";
import { bundleFiles, isBundle } from "../lib/hostBundle";
import { nginxRoutes } from "../lib/nginxRead";

/** Settings every policy reads (PulumiPolicy config keys); defaults match Berth's own defaults. */
export interface BerthPolicyConfig {
  /** Stacks held to production rules (deletion protection, longer backups, no public registry port). */
  readonly productionStacks: string[];
  /** Ports never reachable from the whole internet: SSH, the Docker API, MySQL. */
  readonly adminPorts: number[];
  /** The registry's port on the host (berth:registry.port). */
  readonly registryPort: number;
  /** Minimum backup retention (days) on every stack, and on production stacks. */
  readonly minBackupDays: number;
  readonly productionMinBackupDays: number;
}

export const CONFIG_DEFAULTS: BerthPolicyConfig = {
  productionStacks: ["prod"],
  adminPorts: [22, 2376, 3306],
  registryPort: 5000,
  minBackupDays: 1,
  productionMinBackupDays: 7,
};

/** One JSON-schema property per setting, with its default (the CLI fills defaults from the schema). */
const CONFIG_SCHEMA = {
  properties: {
    productionStacks: { type: "array", items: { type: "string" }, default: CONFIG_DEFAULTS.productionStacks },
    adminPorts: { type: "array", items: { type: "integer" }, default: CONFIG_DEFAULTS.adminPorts },
    registryPort: { type: "integer", default: CONFIG_DEFAULTS.registryPort },
    minBackupDays: { type: "integer", default: CONFIG_DEFAULTS.minBackupDays },
    productionMinBackupDays: { type: "integer", default: CONFIG_DEFAULTS.productionMinBackupDays },
  },
} as const;

export const T = {
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  instance: "aws:ec2/instance:Instance",
  volume: "aws:ebs/volume:Volume",
  snapshotPolicy: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  database: "aws:rds/instance:Instance",
  route53Record: "aws:route53/record:Record",
  cloudflareRecord: "cloudflare:index/dnsRecord:DnsRecord",
  container: "docker:index/container:Container",
  command: "command:remote:Command",
  privateKey: "tls:index/privateKey:PrivateKey",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  ecsService: "aws:ecs/service:Service",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  ssmParameter: "aws:ssm/parameter:Parameter",
  vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
} as const;

type Props = Record<string, unknown>;
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const ADMIN_PORT_NAMES: Record<number, string> = { 22: "SSH", 2376: "the Docker API", 3306: "MySQL" };

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0].split(":").slice(2).join(":");
}

function config(args: { getConfig<C extends object>(): C }): BerthPolicyConfig {
  return { ...CONFIG_DEFAULTS, ...args.getConfig<Partial<BerthPolicyConfig>>() };
}

function isProduction(urn: string, cfg: BerthPolicyConfig): boolean {
  return cfg.productionStacks.includes(stackOfUrn(urn));
}

/** An ingress permission in any of the forms AWS resources express it. */
export interface IngressPermission {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrs: string[];
  readonly description: string;
  /** True when the source is another security group or a prefix list rather than CIDRs. */
  readonly otherSource: boolean;
}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" ? v : v === undefined || v === null || v === "" ? fallback : Number(v);
}

/** A property as text: strings as they are, numbers and booleans printed, `fallback` for anything else. */
function str(v: unknown, fallback = ""): string {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : fallback;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" && v !== "" ? [v] : [];
}

function permission(p: Props, protocolKey: string, cidrKeys: string[]): IngressPermission {
  const protocol = str(p[protocolKey]).toLowerCase();
  const all = protocol === "-1" || protocol === "all";
  return {
    protocol: all ? "all" : protocol === "6" ? "tcp" : protocol === "17" ? "udp" : protocol,
    fromPort: all ? 0 : num(p.fromPort, 0),
    toPort: all ? 65535 : num(p.toPort, 65535),
    cidrs: cidrKeys.flatMap((k) => strings(p[k])),
    description: typeof p.description === "string" ? p.description : "",
    otherSource:
      strings(p.referencedSecurityGroupId).length +
        strings(p.sourceSecurityGroupId).length +
        strings(p.prefixListId).length +
        strings(p.prefixListIds).length +
        strings(p.securityGroups).length >
        0 || p.self === true,
  };
}

/** The ingress permissions a resource opens (standalone rules and inline `ingress` blocks). */
export function ingressPermissions(type: string, p: Props): IngressPermission[] {
  switch (type) {
    case T.ingressRule:
      return [permission(p, "ipProtocol", ["cidrIpv4", "cidrIpv6"])];
    case T.sgRule:
      return p.type === "ingress" ? [permission(p, "protocol", ["cidrBlocks", "ipv6CidrBlocks"])] : [];
    case T.securityGroup:
    case T.defaultSecurityGroup:
      return (Array.isArray(p.ingress) ? (p.ingress as Props[]) : []).map((r) => permission(r, "protocol", ["cidrBlocks", "ipv6CidrBlocks"]));
    default:
      return [];
  }
}

/** Every rule a resource holds, ingress or egress (for the description check). */
function allPermissions(type: string, p: Props): IngressPermission[] {
  switch (type) {
    case T.egressRule:
      return [permission(p, "ipProtocol", ["cidrIpv4", "cidrIpv6"])];
    case T.sgRule:
      return [permission(p, "protocol", ["cidrBlocks", "ipv6CidrBlocks"])];
    case T.securityGroup:
    case T.defaultSecurityGroup:
      return [
        ...ingressPermissions(type, p),
        ...(Array.isArray(p.egress) ? (p.egress as Props[]) : []).map((r) => permission(r, "protocol", ["cidrBlocks", "ipv6CidrBlocks"])),
      ];
    default:
      return ingressPermissions(type, p);
  }
}

const covers = (r: IngressPermission, port: number): boolean => (r.protocol === "all" || r.protocol === "tcp") && port >= r.fromPort && port <= r.toPort;

/** A resource policy that applies to some types only (others are reported not applicable). */
function forTypes(types: readonly string[], check: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    if (!types.includes(args.type)) args.notApplicable(`applies to ${types.join(", ")}`);
    check(args.props as Props, args, report);
  };
}

export const noAdminPortsFromWorld: ResourceValidationPolicy = {
  name: "berth-no-admin-ports-from-world",
  description: "SSH, the Docker API and the database port are never open to 0.0.0.0/0 or ::/0; no rule admits all traffic from the world.",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateResource: forTypes([T.ingressRule, T.sgRule, T.securityGroup, T.defaultSecurityGroup], (props, args, report) => {
    const cfg = config(args);
    for (const r of ingressPermissions(args.type, props)) {
      for (const cidr of r.cidrs.filter((c) => WORLD.has(c))) {
        if (r.protocol === "all") {
          report(`Rule admits all traffic from ${cidr}. Open single ports, and SSH/Docker API/database only from berth:firewall.adminCidrs.`);
          continue;
        }
        for (const port of cfg.adminPorts.filter((p) => covers(r, p))) {
          report(
            `Port ${port} (${ADMIN_PORT_NAMES[port] ?? "admin port"}) is open to ${cidr}. It must be reachable from the admin networks only (berth:firewall.adminCidrs).`,
          );
        }
      }
    }
  }),
};

export const securityGroupRulesDescribed: ResourceValidationPolicy = {
  name: "berth-security-group-rules-described",
  description: "Every security-group rule carries a description that says what it is for.",
  enforcementLevel: "advisory",
  validateResource: forTypes([T.ingressRule, T.egressRule, T.sgRule, T.securityGroup, T.defaultSecurityGroup], (props, args, report) => {
    for (const r of allPermissions(args.type, props)) {
      if (r.description.trim().length < 6) {
        report(
          `Rule ${r.protocol} ${r.fromPort}-${r.toPort} has no description (or one under 6 characters): say what the rule is for, e.g. "SSH from admin networks".`,
        );
      }
    }
  }),
};

export const databaseEncryptedAndPrivate: ResourceValidationPolicy = {
  name: "berth-database-encrypted-private",
  description: "The database's storage is encrypted and it is never publicly accessible.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([T.database], (props, _args, report) => {
    if (props.storageEncrypted !== true)
      report("Database storage is not encrypted (storageEncrypted must be true; it cannot be turned on later without a new instance).");
    if (props.publiclyAccessible === true) report("Database is publicly accessible: it must only be reachable inside the VPC, from the host.");
  }),
};

export const databaseBackups: ResourceValidationPolicy = {
  name: "berth-database-backups",
  description: "The database keeps automated backups (longer on production stacks).",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateResource: forTypes([T.database], (props, args, report) => {
    const cfg = config(args);
    const min = isProduction(args.urn, cfg) ? cfg.productionMinBackupDays : cfg.minBackupDays;
    const days = num(props.backupRetentionPeriod, 0);
    if (days < min) report(`Database keeps ${days} day(s) of backups; this stack needs at least ${min} (berth:database.backupRetentionDays).`);
  }),
};

export const databaseDeletionProtection: ResourceValidationPolicy = {
  name: "berth-database-deletion-protection",
  description: "On production stacks the database has deletion protection on and takes a final snapshot.",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateResource: forTypes([T.database], (props, args, report) => {
    if (!isProduction(args.urn, config(args))) return;
    if (props.deletionProtection !== true) report("Production database without deletion protection (berth:database.deletionProtection must be true).");
    if (props.skipFinalSnapshot === true)
      report("Production database would be deleted without a final snapshot (berth:database.skipFinalSnapshot must be false).");
  }),
};

export const instanceImdsv2: ResourceValidationPolicy = {
  name: "berth-instance-imdsv2",
  description: "Every EC2 instance requires IMDSv2 session tokens.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([T.instance], (props, _args, report) => {
    const md = (props.metadataOptions ?? {}) as Props;
    if (md.httpTokens !== "required")
      report(`Instance metadata accepts IMDSv1 (metadataOptions.httpTokens is ${JSON.stringify(md.httpTokens ?? "unset")}, must be "required").`);
  }),
};

export const encryptedVolumes: ResourceValidationPolicy = {
  name: "berth-encrypted-volumes",
  description: "Every EBS volume (root, attached or standalone) is encrypted.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([T.instance, T.volume], (props, args, report) => {
    if (args.type === T.volume) {
      if (props.encrypted !== true) report("EBS volume is not encrypted (encrypted must be true).");
      return;
    }
    if (((props.rootBlockDevice ?? {}) as Props).encrypted !== true) report("Root volume is not encrypted (rootBlockDevice.encrypted must be true).");
    for (const v of (Array.isArray(props.ebsBlockDevices) ? props.ebsBlockDevices : []) as Props[]) {
      if (v.encrypted !== true) report(`EBS volume ${str(v.deviceName)} is not encrypted.`);
    }
  }),
};

export const registryPortNotPublicInProd: ResourceValidationPolicy = {
  name: "berth-registry-port-not-public-in-prod",
  description:
    "On production stacks the registry's own port is neither open to the world nor published on a public address: images go through nginx's TLS name.",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateResource: forTypes([T.ingressRule, T.sgRule, T.securityGroup, T.defaultSecurityGroup, T.container], (props, args, report) => {
    const cfg = config(args);
    if (!isProduction(args.urn, cfg)) return;
    if (args.type === T.container) {
      // The image input is an image id (sha256:...), so know the registry by its port or its name.
      const ports = (Array.isArray(props.ports) ? props.ports : []) as Props[];
      const isRegistry = /registry/.test(str(props.name)) || ports.some((p) => num(p.internal, 0) === cfg.registryPort);
      if (!isRegistry) return;
      for (const p of ports) {
        const ip = str(p.ip, "0.0.0.0");
        if (ip !== "127.0.0.1" && ip !== "::1")
          report(
            `Registry container publishes port ${String(p.external ?? p.internal)} on ${ip}: bind it to 127.0.0.1 and reach it through nginx (berth:registry.expose: proxy).`,
          );
      }
      return;
    }
    for (const r of ingressPermissions(args.type, props)) {
      for (const cidr of r.cidrs.filter((c) => WORLD.has(c))) {
        if (covers(r, cfg.registryPort))
          report(`Registry port ${cfg.registryPort} is open to ${cidr} on a production stack: push through nginx (https://<registry hostname>) instead.`);
      }
    }
  }),
};

export const logGroupRetention: ResourceValidationPolicy = {
  name: "berth-log-group-retention",
  description:
    "Every CloudWatch Logs group has a retention: without one CloudWatch keeps (and bills) its lines forever, and nobody decided how long logs live.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([T.logGroup], (props, _args, report) => {
    const days = num(props.retentionInDays, 0);
    if (!(days > 0))
      report(
        `Log group ${str(props.name, "(unnamed)")} keeps its lines forever (retentionInDays is unset or 0): set a retention (berth:proxy.appLogRetentionDays, berth:network.flowLogRetentionDays, berth:database.logRetentionDays).`,
      );
  }),
};

/** The Allow statements of an IAM policy document (a JSON string), actions and resources as lists; [] when it is not one. */
export function allowStatements(doc: unknown): Array<{ actions: string[]; resources: string[] }> {
  if (typeof doc !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return [];
  }
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : v === undefined ? [] : [typeof v === "string" ? v : JSON.stringify(v)];
  const statements = (parsed as { Statement?: unknown }).Statement;
  return (Array.isArray(statements) ? statements : [statements])
    .filter((x): x is Record<string, unknown> => !!x && typeof x === "object" && (x as Record<string, unknown>).Effect === "Allow")
    .map((x) => ({ actions: list(x.Action), resources: list(x.Resource) }));
}

export const logsLeastPrivilege: StackValidationPolicy = {
  name: "berth-logs-least-privilege",
  description:
    "IAM policies of the stack grant CloudWatch Logs actions by name (never logs:* or *) and only on the stack's own log groups and their streams (never *), so the host can write the apps' logs and nothing else. logs:DescribeLogGroups, which has no resource-level permissions and reads no log events, may take *.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const groups = args.resources.filter((r) => r.type === T.logGroup).map((r) => String(r.props.arn ?? "").replace(/:\*$/, ""));
    const own = (arn: string): boolean => groups.some((g) => g !== "" && (arn === g || arn === `${g}:*` || arn === `${g}:log-stream:*`));
    for (const r of args.resources.filter((x) => x.type === T.rolePolicy || x.type === T.iamPolicy)) {
      for (const st of allowStatements(r.props.policy)) {
        const logs = st.actions.filter((a) => a === "*" || a.toLowerCase().startsWith("logs:"));
        if (logs.length === 0) continue;
        const wild = logs.filter((a) => a.includes("*"));
        if (wild.length > 0)
          report(
            `${r.name}: grants ${wild.join(", ")}; name the CloudWatch Logs actions the host needs (e.g. logs:CreateLogStream, logs:PutLogEvents).`,
            r.urn,
          );
        // DescribeLogGroups takes "*" only (Service Authorization Reference); it lists names and settings.
        const scoped = logs.filter((a) => a.toLowerCase() !== "logs:describeloggroups");
        const foreign = scoped.length === 0 ? [] : st.resources.filter((x) => !own(x));
        if (foreign.length > 0)
          report(
            `${r.name}: grants ${scoped.join(", ")} on ${foreign.join(", ")}; limit it to the stack's own log groups (their ARNs and :log-stream:*).`,
            r.urn,
          );
      }
    }
  },
};

/** The Allow statements of a policy document with their conditions (as JSON text), for the rules that read them. */
function conditionsOf(doc: unknown): string[] {
  if (typeof doc !== "string") return [];
  try {
    const statements = (JSON.parse(doc) as { Statement?: unknown }).Statement;
    return (Array.isArray(statements) ? statements : [statements])
      .filter((x): x is Record<string, unknown> => !!x && typeof x === "object" && (x as Record<string, unknown>).Effect === "Allow")
      .map((x) => JSON.stringify(x.Condition ?? {}));
  } catch {
    return [];
  }
}

/** Whether an IAM action pattern (`*` and `?` wildcards, any case) covers `action`. */
function actionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test(action);
}

export const runTaskLeastPrivilege: StackValidationPolicy = {
  name: "berth-run-task-least-privilege",
  description:
    "IAM policies of the stack grant ecs:RunTask and iam:PassRole by name (never ecs:*, iam:* or *), RunTask only on the stack's own task definition families (a part's family, where the deploys register; never the `-shape` family of the stack's own revisions, whose image is a placeholder) and PassRole only on the stack's own roles and only to ECS tasks (iam:PassedToService), so a job's schedule can start its part's task and nothing else; a role EventBridge Scheduler may assume trusts it only for the stack's own account (aws:SourceAccount).",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    // The stack's task definitions are its parts' shapes; what may run is each one's part family (lib/ecsRules.ts).
    const families = args.resources.filter((r) => r.type === T.taskDefinition).map((r) => runnableFamily(String(r.props.arn ?? "").replace(/:\d+$/, "")));
    const ownFamily = (arn: string): boolean =>
      families.some((f) => f !== "" && (arn === f || (arn.startsWith(`${f}:`) && /^(\*|\d+)$/.test(arn.slice(f.length + 1)))));
    const roles = new Set(args.resources.filter((r) => r.type === T.role).map((r) => String(r.props.arn ?? "")));
    for (const r of args.resources.filter((x) => x.type === T.rolePolicy || x.type === T.iamPolicy)) {
      const conditions = conditionsOf(r.props.policy);
      allowStatements(r.props.policy).forEach((st, i) => {
        const wide = st.actions.filter((a) => a.includes("*") && (actionCovers(a, "ecs:RunTask") || actionCovers(a, "iam:PassRole")));
        if (wide.length > 0) report(`${r.name}: grants ${wide.join(", ")}, which covers ecs:RunTask or iam:PassRole; name the actions instead.`, r.urn);
        if (st.actions.some((a) => a.toLowerCase() === "ecs:runtask")) {
          const foreign = st.resources.filter((x) => !ownFamily(x));
          if (foreign.length > 0)
            report(`${r.name}: grants ecs:RunTask on ${foreign.join(", ")}; limit it to the stack's own task definition families.`, r.urn);
        }
        if (st.actions.some((a) => a.toLowerCase() === "iam:passrole")) {
          const foreign = st.resources.filter((x) => !roles.has(x));
          if (foreign.length > 0) report(`${r.name}: grants iam:PassRole on ${foreign.join(", ")}; limit it to the stack's own roles.`, r.urn);
          if (!(conditions[i] ?? "").includes("iam:PassedToService"))
            report(`${r.name}: grants iam:PassRole to any service; add an iam:PassedToService condition (ecs-tasks.amazonaws.com).`, r.urn);
        }
      });
    }
    for (const role of args.resources.filter((x) => x.type === T.role)) {
      const trust = typeof role.props.assumeRolePolicy === "string" ? role.props.assumeRolePolicy : "";
      if (trust.includes("scheduler.amazonaws.com") && !trust.includes("aws:SourceAccount"))
        report(
          `${role.name}: lets EventBridge Scheduler assume it for any account's schedule; add an aws:SourceAccount condition with the stack's account.`,
          role.urn,
        );
    }
  },
};

/** Host files Berth delivers in command bundles (the plain-text ones: a secret bundle reads the same to a policy). */
function deliveredFiles(resources: readonly PolicyResource[]): Array<{ path: string; content: string }> {
  return resources
    .filter((r) => r.type === T.command && typeof r.props.stdin === "string" && isBundle(r.props.stdin))
    .flatMap((r) => bundleFiles(r.props.stdin as string));
}

/** The names nginx serves the registry under: sites proxying to an upstream on the registry port. */
export function registryNames(files: ReadonlyArray<{ path: string; content: string }>, registryPort: number): string[] {
  const routes = nginxRoutes(files.filter((f) => f.path.startsWith("/etc/nginx/")));
  const target = (t: string): boolean => t.endsWith(`:${registryPort}`);
  const toRegistry = (pass: string | undefined): boolean => pass !== undefined && (target(pass) || (routes.upstreams[pass] ?? []).some(target));
  return [...new Set(routes.sites.filter((s) => s.routes.some((r) => toRegistry(r.proxyPass))).flatMap((s) => s.names))].filter((n) => n !== "_");
}

const fqdn = (n: string): string => n.replace(/\.$/, "").toLowerCase();

export const registryNameNotProxied: StackValidationPolicy = {
  name: "berth-registry-name-not-cloudflare-proxied",
  description:
    "The registry's name, and every name it resolves through, is never a proxied Cloudflare record (Cloudflare's proxy caps request bodies at 100 MB, which breaks image pushes).",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = config(args);
    const names = registryNames(deliveredFiles(args.resources), cfg.registryPort).map(fqdn);
    if (names.length === 0) return;
    // Follow CNAMEs from the registry name: a proxied record anywhere on that path proxies it too.
    const cname = new Map<string, string>();
    for (const r of args.resources) {
      if (r.type === T.route53Record && r.props.type === "CNAME") cname.set(fqdn(String(r.props.name)), fqdn(strings(r.props.records)[0] ?? ""));
      if (r.type === T.cloudflareRecord && r.props.type === "CNAME") cname.set(fqdn(String(r.props.name)), fqdn(String(r.props.content ?? "")));
    }
    const path = new Set<string>();
    for (let n of names)
      for (let hops = 0; n && !path.has(n) && hops < 16; hops++) {
        path.add(n);
        n = cname.get(n) ?? "";
      }
    for (const r of args.resources.filter((x) => x.type === T.cloudflareRecord && x.props.proxied === true)) {
      const name = fqdn(String(r.props.name));
      if (path.has(name))
        report(
          `Cloudflare record ${name} is proxied, but the registry (${names.join(", ")}) resolves through it: Cloudflare's proxy caps request bodies at 100 MB. Set proxied: false.`,
          r.urn,
        );
    }
  },
};

/**
 * Fields that hold credentials by design and that Pulumi keeps secret: provider outputs the SDK
 * marks secret, inputs the provider schema marks sensitive, and command stdin, which Berth sends
 * as a secret whenever a bundle carries keys (the offline tests check that marker, which a policy
 * cannot see). Key material anywhere else is in plain text: user data, tags, command lines,
 * triggers, container settings, DNS records.
 */
export const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
  "tls:index/selfSignedCert:SelfSignedCert": ["privateKeyPem"],
  "tls:index/certRequest:CertRequest": ["privateKeyPem"],
  "tls:index/locallySignedCert:LocallySignedCert": ["caPrivateKeyPem"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "aws:rds/instance:Instance": ["password"],
  "command:remote:Command": ["connection", "stdin"],
  "pulumi:providers:docker": ["keyMaterial"],
  "pulumi:providers:cloudflare": ["apiToken"],
};

/**
 * Container environment variables that are a secret channel by design: Berth sends each as a
 * Pulumi secret (test/policy/policies.test.ts checks the marker, which policies cannot see). Only
 * these names may carry a generated secret; every other env entry is checked like any field.
 */
export const SECRET_ENV_NAMES: readonly string[] = ["REGISTRY_HTTP_SECRET"];

/** Credential shapes that are never fine in plain text. */
export const CREDENTIAL_PATTERNS: ReadonlyArray<{ readonly what: string; readonly re: RegExp }> = [
  { what: "a private key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { what: "a bcrypt password hash", re: /\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}/ },
  { what: "an AWS secret access key", re: /aws_secret_access_key\s*[=:]\s*\S{20,}/i },
];

/**
 * The one key user data may carry, and only in the host's own user data: the host's SSH host key,
 * which cloud-init installs from `ssh_keys` (components/render/cloudInit.ts) so that the stack can
 * publish the host's known_hosts line before the host exists. The instance's userData is a Pulumi
 * secret; the README says who can still read it. The exemption is exact: the `ed25519_private`
 * line must hold the privateKeyOpenssh of an ED25519 tls.PrivateKey of this stack whose own public
 * half is on the `ed25519_public` line. That line is blanked out before the usual checks, so any
 * other key, or this key anywhere else in user data, is still reported.
 */
export function withoutHostKey(userData: string, resources: readonly PolicyResource[]): string {
  const line = (key: string): { text: string; value: string } | undefined => {
    const m = new RegExp(`^ {2}${key}: (".*")$`, "m").exec(userData);
    if (!m) return undefined;
    try {
      const value: unknown = JSON.parse(m[1]);
      return typeof value === "string" ? { text: m[0], value } : undefined;
    } catch {
      return undefined;
    }
  };
  const priv = line("ed25519_private");
  const pub = line("ed25519_public");
  if (!priv || !pub) return userData;
  const own = resources.some(
    (k) =>
      k.type === T.privateKey &&
      k.props.algorithm === "ED25519" &&
      k.props.privateKeyOpenssh === priv.value &&
      typeof k.props.publicKeyOpenssh === "string" &&
      k.props.publicKeyOpenssh.trim() === pub.value.trim(),
  );
  return own ? userData.replace(priv.text, "  ed25519_private: (the stack's SSH host key)") : userData;
}

function walkStrings(v: unknown, path: string, visit: (path: string, s: string) => void): void {
  if (typeof v === "string") visit(path, v);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, `${path}[${i}]`, visit));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walkStrings(x, path ? `${path}.${k}` : k, visit);
}

export const noPlaintextSecrets: StackValidationPolicy = {
  name: "berth-no-plaintext-secrets",
  description:
    "Keys, passwords and password hashes appear only in fields Pulumi keeps secret, never in user data (but for the host's own SSH host key), tags, command lines, container settings or DNS records.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    // Stack outputs and component outputs are not resource inputs (outputs have their own contract).
    const resources = args.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("berth:"));
    const known = new Set<string>();
    for (const r of resources) {
      for (const f of SECRET_FIELDS[r.type] ?? []) {
        const v: unknown = r.props[f];
        if (typeof v === "string" && v.length >= 8 && r.type !== T.command) known.add(v);
      }
    }
    for (const r of resources) {
      const allowed = new Set(SECRET_FIELDS[r.type] ?? []);
      // An SSM SecureString's value is a secret channel by design (KMS-encrypted; a secret in state); a String's is not.
      if (r.type === T.ssmParameter && r.props.type === "SecureString") allowed.add("value");
      for (const [field, raw] of Object.entries(r.props)) {
        if (allowed.has(field)) continue;
        const value: unknown = r.type === T.instance && field === "userData" && typeof raw === "string" ? withoutHostKey(raw, resources) : raw;
        walkStrings(value, field, (path, s) => {
          for (const p of CREDENTIAL_PATTERNS)
            if (p.re.test(s))
              report(`${r.name}: ${path} holds ${p.what} in plain text. Deliver it over a secret channel (a secret command stdin), never in ${path}.`, r.urn);
          const secretEnv = r.type === "docker:index/container:Container" && /^envs\[\d+\]$/.test(path) && SECRET_ENV_NAMES.some((n) => s.startsWith(`${n}=`));
          if (!secretEnv)
            for (const k of known)
              if (s.includes(k)) {
                report(`${r.name}: ${path} contains the value of a generated secret in plain text.`, r.urn);
                break;
              }
        });
      }
    }
  },
};

export const databaseFromHostOnly: StackValidationPolicy = {
  name: "berth-database-from-host-only",
  description:
    "The database's security groups admit only the host's private IP as a /32 and, with apps on ECS, the ECS tasks' own security group, and nothing else.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const hostIps = new Set(args.resources.filter((r) => r.type === T.instance).map((r) => `${String(r.props.privateIp)}/32`));
    const taskGroups = ecsTaskGroups(args.resources);
    for (const db of args.resources.filter((r) => r.type === T.database)) {
      const groups = args.resources.filter((r) => (r.type === T.securityGroup || r.type === T.defaultSecurityGroup) && dependsOn(db, "vpcSecurityGroupIds", r));
      if (groups.length === 0) report(`Database ${db.name} has no security group of this stack: its network access is not under review.`, db.urn);
      for (const sg of groups) {
        for (const r of ingressPermissions(sg.type, sg.props))
          report(
            `Database security group ${sg.name} has an inline ingress rule (${r.protocol} ${r.fromPort}); admit the host with a separate /32 rule only.`,
            sg.urn,
          );
        for (const rule of args.resources.filter((r) => (r.type === T.ingressRule || r.type === T.sgRule) && dependsOn(r, "securityGroupId", sg))) {
          for (const p of ingressPermissions(rule.type, rule.props)) {
            if (p.otherSource && !admitsOnlyTaskGroup(rule, taskGroups))
              report(
                `${rule.name} admits another security group or prefix list to the database; only the host's private IP /32 and the ECS tasks' security group may connect.`,
                rule.urn,
              );
            for (const c of p.cidrs)
              if (!hostIps.has(c))
                report(`${rule.name} admits ${c} to the database; only the host's private IP (${[...hostIps].join(", ") || "none"}) may connect.`, rule.urn);
          }
        }
      }
    }
  },
};

/** The tags a resource carries as a policy sees them (its own, or all of them with the provider's defaults). */
function tagsOf(r: PolicyResource): Record<string, string> {
  const t = (r.props.tagsAll ?? r.props.tags ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, str(v)]));
}

/** Whether an enabled DLM policy snapshots `volume`: it targets volumes, every target tag is on it, and a schedule keeps snapshots. */
function snapshots(policy: PolicyResource, volume: PolicyResource): boolean {
  const d = (policy.props.policyDetails ?? {}) as Props;
  const targets = Object.entries((d.targetTags ?? {}) as Record<string, unknown>);
  const tags = tagsOf(volume);
  const schedules = (Array.isArray(d.schedules) ? d.schedules : []) as Props[];
  return (
    str(policy.props.state, "ENABLED") === "ENABLED" &&
    strings(d.resourceTypes ?? ["VOLUME"]).includes("VOLUME") &&
    targets.length > 0 &&
    targets.every(([k, v]) => tags[k] === str(v)) &&
    schedules.some((sc) => num(((sc.retainRule ?? {}) as Props).count, 0) > 0 || num(((sc.retainRule ?? {}) as Props).interval, 0) > 0)
  );
}

export const dataVolumeSnapshottedInProd: StackValidationPolicy = {
  name: "berth-data-volume-encrypted-snapshotted-in-prod",
  description:
    "On production stacks every standalone EBS volume (the host's data volume) is encrypted and snapshotted by an enabled Data Lifecycle Manager policy that targets it by tag and keeps its snapshots.",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = config(args);
    const policies = args.resources.filter((r) => r.type === T.snapshotPolicy);
    for (const v of args.resources.filter((r) => r.type === T.volume && isProduction(r.urn, cfg))) {
      if (v.props.encrypted !== true) report(`Data volume ${v.name} is not encrypted on a production stack (encrypted must be true).`, v.urn);
      if (!policies.some((p) => snapshots(p, v)))
        report(
          `Data volume ${v.name} has no daily snapshots on a production stack: no enabled DLM policy targets its tags and keeps snapshots (set berth:host.dataVolume.snapshots).`,
          v.urn,
        );
    }
  },
};

export const alertsConfigured: StackValidationPolicy = {
  name: "berth-alerts-configured",
  description:
    "Every CloudWatch alarm notifies someone (an alarm action), and a production stack has alarms (berth:alerts), among them EC2's recover action on the host's system status check.",
  enforcementLevel: "mandatory",
  configSchema: CONFIG_SCHEMA,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = config(args);
    const alarms = args.resources.filter((r) => r.type === T.alarm);
    for (const a of alarms)
      if (strings(a.props.alarmActions).length === 0)
        report(`Alarm ${str(a.props.name, a.name)} has no alarm action: it would change state and tell nobody. Give it the stack's topic.`, a.urn);
    for (const host of args.resources.filter((r) => r.type === T.instance && isProduction(r.urn, cfg))) {
      const recovers = alarms.some(
        (a) =>
          a.props.metricName === "StatusCheckFailed_System" &&
          ((a.propertyDependencies.dimensions ?? []).some((d) => d.urn === host.urn) ||
            (host.props.id !== undefined && (a.props.dimensions as Props | undefined)?.InstanceId === host.props.id)) &&
          strings(a.props.alarmActions).some((x) => /^arn:aws[a-z-]*:automate:[a-z0-9-]+:ec2:recover$/.test(x)),
      );
      if (alarms.length === 0)
        report(
          `Production stack has no alarms: set berth:alerts.enabled with berth:alerts.email (or snsTopicArn), so a full disk or a stopped service is noticed before users notice it.`,
          host.urn,
        );
      else if (!recovers)
        report(
          `Host ${host.name} has no StatusCheckFailed_System alarm with EC2's recover action (arn:aws:automate:<region>:ec2:recover): a hardware fault would leave it down.`,
          host.urn,
        );
    }
  },
};

type DependsOn = (r: PolicyResource, prop: string, target: PolicyResource) => boolean;

/** `r`'s property `prop` comes from `target` (recorded as a dependency, or holding its id once ids are known). */
const dependsOn: DependsOn = (r, prop, target) =>
  (r.propertyDependencies[prop] ?? []).some((d) => d.urn === target.urn) ||
  (target.props.id !== undefined && strings(r.props[prop]).includes(String(target.props.id)));

/** The security groups ECS services of the stack run their tasks in (networkConfiguration.securityGroups). */
function ecsTaskGroups(resources: readonly PolicyResource[]): PolicyResource[] {
  const services = resources.filter((r) => r.type === T.ecsService);
  return resources.filter(
    (g) =>
      g.type === T.securityGroup &&
      services.some((s) => {
        const network = s.props.networkConfiguration as Props | undefined;
        return (
          (s.propertyDependencies.networkConfiguration ?? []).some((d) => d.urn === g.urn) ||
          (g.props.id !== undefined && strings(network?.securityGroups).includes(String(g.props.id)))
        );
      }) &&
      // Only groups that serve tasks and nothing else: no instance runs in them.
      !resources.some((i) => i.type === T.instance && dependsOn(i, "vpcSecurityGroupIds", g)),
  );
}

/** The rule's one source is a group ECS tasks run in (no prefix list, no other group, no self). */
function admitsOnlyTaskGroup(rule: PolicyResource, taskGroups: readonly PolicyResource[]): boolean {
  const p = rule.props;
  if (strings(p.prefixListId).length + strings(p.sourceSecurityGroupId).length + strings(p.securityGroups).length > 0 || p.self === true) return false;
  const referenced = strings(p.referencedSecurityGroupId);
  if (referenced.length > 1) return false;
  const ids = taskGroups.flatMap((g) => (g.props.id === undefined ? [] : [String(g.props.id)]));
  // Ids known (an update): the referenced id must be a task group's.
  if (referenced.length === 1 && taskGroups.length > 0 && ids.length === taskGroups.length) return ids.includes(referenced[0]);
  // Otherwise (a first preview, or props without ids): the group the value comes from must be a task group.
  const sources = rule.propertyDependencies.referencedSecurityGroupId ?? [];
  return sources.length > 0 && sources.every((d) => taskGroups.some((g) => g.urn === d.urn));
}

export const vpcEndpointsFromTasksOnly: StackValidationPolicy = {
  name: "berth-vpc-endpoints-from-tasks-only",
  description:
    "The security groups of interface VPC endpoints (private task subnets) admit HTTPS (tcp 443) only, and only from the ECS tasks' own security group: no CIDR, no other group or prefix list, no inline rule.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const taskGroups = ecsTaskGroups(args.resources);
    for (const endpoint of args.resources.filter((r) => r.type === T.vpcEndpoint && str(r.props.vpcEndpointType) === "Interface")) {
      const groups = args.resources.filter((r) => r.type === T.securityGroup && dependsOn(endpoint, "securityGroupIds", r));
      if (groups.length === 0)
        report(`Interface endpoint ${endpoint.name} has no security group of this stack: who reaches it is not under review.`, endpoint.urn);
      for (const sg of groups) {
        for (const r of ingressPermissions(sg.type, sg.props))
          report(
            `Endpoint security group ${sg.name} has an inline ingress rule (${r.protocol} ${r.fromPort}); admit the tasks' group with a separate rule only.`,
            sg.urn,
          );
        for (const rule of args.resources.filter((r) => (r.type === T.ingressRule || r.type === T.sgRule) && dependsOn(r, "securityGroupId", sg)))
          for (const p of ingressPermissions(rule.type, rule.props)) {
            if (p.protocol !== "tcp" || p.fromPort !== 443 || p.toPort !== 443)
              report(`${rule.name} opens ${p.protocol} ${p.fromPort}-${p.toPort} on the VPC endpoints; they answer HTTPS (tcp 443) only.`, rule.urn);
            for (const c of p.cidrs) report(`${rule.name} admits ${c} to the VPC endpoints; only the ECS tasks' security group may connect.`, rule.urn);
            if (p.otherSource && !admitsOnlyTaskGroup(rule, taskGroups))
              report(
                `${rule.name} admits another security group or prefix list to the VPC endpoints; only the ECS tasks' security group may connect.`,
                rule.urn,
              );
          }
      }
    }
  },
};

/** Every Berth policy, in the order the pack lists them. */
export const policies: ReadonlyArray<ResourceValidationPolicy | StackValidationPolicy> = [
  noAdminPortsFromWorld,
  databaseFromHostOnly,
  vpcEndpointsFromTasksOnly,
  databaseEncryptedAndPrivate,
  databaseBackups,
  databaseDeletionProtection,
  instanceImdsv2,
  encryptedVolumes,
  dataVolumeSnapshottedInProd,
  securityGroupRulesDescribed,
  registryPortNotPublicInProd,
  registryNameNotProxied,
  noPlaintextSecrets,
  logGroupRetention,
  logsLeastPrivilege,
  runTaskLeastPrivilege,
  alertsConfigured,
];
