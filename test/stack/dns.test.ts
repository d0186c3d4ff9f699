// The Dns component under the mock engine: records, zones created or adopted, the Cloudflare
// lookup, proxied TTLs, comments, the provider and the name-server output, in both stacks.
import { describe, expect, it } from "vitest";
import { isSecretValue, ofType, one, run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const ZONE = "aws:route53/zone:Zone";
const R53 = "aws:route53/record:Record";
const CF = "cloudflare:index/dnsRecord:DnsRecord";
const GET_ZONE = "cloudflare:index/getZone:getZone";
const HEX32 = "0123456789abcdef0123456789abcdef";
const prodDns = section("prod", "dns") as { zones: Array<Record<string, unknown>> };

/** The Cloudflare zone lookups a run made. */
const lookups = (r: RunResult): unknown[] => r.invokes.filter((i) => i.token === GET_ZONE).map((i) => i.inputs);

describe("prod (Route53 example.com created, Cloudflare example.net looked up)", async () => {
  const r = await sharedRun("prod");
  const ip = String(r.outputs.hostPublicIp);

  it("creates the Route53 zone with a comment naming project and stack", () => {
    const zone = one(r, ZONE, "dns-zone-example.com");
    expect(zone.inputs).toMatchObject({
      name: "example.com",
      comment: "Managed by Pulumi: project berth, stack prod. Edit Pulumi.prod.yaml, not here.",
      tags: { Name: "berth-prod-zone-example-com" },
    });
    expect(one(r, "berth:dns:Dns").urn).toBe(zone.parent);
  });

  it("points A records at the Elastic IP and CNAMEs at the host's FQDN, with the configured TTLs", () => {
    const zoneId = one(r, ZONE).id;
    const rows = ofType(r, R53).map((x) => [x.name, x.inputs.name, x.inputs.type, x.inputs.ttl, x.inputs.records, x.inputs.zoneId]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ["dns-host.example.com", "host.example.com", "A", 300, [ip], zoneId],
        ["dns-example.com", "example.com", "A", 300, [ip], zoneId],
        ["dns-www.example.com", "www.example.com", "CNAME", 300, ["host.example.com"], zoneId],
        ["dns-admin.example.com", "admin.example.com", "CNAME", 300, ["host.example.com"], zoneId],
        ["dns-docker.example.com", "docker.example.com", "CNAME", 60, ["host.example.com"], zoneId],
        ["dns-jenkins.example.com", "jenkins.example.com", "CNAME", 300, ["host.example.com"], zoneId],
      ]),
    );
    expect(rows).toHaveLength(6);
    for (const rec of ofType(r, R53)) expect(rec.options.deleteBeforeReplace, rec.name).toBe(true);
  });

  it("looks the Cloudflare zone up by name and writes proxied records with automatic TTL and a comment", () => {
    expect(lookups(r)).toEqual([{ filter: { name: "example.net" } }]);
    const records = ofType(r, CF);
    expect(records).toHaveLength(2);
    expect(records.map((x) => x.inputs)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: "example.net",
          type: "A",
          content: ip,
          proxied: true,
          ttl: 1,
          comment: "Managed by Pulumi: project berth, stack prod. Edit Pulumi.prod.yaml, not here.",
        }),
        expect.objectContaining({ name: "www.example.net", type: "CNAME", content: "example.net", proxied: true, ttl: 1 }),
      ]),
    );
    const zoneIds = new Set(records.map((x) => x.inputs.zoneId));
    expect(zoneIds.size).toBe(1);
    expect([...zoneIds][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("uses an explicit Cloudflare provider that reads its token from the environment", () => {
    const providers = r.resources.filter((x) => x.type === "pulumi:providers:cloudflare");
    expect(providers.map((p) => p.name)).toEqual(["cloudflare"]);
    expect(providers[0].inputs.apiToken).toBeUndefined();
  });

  it("exports the name servers per domain and every record's FQDN", () => {
    const ns = r.outputs.dnsNameServers as Record<string, string[]>;
    expect(Object.keys(ns).sort()).toEqual(["example.com", "example.net"]);
    expect(ns["example.com"]).toEqual(one(r, ZONE).state.nameServers);
    expect(ns["example.com"]).toHaveLength(4);
    for (const n of ns["example.net"]) expect(n).toMatch(/\.ns\.cloudflare\.com$/);
    expect(r.outputs.dnsRecords).toEqual([
      "host.example.com",
      "example.com",
      "www.example.com",
      "admin.example.com",
      "docker.example.com",
      "jenkins.example.com",
      "example.net",
      "www.example.net",
    ]);
  });
});

describe("dev (no DNS)", async () => {
  const r = await sharedRun("dev");
  it("creates no zone, no record and no Cloudflare provider", () => {
    expect(ofType(r, ZONE)).toEqual([]);
    expect(ofType(r, R53)).toEqual([]);
    expect(ofType(r, CF)).toEqual([]);
    expect(lookups(r)).toEqual([]);
    expect(r.resources.filter((x) => x.type.startsWith("pulumi:providers:cloudflare"))).toEqual([]);
    expect(r.outputs.dnsNameServers).toEqual({});
    expect(r.outputs.dnsRecords).toEqual([]);
  });
});

describe("adopted zones and zone ids", () => {
  it("adopts a Route53 zone by id: no zone resource, records in that zone, no name servers to export", async () => {
    const zones = [{ ...prodDns.zones[0], zoneId: "Z0ADOPTED123456789" }, prodDns.zones[1]];
    const r = await run(stackWith("prod", { dns: { zones } }));
    expect(ofType(r, ZONE)).toEqual([]);
    for (const rec of ofType(r, R53)) expect(rec.inputs.zoneId).toBe("Z0ADOPTED123456789");
    expect(Object.keys(r.outputs.dnsNameServers as object)).toEqual(["example.net"]);
  });

  it("uses a Cloudflare zone id as given, without a lookup", async () => {
    const zones = [prodDns.zones[0], { ...prodDns.zones[1], zoneId: HEX32 }];
    const r = await run(stackWith("prod", { dns: { zones } }));
    expect(lookups(r)).toEqual([]);
    for (const rec of ofType(r, CF)) expect(rec.inputs.zoneId).toBe(HEX32);
    expect(Object.keys(r.outputs.dnsNameServers as object)).toEqual(["example.com"]);
  });

  it("looks a Cloudflare zone up within an account", async () => {
    const zones = [prodDns.zones[0], { ...prodDns.zones[1], accountId: HEX32 }];
    expect(lookups(await run(stackWith("prod", { dns: { zones } })))).toEqual([{ filter: { name: "example.net", account: { id: HEX32 } } }]);
  });

  it("keeps explicit TTLs on unproxied Cloudflare records and names wildcard records readably", async () => {
    const zones = [
      prodDns.zones[0],
      {
        ...prodDns.zones[1],
        records: [
          { name: "@", type: "A", proxied: true },
          { name: "www", type: "CNAME", target: "@", proxied: true },
          { name: "*.preview", type: "A", ttl: 120 },
        ],
      },
    ];
    const r = await run(stackWith("prod", { dns: { zones } }));
    const wildcard = one(r, CF, "dns-wildcard.preview.example.net");
    expect(wildcard.inputs).toMatchObject({ name: "*.preview.example.net", type: "A", ttl: 120, proxied: false });
  });
});

describe("the Cloudflare token from config", () => {
  it("reaches the provider as a secret", async () => {
    const r = await run(stackWith("prod", {}, { "cloudflare:apiToken": "token-from-config" }));
    const provider = one(r, "pulumi:providers:cloudflare");
    expect(isSecretValue(provider.inputs.apiToken)).toBe(true);
    expect((provider.inputs.apiToken as { value: unknown }).value).toBe("token-from-config");
  });
});
