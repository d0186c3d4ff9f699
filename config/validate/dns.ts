// DNS rules: zone ids, record names and targets, CNAME loops, one owner per name, Cloudflare's TTLs,
// and the registry name never behind Cloudflare's proxy (its 100 MB upload cap breaks pushes).
import {
  CLOUDFLARE_AUTO_TTL,
  CLOUDFLARE_MIN_TTL,
  owningZone,
  planRecords,
  recordFqdn,
  resolutionChain,
  resolveTarget,
  type PlannedRecord,
} from "../../lib/dnsPlan";
import type { ConfigProblem } from "../errors";
import type { Raw } from "../schema";

const ROUTE53_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

type Add = (p: ConfigProblem) => void;
type Zone = Raw["dns"]["zones"][number];
type ZoneRecord = Zone["records"][number];

/** Zones and records: ids, names, CNAME targets and loops, TTLs, and the registry never behind Cloudflare's proxy. */
export function validateDns(raw: Raw, add: Add): void {
  const zones = raw.dns.zones;
  validateZones(zones, add);
  const planned = planRecords(zones);
  validateRecords(zones, planned, add);
  validateRegistryNotProxied(raw, planned, add);
}

/** Each zone once, and its ids in the provider's format. */
function validateZones(zones: readonly Zone[], add: Add): void {
  const zonesSeen = new Map<string, number>();
  zones.forEach((zone, zi) => {
    const base = `berth:dns.zones[${zi}]`;
    if (zonesSeen.has(zone.domain)) {
      add({ key: `${base}.domain`, value: zone.domain, message: `zone already defined at berth:dns.zones[${zonesSeen.get(zone.domain)}]` });
    }
    zonesSeen.set(zone.domain, zi);
    if (zone.zoneId !== undefined) {
      if (zone.provider === "route53" && !ROUTE53_ZONE_ID.test(zone.zoneId)) {
        add({
          key: `${base}.zoneId`,
          value: zone.zoneId,
          message: "must be a Route53 hosted zone id like Z0123456789ABCDEFGHIJ (without the /hostedzone/ prefix)",
        });
      }
      if (zone.provider === "cloudflare" && !CLOUDFLARE_ID.test(zone.zoneId)) {
        add({
          key: `${base}.zoneId`,
          value: zone.zoneId,
          message: "must be a Cloudflare zone id: 32 lower-case hex characters (the zone's Overview page, API section)",
        });
      }
    }
    if (zone.accountId !== undefined) {
      if (zone.provider !== "cloudflare") add({ key: `${base}.accountId`, value: zone.accountId, message: "only Cloudflare zones take an accountId" });
      else if (zone.zoneId !== undefined)
        add({
          key: `${base}.accountId`,
          value: zone.accountId,
          message: "is used only to look the zone up by name; with zoneId set it has no effect, so remove one of them",
        });
      else if (!CLOUDFLARE_ID.test(zone.accountId))
        add({ key: `${base}.accountId`, value: zone.accountId, message: "must be a Cloudflare account id: 32 lower-case hex characters" });
    }
  });
}

/** Every record: its name (length, zone, one owner), its target, and Cloudflare's rules. */
function validateRecords(zones: readonly Zone[], planned: readonly PlannedRecord[], add: Add): void {
  const byFqdn = new Map(planned.map((p) => [p.fqdn, p]));
  const seen = new Map<string, { key: string; zi: number }>();
  zones.forEach((zone, zi) => {
    zone.records.forEach((r, ri) => {
      const base = `berth:dns.zones[${zi}].records[${ri}]`;
      const fqdn = recordFqdn(zone.domain, r.name);
      if (fqdn.length > 253) add({ key: `${base}.name`, value: r.name, message: `${fqdn} is ${fqdn.length} characters; a DNS name has at most 253` });
      const owner = owningZone(zones, fqdn);
      if (owner && owner.domain !== zone.domain) {
        add({
          key: `${base}.name`,
          value: r.name,
          message: `${fqdn} lies inside zone ${owner.domain} (berth:dns.zones[${zones.indexOf(owner)}], ${owner.provider}), which answers for it; define the record there`,
        });
      }
      const prev = seen.get(fqdn);
      if (prev) {
        const other = zones[prev.zi];
        add({
          key: `${base}.name`,
          value: r.name,
          message:
            prev.zi === zi
              ? `${fqdn} is already defined at ${prev.key}; a name must point one way only`
              : `${fqdn} is already defined at ${prev.key} (${other.provider} zone ${other.domain}); a name must point one way only, from one provider`,
        });
      } else seen.set(fqdn, { key: base, zi });
      if (r.type === "CNAME") validateCname(zone, r, base, fqdn, planned, byFqdn, add);
      else if (r.target !== undefined) {
        add({ key: `${base}.target`, value: r.target, message: "type A records always point at the host's Elastic IP; remove target" });
      }
      if (r.proxied !== undefined && zone.provider !== "cloudflare") {
        add({ key: `${base}.proxied`, value: r.proxied, message: "only Cloudflare records can be proxied" });
      }
      if (zone.provider === "cloudflare" && r.ttl !== undefined && r.ttl !== CLOUDFLARE_AUTO_TTL) {
        if (r.proxied)
          add({
            key: `${base}.ttl`,
            value: r.ttl,
            message: `proxied Cloudflare records always use automatic TTL (${CLOUDFLARE_AUTO_TTL}); remove ttl, or set proxied: false`,
          });
        else if (r.ttl < CLOUDFLARE_MIN_TTL)
          add({ key: `${base}.ttl`, value: r.ttl, message: `Cloudflare accepts ${CLOUDFLARE_AUTO_TTL} (automatic) or ${CLOUDFLARE_MIN_TTL}-86400 seconds` });
      }
    });
  });
}

/**
 * The registry must never sit behind Cloudflare's proxy, not even through a CNAME chain:
 * the proxy caps request bodies at 100 MB, and image layers are often larger.
 */
function validateRegistryNotProxied(raw: Raw, planned: readonly PlannedRecord[], add: Add): void {
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "proxy" && reg.hostname) {
    const chain = resolutionChain(planned, reg.hostname);
    const p = chain.find((c) => c.proxied);
    if (p) {
      add({
        key: `berth:dns.zones[${p.zoneIndex}].records[${p.recordIndex}].proxied`,
        value: true,
        message:
          p.fqdn === reg.hostname
            ? `${p.fqdn} serves the registry (berth:registry.hostname); Cloudflare's proxy caps uploads at 100 MB, so image pushes would fail. Set proxied: false`
            : `the registry name ${reg.hostname} resolves through this proxied record (${chain.map((c) => c.fqdn).join(" -> ")}), so pushes would pass Cloudflare's proxy and its 100 MB upload cap; point the registry name at an unproxied record`,
      });
    }
  }
}

/** A CNAME: not at the apex, a target that is a record of berth:dns, no loop. */
function validateCname(
  zone: Zone,
  r: ZoneRecord,
  base: string,
  fqdn: string,
  planned: readonly PlannedRecord[],
  byFqdn: ReadonlyMap<string, PlannedRecord>,
  add: Add,
): void {
  if (r.name === "@") add({ key: `${base}.name`, value: r.name, message: 'a CNAME cannot sit at the zone apex; use type A for "@"' });
  if (!r.target) add({ key: `${base}.target`, value: r.target, message: 'a CNAME needs a target: the name of another record (e.g. "host")' });
  else {
    const resolved = resolveTarget(zone, r.target);
    const target = byFqdn.get(resolved);
    if (!target) {
      add({
        key: `${base}.target`,
        value: r.target,
        message: `no record named "${r.target}" is defined in berth:dns (neither in zone ${zone.domain} nor as an FQDN); define it, or point at one that is`,
      });
    } else if (resolved === fqdn) {
      add({ key: `${base}.target`, value: r.target, message: "a CNAME cannot point at itself" });
    } else {
      const chain = resolutionChain(planned, fqdn);
      const last = chain[chain.length - 1];
      if (last.type === "CNAME" && last.target !== undefined && byFqdn.get(last.target) === chain[0]) {
        add({
          key: `${base}.target`,
          value: r.target,
          message: `CNAME loop: ${[...chain.map((c) => c.fqdn), fqdn].join(" -> ")}; one of them must be an A record`,
        });
      }
    }
  }
}
