// Cross-field rules for the cloud layer: subnets inside the VPC and apart, AZs of the region, admin-only
// ports never open to the world, RDS storage, lifecycle and backups, tags within AWS's limits.
import { contains, formatCidr, overlaps, parseCidr, subnet, type Cidr } from "../../lib/cidr";
import { minMaxAllocatedStorage, MYSQL_MAJOR_VERSIONS, mysqlMajor, tagKeyProblem, TAGS_PER_RESOURCE } from "../../lib/apiRules";
import { dataVolumeProblems } from "../../lib/dataVolume";
import type { ConfigProblem } from "../errors";
import type { Config, Raw } from "../schema";

/**
 * Network, firewall, database and tags: cross-field rules and the API rules the providers do not
 * check. Returns the network with the default subnet blocks filled in.
 */
export function validateCloud(raw: Raw, region: string, now: Date | undefined, add: (p: ConfigProblem) => void): Config["network"] {
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
    if (a === b)
      add({
        key: "berth:network.availabilityZones",
        value: net.availabilityZones,
        message: "both subnets are in the same AZ; give two different zones so one AZ outage does not take everything",
      });
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
      add({
        key: `berth:firewall.adminCidrs[${i}]`,
        value: c,
        message: "SSH and admin ports must not be open to the whole internet; list your office/VPN networks (e.g. 198.51.100.0/24)",
      });
    }
  });
  const adminOnly = new Map<number, string>([
    [fw.sshPort, "SSH"],
    [raw.database.port, "MySQL"],
    [raw.host.dockerApiPort, "the Docker API"],
  ]);
  fw.ingress.forEach((r, i) => {
    const to = r.toPort ?? r.port;
    if (to < r.port) add({ key: `berth:firewall.ingress[${i}].toPort`, value: to, message: `must be >= port (${r.port})` });
    for (const [p, what] of adminOnly) {
      if (r.from === "anywhere" && p >= r.port && p <= to) {
        add({
          key: `berth:firewall.ingress[${i}]`,
          value: { port: r.port, toPort: to, from: r.from },
          message: `opens ${what} (port ${p}) to 0.0.0.0/0; use from: admin`,
        });
      }
    }
  });
  if (raw.database.deletionProtection && raw.database.skipFinalSnapshot === false && raw.database.backupRetentionDays === 0) {
    // Allowed, but a protected database without backups is almost always a mistake.
    add({ key: "berth:database.backupRetentionDays", value: 0, message: "a deletion-protected database needs backups (1-35 days)" });
  }
  const db = raw.database;
  if (db.maxAllocatedStorageGiB !== undefined && db.maxAllocatedStorageGiB < minMaxAllocatedStorage(db.allocatedStorageGiB)) {
    add({
      key: "berth:database.maxAllocatedStorageGiB",
      value: db.maxAllocatedStorageGiB,
      message: `RDS needs the autoscaling ceiling at least 10% above allocatedStorageGiB (${db.allocatedStorageGiB}), so ${minMaxAllocatedStorage(db.allocatedStorageGiB)} or more; or leave it unset (no autoscaling)`,
    });
  }
  const major = mysqlMajor(db.engineVersion);
  if (major !== undefined && db.engineLifecycleSupport === "open-source-rds-extended-support-disabled") {
    const end = MYSQL_MAJOR_VERSIONS[major].endOfStandardSupport;
    if ((now ?? new Date()).toISOString().slice(0, 10) > end) {
      add({
        key: "berth:database.engineVersion",
        value: db.engineVersion,
        message: `MySQL ${major} left RDS standard support on ${end}, and RDS refuses to create it with engineLifecycleSupport open-source-rds-extended-support-disabled; use 8.4, or set berth:database.engineLifecycleSupport to open-source-rds-extended-support (paid Extended Support)`,
      });
    }
  }
  for (const k of Object.keys(raw.tags)) {
    const problem = tagKeyProblem(k);
    if (problem) add({ key: `berth:tags.${k}`, value: raw.tags[k], message: problem });
  }
  const userTags = Object.keys(raw.tags).filter((k) => !["Project", "Stack", "ManagedBy", "Name", "Tier"].includes(k));
  if (userTags.length > TAGS_PER_RESOURCE - 5) {
    add({
      key: "berth:tags",
      value: userTags.length,
      message: `AWS allows ${TAGS_PER_RESOURCE} tags per resource and Berth sets up to 5 itself (Project, Stack, ManagedBy, Name, Tier): give at most ${TAGS_PER_RESOURCE - 5}`,
    });
  }

  return { ...net, publicSubnetCidrs: publicCidrs, databaseSubnetCidrs: dbCidrs } as Config["network"];
}

/**
 * berth:host.dataVolume: the EBS API's limits for its type (sizes, which types take iops and
 * throughput, their ranges and ratios), and zones named in config, not looked up.
 */
export function validateDataVolume(raw: Raw, add: (p: ConfigProblem) => void): void {
  const v = raw.host.dataVolume;
  if (v === undefined) return;
  for (const p of dataVolumeProblems(v, "berth:host.dataVolume")) add(p);
  // The volume lives in the host subnet's AZ for good: that AZ must not follow a lookup whose answer can change.
  if (raw.network.availabilityZones === undefined)
    add({
      key: "berth:network.availabilityZones",
      value: undefined,
      message:
        "must be set when berth:host.dataVolume is: the data volume stays in the host subnet's AZ (the first one) for good, and the region's list of available zones can change; name both zones, e.g. [ap-northeast-2a, ap-northeast-2c]",
    });
}
