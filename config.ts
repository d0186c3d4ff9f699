// Berth configuration: the schema of every `berth:` key, its defaults, and validation.
//
// `parseConfig` is pure (raw key/value map in, typed Config or ConfigError out) so it can be
// table-tested without Pulumi; `loadConfig` is the thin shell that reads the Pulumi runtime.
// Every difference between dev and prod is a value here, never a code branch.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { contains, formatCidr, overlaps, parseCidr, subnet, type Cidr } from "./components/cidr";
import { NAME_LIMITS, physicalName } from "./components/naming";
import { CLOUDFLARE_AUTO_TTL, CLOUDFLARE_MIN_TTL, owningZone, planRecords, recordFqdn, resolutionChain, resolveTarget } from "./components/dnsPlan";
import { servedNames, validateProvidedTls } from "./components/certificates";
import {
  backupWindowProblem, CLOUDFLARE_COMMENT_MAX, ec2TextProblem, ENGINE_LIFECYCLE, isReservedName, minMaxAllocatedStorage, MYSQL_MAJOR_VERSIONS,
  mysqlMajor, ROUTE53_COMMENT_MAX, tagKeyProblem, TAGS_PER_RESOURCE, tagValueProblem,
} from "./lib/apiRules";
import { recordComment } from "./components/dnsPlan";

// ---------------------------------------------------------------------------------------------
// Shared validators (exported so tests and components can reuse them)

export const INSTANCE_TYPE = /^(?:[a-z]+\d+[a-z0-9-]*|u-\d+tb\d)\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;
export const DB_INSTANCE_CLASS = /^db\.(?:[a-z]+\d+[a-z0-9-]*)\.(?:micro|small|medium|large|\d*xlarge)$/;
export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True for a lower-case DNS name of at least two labels (e.g. example.com). */
export function isDomainName(s: string): boolean {
  return s.length <= 253 && s.split(".").length >= 2 && s.split(".").every((l) => DNS_LABEL.test(l));
}

/** True for a record name relative to its zone: "@" (apex), "www", "*.apps", "a.b". */
export function isRelativeRecordName(s: string): boolean {
  if (s === "@") return true;
  const labels = s.split(".");
  return labels.every((l, i) => DNS_LABEL.test(l) || (i === 0 && l === "*"));
}

const port = z.number().int().min(1).max(65535);
const cidrString = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "must be an IPv4 CIDR like 10.0.0.0/16 with the host bits clear",
});

// ---------------------------------------------------------------------------------------------
// Sections. Every field: type, default where sensible, one line of why.

const NetworkSchema = z.strictObject({
  /** VPC block. Each stack gets its own VPC; give dev and prod different blocks so they can be peered later. */
  vpcCidr: cidrString.default("10.0.0.0/16"),
  /** Two AZs for the two public subnets; default: the first two the region reports. */
  availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "must be an AZ name like ap-northeast-2a")).length(2).optional(),
  /** Public subnets (host); default: the first two /(vpc+4) blocks of the VPC. */
  publicSubnetCidrs: z.array(cidrString).length(2).optional(),
  /** Private subnets for the database (no internet route); default: the third and fourth /(vpc+4) blocks. */
  databaseSubnetCidrs: z.array(cidrString).length(2).optional(),
});

const IngressRuleSchema = z.strictObject({
  port,
  /** Last port of a range; default: same as `port`. */
  toPort: port.optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  /** `anywhere` = 0.0.0.0/0; `admin` = the admin CIDRs. */
  from: z.enum(["anywhere", "admin"]),
  /** Carried into AWS as the rule's description: EC2's character set, 255 at most. */
  description: z.string().superRefine((d, ctx) => {
    const problem = ec2TextProblem(d);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
});

const FirewallSchema = z.strictObject({
  /** Networks allowed to SSH and reach admin-only ports. Never 0.0.0.0/0. */
  adminCidrs: z.array(cidrString).min(1),
  sshPort: port.default(22),
  /** Extra inbound rules for the host (dev: API port; prod: 80/443). */
  ingress: z.array(IngressRuleSchema).default([]),
});

const HostSchema = z.strictObject({
  /** 4 vCPU / 16 GiB class by default (the seeds' host). */
  instanceType: z.string().regex(INSTANCE_TYPE, "must be an EC2 instance type like t3.xlarge or m7i.large").default("t3.xlarge"),
  rootVolumeGiB: z.number().int().min(8).max(16384).default(30),
  /** Pin an AMI; without it the newest Ubuntu LTS from `amiOwner` is looked up (and later releases never replace the host). */
  amiId: z.string().regex(AMI_ID, "must look like ami-0123456789abcdef0").optional(),
  amiOwner: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id").default("099720109477"),
  amiNamePattern: z.string().min(1).default("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"),
  /** Login user of the AMI, used by Pulumi for SSH. */
  sshUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default("ubuntu"),
  /** Non-root user in the docker group that CI uses for deploys. */
  deployUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default("deploy"),
  sshKeyAlgorithm: z.enum(["ED25519", "RSA"]).default("ED25519"),
  /** TLS-protected Docker API port, open to admin CIDRs only (how Pulumi drives Docker). */
  dockerApiPort: port.default(2376),
});

const DatabaseSchema = z.strictObject({
  /** RDS for MySQL major version (8.4 LTS, or 8.0) or an exact minor version such as 8.4.3. */
  engineVersion: z.string().refine((v) => mysqlMajor(v) !== undefined, `must be an RDS for MySQL version: ${Object.keys(MYSQL_MAJOR_VERSIONS).join(" or ")}, or an exact one like 8.4.3`).default("8.4"),
  /**
   * What RDS does at the end of standard support: upgrade the major version automatically
   * (extended support disabled, no extra charge) or keep it running in paid Extended Support.
   */
  engineLifecycleSupport: z.enum(ENGINE_LIFECYCLE).default("open-source-rds-extended-support-disabled"),
  instanceClass: z.string().regex(DB_INSTANCE_CLASS, "must be an RDS class like db.t3.micro or db.m7g.large").default("db.t3.micro"),
  allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
  /** Storage autoscaling ceiling; unset = off. */
  maxAllocatedStorageGiB: z.number().int().min(21).max(65536).optional(),
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must start with a letter and hold letters, digits or _ (64 at most)").default("berth"),
  username: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,15}$/, "must start with a letter and hold letters, digits or _ (16 at most)")
    .refine((u) => !["rdsadmin", "root", "mysql", "admin_"].includes(u.toLowerCase()), "is reserved by RDS").default("berth"),
  port: port.default(3306),
  backupRetentionDays: z.number().int().min(0).max(35).default(7),
  backupWindow: z.string().superRefine((w, ctx) => {
    const problem = backupWindowProblem(w);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).optional(),
  deletionProtection: z.boolean().default(true),
  skipFinalSnapshot: z.boolean().default(false),
  multiAz: z.boolean().default(false),
  applyImmediately: z.boolean().default(false),
});

const DnsRecordSchema = z.strictObject({
  /** Relative to the zone: "@" is the apex, "www", "docker", ... */
  name: z.string().refine(isRelativeRecordName, "must be \"@\" or DNS labels (a-z, 0-9, -; 63 characters each)"),
  /** A = the host's Elastic IP. CNAME = another record of this config. */
  type: z.enum(["A", "CNAME"]),
  /** For CNAME: the name of another record in this zone ("host", "@") or the FQDN of one in another zone. */
  target: z.string().optional(),
  /** Seconds; default 300. Cloudflare: 1 (automatic) or 60-86400; proxied records always use 1. */
  ttl: z.number().int().min(1).max(86400).optional(),
  /** Cloudflare only: serve through Cloudflare's proxy (never for the registry name). @default false */
  proxied: z.boolean().optional(),
});

const DnsZoneSchema = z.strictObject({
  domain: z.string().refine(isDomainName, "must be a lower-case domain like example.com"),
  provider: z.enum(["route53", "cloudflare"]),
  /**
   * Route53: adopt this existing hosted zone (e.g. Z0123456789ABCDEFGHIJ) instead of creating one.
   * Cloudflare: use this zone id (32 hex characters) instead of looking the zone up by name.
   */
  zoneId: z.string().min(1).optional(),
  /** Cloudflare account id (32 hex characters), to look a zone up by name within one account. */
  accountId: z.string().min(1).optional(),
  records: z.array(DnsRecordSchema).min(1),
});

const DnsSchema = z.strictObject({
  zones: z.array(DnsZoneSchema).default([]),
});

const TlsSchema = z.strictObject({
  mode: z.enum(["self-signed", "cloudflare-origin", "provided", "letsencrypt"]).default("self-signed"),
  /** Extra names for the certificate beyond the ones Berth serves. */
  extraNames: z.array(z.string().refine((s) => isDomainName(s) || /^\*\./.test(s) && isDomainName(s.slice(2)), "must be a domain name")).default([]),
  /** Self-signed server certificate lifetime. */
  validityDays: z.number().int().min(1).max(825).default(365),
  /** Warn/refuse threshold: a provided certificate must stay valid at least this long. */
  minRemainingDays: z.number().int().min(0).max(365).default(30),
  /** Cloudflare Origin CA key type: origin-ecc (ECDSA P-256) or origin-rsa (RSA 2048). */
  originRequestType: z.enum(["origin-ecc", "origin-rsa"]).default("origin-ecc"),
  /** Cloudflare Origin CA lifetime in days (7, 30, 90, 365, 730, 1095 or 5475). */
  originValidityDays: z.union([7, 30, 90, 365, 730, 1095, 5475].map((n) => z.literal(n)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>]).default(5475),
  /** Let's Encrypt account e-mail. */
  email: z.string().email().optional(),
  /** Let's Encrypt staging endpoint (for trying without rate limits). */
  staging: z.boolean().default(false),
});

const RegistrySchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Exact image; tags like "2" or "latest" are refused so a pull never changes what runs. */
  image: z.string().regex(/^registry:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/, "must be an exact registry image like registry:2.8.3").default("registry:2.8.3"),
  username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, . _ or -").default("berth"),
  port: port.default(5000),
  /** direct: clients reach https://<ip>:<port> (dev). proxy: 127.0.0.1 only, served by nginx as `hostname` (prod). */
  expose: z.enum(["direct", "proxy"]).default("proxy"),
  /** Public name for proxy mode, e.g. docker.example.com. */
  hostname: z.string().refine(isDomainName, "must be a domain name").optional(),
  /** Who may reach the direct port. */
  allowFrom: z.enum(["anywhere", "admin"]).default("admin"),
  /** Host directory for image data; survives container replacement. */
  dataDir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path").default("/var/lib/berth/registry"),
});

const UpstreamSchema = z.strictObject({
  bluePort: port,
  greenPort: port,
});

const AppSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be lower-case letters, digits or - (31 at most)"),
  /** Names this app answers to; empty = the catch-all server reached by IP (dev without a domain). */
  hostnames: z.array(z.string().refine(isDomainName, "must be a domain name")).default([]),
  /** Serves `/`. */
  frontend: UpstreamSchema,
  /** Serves `pathPrefix` (default /api). */
  backend: UpstreamSchema.optional(),
  backendPath: z.string().regex(/^\/[A-Za-z0-9._~-]+$/, "must be a path like /api").default("/api"),
  /** Color that is live when the host is first set up; afterwards the deploy command owns it. */
  initialColor: z.enum(["blue", "green"]).default("blue"),
});

const ExtraHostSchema = z.strictObject({
  hostname: z.string().refine(isDomainName, "must be a domain name"),
  /** Where nginx forwards, e.g. http://127.0.0.1:8080 (Jenkins) */
  upstream: z.string().regex(/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}(\/.*)?$/, "must be an http(s) URL on the host's loopback, like http://127.0.0.1:8080"),
  /** Ask for a password (generated, exported as a secret) before forwarding. */
  basicAuthUser: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  websockets: z.boolean().default(true),
});

const ProxySchema = z.strictObject({
  enabled: z.boolean().default(false),
  apps: z.array(AppSchema).default([]),
  extraHosts: z.array(ExtraHostSchema).default([]),
  hstsMaxAgeSeconds: z.number().int().min(0).max(63072000).default(31536000),
  /** Largest request body for app servers (the registry server has no limit). */
  clientMaxBodySize: z.string().regex(/^\d+[kmg]?$/, "must be an nginx size like 10m").default("10m"),
});

// Keys are checked in crossValidate (zod reports a bad record key without saying why).
const TagsSchema = z.record(
  z.string(),
  z.string().superRefine((v, ctx) => {
    const problem = tagValueProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
);

/** Object-valued keys under `berth:` and their schemas. */
const SECTIONS = {
  network: NetworkSchema.prefault({}),
  firewall: FirewallSchema,
  host: HostSchema.prefault({}),
  database: DatabaseSchema.prefault({}),
  dns: DnsSchema.prefault({}),
  tls: TlsSchema.prefault({}),
  registry: RegistrySchema.prefault({}),
  proxy: ProxySchema.prefault({}),
  tags: TagsSchema.default({}),
} as const;

/** String keys under `berth:` that must be Pulumi secrets (`pulumi config set --secret`). */
export const SECRET_KEYS = ["databasePassword", "registryPassword", "tlsCertificate", "tlsPrivateKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const RawSchema = z.strictObject(SECTIONS);

/** Every section and its top-level keys (the README's configuration reference must list them all). */
export function configKeys(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, schema] of Object.entries(SECTIONS)) {
    const inner = unwrap(schema as z.ZodType);
    out[name] = inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  }
  return out;
}

type Raw = z.output<typeof RawSchema>;

/** Validated, defaults-resolved configuration. Components receive slices of this. */
export interface Config {
  readonly project: string;
  readonly stack: string;
  readonly region: string;
  readonly network: Raw["network"] & {
    /** Present when set in config; otherwise the Network component asks the region. */
    readonly availabilityZones?: [string, string];
    readonly publicSubnetCidrs: [string, string];
    readonly databaseSubnetCidrs: [string, string];
  };
  readonly firewall: Raw["firewall"];
  readonly host: Raw["host"];
  readonly database: Raw["database"];
  readonly dns: Raw["dns"];
  readonly tls: Raw["tls"];
  readonly registry: Raw["registry"];
  readonly proxy: Raw["proxy"];
  readonly tags: Record<string, string>;
  /** Secret config values that were set (as secrets); absent when not configured. */
  readonly secrets: Partial<Record<SecretKey, string>>;
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface ConfigProblem {
  /** Full key path, e.g. "berth:network.vpcCidr". */
  readonly key: string;
  /** What the user wrote (undefined when missing). */
  readonly value: unknown;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid Berth configuration:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const shown = p.value === undefined ? "(not set)" : JSON.stringify(p.value);
  return `  - ${p.key} = ${shown}: ${p.message}`;
}

function keyOf(path: readonly PropertyKey[]): string {
  let out = `berth:${String(path[0])}`;
  for (const seg of path.slice(1)) out += typeof seg === "number" ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours ("form" for "from") is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function suggest(word: string, options: readonly string[]): string {
  const best = options.map((o) => [o, editDistance(word.toLowerCase(), o.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best[0]}"?)` : "";
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  // Walk the schema shape along the path to list the keys allowed there.
  let schema: z.ZodType = RawSchema;
  for (const seg of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(seg)];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
    if (!schema) return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else return s;
  }
}

function zodProblems(error: z.ZodError, raw: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const allowed = knownKeysAt(issue.path);
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        out.push({
          key: keyOf(path),
          value: valueAt(raw, path),
          message: `unknown key${suggest(k, allowed)}; allowed here: ${allowed.join(", ")}`,
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) message = "is required";
    else if (issue.code === "too_small" || issue.code === "too_big") {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const cmp = issue.code === "too_small" ? (issue.inclusive === false ? ">" : ">=") : (issue.inclusive === false ? "<" : "<=");
      message = issue.origin === "array" ? `must have ${issue.exact ? "exactly" : issue.code === "too_small" ? "at least" : "at most"} ${String(bound)} item(s)`
        : issue.origin === "string" ? `must be ${issue.code === "too_small" ? "at least" : "at most"} ${String(bound)} characters`
        : `must be ${cmp} ${String(bound)}`;
    }
    out.push({ key: keyOf(issue.path), value: valueAt(raw, issue.path), message });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cross-field validation: runs after the shapes are right, before any resource exists.

function crossValidate(raw: Raw, region: string, now: Date | undefined, add: (p: ConfigProblem) => void): Config["network"] {
  const net = raw.network;
  const vpc = parseCidr(net.vpcCidr)!;
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    add({ key: "berth:network.vpcCidr", value: net.vpcCidr, message: "VPC prefix must be /16 to /24 (AWS allows /16-/28; Berth needs room for four subnets)" });
  }
  const carve = (i: number): string => formatCidr(subnet(vpc, Math.min(vpc.prefix + 4, 28), i));
  const okVpc = vpc.prefix >= 16 && vpc.prefix <= 24;
  const publicCidrs = (net.publicSubnetCidrs ?? (okVpc ? [carve(0), carve(1)] : [net.vpcCidr, net.vpcCidr])) as [string, string];
  const dbCidrs = (net.databaseSubnetCidrs ?? (okVpc ? [carve(2), carve(3)] : [net.vpcCidr, net.vpcCidr])) as [string, string];
  if (okVpc) {
    const all: Array<[string, string, Cidr]> = [
      ...publicCidrs.map((c, i) => [`berth:network.publicSubnetCidrs[${i}]`, c, parseCidr(c)!] as [string, string, Cidr]),
      ...dbCidrs.map((c, i) => [`berth:network.databaseSubnetCidrs[${i}]`, c, parseCidr(c)!] as [string, string, Cidr]),
    ];
    for (const [key, text, c] of all) {
      if (!contains(vpc, c)) add({ key, value: text, message: `must lie inside the VPC ${net.vpcCidr}` });
      else if (c.prefix > 28) add({ key, value: text, message: "subnets must be /28 or larger (AWS minimum)" });
    }
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        if (overlaps(all[i][2], all[j][2])) {
          add({ key: all[j][0], value: all[j][1], message: `overlaps ${all[i][0]} (${all[i][1]}); every subnet needs its own block` });
        }
      }
    }
  }
  if (net.availabilityZones) {
    const [a, b] = net.availabilityZones;
    if (a === b) add({ key: "berth:network.availabilityZones", value: net.availabilityZones, message: "both subnets are in the same AZ; give two different zones so one AZ outage does not take everything" });
    net.availabilityZones.forEach((az, i) => {
      if (!az.startsWith(region) || !/^[a-z]$/.test(az.slice(region.length))) {
        add({ key: `berth:network.availabilityZones[${i}]`, value: az, message: `is not a zone of region ${region} (expected ${region}a, ${region}b, ...)` });
      }
    });
  }

  const fw = raw.firewall;
  fw.adminCidrs.forEach((c, i) => {
    const p = parseCidr(c);
    if (p && p.prefix === 0) {
      add({ key: `berth:firewall.adminCidrs[${i}]`, value: c, message: "SSH and admin ports must not be open to the whole internet; list your office/VPN networks (e.g. 198.51.100.0/24)" });
    }
  });
  const adminOnly = new Map<number, string>([[fw.sshPort, "SSH"], [raw.database.port, "MySQL"], [raw.host.dockerApiPort, "the Docker API"]]);
  fw.ingress.forEach((r, i) => {
    const to = r.toPort ?? r.port;
    if (to < r.port) add({ key: `berth:firewall.ingress[${i}].toPort`, value: to, message: `must be >= port (${r.port})` });
    for (const [p, what] of adminOnly) {
      if (r.from === "anywhere" && p >= r.port && p <= to) {
        add({ key: `berth:firewall.ingress[${i}]`, value: { port: r.port, toPort: to, from: r.from }, message: `opens ${what} (port ${p}) to 0.0.0.0/0; use from: admin` });
      }
    }
  });
  if (raw.database.deletionProtection && raw.database.skipFinalSnapshot === false && raw.database.backupRetentionDays === 0) {
    // Allowed, but a protected database without backups is almost always a mistake.
    add({ key: "berth:database.backupRetentionDays", value: 0, message: "a deletion-protected database needs backups (1-35 days)" });
  }
  const db = raw.database;
  if (db.maxAllocatedStorageGiB !== undefined && db.maxAllocatedStorageGiB < minMaxAllocatedStorage(db.allocatedStorageGiB)) {
    add({ key: "berth:database.maxAllocatedStorageGiB", value: db.maxAllocatedStorageGiB, message: `RDS needs the autoscaling ceiling at least 10% above allocatedStorageGiB (${db.allocatedStorageGiB}), so ${minMaxAllocatedStorage(db.allocatedStorageGiB)} or more; or leave it unset (no autoscaling)` });
  }
  const major = mysqlMajor(db.engineVersion);
  if (major !== undefined && db.engineLifecycleSupport === "open-source-rds-extended-support-disabled") {
    const end = MYSQL_MAJOR_VERSIONS[major].endOfStandardSupport;
    if ((now ?? new Date()).toISOString().slice(0, 10) > end) {
      add({ key: "berth:database.engineVersion", value: db.engineVersion, message: `MySQL ${major} left RDS standard support on ${end}, and RDS refuses to create it with engineLifecycleSupport open-source-rds-extended-support-disabled; use 8.4, or set berth:database.engineLifecycleSupport to open-source-rds-extended-support (paid Extended Support)` });
    }
  }
  for (const k of Object.keys(raw.tags)) {
    const problem = tagKeyProblem(k);
    if (problem) add({ key: `berth:tags.${k}`, value: raw.tags[k], message: problem });
  }
  const userTags = Object.keys(raw.tags).filter((k) => !["Project", "Stack", "ManagedBy", "Name", "Tier"].includes(k));
  if (userTags.length > TAGS_PER_RESOURCE - 5) {
    add({ key: "berth:tags", value: userTags.length, message: `AWS allows ${TAGS_PER_RESOURCE} tags per resource and Berth sets up to 5 itself (Project, Stack, ManagedBy, Name, Tier): give at most ${TAGS_PER_RESOURCE - 5}` });
  }

  validateDns(raw, add);
  validateHostLayer(raw, add);

  return { ...net, publicSubnetCidrs: publicCidrs, databaseSubnetCidrs: dbCidrs } as Config["network"];
}

/** Fully qualified name of a record in a zone (lives in components/dnsPlan.ts with the other DNS rules). */
export { recordFqdn };

const ROUTE53_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

function validateDns(raw: Raw, add: (p: ConfigProblem) => void): void {
  const zones = raw.dns.zones;
  const zonesSeen = new Map<string, number>();
  zones.forEach((zone, zi) => {
    const base = `berth:dns.zones[${zi}]`;
    if (zonesSeen.has(zone.domain)) {
      add({ key: `${base}.domain`, value: zone.domain, message: `zone already defined at berth:dns.zones[${zonesSeen.get(zone.domain)}]` });
    }
    zonesSeen.set(zone.domain, zi);
    if (zone.zoneId !== undefined) {
      if (zone.provider === "route53" && !ROUTE53_ZONE_ID.test(zone.zoneId)) {
        add({ key: `${base}.zoneId`, value: zone.zoneId, message: "must be a Route53 hosted zone id like Z0123456789ABCDEFGHIJ (without the /hostedzone/ prefix)" });
      }
      if (zone.provider === "cloudflare" && !CLOUDFLARE_ID.test(zone.zoneId)) {
        add({ key: `${base}.zoneId`, value: zone.zoneId, message: "must be a Cloudflare zone id: 32 lower-case hex characters (the zone's Overview page, API section)" });
      }
    }
    if (zone.accountId !== undefined) {
      if (zone.provider !== "cloudflare") add({ key: `${base}.accountId`, value: zone.accountId, message: "only Cloudflare zones take an accountId" });
      else if (zone.zoneId !== undefined) add({ key: `${base}.accountId`, value: zone.accountId, message: "is used only to look the zone up by name; with zoneId set it has no effect, so remove one of them" });
      else if (!CLOUDFLARE_ID.test(zone.accountId)) add({ key: `${base}.accountId`, value: zone.accountId, message: "must be a Cloudflare account id: 32 lower-case hex characters" });
    }
  });

  const planned = planRecords(zones);
  const byFqdn = new Map(planned.map((p) => [p.fqdn, p]));
  const seen = new Map<string, { key: string; zi: number }>();
  zones.forEach((zone, zi) => {
    zone.records.forEach((r, ri) => {
      const base = `berth:dns.zones[${zi}].records[${ri}]`;
      const fqdn = recordFqdn(zone.domain, r.name);
      if (fqdn.length > 253) add({ key: `${base}.name`, value: r.name, message: `${fqdn} is ${fqdn.length} characters; a DNS name has at most 253` });
      const owner = owningZone(zones, fqdn);
      if (owner && owner.domain !== zone.domain) {
        add({ key: `${base}.name`, value: r.name, message: `${fqdn} lies inside zone ${owner.domain} (berth:dns.zones[${zones.indexOf(owner)}], ${owner.provider}), which answers for it; define the record there` });
      }
      const prev = seen.get(fqdn);
      if (prev) {
        const other = zones[prev.zi];
        add({
          key: `${base}.name`,
          value: r.name,
          message: prev.zi === zi
            ? `${fqdn} is already defined at ${prev.key}; a name must point one way only`
            : `${fqdn} is already defined at ${prev.key} (${other.provider} zone ${other.domain}); a name must point one way only, from one provider`,
        });
      } else seen.set(fqdn, { key: base, zi });
      if (r.type === "CNAME") {
        if (r.name === "@") add({ key: `${base}.name`, value: r.name, message: "a CNAME cannot sit at the zone apex; use type A for \"@\"" });
        if (!r.target) add({ key: `${base}.target`, value: r.target, message: "a CNAME needs a target: the name of another record (e.g. \"host\")" });
        else {
          const resolved = resolveTarget(zone, r.target);
          const target = byFqdn.get(resolved);
          if (!target) {
            add({ key: `${base}.target`, value: r.target, message: `no record named "${r.target}" is defined in berth:dns (neither in zone ${zone.domain} nor as an FQDN); define it, or point at one that is` });
          } else if (resolved === fqdn) {
            add({ key: `${base}.target`, value: r.target, message: "a CNAME cannot point at itself" });
          } else {
            const chain = resolutionChain(planned, fqdn);
            const last = chain[chain.length - 1];
            if (last.type === "CNAME" && last.target !== undefined && byFqdn.get(last.target) === chain[0]) {
              add({ key: `${base}.target`, value: r.target, message: `CNAME loop: ${[...chain.map((c) => c.fqdn), fqdn].join(" -> ")}; one of them must be an A record` });
            }
          }
        }
      } else if (r.target !== undefined) {
        add({ key: `${base}.target`, value: r.target, message: "type A records always point at the host's Elastic IP; remove target" });
      }
      if (r.proxied !== undefined && zone.provider !== "cloudflare") {
        add({ key: `${base}.proxied`, value: r.proxied, message: "only Cloudflare records can be proxied" });
      }
      if (zone.provider === "cloudflare" && r.ttl !== undefined && r.ttl !== CLOUDFLARE_AUTO_TTL) {
        if (r.proxied) add({ key: `${base}.ttl`, value: r.ttl, message: `proxied Cloudflare records always use automatic TTL (${CLOUDFLARE_AUTO_TTL}); remove ttl, or set proxied: false` });
        else if (r.ttl < CLOUDFLARE_MIN_TTL) add({ key: `${base}.ttl`, value: r.ttl, message: `Cloudflare accepts ${CLOUDFLARE_AUTO_TTL} (automatic) or ${CLOUDFLARE_MIN_TTL}-86400 seconds` });
      }
    });
  });

  // The registry must never sit behind Cloudflare's proxy, not even through a CNAME chain:
  // the proxy caps request bodies at 100 MB, and image layers are often larger.
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "proxy" && reg.hostname) {
    const chain = resolutionChain(planned, reg.hostname);
    const p = chain.find((c) => c.proxied);
    if (p) {
      add({
        key: `berth:dns.zones[${p.zoneIndex}].records[${p.recordIndex}].proxied`,
        value: true,
        message: p.fqdn === reg.hostname
          ? `${p.fqdn} serves the registry (berth:registry.hostname); Cloudflare's proxy caps uploads at 100 MB, so image pushes would fail. Set proxied: false`
          : `the registry name ${reg.hostname} resolves through this proxied record (${chain.map((c) => c.fqdn).join(" -> ")}), so pushes would pass Cloudflare's proxy and its 100 MB upload cap; point the registry name at an unproxied record`,
      });
    }
  }
}

function validateHostLayer(raw: Raw, add: (p: ConfigProblem) => void): void {
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "proxy") {
    if (!raw.proxy.enabled) add({ key: "berth:registry.expose", value: "proxy", message: "needs berth:proxy.enabled = true (nginx serves the registry); or use expose: direct" });
    if (!reg.hostname) add({ key: "berth:registry.hostname", value: undefined, message: "is required when berth:registry.expose is \"proxy\" (e.g. docker.example.com)" });
  }
  if (reg.enabled && reg.expose === "direct" && reg.hostname !== undefined) {
    add({ key: "berth:registry.hostname", value: reg.hostname, message: "applies to expose: proxy only; direct mode is reached by IP" });
  }
  const names = new Map<string, string>();
  const claim = (name: string, key: string, value: unknown): void => {
    const prev = names.get(name);
    if (prev) add({ key, value, message: `${name} is already served by ${prev}` });
    else names.set(name, key);
  };
  if (reg.enabled && reg.expose === "proxy" && reg.hostname) claim(reg.hostname, "berth:registry.hostname", reg.hostname);
  raw.proxy.apps.forEach((app, ai) => {
    app.hostnames.forEach((h, hi) => claim(h, `berth:proxy.apps[${ai}].hostnames[${hi}]`, h));
    const ports = [app.frontend.bluePort, app.frontend.greenPort, ...(app.backend ? [app.backend.bluePort, app.backend.greenPort] : [])];
    if (new Set(ports).size !== ports.length) {
      add({ key: `berth:proxy.apps[${ai}]`, value: ports, message: "blue and green ports of the front and back end must all differ" });
    }
  });
  const catchAll = raw.proxy.apps.filter((a) => a.hostnames.length === 0);
  if (catchAll.length > 1) {
    add({ key: "berth:proxy.apps", value: catchAll.map((a) => a.name), message: "only one app may have no hostnames (the catch-all server reached by IP)" });
  }
  const appNames = raw.proxy.apps.map((a) => a.name);
  appNames.forEach((n, i) => {
    if (appNames.indexOf(n) !== i) add({ key: `berth:proxy.apps[${i}].name`, value: n, message: "app names must be unique" });
  });
  raw.proxy.extraHosts.forEach((h, i) => claim(h.hostname, `berth:proxy.extraHosts[${i}].hostname`, h.hostname));
  if (!raw.proxy.enabled && (raw.proxy.apps.length > 0 || raw.proxy.extraHosts.length > 0)) {
    add({ key: "berth:proxy.enabled", value: false, message: "apps or extraHosts are configured but the proxy is off; set enabled: true or remove them" });
  }
  validateTls(raw, names, add);
  if (names.size > 0 && raw.dns.zones.length > 0) {
    const defined = new Set(raw.dns.zones.flatMap((z) => z.records.map((r) => recordFqdn(z.domain, r.name))));
    const inZone = (n: string): boolean => raw.dns.zones.some((z) => n === z.domain || n.endsWith(`.${z.domain}`));
    for (const [n, key] of names) {
      if (inZone(n) && !defined.has(n)) add({ key, value: n, message: `${n} is inside a configured DNS zone but has no record in berth:dns; add one (e.g. a CNAME to the host)` });
    }
  }
}

/** Rules the providers enforce on secret values, checked here so `pulumi up` never fails halfway. */
function validateSecrets(secrets: Partial<Record<SecretKey, string>>, add: (p: ConfigProblem) => void): void {
  const db = secrets.databasePassword;
  if (db !== undefined) {
    // RDS MySQL: 8-41 printable ASCII characters other than / ' " @ and space.
    if (db.length < 8 || db.length > 41) add({ key: "berth:databasePassword", value: "(hidden)", message: `must be 8 to 41 characters (RDS MySQL); it has ${db.length}` });
    if (/[/'"@\s]/.test(db) || /[^\x21-\x7e]/.test(db)) add({ key: "berth:databasePassword", value: "(hidden)", message: "must not contain / ' \" @, spaces or non-ASCII characters (RDS MySQL)" });
  }
  const reg = secrets.registryPassword;
  if (reg !== undefined && (reg.length < 12 || reg.length > 72 || reg.includes(":"))) {
    // bcrypt reads at most 72 bytes; htpasswd lines split on ':'.
    add({ key: "berth:registryPassword", value: "(hidden)", message: "must be 12 to 72 characters without ':'" });
  }
}

/**
 * TLS settings against the names the stack serves and the DNS that points at it.
 * `keys` maps each served name to the config key that introduced it (for error messages).
 */
function validateTls(raw: Raw, keys: ReadonlyMap<string, string>, add: (p: ConfigProblem) => void): void {
  const tls = raw.tls;
  const zones = raw.dns.zones;
  const served = servedNames(raw);
  const keyOfName = (n: string): string => keys.get(n) ?? `berth:tls.extraNames[${tls.extraNames.indexOf(n)}]`;
  const planned = planRecords(zones);
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "direct" && (tls.mode === "letsencrypt" || tls.mode === "cloudflare-origin")) {
    add({ key: "berth:registry.expose", value: "direct", message: `direct mode is reached by IP, and a ${tls.mode} certificate cannot name an IP address; use expose: proxy with a hostname, or berth:tls.mode self-signed` });
  }
  switch (tls.mode) {
    case "self-signed":
      if (tls.validityDays <= tls.minRemainingDays) {
        add({ key: "berth:tls.validityDays", value: tls.validityDays, message: `must exceed berth:tls.minRemainingDays (${tls.minRemainingDays}): pulumi up renews the self-signed certificate once fewer days than that remain` });
      }
      break;
    case "letsencrypt": {
      if (!tls.email) add({ key: "berth:tls.email", value: undefined, message: "is required for mode letsencrypt (Let's Encrypt account e-mail)" });
      if (!raw.proxy.enabled) add({ key: "berth:tls.mode", value: tls.mode, message: "letsencrypt uses nginx's webroot challenge; set berth:proxy.enabled = true" });
      if (served.length === 0) add({ key: "berth:tls.mode", value: tls.mode, message: "letsencrypt needs at least one served name that points at the host" });
      tls.extraNames.forEach((n, i) => {
        if (n.startsWith("*.")) add({ key: `berth:tls.extraNames[${i}]`, value: n, message: "Let's Encrypt issues wildcard names only through the DNS challenge, and Berth uses the HTTP (webroot) challenge; list the names, or use mode provided" });
      });
      // The HTTP challenge succeeds only where the name resolves to this host: Berth must own its record.
      // (Names inside a configured zone without a record are reported by validateHostLayer.)
      for (const n of served) {
        if (!n.startsWith("*.") && owningZone(zones, n) === undefined) {
          add({ key: keyOfName(n), value: n, message: `${n} is in no zone under berth:dns, so nothing makes it point at the host, and Let's Encrypt's HTTP challenge would fail; add its zone and a record, or use berth:tls.mode provided` });
        }
      }
      break;
    }
    case "cloudflare-origin": {
      if (!zones.some((z) => z.provider === "cloudflare")) {
        add({ key: "berth:tls.mode", value: tls.mode, message: "cloudflare-origin needs a Cloudflare zone under berth:dns.zones" });
        break;
      }
      if (served.length === 0) add({ key: "berth:tls.mode", value: tls.mode, message: "cloudflare-origin needs at least one served name on a proxied Cloudflare record" });
      const proxied = new Set(planned.filter((p) => p.proxied).map((p) => p.fqdn));
      for (const n of served) {
        if (tls.extraNames.includes(n) && !keys.has(n)) {
          if (owningZone(zones, n)?.provider !== "cloudflare") {
            add({ key: keyOfName(n), value: n, message: `${n} is not inside a Cloudflare zone under berth:dns; Cloudflare's Origin CA signs only names of your Cloudflare zones` });
          }
        } else if (reg.enabled && reg.expose === "proxy" && n === reg.hostname) {
          add({ key: "berth:tls.mode", value: tls.mode, message: `the registry name ${n} must not be proxied (Cloudflare's 100 MB upload cap), and only Cloudflare trusts an Origin CA certificate, so docker clients would refuse it; use berth:tls.mode letsencrypt or provided` });
        } else if (!proxied.has(n)) {
          add({ key: keyOfName(n), value: n, message: `${n} is not a proxied Cloudflare record, so clients would reach nginx directly and see an Origin CA certificate that only Cloudflare trusts; set proxied: true on its Cloudflare record, or use berth:tls.mode letsencrypt or provided` });
        }
      }
      break;
    }
    case "provided":
      break; // The certificate and key are config secrets: checked in validateTlsSecrets.
  }
}

/**
 * berth:tlsCertificate / berth:tlsPrivateKey: required by (and only by) mode provided; then the
 * chain and key are checked against the served names and `now` before any resource exists.
 */
function validateTlsSecrets(raw: Raw, input: RawConfigInput, secrets: Partial<Record<SecretKey, string>>, add: (p: ConfigProblem) => void): void {
  const keys = [["tlsCertificate", "pulumi config set --secret berth:tlsCertificate < fullchain.pem"], ["tlsPrivateKey", "pulumi config set --secret berth:tlsPrivateKey < privkey.pem"]] as const;
  if (raw.tls.mode !== "provided") {
    for (const [k] of keys) {
      if (input.values[k] !== undefined) add({ key: `berth:${k}`, value: "(hidden)", message: `is set but berth:tls.mode is ${raw.tls.mode}, which ignores it; remove it (pulumi config rm berth:${k}) or set mode: provided` });
    }
    return;
  }
  for (const [k, how] of keys) {
    if (input.values[k] === undefined || input.values[k] === "") add({ key: `berth:${k}`, value: undefined, message: `is required for berth:tls.mode provided: ${how}` });
  }
  if (secrets.tlsCertificate === undefined || secrets.tlsPrivateKey === undefined) return;
  for (const p of validateProvidedTls({
    certificatePem: secrets.tlsCertificate,
    privateKeyPem: secrets.tlsPrivateKey,
    names: servedNames(raw),
    minRemainingDays: raw.tls.minRemainingDays,
    now: input.now ?? new Date(),
  })) add(p);
}

/** Names built from the project and stack that AWS and Cloudflare limit in length or characters. */
function validateNameLengths(input: RawConfigInput, raw: Raw, add: (p: ConfigProblem) => void): void {
  for (const role of ["db", "db-final", "db-subnets", "db-params", "host-key"]) {
    try {
      physicalName(input.project, input.stack, role, NAME_LIMITS.rdsIdentifier);
    } catch (e) {
      add({ key: "(stack name)", value: input.stack, message: (e as Error).message });
    }
  }
  const comment = recordComment(input.project, input.stack);
  if (raw.dns.zones.some((z) => z.provider === "cloudflare") && comment.length > CLOUDFLARE_COMMENT_MAX) {
    add({ key: "(stack name)", value: input.stack, message: `the Cloudflare record comment "${comment}" is ${comment.length} characters; Cloudflare's Free plan allows ${CLOUDFLARE_COMMENT_MAX} (shorten the project or stack name)` });
  }
  if (raw.dns.zones.some((z) => z.provider === "route53" && z.zoneId === undefined) && comment.length > ROUTE53_COMMENT_MAX) {
    add({ key: "(stack name)", value: input.stack, message: `the Route53 zone comment is ${comment.length} characters; Route53 allows ${ROUTE53_COMMENT_MAX} (shorten the project or stack name)` });
  }
}

/**
 * A real preview or update: reserved example names (RFC 2606 / RFC 6761) would be refused by
 * Route53, unknown to Cloudflare and refused by Let's Encrypt. Report them together as one
 * problem that lists every key to set, instead of a cloud error halfway through.
 */
function validateRealNames(raw: Raw, add: (p: ConfigProblem) => void): void {
  const found: string[] = [];
  raw.dns.zones.forEach((z, i) => { if (isReservedName(z.domain)) found.push(`berth:dns.zones[${i}].domain (${z.domain})`); });
  if (raw.registry.hostname !== undefined && isReservedName(raw.registry.hostname)) found.push(`berth:registry.hostname (${raw.registry.hostname})`);
  raw.proxy.apps.forEach((a, i) => a.hostnames.forEach((h, j) => { if (isReservedName(h)) found.push(`berth:proxy.apps[${i}].hostnames[${j}] (${h})`); }));
  raw.proxy.extraHosts.forEach((h, i) => { if (isReservedName(h.hostname)) found.push(`berth:proxy.extraHosts[${i}].hostname (${h.hostname})`); });
  raw.tls.extraNames.forEach((n, i) => { if (isReservedName(n.replace(/^\*\./, ""))) found.push(`berth:tls.extraNames[${i}] (${n})`); });
  const email = raw.tls.email;
  if (raw.tls.mode === "letsencrypt" && email !== undefined && isReservedName(email.split("@").pop() ?? "")) found.push(`berth:tls.email (${email})`);
  if (found.length > 0) {
    add({
      key: "(reserved example names)",
      value: found.length,
      message: `these keys hold reserved example names, which Route53, Cloudflare and Let's Encrypt refuse (RFC 2606/6761 names: example.com/net/org, .example, .test, .invalid, .localhost). The offline plan accepts them; a real preview or update needs your own domain and e-mail. Set: ${found.join("; ")}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface RawConfigInput {
  project: string;
  stack: string;
  /** aws:region */
  region: string | undefined;
  /** All `berth:` keys without the prefix, values as Pulumi stores them (strings; objects as JSON text). */
  values: Record<string, string>;
  /** Keys (without prefix) that were set as secrets. */
  secretKeys: ReadonlySet<string>;
  /** Clock for certificate expiry checks (berth:tlsCertificate); @default the current time. */
  now?: Date;
  /** Whether `cloudflare:apiToken` is set, and how; undefined = not set. */
  cloudflareApiToken?: "secret" | "plain";
  /**
   * Where the configuration is going. "cloud" (a real preview or update) also refuses reserved
   * example names that no real API accepts; "offline" (the mock-engine plan, the rehearsal, tests)
   * allows them so the shipped stacks can show the shape with example.com. @default "cloud"
   */
  target?: "cloud" | "offline";
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** Pure: validates and resolves a stack's configuration. Throws ConfigError listing every problem. */
export function parseConfig(input: RawConfigInput): Config {
  const problems: ConfigProblem[] = [];
  const add = (p: ConfigProblem): void => { problems.push(p); };
  if (!input.region || !REGION.test(input.region)) {
    add({ key: "aws:region", value: input.region, message: "must be an AWS region like ap-northeast-2" });
  }
  const sectionValues: Record<string, unknown> = {};
  const secrets: Partial<Record<SecretKey, string>> = {};
  for (const [key, text] of Object.entries(input.values)) {
    if ((SECRET_KEYS as readonly string[]).includes(key)) {
      if (!input.secretKeys.has(key)) {
        add({ key: `berth:${key}`, value: "(hidden)", message: `must be stored encrypted: pulumi config set --secret berth:${key} <value>` });
      } else if (text.length > 0) secrets[key as SecretKey] = text;
      continue;
    }
    if (key in SECTIONS) {
      try {
        sectionValues[key] = JSON.parse(text);
      } catch {
        add({ key: `berth:${key}`, value: text, message: "must be an object (a YAML mapping under the key)" });
      }
      continue;
    }
    const allowed = [...Object.keys(SECTIONS), ...SECRET_KEYS];
    add({ key: `berth:${key}`, value: input.secretKeys.has(key) ? "(hidden)" : text, message: `unknown key${suggest(key, allowed)}; allowed: ${allowed.join(", ")}` });
  }
  const parsed = RawSchema.safeParse(sectionValues);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, sectionValues));
    throw new ConfigError(problems);
  }
  const raw = parsed.data;
  validateSecrets(secrets, add);
  const network = crossValidate(raw, input.region ?? "", input.now, add);
  validateNameLengths(input, raw, add);
  if ((input.target ?? "cloud") === "cloud") validateRealNames(raw, add);
  validateTlsSecrets(raw, input, secrets, add);
  if (input.cloudflareApiToken === "plain") {
    add({ key: "cloudflare:apiToken", value: "(hidden)", message: "must be stored encrypted: pulumi config set --secret cloudflare:apiToken <token> (or export CLOUDFLARE_API_TOKEN instead)" });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    project: input.project,
    stack: input.stack,
    region: input.region!,
    ...raw,
    network,
    secrets,
  };
}

/**
 * Reads the running stack's configuration from the Pulumi runtime and validates it.
 * Called once by the program before any resource is registered; `target` is "offline" only
 * under the offline engine (see RawConfigInput.target).
 */
export function loadConfig(target: "cloud" | "offline" = "cloud"): Config {
  const all = pulumi.runtime.allConfig();
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith("berth:")) values[k.slice("berth:".length)] = v;
  const secretKeys = new Set(Object.keys(values).filter((k) => isSecretConfigKey(`berth:${k}`)));
  return parseConfig({
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    region: all["aws:region"],
    values,
    secretKeys,
    cloudflareApiToken: all["cloudflare:apiToken"] === undefined ? undefined : isSecretConfigKey("cloudflare:apiToken") ? "secret" : "plain",
    target,
  });
}

function isSecretConfigKey(key: string): boolean {
  // `isConfigSecret` is internal to @pulumi/pulumi but is what Config.get uses to taint secrets.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (!runtimeConfig.isConfigSecret) throw new Error("@pulumi/pulumi no longer exposes isConfigSecret; update config.ts");
  return runtimeConfig.isConfigSecret(key);
}
