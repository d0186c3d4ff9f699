// The pure DNS helpers behind validation and the Dns component.
import { describe, expect, it } from "vitest";
import {
  effectiveTtl,
  owningZone,
  planRecords,
  proxiedNames,
  recordComment,
  recordFqdn,
  recordRole,
  resolutionChain,
  resolveTarget,
  type DnsZoneConfig,
} from "../../lib/dnsPlan";

const zones: DnsZoneConfig[] = [
  {
    domain: "example.com",
    provider: "route53",
    records: [
      { name: "host", type: "A", ttl: 60 },
      { name: "www", type: "CNAME", target: "host" },
      { name: "*.apps", type: "A" },
    ],
  },
  {
    domain: "example.net",
    provider: "cloudflare",
    records: [
      { name: "@", type: "A", proxied: true, ttl: 300 },
      { name: "www", type: "CNAME", target: "@", proxied: true },
      { name: "docker", type: "CNAME", target: "host.example.com." },
    ],
  },
];

describe("dnsPlan", () => {
  it("builds FQDNs and resolves CNAME targets inside the zone first", () => {
    expect(recordFqdn("example.com", "@")).toBe("example.com");
    expect(recordFqdn("example.com", "www")).toBe("www.example.com");
    expect(resolveTarget(zones[1], "@")).toBe("example.net");
    expect(resolveTarget(zones[1], "host.example.com.")).toBe("host.example.com");
  });
  it("gives proxied Cloudflare records the automatic TTL and others their own or 300", () => {
    expect(effectiveTtl(zones[1], zones[1].records[0])).toBe(1);
    expect(effectiveTtl(zones[1], zones[1].records[2])).toBe(300);
    expect(effectiveTtl(zones[0], zones[0].records[0])).toBe(60);
  });
  it("plans every record in config order", () => {
    expect(planRecords(zones).map((r) => [r.fqdn, r.type, r.target ?? "(host)", r.ttl, r.proxied])).toEqual([
      ["host.example.com", "A", "(host)", 60, false],
      ["www.example.com", "CNAME", "host.example.com", 300, false],
      ["*.apps.example.com", "A", "(host)", 300, false],
      ["example.net", "A", "(host)", 1, true],
      ["www.example.net", "CNAME", "example.net", 1, true],
      ["docker.example.net", "CNAME", "host.example.com", 300, false],
    ]);
  });
  it("follows CNAME chains across zones", () => {
    const planned = planRecords(zones);
    expect(resolutionChain(planned, "docker.example.net").map((r) => r.fqdn)).toEqual(["docker.example.net", "host.example.com"]);
    expect(resolutionChain(planned, "www.example.net").map((r) => r.type)).toEqual(["CNAME", "A"]);
    expect(resolutionChain(planned, "nothing.example.net")).toEqual([]);
    expect(proxiedNames(planned)).toEqual(["example.net", "www.example.net"]);
  });
  it("finds the most specific zone for a name", () => {
    const nested = [{ domain: "example.com" }, { domain: "shop.example.com" }];
    expect(owningZone(nested, "a.shop.example.com")?.domain).toBe("shop.example.com");
    expect(owningZone(nested, "*.example.com")?.domain).toBe("example.com");
    expect(owningZone(nested, "example.org")).toBeUndefined();
  });
  it("names the owner in the record comment and spells out wildcards in logical names", () => {
    expect(recordComment("berth", "prod")).toBe("Managed by Pulumi: project berth, stack prod. Edit Pulumi.prod.yaml, not here.");
    expect(recordRole("*.apps.example.com")).toBe("wildcard.apps.example.com");
  });
});
