// The schema of every `berth:` key: types, defaults and what each field means, plus the typed
// Config that validation produces. Cross-field rules live in ./validate/, errors in ./errors.ts.
//
// Each key's meaning is said here once, in `.meta()`: `npm run docs:config` (cli/docsConfig.ts)
// copies it into schema/config.schema.json (an editor's hover over Pulumi.<stack>.yaml) and writes
// the README's configuration tables from it. The metadata keys:
//   description   what the key does, a fragment the README puts after the type
//   x-type        the type in words, where the schema's own type says too little
//   x-default     the default in words: a note after the default value, or, for an optional key
//                 without one, what happens when it is unset
import { z } from "zod";
import { parseCidr } from "../lib/cidr";
import {
  backupWindowProblem,
  ec2TextProblem,
  ENGINE_LIFECYCLE,
  LOG_RETENTION_DAYS,
  logRetentionProblem,
  MYSQL_MAJOR_VERSIONS,
  mysqlMajor,
  RDS_MYSQL_LOG_EXPORTS,
  tagValueProblem,
} from "../lib/apiRules";
import { certificateNameProblem, domainNameProblem, isRelativeRecordName } from "../lib/dnsNames";
import { DATA_VOLUME_MOUNT, EBS_VOLUME_TYPES } from "../lib/dataVolume";
import { DEPLOY_PATTERNS } from "../lib/deployRules";
import { appNameProblem, nginxSizeProblem } from "../lib/proxyRules";
import {
  containerPathProblem,
  DEFAULT_JOB_TIMEOUT_SECONDS,
  DEFAULT_VOLUME_MODE,
  DEFAULT_VOLUME_OWNER,
  modeProblem,
  ownerProblem,
  partNameProblem,
} from "../lib/appVolumes";
import { calendarProblem } from "../lib/calendar";
import { DEFAULT_APP_LOG_ERROR_PATTERN, logFilterPatternProblem } from "../lib/alerts";
import { DEFAULT_SCALING, FARGATE_SIZES, SCALING_TARGET_RANGE, type ScalingTarget } from "../lib/ecsRules";

declare module "zod" {
  interface GlobalMeta {
    /** The type in words, where the schema's own type says too little ("IPv4 CIDR, /16 to /24"). */
    "x-type"?: string;
    /** The default in words: a note after the default value, or what happens when an optional key is unset. */
    "x-default"?: string;
  }
}

// ---------------------------------------------------------------------------------------------
// Shared validators (exported so tests and components can reuse them)

export const INSTANCE_TYPE = /^(?:[a-z]+\d+[a-z0-9-]*|u-\d+tb\d)\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;
export const DB_INSTANCE_CLASS = /^db\.(?:[a-z]+\d+[a-z0-9-]*)\.(?:micro|small|medium|large|\d*xlarge)$/;
export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
export const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
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

const NetworkSchema = z
  .strictObject({
    vpcCidr: cidrString.default("10.0.0.0/16").meta({
      description: "the stack's own VPC; give dev and prod different blocks so they can be peered later",
      "x-type": "IPv4 CIDR, /16 to /24",
    }),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "must be an AZ name like ap-northeast-2a"))
      .length(2)
      .optional()
      .meta({
        description: "the AZs of the two public and the two database subnets, one of each per AZ",
        "x-type": "two AZ names of the region",
        "x-default": "first two available",
      }),
    publicSubnetCidrs: z
      .array(cidrString)
      .length(2)
      .optional()
      .meta({ description: "the host's public subnets", "x-type": "two CIDRs inside the VPC", "x-default": "first two /(vpc+4) blocks" }),
    databaseSubnetCidrs: z.array(cidrString).length(2).optional().meta({
      description: "the database's private subnets, with no route to the internet",
      "x-type": "two CIDRs inside the VPC",
      "x-default": "third and fourth /(vpc+4) blocks",
    }),
    flowLogs: z.boolean().default(true).meta({ description: "VPC flow logs (all traffic) to CloudWatch Logs, the network's audit trail" }),
    flowLogRetentionDays: logRetentionDays
      .default(90)
      .meta({ description: "days CloudWatch Logs keeps the flow logs", "x-type": `one of CloudWatch's retentions: ${LOG_RETENTION_DAYS.join(", ")}` }),
  })
  .meta({ description: "the VPC and its subnets" });

const IngressRuleSchema = z.strictObject({
  port: port.meta({ description: "the port, or the first port of a range" }),
  toPort: port.optional().meta({ description: "last port of a range", "x-default": "same as `port`" }),
  protocol: z.enum(["tcp", "udp"]).default("tcp").meta({ description: "IP protocol" }),
  from: z.enum(["anywhere", "admin"]).meta({ description: "`anywhere` = 0.0.0.0/0; `admin` = the admin CIDRs" }),
  description: ruled(ec2TextProblem).meta({ description: "carried into AWS as the rule's description: EC2's character set, 255 at most" }),
});

const FirewallSchema = z
  .strictObject({
    adminCidrs: z
      .array(cidrString)
      .min(1)
      .meta({ description: "networks allowed to reach SSH and the admin-only ports", "x-type": "list of CIDRs, never `0.0.0.0/0`" }),
    sshPort: port.default(22).meta({ description: "the host's SSH port (admin CIDRs only)" }),
    ingress: z
      .array(IngressRuleSchema)
      .default([])
      .meta({ description: "extra inbound rules for the host (dev: the API port; prod: 80 and 443)", "x-type": "list of rules (below)" }),
  })
  .meta({ description: "the host's inbound rules" });

/** Daily snapshots of the data volume (Data Lifecycle Manager). */
const DataVolumeSnapshotsSchema = z.strictObject({
  retainDays: z.number().int().min(1).max(1000).default(7).meta({ description: "daily snapshots kept; the oldest is deleted when a new one is made" }),
  time: z
    .string()
    .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "hh:mm" (UTC, 24-hour), e.g. "03:00"')
    .default("03:00")
    .meta({ description: "when the daily snapshot starts (UTC; DLM starts it within the hour after)", "x-type": "`hh:mm` UTC" }),
});

/** The data volume: an EBS volume apart from the instance, mounted at DATA_VOLUME_MOUNT. API limits per type: config/validate/cloud.ts. */
const DataVolumeSchema = z.strictObject({
  sizeGiB: z
    .number()
    .int()
    .min(1)
    .max(65536)
    .meta({ description: "size; raising it grows the volume and its filesystem in place (no restart, no new host); lowering it is refused", "x-type": "GiB" }),
  type: z.enum(EBS_VOLUME_TYPES).default("gp3").meta({ description: "EBS volume type" }),
  iops: z.number().int().optional().meta({
    "x-type": "IOPS",
    description: "provisioned IOPS: gp3 3000-16000 (500 per GiB), io1 100-64000 (50 per GiB), io2 100-256000 (1000 per GiB, required for io1/io2); not for gp2",
    "x-default": "gp3: 3000 included",
  }),
  throughput: z.number().int().optional().meta({
    "x-type": "MiB/s",
    description: "gp3 only: MiB/s, 125-1000 and at most 0.25 per IOPS",
    "x-default": "gp3: 125 included",
  }),
  protect: z.boolean().default(true).meta({ description: "Pulumi's `protect`: no `pulumi up` or `destroy` deletes or replaces the volume until this is off" }),
  snapshots: DataVolumeSnapshotsSchema.optional().meta({
    description: "daily snapshots by Data Lifecycle Manager, targeting the volume by tag, with their own least-privilege role",
    "x-type": "`{ retainDays, time }`",
    "x-default": "off",
  }),
});

const HostSchema = z
  .strictObject({
    instanceType: z
      .string()
      .regex(INSTANCE_TYPE, "must be an EC2 instance type like t3.xlarge or m7i.large")
      .default("t3.xlarge")
      .meta({ description: "the host's instance type; Graviton types get the arm64 image", "x-type": "EC2 type", "x-default": "(4 vCPU / 16 GiB)" }),
    rootVolumeGiB: z.number().int().min(8).max(16384).default(30).meta({ description: "size of the encrypted gp3 root volume" }),
    amiId: z.string().regex(AMI_ID, "must look like ami-0123456789abcdef0").optional().meta({
      description: "pin an AMI; without it the newest image from `amiOwner` matching `amiNamePattern` is looked up (and a later one never replaces the host)",
      "x-type": "`ami-...`",
      "x-default": "looked up",
    }),
    amiOwner: z
      .string()
      .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
      .default("099720109477")
      .meta({ description: "account whose images the lookup considers", "x-type": "12-digit account", "x-default": "(Canonical)" }),
    amiNamePattern: z
      .string()
      .min(1)
      .default("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*")
      .meta({ description: "the newest image whose name matches is looked up", "x-type": "image name filter" }),
    sshUser: unixUser.default("ubuntu").meta({ description: "the AMI's login user, which Pulumi uses for SSH", "x-type": "user name" }),
    deployUser: unixUser.default("deploy").meta({
      description: "non-root user CI deploys as; its key runs the deploy program only (no docker group)",
      "x-type": "user name",
    }),
    sshKeyAlgorithm: z.enum(["ED25519", "RSA"]).default("ED25519").meta({ description: "algorithm of the SSH keys the stack generates" }),
    dockerApiPort: port.default(2376).meta({ description: "the Docker API with mutual TLS, open to the admin CIDRs only (how Pulumi drives Docker)" }),
    dataVolume: DataVolumeSchema.optional().meta({
      description: `an encrypted EBS volume in the host's AZ, mounted at \`${DATA_VOLUME_MOUNT}\`, that outlives host replacements (below)`,
      "x-type": "`{ sizeGiB, type, iops, throughput, protect, snapshots }`",
      "x-default": "none: data on the host is lost with it",
    }),
  })
  .meta({ description: "the EC2 host" });

const DatabaseSchema = z
  .strictObject({
    engineVersion: z
      .string()
      .refine(
        (v) => mysqlMajor(v) !== undefined,
        `must be an RDS for MySQL version: ${Object.keys(MYSQL_MAJOR_VERSIONS).join(" or ")}, or an exact one like 8.4.3`,
      )
      .default("8.4")
      .meta({ description: "`8.4` (LTS) or `8.0`, or an exact one such as `8.4.3`", "x-type": "RDS for MySQL version" }),
    engineLifecycleSupport: z.enum(ENGINE_LIFECYCLE).default("open-source-rds-extended-support-disabled").meta({
      description: "at the end of standard support RDS upgrades the major version (disabled, no charge) or keeps it in paid Extended Support",
    }),
    instanceClass: z
      .string()
      .regex(DB_INSTANCE_CLASS, "must be an RDS class like db.t3.micro or db.m7g.large")
      .default("db.t3.micro")
      .meta({ description: "size of the database instance", "x-type": "RDS class", "x-default": "(free tier)" }),
    allocatedStorageGiB: z.number().int().min(20).max(65536).default(20).meta({ description: "encrypted gp3 storage at creation, in GiB" }),
    maxAllocatedStorageGiB: z.number().int().min(21).max(65536).optional().meta({
      description: "storage autoscaling ceiling, at least 10% above `allocatedStorageGiB` (RDS's rule)",
      "x-default": "off",
    }),
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must start with a letter and hold letters, digits or _ (64 at most)")
      .default("berth")
      .meta({ description: "the database RDS creates", "x-type": "database name" }),
    username: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,15}$/, "must start with a letter and hold letters, digits or _ (16 at most)")
      .refine((u) => !["rdsadmin", "root", "mysql", "admin_"].includes(u.toLowerCase()), "is reserved by RDS")
      .default("berth")
      .meta({ description: "the master user", "x-type": "user name (16 chars)" }),
    port: port.default(3306).meta({ description: "MySQL's port" }),
    backupRetentionDays: z.number().int().min(0).max(35).default(7).meta({ description: "days RDS keeps automated backups" }),
    backupWindow: ruled(backupWindowProblem)
      .optional()
      .meta({ description: "daily window of the automated backup", "x-type": "`hh:mm-hh:mm` UTC, 30 minutes or longer", "x-default": "AWS chooses" }),
    deletionProtection: z.boolean().default(true).meta({ description: "RDS refuses to delete the database" }),
    skipFinalSnapshot: z.boolean().default(false).meta({ description: "delete the database without a final snapshot" }),
    multiAz: z.boolean().default(false).meta({ description: "a standby in the other AZ" }),
    applyImmediately: z.boolean().default(false).meta({ description: "apply changes now, not in the next maintenance window" }),
    logExports: z
      .array(z.enum(RDS_MYSQL_LOG_EXPORTS))
      .refine((l) => new Set(l).size === l.length, "must not list a log twice")
      .default(["error", "slowquery"])
      .meta({ description: "MySQL logs published to CloudWatch Logs (`slowquery` and `general` switch the log on)" }),
    logRetentionDays: logRetentionDays.default(30).meta({
      description: "days CloudWatch Logs keeps the exported logs",
      "x-type": "one of CloudWatch's retentions (see `flowLogRetentionDays`)",
    }),
    slowQuerySeconds: z.number().min(0).max(3600).default(2).meta({ description: "`long_query_time` of the slow query log" }),
  })
  .meta({ description: "RDS for MySQL" });

const DnsRecordSchema = z.strictObject({
  name: z
    .string()
    .refine(isRelativeRecordName, 'must be "@" or DNS labels (a-z, 0-9, -; 63 characters each)')
    .meta({ description: "relative to the zone: `@` is the apex; `*` allowed as the left-most label" }),
  type: z.enum(["A", "CNAME"]).meta({ description: "`A` = the host's Elastic IP; `CNAME` = another record of this config" }),
  target: z.string().optional().meta({
    description: "CNAME only: a name in the same zone (`host`, `@`) or the FQDN of one in another zone",
    "x-default": "none",
  }),
  ttl: z
    .number()
    .int()
    .min(1)
    .max(86400)
    .optional()
    .meta({ description: "seconds; Cloudflare: 1 (automatic) or 60-86400, and proxied records always use automatic", "x-default": "300" }),
  proxied: z.boolean().optional().meta({
    description: "Cloudflare only: serve through Cloudflare's proxy; never the registry name or a name it resolves through",
    "x-default": "false",
  }),
});

const DnsZoneSchema = z.strictObject({
  domain: ruled(domainNameProblem).meta({ description: "e.g. `example.com`", "x-type": "lower-case domain" }),
  provider: z.enum(["route53", "cloudflare"]).meta({ description: "who serves the zone" }),
  zoneId: z.string().min(1).optional().meta({
    description:
      "Route53: adopt this hosted zone (`Z0123...`, without `/hostedzone/`); Berth creates no zone and exports no name servers for it. Cloudflare: use this zone id (32 hex) instead of looking the zone up by name.",
    "x-type": "string",
    "x-default": "none",
  }),
  accountId: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Cloudflare: look the zone up by name within one account; not together with `zoneId`", "x-type": "32 hex", "x-default": "none" }),
  records: z.array(DnsRecordSchema).min(1).meta({ description: "the zone's records (below)", "x-type": "list (at least one)" }),
});

const DnsSchema = z
  .strictObject({
    zones: z.array(DnsZoneSchema).default([]).meta({
      description: "the zones whose records Berth manages",
      "x-type": "list of zones (below)",
      "x-default": "(reach the host by IP)",
    }),
  })
  .meta({ description: "DNS zones and records in Route53 and Cloudflare" });

const TlsSchema = z
  .strictObject({
    mode: z
      .enum(["self-signed", "cloudflare-origin", "provided", "letsencrypt"])
      .default("self-signed")
      .meta({ description: "how the served certificate is made (below)" }),
    extraNames: z.array(ruled(certificateNameProblem)).default([]).meta({
      description: "names the certificate covers beyond the served ones",
      "x-type": "list of names (`*.x` allowed, not for letsencrypt)",
    }),
    validityDays: z
      .number()
      .int()
      .min(1)
      .max(825)
      .default(365)
      .meta({ description: "self-signed server certificate lifetime; must exceed `minRemainingDays`" }),
    minRemainingDays: z.number().int().min(0).max(365).default(30).meta({
      description: "a provided certificate must stay valid this long; `pulumi up` renews a self-signed server certificate when fewer days remain",
    }),
    originRequestType: z
      .enum(["origin-ecc", "origin-rsa"])
      .default("origin-ecc")
      .meta({ description: "Cloudflare Origin CA key type, ECDSA P-256 or RSA 2048" }),
    originValidityDays: z
      .union([7, 30, 90, 365, 730, 1095, 5475].map((n) => z.literal(n)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>])
      .default(5475)
      .meta({ description: "Cloudflare Origin CA certificate lifetime in days" }),
    email: z
      .string()
      .email()
      .optional()
      .meta({ description: "Let's Encrypt account e-mail", "x-type": "e-mail address", "x-default": "required for letsencrypt" }),
    staging: z.boolean().default(false).meta({ description: "Let's Encrypt staging endpoint (for trying without rate limits)" }),
  })
  .meta({ description: "the served certificate" });

const RegistrySchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: "run the private registry on the host" }),
    image: z
      .string()
      .regex(/^registry:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/, "must be an exact registry image like registry:3.0.0")
      .default("registry:3.0.0")
      .meta({
        description: "3.0.0 or newer with `storage: s3`; moving tags like `latest` are refused so a pull never changes what runs",
        "x-type": "exact `registry:X.Y.Z`",
      }),
    username: loginName.default("berth").meta({ description: "the registry's one basic-auth login", "x-type": "user name" }),
    port: port.default(5000).meta({ description: "public in direct mode, on 127.0.0.1 behind nginx in proxy mode" }),
    expose: z.enum(["direct", "proxy"]).default("proxy").meta({
      description: "how clients reach it: `https://<ip>:<port>` (direct, dev) or nginx serving it as `hostname` (proxy, prod)",
    }),
    hostname: ruled(domainNameProblem).optional().meta({
      description: "the name nginx serves the registry as (proxy mode), e.g. `docker.example.com`",
      "x-type": "domain name",
      "x-default": "(required for proxy)",
    }),
    allowFrom: z.enum(["anywhere", "admin"]).default("admin").meta({ description: "who may reach the registry's port (direct mode)" }),
    storage: z.enum(["s3", "filesystem"]).default("s3").meta({
      description: "a private, encrypted bucket of the stack that outlives the host, or `dataDir` on the root volume, which goes with it",
    }),
    dataDir: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path")
      .default("/var/lib/berth/registry")
      .meta({ description: "host directory of the images (`storage: filesystem`)", "x-type": "absolute host path" }),
    retention: z
      .strictObject({
        keep: z.number().int().min(1).max(1000).default(10).meta({ description: "newest tags kept per repository, besides every app's live and previous tag" }),
        schedule: z
          .string()
          .regex(/^[A-Za-z0-9 *:,/.~-]{1,64}$/, 'must be a systemd calendar expression like "daily" or "Sun *-*-* 04:00:00"')
          .default("Sun *-*-* 04:00:00")
          .meta({ description: "systemd `OnCalendar` expression of the host's retention timer" }),
      })
      .prefault({})
      .meta({ description: "old tags deleted by a timer on the host (never a live or previous deploy's)", "x-type": "`{ keep, schedule }` (below)" }),
  })
  .meta({ description: "the private registry on the host" });

/** How the deploy command decides that a freshly started container serves. */
const HealthSchema = z.strictObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/?=&%+-]*$/, "must be a URL path like /healthz")
    .default("/")
    .meta({ description: "path probed on the container's loopback port; any 2xx or 3xx answer counts" }),
  intervalSeconds: z.number().min(0.1).max(60).default(0.5).meta({ description: "seconds between two probes" }),
  timeoutSeconds: z.number().min(0.1).max(60).default(2).meta({ description: "seconds one probe may take" }),
  successes: z.number().int().min(1).max(20).default(2).meta({ description: "healthy answers in a row before the part counts as healthy" }),
  deadlineSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .meta({ description: "seconds the whole check may take; then the deploy fails and the old color keeps serving" }),
});

/** `HOST_PATH:CONTAINER_PATH[:ro|:rw]` or `VOLUME_NAME:CONTAINER_PATH[:ro|:rw]`. */
const VOLUME = /^(?:\/[A-Za-z0-9._/@+-]+|[A-Za-z0-9][A-Za-z0-9_.-]*):\/[A-Za-z0-9._/@+-]*(?::(?:ro|rw))?$/;

/** A directory of the app on the host (lib/appVolumes.ts): `/srv/berth/volumes/<app>/<name>` mounted at `path`. */
const AppVolumeSchema = z.strictObject({
  name: ruled(partNameProblem).meta({ description: "the directory's name under `/srv/berth/volumes/<app>/`", "x-type": "`[a-z0-9][a-z0-9-]*`" }),
  path: ruled(containerPathProblem).meta({ description: "where the part's containers see it", "x-type": "absolute container path, no `..`" }),
  owner: ruled(ownerProblem)
    .default(DEFAULT_VOLUME_OWNER)
    .meta({ description: "owner of the directory when berth-deploy makes it: the user the image runs as", "x-type": '`"uid:gid"`' }),
  mode: ruled(modeProblem).default(DEFAULT_VOLUME_MODE).meta({ description: "mode of the directory", "x-type": 'octal text like `"0750"`' }),
});

/** A scheduled job of an app part (lib/calendar.ts checks the schedule). */
const JobSchema = z.strictObject({
  name: ruled(partNameProblem).meta({
    description: "the job's name: `berth-deploy job <app> <name>` and the units `berth-job-<app>_<name>.timer/.service`",
    "x-type": "`[a-z0-9][a-z0-9-]*`",
  }),
  schedule: ruled(calendarProblem).meta({
    description: "when the timer fires (`Persistent=true`: a run missed while the host was down runs at boot)",
    "x-type": "systemd `OnCalendar` expression",
  }),
  command: z
    .array(z.string().min(1).max(4096), { error: 'must be a list of arguments (argv), e.g. ["node", "scripts/report.js"], not one string' })
    .min(1)
    .max(64)
    .meta({ description: "argv of the one-off container; the first word replaces the image's entrypoint", "x-type": "argv list" }),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(86400)
    .default(DEFAULT_JOB_TIMEOUT_SECONDS)
    .meta({ description: "seconds a run may take; then its container is killed and the run counts as failed" }),
});

/** An environment variable name an app part may be given (lib/deployRules.ts DEPLOY_PATTERNS.envName). */
const envName = z.string().regex(new RegExp(DEPLOY_PATTERNS.envName), "must be an environment variable name: A-Z, 0-9 and _, not starting with a digit");

const UpstreamSchema = z.strictObject({
  bluePort: port.meta({ description: "loopback port the blue color's container is published on" }),
  greenPort: port.meta({ description: "loopback port the green color's container is published on" }),
  livePort: port.meta({ description: "fixed loopback port nginx proxies to; the switch forwards it to the live color" }),
  containerPort: port.default(80).meta({ description: "port the app listens on inside its container" }),
  repository: z
    .string()
    .regex(
      /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
      "must be a registry repository name like shop-frontend (lower-case, digits, . _ - /)",
    )
    .max(128)
    .optional()
    .meta({
      description: "image `<registry>/<repository>:<tag>`",
      "x-type": "registry repository",
      "x-default": "`<app>-frontend` / `<app>-backend`",
    }),
  health: HealthSchema.prefault({}).meta({
    description: "a 2xx/3xx on `path` counts; `successes` in a row per part; the deploy fails at the deadline",
    "x-type": "`{ path, intervalSeconds, timeoutSeconds, successes, deadlineSeconds }`",
  }),
  envFile: z
    .string()
    .regex(/^\/[A-Za-z0-9._/@+-]+$/, "must be an absolute host path like /etc/berth/env/shop.env")
    .optional()
    .meta({
      description: "`docker run --env-file`; you put the file on the host (secrets stay out of Pulumi)",
      "x-type": "absolute host path",
      "x-default": "none",
    }),
  volumes: z
    .array(
      z.union([z.string().regex(VOLUME, "must be HOST_PATH:CONTAINER_PATH[:ro|:rw] or VOLUME_NAME:CONTAINER_PATH[:ro|:rw]"), AppVolumeSchema], {
        error: "must be HOST_PATH:CONTAINER_PATH[:ro|:rw], VOLUME_NAME:CONTAINER_PATH[:ro|:rw] or { name, path, owner?, mode? }",
      }),
    )
    .default([])
    .meta({
      description:
        "`{ name, path }`: the host directory `/srv/berth/volumes/<app>/<name>` mounted at `path`, made by `berth-deploy` before the first container that mounts it, shared by both colors and never deleted; a string is passed to `docker run -v` as it is",
      "x-type": "list of `{ name, path, owner?, mode? }` (below) or `HOST_PATH:CONTAINER_PATH[:ro]` / `VOLUME:CONTAINER_PATH[:ro]`",
    }),
  jobs: z.array(JobSchema).max(32).default([]).meta({
    description:
      "scheduled jobs: a systemd timer runs `berth-deploy job <app> <name>`, the live tag as a one-off container with the part's env, secrets, database and volumes; never two runs at once",
    "x-type": "list of `{ name, schedule, command, timeoutSeconds? }` (below)",
  }),
  // Names are checked in validateAppRuntime (config/validate/apps.ts): zod reports a bad record key without saying why.
  env: z.record(z.string(), z.string().max(32768)).default({}).meta({
    description: "clear values the part's containers get (`NAME: value`); `PORT`, `BERTH_*` and the database names are Berth's",
    "x-type": "map of name to text",
  }),
  secrets: z.array(envName).default([]).meta({
    description:
      "names whose values come from `berth:appSecrets.<app>.<NAME>`; a value with a newline becomes the file `/run/secrets/<NAME>` and `<NAME>_FILE`",
    "x-type": "list of names",
  }),
  release: z
    .array(z.string().min(1).max(4096), { error: 'must be a list of arguments (argv), e.g. ["npm", "run", "migrate"], not one string' })
    .min(1)
    .max(64)
    .optional()
    .meta({
      description:
        "command run once per deploy in a one-off container of the new image (replacing its entrypoint) before any candidate starts; a failure aborts the deploy",
      "x-type": "argv list",
      "x-default": "none",
    }),
  releaseTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(86400)
    .default(600)
    .meta({ description: "seconds the release step may take; then it is stopped and the deploy fails" }),
});

const AppSchema = z.strictObject({
  name: ruled(appNameProblem).meta({
    description: "used in container, upstream and file names",
    "x-type": "lower-case letters, digits, `-` (31)",
  }),
  runtime: z.literal("host").default("host").meta({
    description: "`host`: blue/green containers on the EC2 host behind nginx; `ecs`: ECS Fargate behind the stack's load balancer (fields below)",
    "x-type": "`host` or `ecs`",
  }),
  hostnames: z.array(ruled(domainNameProblem)).default([]).meta({ description: "empty = the catch-all server reached by IP", "x-type": "list of names" }),
  frontend: UpstreamSchema.meta({ description: "serves `/`", "x-type": "part (below)" }),
  backend: UpstreamSchema.optional().meta({ description: "serves `backendPath`", "x-type": "part (below)", "x-default": "none" }),
  backendPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._~-]+$/, "must be a path like /api")
    .default("/api")
    .meta({ description: "`/api` and `/api/...` go to the back end, `/apiary` does not", "x-type": "path" }),
  database: z
    .boolean()
    .default(false)
    .meta({ description: "its own MySQL database and user on the stack's RDS (never the master); every part gets `DATABASE_URL` and `DB_*`" }),
  initialColor: z
    .enum(["blue", "green"])
    .default("blue")
    .meta({ description: "where the switch points before the first deploy; afterwards the deploy program owns it" }),
  restart: z
    .enum(["no", "always", "unless-stopped", "on-failure"])
    .default("unless-stopped")
    .meta({ description: "Docker restart policy of the live color (it comes back after a reboot)" }),
});

// ---------------------------------------------------------------------------------------------
// Apps on ECS Fargate (`runtime: ecs`): the same contract (env, secrets, database, release, health),
// no blue/green ports (ECS and the load balancer move traffic), a task size and a task count.

const FARGATE_CPUS = Object.keys(FARGATE_SIZES).map(Number);

/** The load balancer's health check of a part's tasks (ELB's ranges: whole seconds, thresholds 2-10). */
const EcsHealthSchema = z.strictObject({
  path: HealthSchema.shape.path,
  intervalSeconds: z.number().int().min(5).max(300).default(10).meta({ description: "seconds between two checks of a task" }),
  timeoutSeconds: z.number().int().min(2).max(120).default(5).meta({ description: "seconds one check may take" }),
  successes: z.number().int().min(2).max(10).default(2).meta({ description: "healthy answers in a row before a task gets traffic" }),
  failures: z.number().int().min(2).max(10).default(3).meta({ description: "failed answers in a row before a task is taken out and replaced" }),
});

/**
 * A scheduled job of an ECS part: the host's job (name, schedule, command) run as an EventBridge
 * Scheduler schedule of RunTask (lib/calendarCron.ts translates the schedule; config/validate/cluster.ts
 * refuses one without an exact Scheduler form). No `timeoutSeconds`: ECS has no time limit for a task.
 */
const EcsJobSchema = z.strictObject({
  name: ruled(partNameProblem).meta({
    description: "the job's name, unique per app: the schedule `<app>-<name>` in the stack's schedule group `<project>-<stack>-jobs`",
    "x-type": "`[a-z0-9][a-z0-9-]*`",
  }),
  schedule: ruled(calendarProblem).meta({
    description:
      "when Scheduler starts a run: the host's OnCalendar form, refused unless it has an exact Scheduler cron form (whole minutes; weekdays or a day of the month; UTC unless it names a zone)",
    "x-type": "systemd `OnCalendar` expression",
  }),
  command: JobSchema.shape.command.meta({
    description: "argv of the run: replaces the part container's command (CMD); an image ENTRYPOINT stays and gets it as arguments",
    "x-type": "argv list",
  }),
});

const EcsPartSchema = z.strictObject({
  containerPort: port.default(80).meta({ description: "port the app listens on inside its container (the target group's port)" }),
  cpu: z
    .number()
    .int()
    .default(256)
    .meta({ description: "Fargate CPU units of the part's task; with `memory` one of Fargate's sizes", "x-type": `one of ${FARGATE_CPUS.join(", ")}` }),
  memory: z.number().int().default(512).meta({
    description: "MiB of the part's task, allowed with its `cpu` (256: 512-2048; 512: 1024-4096; ...)",
    "x-type": "MiB, a Fargate size with `cpu`",
  }),
  health: EcsHealthSchema.prefault({}).meta({
    description: "the target group's health check; `timeoutSeconds` must be below `intervalSeconds`",
    "x-type": "`{ path, intervalSeconds, timeoutSeconds, successes, failures }`",
  }),
  env: UpstreamSchema.shape.env,
  secrets: UpstreamSchema.shape.secrets,
  release: UpstreamSchema.shape.release,
  releaseTimeoutSeconds: UpstreamSchema.shape.releaseTimeoutSeconds,
  jobs: z.array(EcsJobSchema).max(32).default([]).meta({
    description:
      "scheduled jobs: an EventBridge Scheduler schedule per job runs a one-off task of the part's latest task definition revision (the deployed image) with the job's command; Scheduler does not keep two runs apart (see Apps on ECS Fargate)",
    "x-type": "list of `{ name, schedule, command }` (below)",
  }),
});

/** Target tracking of an ECS app's parts: the metric, and the value to keep it at (per metric its own range; requests has no default). */
const ScaleOnSchema = z.discriminatedUnion(
  "metric",
  [
    z.strictObject({
      metric: z.literal("cpu"),
      target: z.number().int().min(SCALING_TARGET_RANGE.cpu.min).max(SCALING_TARGET_RANGE.cpu.max).default(DEFAULT_SCALING.target),
    }),
    z.strictObject({
      metric: z.literal("requests"),
      target: z.number().int().min(SCALING_TARGET_RANGE.requests.min).max(SCALING_TARGET_RANGE.requests.max),
    }),
  ],
  { error: 'metric must be "cpu" or "requests"' },
);

const EcsAppSchema = z.strictObject({
  name: AppSchema.shape.name,
  runtime: z.literal("ecs").meta({ description: "runs on ECS Fargate", "x-type": "`ecs`" }),
  hostnames: z
    .array(ruled(domainNameProblem))
    .min(1)
    .meta({ description: "names the load balancer serves (host-header rules); each in a zone of `berth:dns`", "x-type": "list of names (at least one)" }),
  frontend: EcsPartSchema.meta({ description: "serves `/`", "x-type": "ecs part (below)" }),
  backend: EcsPartSchema.optional().meta({ description: "serves `backendPath`", "x-type": "ecs part (below)", "x-default": "none" }),
  backendPath: AppSchema.shape.backendPath,
  database: AppSchema.shape.database,
  desiredCount: z.number().int().min(0).max(1000).default(2).meta({ description: "tasks per part the service keeps running (two spread over the two AZs)" }),
  minCount: z.number().int().min(0).max(1000).optional().meta({ description: "fewest tasks per part autoscaling may leave", "x-default": "`desiredCount`" }),
  maxCount: z.number().int().min(1).max(1000).optional().meta({ description: "most tasks per part autoscaling may start", "x-default": "`desiredCount`" }),
  scaleOn: ScaleOnSchema.optional().meta({
    description:
      "what target tracking follows when `maxCount` > `minCount`: `cpu`, the service's average CPU in percent; `requests`, the load balancer's requests per task and minute (ALBRequestCountPerTarget), for apps that wait on I/O more than they compute",
    "x-type": `\`{ metric: cpu, target: ${SCALING_TARGET_RANGE.cpu.min}-${SCALING_TARGET_RANGE.cpu.max} }\` or \`{ metric: requests, target: ${SCALING_TARGET_RANGE.requests.min}-${SCALING_TARGET_RANGE.requests.max} }\``,
    "x-default": `\`{ metric: ${DEFAULT_SCALING.metric}, target: ${DEFAULT_SCALING.target} }\``,
  }),
});

/** An app of either runtime, told apart by `runtime` (absent = host). */
const AnyAppSchema = z.discriminatedUnion("runtime", [AppSchema, EcsAppSchema], {
  error: 'runtime must be "host" (the default) or "ecs"',
});

const ClusterSchema = z
  .strictObject({
    containerInsights: z.boolean().default(true).meta({ description: "ECS Container Insights (per-task CPU, memory, network metrics in CloudWatch, billed)" }),
    deregistrationDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(5)
      .meta({ description: "seconds the load balancer keeps sending in-flight requests to a stopping task; keep it above the app's longest request" }),
    idleTimeoutSeconds: z.number().int().min(1).max(4000).default(60).meta({
      description: "load balancer idle timeout; the app's keep-alive timeout must be longer, or the load balancer reuses connections the app closed (502s)",
    }),
    accessLogs: z.boolean().default(false).meta({
      description: "the load balancer's access logs to a private bucket of the stack (recommended for production; S3 storage is billed)",
    }),
    accessLogRetentionDays: z.number().int().min(1).max(3650).default(90).meta({ description: "days S3 keeps an access log object" }),
    stopTimeoutSeconds: z
      .number()
      .int()
      .min(2)
      .max(120)
      .default(30)
      .meta({ description: "seconds between SIGTERM and SIGKILL when ECS stops a task; the app finishes in-flight requests on SIGTERM" }),
    taskSubnets: z.enum(["public", "private"]).default("public").meta({
      description:
        "where the tasks run: `public`, in the two public subnets with a public IP each (no NAT gateway or endpoint to pay for); `private`, in two subnets of their own with no route out, reaching ECR, CloudWatch Logs and SSM through VPC endpoints (billed per hour and AZ), and nothing else: no internet",
      "x-type": "`public` or `private`",
    }),
    taskSubnetCidrs: z.array(cidrString).length(2).optional().meta({
      description: "the two task subnets of `taskSubnets: private`, one per AZ of berth:network",
      "x-type": "two CIDRs inside the VPC",
      "x-default": "the first two /(vpc+4) blocks no other subnet overlaps",
    }),
  })
  .meta({ description: "ECS Fargate behind a load balancer, for apps with `runtime: ecs` (nothing is made without one)" });

const ExtraHostSchema = z.strictObject({
  hostname: ruled(domainNameProblem).meta({ description: "the served name" }),
  upstream: z
    .string()
    .regex(/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}(\/.*)?$/, "must be an http(s) URL on the host's loopback, like http://127.0.0.1:8080")
    .meta({ description: "where nginx forwards: an http(s) URL on the host's loopback, e.g. `http://127.0.0.1:8080` (Jenkins)" }),
  basicAuthUser: loginName
    .optional()
    .meta({ description: "ask for a password (generated, exported as a secret) before forwarding", "x-default": "no password" }),
  websockets: z.boolean().default(true).meta({ description: "pass WebSocket upgrades through" }),
  passAuthorization: z.boolean().default(false).meta({
    description:
      "forward the client's Authorization header to the upstream; off because with basic auth it carries the proxy password, which the upstream has no business seeing",
  }),
});

const ProxySchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: "nginx on the host as the reverse proxy" }),
    apps: z.array(AnyAppSchema).default([]).meta({
      description: "apps: blue/green on the host behind nginx, or on ECS Fargate (`runtime: ecs`)",
      "x-type": "list of apps (below)",
    }),
    extraHosts: z.array(ExtraHostSchema).default([]).meta({ description: "names nginx forwards to services on the host's loopback", "x-type": "list (below)" }),
    hstsMaxAgeSeconds: z.number().int().min(0).max(63072000).default(63072000).meta({
      description: "HSTS max-age; two years is what browsers' preload lists expect, 0 tells browsers to forget the policy",
      "x-default": "(two years)",
    }),
    hstsIncludeSubdomains: z.boolean().default(false).meta({ description: "HSTS covers subdomains of each served name (only when all of them serve HTTPS)" }),
    hstsPreload: z.boolean().default(false).meta({
      description: "ask for browsers' preload lists; needs `hstsIncludeSubdomains` and a max-age of at least `31536000`",
    }),
    clientMaxBodySize: ruled(nginxSizeProblem)
      .default("10m")
      .meta({ description: "largest request body of app servers (the registry's server has no limit)", "x-type": "nginx size" }),
    appLogRetentionDays: logRetentionDays.default(30).meta({
      description: "days CloudWatch Logs keeps the apps' container logs (one group per app, `/<project>/<stack>/apps/<app>`)",
      "x-type": "one of CloudWatch's retentions (see `flowLogRetentionDays`)",
    }),
  })
  .meta({ description: "nginx on the host: apps, extra hosts, HSTS" });

/** A percentage threshold: 1-99 (0 and 100 can never or always fire). */
const percent = (dflt: number, description: string) => z.number().int().min(1).max(99).default(dflt).meta({ description, "x-type": "percent, 1-99" });

/** An SNS topic ARN (an existing topic the alarms notify). */
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const AlertsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        "CloudWatch alarms and a dashboard; also the CloudWatch agent and Berth's host check on the host, and the deploy log in CloudWatch Logs, which a host with apps gets anyway (section Alerts)",
    }),
    email: z.array(z.string().email()).default([]).meta({
      description: "addresses subscribed to the alarm topic; each must confirm AWS's e-mail, and an unconfirmed subscription cannot be deleted by the stack",
      "x-type": "list of e-mail addresses",
    }),
    snsTopicArn: z.string().regex(SNS_TOPIC_ARN, "must be an SNS topic ARN like arn:aws:sns:ap-northeast-2:123456789012:ops-alerts").optional().meta({
      description: "notify this existing topic (in the stack's region) instead of a topic of the stack's own",
      "x-type": "SNS topic ARN",
      "x-default": "a topic of the stack's own",
    }),
    diskUsedPercent: percent(85, "alarm when a watched disk is this full (`/`, and the data volume where there is one)"),
    memoryUsedPercent: percent(90, "alarm when the host's memory is this used (5-minute average, 15 minutes)"),
    cpuCreditBalance: z.number().int().min(1).max(5000).default(20).meta({ description: "burstable hosts (t2/t3/t4g): alarm below this many CPU credits" }),
    databaseFreeStoragePercent: percent(10, "alarm when less than this share of the database's allocated storage is free"),
    databaseFreeStorageGiB: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(2)
      .meta({ description: "alarm when less than this many GiB of database storage are free" }),
    databaseCpuPercent: percent(80, "alarm when the database's CPU averages this for 15 minutes"),
    databaseFreeableMemoryMiB: z
      .number()
      .int()
      .min(1)
      .max(1048576)
      .default(64)
      .meta({ description: "alarm when the database's freeable memory is below this" }),
    databaseConnectionsPercent: percent(80, "alarm when connections reach this share of the instance class's max_connections"),
    databaseMaxConnections: z.number().int().min(1).max(100000).optional().meta({
      description: "max_connections of the database, for a class whose memory Berth does not know or a changed parameter",
      "x-default": "from the instance class's memory (RDS's default formula)",
    }),
    certificateDaysToExpiry: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(14)
      .meta({ description: "alarm when the served certificate expires in fewer days (or cannot be read)" }),
    containerRestarts: z.number().int().min(1).max(1000).default(3).meta({ description: "alarm when containers restarted this often in 10 minutes" }),
    deployFailures: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .meta({ description: "alarm when this many deploys, rollbacks or restarts failed in 10 minutes" }),
    http5xxCount: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(10)
      .meta({ description: "apps on ECS: alarm when the load balancer, or one app part's targets, answer this many 5xx in 5 minutes" }),
    appLogErrors: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(10)
      .meta({ description: "alarm when one app's log group receives this many lines matching `appLogErrorPattern` in 5 minutes (host and ECS apps)" }),
    appLogErrorPattern: ruled(logFilterPatternProblem).default(DEFAULT_APP_LOG_ERROR_PATTERN).meta({
      description:
        "CloudWatch Logs filter pattern of an error line in the apps' logs (case-sensitive terms; `?` before each term means any of them); set it to your logger's error level word",
      "x-type": "CloudWatch Logs filter pattern",
    }),
    agentIntervalSeconds: z
      .union([10, 30, 60, 120, 300].map((n) => z.literal(n)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>])
      .default(60)
      .meta({ description: "seconds between the CloudWatch agent's disk and memory samples" }),
    deployLogRetentionDays: logRetentionDays.default(30).meta({
      description: "days CloudWatch Logs keeps the deploy log (`/<project>/<stack>/deploy`) and the host check's metric lines",
      "x-type": "one of CloudWatch's retentions (see `flowLogRetentionDays`)",
    }),
  })
  .meta({ description: "alarms to e-mail or an SNS topic, a dashboard, host metrics and the deploy log in CloudWatch" });

// Keys are checked in validateCloud (config/validate/cloud.ts): zod reports a bad record key without saying why.
const TagsSchema = z
  .record(z.string(), ruled(tagValueProblem))
  .meta({ description: "extra tags for every AWS resource (`Project`, `Stack`, `ManagedBy` and `Name` are always set)" });

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
  alerts: AlertsSchema.prefault({}),
  cluster: ClusterSchema.prefault({}),
  tags: TagsSchema.default({}),
} as const;

/** String keys under `berth:` that must be Pulumi secrets (`pulumi config set --secret`). */
export const SECRET_KEYS = ["databasePassword", "registryPassword", "tlsCertificate", "tlsPrivateKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** What each secret key is for (the README's secret keys table and the config schema's hover). */
export const SECRET_DESCRIPTIONS: Readonly<Record<SecretKey | "cloudflare:apiToken", string>> = {
  databasePassword: "RDS master password (8-41 printable ASCII, none of `/ ' \" @` or space); generated if unset",
  registryPassword: "registry password; generated if unset",
  tlsCertificate: "PEM chain for `tls.mode: provided` (`pulumi config set --secret berth:tlsCertificate < fullchain.pem`)",
  tlsPrivateKey: "its PEM key (`pulumi config set --secret berth:tlsPrivateKey < privkey.pem`)",
  "cloudflare:apiToken": "optional Cloudflare API token; otherwise `CLOUDFLARE_API_TOKEN`",
};

/** The key of the apps' secret values: a mapping app -> NAME -> value, set per value with `--path`. */
export const APP_SECRETS_KEY = "appSecrets";

/** What berth:appSecrets is for (the README's secret keys table). */
export const APP_SECRETS_DESCRIPTION =
  "values of the names an app part lists in `secrets` (and `DB_PASSWORD` of an app with `database: true`): `pulumi config set --secret --path 'berth:appSecrets.<app>.<NAME>' <value>`";

/** `aws:region`, which config validation reads beside the `berth:` keys. */
export const RegionSchema = z
  .string()
  .regex(REGION, "must be an AWS region like ap-northeast-2")
  .meta({ description: "where every resource of the stack lives", "x-type": "AWS region" });

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
    "proxy.apps[].frontend.volumes[]": Object.keys(AppVolumeSchema.shape),
    "proxy.apps[].frontend.jobs[]": Object.keys(JobSchema.shape),
    "proxy.apps[] (ecs)": Object.keys(EcsAppSchema.shape),
    "proxy.apps[].frontend (ecs)": Object.keys(EcsPartSchema.shape),
    "proxy.apps[].frontend.jobs[] (ecs)": Object.keys(EcsJobSchema.shape),
    "registry.retention": Object.keys((unwrap(RegistrySchema.shape.retention) as z.ZodObject).shape),
    "host.dataVolume": Object.keys(DataVolumeSchema.shape),
    "host.dataVolume.snapshots": Object.keys(DataVolumeSnapshotsSchema.shape),
  };
}

/** The nested objects the README documents in field tables of their own (by the tables' marker names). */
export function nestedSchemas(): Record<string, z.ZodObject> {
  return {
    "host.dataVolume": DataVolumeSchema,
    "host.dataVolume.snapshots": DataVolumeSnapshotsSchema,
    "dns.zones[]": DnsZoneSchema,
    "proxy.apps[]": AppSchema,
    "proxy.apps[].frontend": UpstreamSchema,
    "proxy.apps[].frontend.volumes[]": AppVolumeSchema,
    "proxy.apps[].frontend.jobs[]": JobSchema,
    "proxy.apps[] (ecs)": EcsAppSchema,
    "proxy.apps[].frontend (ecs)": EcsPartSchema,
    "proxy.apps[].frontend.jobs[] (ecs)": EcsJobSchema,
  };
}

/** The parsed sections, defaults applied, before cross-field validation: apps of both runtimes. */
export type ParsedRaw = z.output<typeof RawSchema>;
/** An app of either runtime, as parsed. */
export type AnyApp = ParsedRaw["proxy"]["apps"][number];
/** An app on the host (`runtime: host`), as parsed. */
export type HostApp = Extract<AnyApp, { runtime: "host" }>;
/** An app on ECS Fargate (`runtime: ecs`), as parsed. */
export type EcsApp = Extract<AnyApp, { runtime: "ecs" }>;
/** One part of an ECS app. */
export type EcsPart = EcsApp["frontend"];

/**
 * The host's view of the parsed sections: `proxy.apps` holds the host apps only, so nginx, the
 * deploy program, the certificate and every host-layer rule leave ECS apps out without knowing of them.
 */
export type Raw = Omit<ParsedRaw, "proxy" | "cluster"> & { readonly proxy: Omit<ParsedRaw["proxy"], "apps"> & { readonly apps: HostApp[] } };

/** An ECS app as validated: its place in berth:proxy.apps (for error keys), its counts and scaling resolved. */
export type EcsAppConfig = Omit<EcsApp, "scaleOn"> & {
  /** Index in berth:proxy.apps. */
  readonly index: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** What target tracking follows (berth:proxy.apps[].scaleOn, or 60 % CPU). */
  readonly scaleOn: ScalingTarget;
};

/** The ECS side of the stack: the cluster's settings and its apps; undefined when no app uses `runtime: ecs`. */
export interface ClusterConfig {
  readonly settings: ParsedRaw["cluster"];
  readonly apps: readonly EcsAppConfig[];
  /** With `taskSubnets: private`: the task subnets' blocks, as given or chosen; absent with `public`. */
  readonly taskSubnetCidrs?: readonly [string, string];
}

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
  readonly alerts: Raw["alerts"];
  /** Apps with `runtime: ecs` and berth:cluster; undefined when there are none (nothing of ECS is made). */
  readonly cluster?: ClusterConfig;
  readonly tags: Record<string, string>;
  /** Secret config values that were set (as secrets); absent when not configured. */
  readonly secrets: Partial<Record<SecretKey, string>>;
  /** berth:appSecrets: app -> NAME -> value (all secrets); empty when not set. */
  readonly appSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The schema inside default/prefault/optional wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else return s;
  }
}
