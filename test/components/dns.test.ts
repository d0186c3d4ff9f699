// Dns on its own (public mock API): each kind of zone (Route53 created or adopted, Cloudflare by id
// or looked up), A records at the host, CNAMEs, and nothing at all without zones.
import { beforeEach, describe, expect, it } from "vitest";
import { Dns, type DnsArgs } from "../../components/dns";
import type { DnsZoneConfig } from "../../lib/dnsPlan";
import { mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const COMMENT = "Managed by Pulumi: project berth, stack test. Edit Pulumi.test.yaml, not here.";
// DnsArgs has no optional member: minimal is no zone at all, full is one zone of each kind.
const minimal: DnsArgs = { zones: [], hostIp: "203.0.113.10", naming };
const zones: DnsZoneConfig[] = [
  {
    domain: "created.example",
    provider: "route53",
    records: [
      { name: "@", type: "A" },
      { name: "www", type: "CNAME", target: "@", ttl: 60 },
    ],
  },
  { domain: "adopted.example", provider: "route53", zoneId: "Z-ADOPTED", records: [{ name: "registry", type: "A", ttl: 120 }] },
  { domain: "cf-id.example", provider: "cloudflare", zoneId: "cf-given", records: [{ name: "app", type: "A", proxied: true, ttl: 600 }] },
  { domain: "cf-lookup.example", provider: "cloudflare", accountId: "acct-1", records: [{ name: "*", type: "CNAME", target: "app.cf-id.example.", ttl: 300 }] },
];
const full: DnsArgs = { ...minimal, zones };

const R53_ZONE = "aws:route53/zone:Zone";
const R53_RECORD = "aws:route53/record:Record";
const CF_RECORD = "cloudflare:index/dnsRecord:DnsRecord";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Dns, minimal args", () => {
  it("creates nothing and looks nothing up without zones", async () => {
    const dns = new Dns("dns", minimal, m.opts);
    const [ns, ids] = await Promise.all([valueOf(dns.nameServers), valueOf(dns.zoneIds)]);
    await m.settle();
    expect(m.resources.map((r) => r.type)).toEqual(["berth:dns:Dns"]);
    expect(m.invokes).toEqual([]);
    expect([ns, ids, dns.recordNames, dns.records]).toEqual([{}, {}, [], []]);
  });
});

describe("Dns, full args", () => {
  it("creates, adopts or looks up each zone and points the records at the host", async () => {
    const dns = new Dns("dns", full, m.opts);
    const [ns, ids] = await Promise.all([valueOf(dns.nameServers), valueOf(dns.zoneIds)]);
    await m.settle();

    // Route53: only the zone without an id is created.
    expect(m.one(R53_ZONE).inputs).toMatchObject({ name: "created.example", comment: COMMENT, tags: { Name: "berth-test-zone-created-example" } });
    // Cloudflare: only the zone without an id is looked up, within its account.
    expect(m.invokes).toEqual([{ token: "cloudflare:index/getZone:getZone", inputs: { filter: { name: "cf-lookup.example", account: { id: "acct-1" } } } }]);
    expect(ids).toEqual({
      "created.example": "Z-created.example",
      "adopted.example": "Z-ADOPTED",
      "cf-id.example": "cf-given",
      "cf-lookup.example": "cf-zone-cf-lookup.example",
    });
    // Name servers only for the zones Berth created or looked up by name.
    expect(ns).toEqual({
      "created.example": ["ns-1.created.example.example", "ns-2.created.example.example"],
      "cf-lookup.example": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    });

    // (Registration order follows input resolution: compare by logical name.)
    const byName = (type: string) => Object.fromEntries(m.ofType(type).map((r) => [r.name, r.inputs]));
    expect(byName(R53_RECORD)).toEqual({
      "dns-created.example": { zoneId: "Z-created.example", name: "created.example", type: "A", ttl: 300, records: ["203.0.113.10"] },
      "dns-www.created.example": { zoneId: "Z-created.example", name: "www.created.example", type: "CNAME", ttl: 60, records: ["created.example"] },
      "dns-registry.adopted.example": { zoneId: "Z-ADOPTED", name: "registry.adopted.example", type: "A", ttl: 120, records: ["203.0.113.10"] },
    });
    // Proxied Cloudflare records get the automatic TTL; every Cloudflare record carries the comment.
    expect(byName(CF_RECORD)).toEqual({
      "dns-app.cf-id.example": { zoneId: "cf-given", name: "app.cf-id.example", type: "A", content: "203.0.113.10", ttl: 1, proxied: true, comment: COMMENT },
      "dns-wildcard.cf-lookup.example": {
        zoneId: "cf-zone-cf-lookup.example",
        name: "*.cf-lookup.example",
        type: "CNAME",
        content: "app.cf-id.example",
        ttl: 300,
        proxied: false,
        comment: COMMENT,
      },
    });
    expect(dns.recordNames).toEqual(["created.example", "www.created.example", "registry.adopted.example", "app.cf-id.example", "*.cf-lookup.example"]);
    expect(dns.records.map((r) => r.proxied)).toEqual([false, false, false, true, false]);
    expect(m.resources.filter((r) => r.custom).every((r) => r.parent === "dns")).toBe(true);
  });

  it("uses only the provider a zone asks for", async () => {
    new Dns("dns", { ...minimal, zones: [zones[0]] }, m.opts);
    await m.settle();
    expect(m.ofType(CF_RECORD)).toEqual([]);
    expect(m.invokes).toEqual([]);
    m = await mockComponents();
    new Dns("dns", { ...minimal, zones: [zones[2]] }, m.opts);
    await m.settle();
    expect(m.ofType(R53_ZONE)).toEqual([]);
    expect(m.ofType(R53_RECORD)).toEqual([]);
    expect(m.ofType(CF_RECORD)).toHaveLength(1);
  });
});

// Dns has no guard of its own: config/ validates the zones (duplicates, targets, TTLs) before the
// component exists, and lib/dnsPlan.ts assumes validated input (test/lib/dnsPlan.test.ts).
