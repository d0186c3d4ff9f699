// Value rules of the AWS and Cloudflare APIs that the Pulumi providers do not check themselves.
//
// A preview passes any string the provider schema accepts; the API then refuses it halfway through
// the first real `pulumi up`. Each rule here is stated once, with where it comes from, and used by
// config validation (user-typed values) and by the components (Berth's own constant texts), so the
// offline plan fails where the real API would. Pure: no Pulumi, no I/O.

/**
 * EC2 security group names, group descriptions and rule descriptions (VPC): letters, digits,
 * spaces and `._-:/()#,@[]+=&;{}!$*`, at most 255 characters. Source: EC2 API reference,
 * CreateSecurityGroup (GroupDescription, GroupName) and IpRange/SecurityGroupRule Description.
 */
export const EC2_TEXT = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
export const EC2_TEXT_ALLOWED = "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*";
export const EC2_TEXT_MAX = 255;

/** Why `text` cannot be an EC2 security-group description, or undefined when it can. */
export function ec2TextProblem(text: string): string | undefined {
  if (text.length === 0) return "must not be empty";
  if (text.length > EC2_TEXT_MAX) return `is ${text.length} characters; EC2 allows at most ${EC2_TEXT_MAX}`;
  const bad = [...new Set([...text].filter((c) => !EC2_TEXT.test(c)))];
  if (bad.length > 0)
    return `contains ${bad.map((c) => JSON.stringify(c)).join(", ")}, which EC2 refuses in security-group texts; allowed: ${EC2_TEXT_ALLOWED}`;
  return undefined;
}

/**
 * EC2 security-group names: "Can't start with sg-" (the prefix of group ids). Source: EC2 API
 * reference, CreateSecurityGroup GroupName; the AWS provider checks the same on `name` and `namePrefix`.
 */
export function securityGroupNameProblem(name: string): string | undefined {
  return /^sg-/i.test(name) ? 'begins with "sg-", which EC2 refuses in security-group names (it is the prefix of group ids)' : undefined;
}

/**
 * Tags (AWS provider default tags reach every resource, RDS included, so RDS's stricter rule
 * applies to all): key 1-128 and value 0-256 Unicode letters, digits, white space and `_.:/=+-@`;
 * neither may start with `aws:` (reserved by AWS) or `rds:`. At most 50 tags per resource.
 * Source: RDS API reference, Tag; EC2 User Guide, tag restrictions.
 */
export const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const TAG_TEXT_ALLOWED = "letters, digits, spaces and _.:/=+-@";
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const TAGS_PER_RESOURCE = 50;

export function tagKeyProblem(key: string): string | undefined {
  if (key.length < 1 || key.length > TAG_KEY_MAX) return `tag keys are 1 to ${TAG_KEY_MAX} characters`;
  if (!TAG_TEXT.test(key)) return `tag keys may hold only ${TAG_TEXT_ALLOWED}`;
  if (/^(aws|rds):/i.test(key)) return "tag keys must not start with aws: or rds: (reserved by AWS)";
  return undefined;
}

export function tagValueProblem(value: string): string | undefined {
  if (value.length > TAG_VALUE_MAX) return `tag values are at most ${TAG_VALUE_MAX} characters`;
  if (!TAG_TEXT.test(value)) return `tag values may hold only ${TAG_TEXT_ALLOWED} (RDS refuses anything else)`;
  if (/^(aws|rds):/i.test(value)) return "tag values must not start with aws: or rds: (RDS refuses them)";
  return undefined;
}

/**
 * RDS for MySQL major versions RDS offers, with the end of RDS standard support. Past that date a
 * new instance runs in paid Extended Support, and RDS refuses to create one with Extended Support
 * disabled. Source: RDS User Guide, "MySQL on Amazon RDS versions" release calendar (8.0: 2026-07-31;
 * 8.4 LTS: 2029-07-31).
 */
export const MYSQL_MAJOR_VERSIONS: Readonly<Record<string, { readonly endOfStandardSupport: string; readonly parameterFamily: string }>> = {
  "8.0": { endOfStandardSupport: "2026-07-31", parameterFamily: "mysql8.0" },
  "8.4": { endOfStandardSupport: "2029-07-31", parameterFamily: "mysql8.4" },
};

/** The RDS major version of "8.4" or "8.4.3", or undefined when RDS offers no such major version. */
export function mysqlMajor(engineVersion: string): string | undefined {
  const m = /^(\d+\.\d+)(?:\.\d+)?$/.exec(engineVersion);
  return m && m[1] in MYSQL_MAJOR_VERSIONS ? m[1] : undefined;
}

/** RDS `engineLifecycleSupport` values. */
export const ENGINE_LIFECYCLE = ["open-source-rds-extended-support-disabled", "open-source-rds-extended-support"] as const;
export type EngineLifecycle = (typeof ENGINE_LIFECYCLE)[number];

/**
 * Storage autoscaling: RDS requires the ceiling to be at least 10% above the allocated storage.
 * Source: RDS User Guide, "Managing capacity automatically with Amazon RDS storage autoscaling".
 */
export function minMaxAllocatedStorage(allocatedGiB: number): number {
  return Math.ceil((allocatedGiB * 11) / 10); // integer maths: 50 * 1.1 is 55.000000000000001
}

/**
 * RDS backup window `hh24:mi-hh24:mi` in UTC, at least 30 minutes long (it may wrap past
 * midnight). Source: RDS API reference, CreateDBInstance PreferredBackupWindow.
 */
export function backupWindowProblem(window: string): string | undefined {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(window);
  if (!m) return "must be hh24:mi-hh24:mi in UTC, like 18:00-18:30";
  const [h1, m1, h2, m2] = m.slice(1).map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return "hours are 00-23 and minutes 00-59 (UTC)";
  const length = (h2 * 60 + m2 - (h1 * 60 + m1) + 24 * 60) % (24 * 60);
  if (length < 30) return `is ${length} minutes long; RDS needs a backup window of at least 30 minutes`;
  return undefined;
}

/**
 * RDS for MySQL master password: 8-41 printable ASCII characters other than `/ ' " @` and space.
 * Source: RDS API reference, CreateDBInstance MasterUserPassword. Checked for a configured password
 * (config/validate/secrets.ts); the Database component's generated alphabet is tested against it.
 */
export function rdsPasswordProblems(password: string): string[] {
  const out: string[] = [];
  if (password.length < 8 || password.length > 41) out.push(`must be 8 to 41 characters (RDS MySQL); it has ${password.length}`);
  if (/[/'"@\s]/.test(password) || /[^\x21-\x7e]/.test(password)) out.push("must not contain / ' \" @, spaces or non-ASCII characters (RDS MySQL)");
  return out;
}

/**
 * Names that no registrar delegates and no CA certifies (RFC 2606 and RFC 6761): `example.com`,
 * `example.net`, `example.org` and their subdomains, and the `.example`, `.test`, `.invalid` and
 * `.localhost` top-level domains. Route53 refuses to create such zones, no Cloudflare account holds
 * them, and Let's Encrypt refuses account e-mail addresses under them.
 */
export function isReservedName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const labels = n.split(".");
  const tld = labels[labels.length - 1];
  if (["example", "test", "invalid", "localhost"].includes(tld)) return true;
  const base = labels.slice(-2).join(".");
  return ["example.com", "example.net", "example.org"].includes(base);
}

/**
 * Cloudflare DNS record comments: at most 100 characters on the Free plan (more on paid plans).
 * Source: Cloudflare DNS docs, "Record attributes: comments and tags".
 */
export const CLOUDFLARE_COMMENT_MAX = 100;

/** Route53 hosted zone comments: at most 256 characters. Source: Route53 API, HostedZoneConfig. */
export const ROUTE53_COMMENT_MAX = 256;

/**
 * S3 general purpose bucket names: 3-63 characters of lower-case letters, digits, dots and
 * hyphens, starting and ending with a letter or digit; no two adjacent dots, not an IPv4 address,
 * not starting with `xn--`, `sthree-` or `amzn-s3-demo-`, not ending with `-s3alias`, `--ol-s3`,
 * `.mrap` or `--x-s3`. Berth also refuses dots: the registry's s3 driver addresses the bucket as a
 * virtual host over HTTPS, and a dot would break the match with S3's wildcard certificate.
 * Source: S3 User Guide, "General purpose bucket naming rules".
 */
export const S3_BUCKET_MAX = 63;
/** aws.s3.Bucket `bucketPrefix`: the provider appends 26 characters, so at most 37. */
export const S3_BUCKET_PREFIX_MAX = 37;

/** Why `name` cannot be an S3 bucket name (or, with `prefix`, a bucket name prefix), or undefined. */
export function s3BucketNameProblem(name: string, prefix = false): string | undefined {
  const max = prefix ? S3_BUCKET_PREFIX_MAX : S3_BUCKET_MAX;
  if (name.length < (prefix ? 1 : 3) || name.length > max)
    return `is ${name.length} characters; S3 bucket ${prefix ? "name prefixes are 1" : "names are 3"}-${max} characters`;
  if (!/^[a-z0-9-]+$/.test(name))
    return "may hold only lower-case letters, digits and hyphens (S3 allows dots too, but they break the registry's HTTPS to the bucket)";
  if (!/^[a-z0-9]/.test(name) || (!prefix && !/[a-z0-9]$/.test(name))) return "must start and end with a letter or digit";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return "must not start with xn--, sthree- or amzn-s3-demo- (reserved by S3)";
  if (!prefix && /(-s3alias|--ol-s3|--x-s3)$/.test(name)) return "must not end with -s3alias, --ol-s3 or --x-s3 (reserved by S3)";
  return undefined;
}

/**
 * CloudWatch Logs retention: only these day counts (0 = never expire, which Berth refuses: audit
 * logs that grow forever are a cost nobody decided). Source: CloudWatch Logs API reference,
 * PutRetentionPolicy retentionInDays.
 */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export function logRetentionProblem(days: number): string | undefined {
  return (LOG_RETENTION_DAYS as readonly number[]).includes(days) ? undefined : `CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days`;
}

/**
 * Log types RDS for MySQL publishes to CloudWatch Logs that Berth can switch on without an option
 * group (the audit log needs the MariaDB audit plugin option). slowquery needs slow_query_log = 1
 * and general needs general_log = 1 in the parameter group, both with log_output = FILE.
 * Source: RDS User Guide, "Publishing MySQL logs to Amazon CloudWatch Logs".
 */
export const RDS_MYSQL_LOG_EXPORTS = ["error", "slowquery", "general"] as const;
export type RdsLogExport = (typeof RDS_MYSQL_LOG_EXPORTS)[number];

/**
 * HSTS preload list submission: max-age of at least one year, includeSubDomains and preload.
 * Source: hstspreload.org, submission requirements.
 */
export const HSTS_PRELOAD_MIN_MAX_AGE = 31536000;
