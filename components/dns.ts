// Dns: the stack's names from one typed list (berth:dns.zones). Route53 zones are created or
// adopted by id; Cloudflare zones are used by id or looked up by name. A records point at the
// host's Elastic IP, CNAMEs at another record's FQDN; proxied Cloudflare records get the
// automatic TTL; every Cloudflare record carries a comment naming project and stack.
// Which names exist and how they resolve is decided in lib/dnsPlan.ts (pure) and validated in
// config/ before any resource exists; this file only turns that plan into resources.
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { planRecords, recordComment, recordRole, type DnsZoneConfig, type PlannedRecord } from "../lib/dnsPlan";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";

export interface DnsArgs {
  /** Validated zones and records (berth:dns.zones); empty = no DNS resources at all. */
  readonly zones: readonly DnsZoneConfig[];
  /** The host's Elastic IP: the value of every A record. */
  readonly hostIp: pulumi.Input<string>;
  /** Project and stack: zone comments, Name tags and the Cloudflare record comment. */
  readonly naming: Naming;
}

/**
 * The explicit Cloudflare provider, only when a Cloudflare zone is configured (otherwise
 * undefined, and the stack needs no Cloudflare credentials at all). Its token is the
 * `cloudflare:apiToken` config secret when set, or else the CLOUDFLARE_API_TOKEN environment
 * variable, which the provider reads itself. Never a file: config/ refuses a plaintext token.
 */
export function createCloudflareProvider(
  name: string,
  zones: readonly Pick<DnsZoneConfig, "provider">[],
  opts?: pulumi.CustomResourceOptions,
): cloudflare.Provider | undefined {
  if (!zones.some((z) => z.provider === "cloudflare")) return undefined;
  const apiToken = new pulumi.Config("cloudflare").getSecret("apiToken");
  return new cloudflare.Provider(name, apiToken === undefined ? {} : { apiToken }, opts);
}

export class Dns extends pulumi.ComponentResource {
  /**
   * Name servers per domain, to enter at the registrar: Route53 zones Berth creates and
   * Cloudflare zones it looks up by name. Adopted zones (zoneId set) are already delegated.
   */
  public readonly nameServers: pulumi.Output<Record<string, string[]>>;
  /** Zone id per domain (created, adopted or looked up). */
  public readonly zoneIds: pulumi.Output<Record<string, string>>;
  /** FQDN of every record, in config order. */
  public readonly recordNames: string[];
  /** The records as planned (type, target, TTL, proxied), for other components and tests. */
  public readonly records: readonly PlannedRecord[];

  constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:dns:Dns", name, {}, opts);
    const parent = { parent: this };
    const planned = planRecords(args.zones);
    const comment = recordComment(args.naming.project, args.naming.stack);

    const zoneIds: Array<pulumi.Output<[string, string]>> = [];
    const nameServers: Array<pulumi.Output<[string, string[]]>> = [];
    args.zones.forEach((zone, zi) => {
      let zoneId: pulumi.Output<string>;
      if (zone.provider === "route53") {
        if (zone.zoneId !== undefined) {
          zoneId = pulumi.output(zone.zoneId); // adopted: Berth manages only its records
        } else {
          const created = new aws.route53.Zone(
            `${name}-zone-${zone.domain}`,
            {
              name: zone.domain,
              comment,
              tags: nameTag(physical(args.naming, `zone-${zone.domain.replace(/\./g, "-")}`, 255)),
            },
            parent,
          );
          zoneId = created.zoneId;
          nameServers.push(created.nameServers.apply((ns): [string, string[]] => [zone.domain, ns]));
        }
      } else if (zone.zoneId !== undefined) {
        zoneId = pulumi.output(zone.zoneId);
      } else {
        const found = cloudflare.getZoneOutput(
          {
            filter: { name: zone.domain, ...(zone.accountId !== undefined ? { account: { id: zone.accountId } } : {}) },
          },
          parent,
        );
        zoneId = found.id;
        nameServers.push(found.nameServers.apply((ns): [string, string[]] => [zone.domain, ns]));
      }
      zoneIds.push(zoneId.apply((id): [string, string] => [zone.domain, id]));

      for (const r of planned.filter((p) => p.zoneIndex === zi)) {
        // One logical name per FQDN (validation refuses duplicates). A type change replaces the
        // record, and the old one must go first: a CNAME cannot coexist with another record.
        const logical = `${name}-${recordRole(r.fqdn)}`;
        const recordOpts = { parent: this, deleteBeforeReplace: true };
        if (r.provider === "route53") {
          new aws.route53.Record(
            logical,
            {
              zoneId,
              name: r.fqdn,
              type: r.type,
              ttl: r.ttl,
              records: [r.type === "A" ? args.hostIp : r.target!],
            },
            recordOpts,
          );
        } else {
          // Cloudflare's v5 API stores full names; a relative name would diff on every preview.
          new cloudflare.DnsRecord(
            logical,
            {
              zoneId,
              name: r.fqdn,
              type: r.type,
              content: r.type === "A" ? args.hostIp : r.target!,
              ttl: r.ttl,
              proxied: r.proxied,
              comment,
            },
            recordOpts,
          );
        }
      }
    });

    this.records = planned;
    this.recordNames = planned.map((r) => r.fqdn);
    this.zoneIds = pulumi.all(zoneIds).apply((e) => Object.fromEntries(e));
    this.nameServers = pulumi.all(nameServers).apply((e) => Object.fromEntries(e));
    this.registerOutputs({ nameServers: this.nameServers, zoneIds: this.zoneIds, recordNames: this.recordNames });
  }
}
