// Pure DNS algorithms shared by config validation (config/) and the Dns component: record
// names to FQDNs, CNAME targets, effective TTLs, which names go through Cloudflare's proxy.
// No Pulumi, no I/O: the same answers for validation, the component, the plan and the tests.
import { servedNames, type ServedNamesInput } from "./certificates";

/** Where a zone is served. */
export type DnsProvider = "route53" | "cloudflare";

/** One record of a zone, as configured (berth:dns.zones[].records[]). */
export interface DnsRecordConfig {
  /** Relative to the zone: "@" is the apex. */
  readonly name: string;
  readonly type: "A" | "CNAME";
  /** CNAME only: a record name of this zone or the FQDN of one in another zone. */
  readonly target?: string;
  readonly ttl?: number;
  /** Cloudflare only. */
  readonly proxied?: boolean;
}

/** One zone, as configured (berth:dns.zones[]). */
export interface DnsZoneConfig {
  readonly domain: string;
  readonly provider: DnsProvider;
  /** Route53: adopt this hosted zone. Cloudflare: use this zone id instead of a lookup. */
  readonly zoneId?: string;
  /** Cloudflare: look the zone up by name within this account. */
  readonly accountId?: string;
  readonly records: readonly DnsRecordConfig[];
}

/** TTL of a record that sets none (seconds). */
export const DEFAULT_TTL = 300;
/** Cloudflare's "automatic" TTL: the only TTL a proxied record accepts. */
export const CLOUDFLARE_AUTO_TTL = 1;
/** Smallest explicit TTL Cloudflare accepts outside Enterprise plans. */
export const CLOUDFLARE_MIN_TTL = 60;

/** Fully qualified name of a record in a zone ("@" is the apex). */
export function recordFqdn(zoneDomain: string, name: string): string {
  return name === "@" ? zoneDomain : `${name}.${zoneDomain}`;
}

/**
 * The FQDN a CNAME target means: the name of a record of the same zone ("host", "@") resolves
 * inside that zone; anything else is taken as an FQDN (a trailing dot is dropped).
 */
export function resolveTarget(zone: Pick<DnsZoneConfig, "domain" | "records">, target: string): string {
  const t = target.replace(/\.$/, "");
  return zone.records.some((r) => r.name === t) ? recordFqdn(zone.domain, t) : t;
}

/** TTL the provider is given: proxied Cloudflare records always get "automatic" (1). */
export function effectiveTtl(zone: Pick<DnsZoneConfig, "provider">, record: Pick<DnsRecordConfig, "ttl" | "proxied">): number {
  if (zone.provider === "cloudflare" && record.proxied) return CLOUDFLARE_AUTO_TTL;
  return record.ttl ?? DEFAULT_TTL;
}

/** One record as the providers will see it. */
export interface PlannedRecord {
  readonly zoneIndex: number;
  readonly recordIndex: number;
  readonly provider: DnsProvider;
  readonly domain: string;
  readonly fqdn: string;
  readonly type: "A" | "CNAME";
  /** CNAME only: the FQDN it points at. A records always point at the host's Elastic IP. */
  readonly target?: string;
  readonly ttl: number;
  /** Cloudflare only; false elsewhere. */
  readonly proxied: boolean;
}

/** Every record of every zone, in config order. Assumes validated config. */
export function planRecords(zones: readonly DnsZoneConfig[]): PlannedRecord[] {
  return zones.flatMap((zone, zoneIndex) =>
    zone.records.map((r, recordIndex): PlannedRecord => ({
      zoneIndex,
      recordIndex,
      provider: zone.provider,
      domain: zone.domain,
      fqdn: recordFqdn(zone.domain, r.name),
      type: r.type,
      ...(r.type === "CNAME" && r.target ? { target: resolveTarget(zone, r.target) } : {}),
      ttl: effectiveTtl(zone, r),
      proxied: zone.provider === "cloudflare" && r.proxied === true,
    })),
  );
}

/**
 * The records a name resolves through, starting with its own (CNAME chain, in order). Stops at
 * an A record, a name Berth does not define, or a loop (the repeated record is not listed twice).
 */
export function resolutionChain(records: readonly PlannedRecord[], fqdn: string): PlannedRecord[] {
  const byName = new Map(records.map((r) => [r.fqdn, r]));
  const chain: PlannedRecord[] = [];
  let cur = byName.get(fqdn);
  while (cur && !chain.includes(cur)) {
    chain.push(cur);
    cur = cur.type === "CNAME" && cur.target ? byName.get(cur.target) : undefined;
  }
  return chain;
}

/** Names whose own record is proxied by Cloudflare (what a Cloudflare Origin CA certificate covers). */
export function proxiedNames(records: readonly PlannedRecord[]): string[] {
  return records.filter((r) => r.proxied).map((r) => r.fqdn);
}

/** The comment every Cloudflare record carries, so people in the dashboard know who owns it. */
export function recordComment(project: string, stack: string): string {
  return `Managed by Pulumi: project ${project}, stack ${stack}. Edit Pulumi.${stack}.yaml, not here.`;
}

/** The configured zone a name belongs to: the longest zone domain that is the name or a parent of it. */
export function owningZone<Z extends Pick<DnsZoneConfig, "domain">>(zones: readonly Z[], fqdn: string): Z | undefined {
  const name = fqdn.replace(/^\*\./, "");
  return zones
    .filter((z) => name === z.domain || name.endsWith(`.${z.domain}`) || fqdn.endsWith(`.${z.domain}`))
    .sort((a, b) => b.domain.length - a.domain.length)[0];
}

/** Logical-name suffix for a record: the FQDN with the wildcard spelled out. */
export function recordRole(fqdn: string): string {
  return fqdn.replace(/^\*\./, "wildcard.");
}

/**
 * Served names whose own record is proxied by Cloudflare, in served order: requests for them
 * reach the host from Cloudflare's addresses, with the client's address in CF-Connecting-IP.
 */
export function proxiedServedNames(cfg: { readonly dns: { readonly zones: readonly DnsZoneConfig[] } } & ServedNamesInput): string[] {
  const proxied = new Set(proxiedNames(planRecords(cfg.dns.zones)));
  return servedNames(cfg).filter((n) => proxied.has(n));
}
