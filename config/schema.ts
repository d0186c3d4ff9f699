// The schema of every `berth:` key: types, defaults and the one-line why of each field, plus the
// typed Config that validation produces. Cross-field rules live in ./validate/, errors in ./errors.ts.
import { z } from "zod";
import { parseCidr } from "../lib/cidr";
import {
  backupWindowProblem,
  ec2TextProblem,
  ENGINE_LIFECYCLE,
  logRetentionProblem,
  MYSQL_MAJOR_VERSIONS,
  mysqlMajor,
  RDS_MYSQL_LOG_EXPORTS,
  tagValueProblem,
} from "../lib/apiRules";
import { certificateNameProblem, domainNameProblem, isRelativeRecordName } from "../lib/dnsNames";
import { appNameProblem, nginxSizeProblem } from "../lib/proxyRules";

// ---------------------------------------------------------------------------------------------
// Shared validators (exported so tests and components can reuse them)

export const INSTANCE_TYPE = /^(?:[a-z]+\d+[a-z0-9-]*|u-\d+tb\d)\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;
export const DB_INSTANCE_CLASS = /^db\.(?:[a-z]+\d+[a-z0-9-]*)\.(?:micro|small|medium|large|\d*xlarge)$/;
export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const port = z.number().int().min(1).max(65535);
/** A string checked by one of lib/'s rules (`problem` says why a value is refused, or undefined). */
const ruled = (problem: (s: string) => string | undefined): z.ZodString =>
  z.string().superRefine((s, ctx) => {
    const why = problem(s);
    if (why !== undefined) ctx.addIssue({ code: "custom", message: why });
  });
/** A Linux user name (useradd's portable rule). */
const unixUser = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name: lower-case letters, digits, _ or -, starting with a letter or _ (32 at most)");
/** A basic-auth login (registry, extra hosts): safe in an htpasswd line and in a docker login. */
const loginName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, . _ or -");
const cidrString = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "must be an IPv4 CIDR like 10.0.0.0/16 with the host bits clear",
});
/** CloudWatch Logs retention in days: only the values the API accepts (lib/apiRules.ts). */
const logRetentionDays = z
  .number()
  .int()
  .superRefine((d, ctx) => {
    const problem = logRetentionProblem(d);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

// ---------------------------------------------------------------------------------------------
// Sections. Every field: type, default where sensible, one line of why.

const NetworkSchema = z.strictObject({
  /** VPC block. Each stack gets its own VPC; give dev and prod different blocks so they can be peered later. */
  vpcCidr: cidrString.default("10.0.0.0/16"),
  /** Two AZs for the two public subnets; default: the first two the region reports. */
  availabilityZones: z
    .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "must be an AZ name like ap-northeast-2a"))
    .length(2)
    .optional(),
  /** Public subnets (host); default: the first two /(vpc+4) blocks of the VPC. */
  publicSubnetCidrs: z.array(cidrString).length(2).optional(),
  /** Private subnets for the database (no internet route); default: the third and fourth /(vpc+4) blocks. */
  databaseSubnetCidrs: z.array(cidrString).length(2).optional(),
  /** VPC flow logs (every accepted and rejected connection) to CloudWatch Logs: the network's audit trail. */
  flowLogs: z.boolean().default(true),
  /** Days CloudWatch Logs keeps the flow logs. */
  flowLogRetentionDays: logRetentionDays.default(90),
});

const IngressRuleSchema = z.strictObject({
  port,
  /** Last port of a range; default: same as `port`. */
  toPort: port.optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  /** `anywhere` = 0.0.0.0/0; `admin` = the admin CIDRs. */
  from: z.enum(["anywhere", "admin"]),
  /** Carried into AWS as the rule's description: EC2's character set, 255 at most. */
  description: ruled(ec2TextProblem),
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
  amiOwner: z
    .string()
    .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
    .default("099720109477"),
  amiNamePattern: z.string().min(1).default("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"),
  /** Login user of the AMI, used by Pulumi for SSH. */
  sshUser: unixUser.default("ubuntu"),
  /** Non-root user that CI deploys as; its key runs the deploy program only (no docker group). */
  deployUser: unixUser.default("deploy"),
  sshKeyAlgorithm: z.enum(["ED25519", "RSA"]).default("ED25519"),
  /** TLS-protected Docker API port, open to admin CIDRs only (how Pulumi drives Docker). */
  dockerApiPort: port.default(2376),
});

const DatabaseSchema = z.strictObject({
  /** RDS for MySQL major version (8.4 LTS, or 8.0) or an exact minor version such as 8.4.3. */
  engineVersion: z
    .string()
    .refine(
      (v) => mysqlMajor(v) !== undefined,
      `must be an RDS for MySQL version: ${Object.keys(MYSQL_MAJOR_VERSIONS).join(" or ")}, or an exact one like 8.4.3`,
    )
    .default("8.4"),
  /**
   * What RDS does at the end of standard support: upgrade the major version automatically
   * (extended support disabled, no extra charge) or keep it running in paid Extended Support.
   */
  engineLifecycleSupport: z.enum(ENGINE_LIFECYCLE).default("open-source-rds-extended-support-disabled"),
  instanceClass: z.string().regex(DB_INSTANCE_CLASS, "must be an RDS class like db.t3.micro or db.m7g.large").default("db.t3.micro"),
  allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
  /** Storage autoscaling ceiling; unset = off. */
  maxAllocatedStorageGiB: z.number().int().min(21).max(65536).optional(),
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must start with a letter and hold letters, digits or _ (64 at most)")
    .default("berth"),
  username: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,15}$/, "must start with a letter and hold letters, digits or _ (16 at most)")
    .refine((u) => !["rdsadmin", "root", "mysql", "admin_"].includes(u.toLowerCase()), "is reserved by RDS")
    .default("berth"),
  port: port.default(3306),
  backupRetentionDays: z.number().int().min(0).max(35).default(7),
  backupWindow: ruled(backupWindowProblem).optional(),
  deletionProtection: z.boolean().default(true),
  skipFinalSnapshot: z.boolean().default(false),
  multiAz: z.boolean().default(false),
  applyImmediately: z.boolean().default(false),
  /** MySQL logs RDS publishes to CloudWatch Logs (slowquery and general switch the log on in the parameter group). */
  logExports: z
    .array(z.enum(RDS_MYSQL_LOG_EXPORTS))
    .refine((l) => new Set(l).size === l.length, "must not list a log twice")
    .default(["error", "slowquery"]),
  /** Days CloudWatch Logs keeps the exported database logs. */
  logRetentionDays: logRetentionDays.default(30),
  /** A query slower than this lands in the slow query log (long_query_time). */
  slowQuerySeconds: z.number().min(0).max(3600).default(2),
});

const DnsRecordSchema = z.strictObject({
  /** Relative to the zone: "@" is the apex, "www", "docker", ... */
  name: z.string().refine(isRelativeRecordName, 'must be "@" or DNS labels (a-z, 0-9, -; 63 characters each)'),
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
  domain: ruled(domainNameProblem),
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
  extraNames: z.array(ruled(certificateNameProblem)).default([]),
  /** Self-signed server certificate lifetime. */
  validityDays: z.number().int().min(1).max(825).default(365),
  /** Warn/refuse threshold: a provided certificate must stay valid at least this long. */
  minRemainingDays: z.number().int().min(0).max(365).default(30),
  /** Cloudflare Origin CA key type: origin-ecc (ECDSA P-256) or origin-rsa (RSA 2048). */
  originRequestType: z.enum(["origin-ecc", "origin-rsa"]).default("origin-ecc"),
  /** Cloudflare Origin CA lifetime in days (7, 30, 90, 365, 730, 1095 or 5475). */
  originValidityDays: z
    .union([7, 30, 90, 365, 730, 1095, 5475].map((n) => z.literal(n)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>])
    .default(5475),
  /** Let's Encrypt account e-mail. */
  email: z.string().email().optional(),
  /** Let's Encrypt staging endpoint (for trying without rate limits). */
  staging: z.boolean().default(false),
});

const RegistrySchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Exact image; tags like "2" or "latest" are refused so a pull never changes what runs. */
  image: z
    .string()
    .regex(/^registry:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/, "must be an exact registry image like registry:3.0.0")
    .default("registry:3.0.0"),
  username: loginName.default("berth"),
  port: port.default(5000),
  /** direct: clients reach https://<ip>:<port> (dev). proxy: 127.0.0.1 only, served by nginx as `hostname` (prod). */
  expose: z.enum(["direct", "proxy"]).default("proxy"),
  /** Public name for proxy mode, e.g. docker.example.com. */
  hostname: ruled(domainNameProblem).optional(),
  /** Who may reach the direct port. */
  allowFrom: z.enum(["anywhere", "admin"]).default("admin"),
  /**
   * Where image data lives. s3: a private, encrypted bucket of the stack, reached with the host's
   * instance profile (no keys), which outlives the host. filesystem: `dataDir` on the host's root
   * volume, which goes with the host when it is replaced.
   */
  storage: z.enum(["s3", "filesystem"]).default("s3"),
  /** Host directory for image data (storage: filesystem); survives container replacement. */
  dataDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path")
    .default("/var/lib/berth/registry"),
  /** Old tags are deleted by a timer on the host (never those of a live or previous deploy). */
  retention: z
    .strictObject({
      /** Newest tags kept per repository. */
      keep: z.number().int().min(1).max(1000).default(10),
      /** systemd OnCalendar expression for the run. */
      schedule: z
        .string()
        .regex(/^[A-Za-z0-9 *:,/.~-]{1,64}$/, 'must be a systemd calendar expression like "daily" or "Sun *-*-* 04:00:00"')
        .default("Sun *-*-* 04:00:00"),
    })
    .prefault({}),
});

/** How the deploy command decides that a freshly started container serves. */
const HealthSchema = z.strictObject({
  /** GET this path on the container's loopback port; any 2xx or 3xx answer counts. */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/?=&%+-]*$/, "must be a URL path like /healthz")
    .default("/"),
  /** Pause between two probes. */
  intervalSeconds: z.number().min(0.1).max(60).default(0.5),
  /** One probe's limit. */
  timeoutSeconds: z.number().min(0.1).max(60).default(2),
  /** Healthy answers in a row before the part counts as healthy. */
  successes: z.number().int().min(1).max(20).default(2),
  /** The whole check's limit; then the deploy fails and the old color keeps serving. */
  deadlineSeconds: z.number().int().min(1).max(3600).default(60),
});

/** `HOST_PATH:CONTAINER_PATH[:ro|:rw]` or `VOLUME_NAME:CONTAINER_PATH[:ro|:rw]`. */
const VOLUME = /^(?:\/[A-Za-z0-9._/@+-]+|[A-Za-z0-9][A-Za-z0-9_.-]*):\/[A-Za-z0-9._/@+-]*(?::(?:ro|rw))?$/;

const UpstreamSchema = z.strictObject({
  bluePort: port,
  greenPort: port,
  /** Fixed loopback port nginx proxies to; Berth's switch forwards it to the live color's port. */
  livePort: port,
  /** Port the container listens on inside. */
  containerPort: port.default(80),
  /** Repository in the stack's registry; default `<app>-frontend` / `<app>-backend`. */
  repository: z
    .string()
    .regex(
      /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
      "must be a registry repository name like shop-frontend (lower-case, digits, . _ - /)",
    )
    .max(128)
    .optional(),
  health: HealthSchema.prefault({}),
  /** Absolute path of an env file on the host (`docker run --env-file`); you put it there, Berth never reads it. */
  envFile: z
    .string()
    .regex(/^\/[A-Za-z0-9._/@+-]+$/, "must be an absolute host path like /etc/berth/env/shop.env")
    .optional(),
  /** `docker run -v` specs: `/host/path:/container/path[:ro]` or `volume-name:/container/path[:ro]`. */
  volumes: z.array(z.string().regex(VOLUME, "must be HOST_PATH:CONTAINER_PATH[:ro|:rw] or VOLUME_NAME:CONTAINER_PATH[:ro|:rw]")).default([]),
});

const AppSchema = z.strictObject({
  name: ruled(appNameProblem),
  /** Names this app answers to; empty = the catch-all server reached by IP (dev without a domain). */
  hostnames: z.array(ruled(domainNameProblem)).default([]),
  /** Serves `/`. */
  frontend: UpstreamSchema,
  /** Serves `backendPath` (default /api). */
  backend: UpstreamSchema.optional(),
  backendPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._~-]+$/, "must be a path like /api")
    .default("/api"),
  /** Color that is live when the host is first set up; afterwards the deploy command owns it. */
  initialColor: z.enum(["blue", "green"]).default("blue"),
  /** Docker restart policy of the app's containers (the live color comes back after a reboot). */
  restart: z.enum(["no", "always", "unless-stopped", "on-failure"]).default("unless-stopped"),
});

const ExtraHostSchema = z.strictObject({
  hostname: ruled(domainNameProblem),
  /** Where nginx forwards, e.g. http://127.0.0.1:8080 (Jenkins) */
  upstream: z
    .string()
    .regex(/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}(\/.*)?$/, "must be an http(s) URL on the host's loopback, like http://127.0.0.1:8080"),
  /** Ask for a password (generated, exported as a secret) before forwarding. */
  basicAuthUser: loginName.optional(),
  websockets: z.boolean().default(true),
  /**
   * Forward the client's Authorization header to the upstream. Off by default when basic auth is
   * on: the header then carries the proxy password, which the upstream has no business seeing.
   */
  passAuthorization: z.boolean().default(false),
});

const ProxySchema = z.strictObject({
  enabled: z.boolean().default(false),
  apps: z.array(AppSchema).default([]),
  extraHosts: z.array(ExtraHostSchema).default([]),
  /** HSTS max-age; two years is what browsers' preload lists expect. 0 tells browsers to forget the policy. */
  hstsMaxAgeSeconds: z.number().int().min(0).max(63072000).default(63072000),
  /** HSTS for every subdomain of each served name too (only when all of them serve HTTPS). */
  hstsIncludeSubdomains: z.boolean().default(false),
  /** Ask to be preloaded into browsers (needs hstsIncludeSubdomains and a max-age of a year or more). */
  hstsPreload: z.boolean().default(false),
  /** Largest request body for app servers (the registry server has no limit). */
  clientMaxBodySize: ruled(nginxSizeProblem).default("10m"),
});

// Keys are checked in validateCloud (config/validate/cloud.ts): zod reports a bad record key without saying why.
const TagsSchema = z.record(z.string(), ruled(tagValueProblem));

/** Object-valued keys under `berth:` and their schemas. */
export const SECTIONS = {
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

export const RawSchema = z.strictObject(SECTIONS);

/** Every section and its top-level keys (the README's configuration reference must list them all). */
export function configKeys(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, schema] of Object.entries(SECTIONS)) {
    const inner = unwrap(schema as z.ZodType);
    out[name] = inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  }
  return out;
}

/** Keys of the nested objects the README documents in their sections' field tables. */
export function nestedConfigKeys(): Record<string, string[]> {
  return {
    "proxy.apps[]": Object.keys(AppSchema.shape),
    "proxy.apps[].frontend": Object.keys(UpstreamSchema.shape),
    "proxy.apps[].frontend.health": Object.keys(HealthSchema.shape),
    "registry.retention": Object.keys((unwrap(RegistrySchema.shape.retention) as z.ZodObject).shape),
  };
}

/** The parsed sections, defaults applied, before cross-field validation. */
export type Raw = z.output<typeof RawSchema>;

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

/** The schema inside default/prefault/optional wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else return s;
  }
}
