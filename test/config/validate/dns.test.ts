// Table tests for every DNS validation rule: each bad input names the key, shows the value and
// says what is wrong, before any resource exists.
import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigProblem, type RawConfigInput } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

function problemsOf(input: RawConfigInput): ConfigProblem[] {
  return [...rejection(input).problems];
}

/** Dev (no served names, so only DNS rules fire) with these zones. */
function devWithZones(zones: unknown[]): RawConfigInput {
  return toRawConfigInput(stackWith("dev", { dns: { zones } }));
}

const A = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: "A", ...extra });
const CNAME = (name: string, target?: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: "CNAME",
  ...(target === undefined ? {} : { target }),
  ...extra,
});
const r53 = (records: unknown[], extra: Record<string, unknown> = {}) => ({ domain: "example.com", provider: "route53", records, ...extra });
const cf = (records: unknown[], extra: Record<string, unknown> = {}) => ({ domain: "example.net", provider: "cloudflare", records, ...extra });
const HEX32 = "0123456789abcdef0123456789abcdef";

describe("DNS validation: key, value and message", () => {
  it.each<[string, unknown[], { key: string; value: unknown; message: RegExp }]>([
    ["upper-case label", [r53([A("Www")])], { key: "berth:dns.zones[0].records[0].name", value: "Www", message: /^must be "@" or DNS labels/ }],
    [
      "label over 63 characters",
      [r53([A("a".repeat(64))])],
      { key: "berth:dns.zones[0].records[0].name", value: "a".repeat(64), message: /^must be "@" or DNS labels/ },
    ],
    ["underscore", [r53([A("_dmarc")])], { key: "berth:dns.zones[0].records[0].name", value: "_dmarc", message: /^must be "@" or DNS labels/ }],
    ["empty label", [r53([A("a..b")])], { key: "berth:dns.zones[0].records[0].name", value: "a..b", message: /^must be "@" or DNS labels/ }],
    ["leading hyphen", [r53([A("-x")])], { key: "berth:dns.zones[0].records[0].name", value: "-x", message: /^must be "@" or DNS labels/ }],
    ["wildcard not leftmost", [r53([A("a.*")])], { key: "berth:dns.zones[0].records[0].name", value: "a.*", message: /^must be "@" or DNS labels/ }],
    [
      "FQDN over 253 characters",
      [r53([A(Array(5).fill("a".repeat(60)).join("."))])],
      { key: "berth:dns.zones[0].records[0].name", value: Array(5).fill("a".repeat(60)).join("."), message: /is 316 characters; a DNS name has at most 253$/ },
    ],
    [
      "CNAME at the apex",
      [r53([A("host"), CNAME("@", "host")])],
      { key: "berth:dns.zones[0].records[1].name", value: "@", message: /^a CNAME cannot sit at the zone apex; use type A for "@"$/ },
    ],
    [
      "CNAME without target",
      [r53([A("host"), CNAME("www")])],
      { key: "berth:dns.zones[0].records[1].target", value: undefined, message: /^a CNAME needs a target/ },
    ],
    [
      "CNAME to an undefined name",
      [r53([A("host"), CNAME("www", "hots")])],
      {
        key: "berth:dns.zones[0].records[1].target",
        value: "hots",
        message: /^no record named "hots" is defined in berth:dns \(neither in zone example\.com nor as an FQDN\)/,
      },
    ],
    [
      "CNAME to an undefined FQDN",
      [r53([A("host"), CNAME("www", "host.example.org.")])],
      { key: "berth:dns.zones[0].records[1].target", value: "host.example.org.", message: /^no record named "host\.example\.org\." is defined/ },
    ],
    [
      "CNAME to itself",
      [r53([A("host"), CNAME("www", "www")])],
      { key: "berth:dns.zones[0].records[1].target", value: "www", message: /^a CNAME cannot point at itself$/ },
    ],
    [
      "CNAME loop",
      [r53([A("host"), CNAME("a", "b"), CNAME("b", "a")])],
      {
        key: "berth:dns.zones[0].records[1].target",
        value: "b",
        message: /^CNAME loop: a\.example\.com -> b\.example\.com -> a\.example\.com; one of them must be an A record$/,
      },
    ],
    [
      "A record with a target",
      [r53([A("host", { target: "1.2.3.4" })])],
      { key: "berth:dns.zones[0].records[0].target", value: "1.2.3.4", message: /^type A records always point at the host's Elastic IP; remove target$/ },
    ],
    [
      "duplicate name in one zone",
      [r53([A("host"), CNAME("host", "@"), A("@")])],
      {
        key: "berth:dns.zones[0].records[1].name",
        value: "host",
        message: /^host\.example\.com is already defined at berth:dns\.zones\[0\]\.records\[0\]; a name must point one way only$/,
      },
    ],
    [
      "same name in both providers",
      [r53([A("@")]), { ...cf([A("@")]), domain: "example.com" }],
      {
        key: "berth:dns.zones[1].records[0].name",
        value: "@",
        message:
          /^example\.com is already defined at berth:dns\.zones\[0\]\.records\[0\] \(route53 zone example\.com\); a name must point one way only, from one provider$/,
      },
    ],
    [
      "same zone twice",
      [r53([A("@")]), { ...cf([A("www")]), domain: "example.com" }],
      { key: "berth:dns.zones[1].domain", value: "example.com", message: /^zone already defined at berth:dns\.zones\[0\]$/ },
    ],
    [
      "record inside a nested zone",
      [r53([A("host"), CNAME("api.shop", "host")]), cf([A("@")], { domain: "shop.example.com" })],
      {
        key: "berth:dns.zones[0].records[1].name",
        value: "api.shop",
        message:
          /^api\.shop\.example\.com lies inside zone shop\.example\.com \(berth:dns\.zones\[1\], cloudflare\), which answers for it; define the record there$/,
      },
    ],
    [
      "proxied on Route53",
      [r53([A("host", { proxied: true })])],
      { key: "berth:dns.zones[0].records[0].proxied", value: true, message: /^only Cloudflare records can be proxied$/ },
    ],
    [
      "proxied Cloudflare record with a TTL",
      [cf([A("@", { proxied: true, ttl: 300 })])],
      {
        key: "berth:dns.zones[0].records[0].ttl",
        value: 300,
        message: /^proxied Cloudflare records always use automatic TTL \(1\); remove ttl, or set proxied: false$/,
      },
    ],
    [
      "Cloudflare TTL below 60",
      [cf([A("@", { ttl: 30 })])],
      { key: "berth:dns.zones[0].records[0].ttl", value: 30, message: /^Cloudflare accepts 1 \(automatic\) or 60-86400 seconds$/ },
    ],
    ["TTL out of range", [r53([A("@", { ttl: 0 })])], { key: "berth:dns.zones[0].records[0].ttl", value: 0, message: /^must be >= 1$/ }],
    [
      "Route53 zone id with prefix",
      [r53([A("@")], { zoneId: "/hostedzone/Z0123456789ABC" })],
      { key: "berth:dns.zones[0].zoneId", value: "/hostedzone/Z0123456789ABC", message: /^must be a Route53 hosted zone id like Z0123456789ABCDEFGHIJ/ },
    ],
    [
      "Cloudflare zone id not hex",
      [cf([A("@")], { zoneId: "example.net" })],
      { key: "berth:dns.zones[0].zoneId", value: "example.net", message: /^must be a Cloudflare zone id: 32 lower-case hex characters/ },
    ],
    [
      "accountId on Route53",
      [r53([A("@")], { accountId: HEX32 })],
      { key: "berth:dns.zones[0].accountId", value: HEX32, message: /^only Cloudflare zones take an accountId$/ },
    ],
    [
      "accountId with zoneId",
      [cf([A("@")], { zoneId: HEX32, accountId: HEX32 })],
      { key: "berth:dns.zones[0].accountId", value: HEX32, message: /^is used only to look the zone up by name; with zoneId set it has no effect/ },
    ],
    [
      "accountId not hex",
      [cf([A("@")], { accountId: "my-account" })],
      { key: "berth:dns.zones[0].accountId", value: "my-account", message: /^must be a Cloudflare account id: 32 lower-case hex characters$/ },
    ],
    ["unknown provider", [{ ...r53([A("@")]), provider: "gandi" }], { key: "berth:dns.zones[0].provider", value: "gandi", message: /route53.*cloudflare/ }],
    [
      "bad domain",
      [{ ...r53([A("@")]), domain: "Example.com" }],
      { key: "berth:dns.zones[0].domain", value: "Example.com", message: /^must be a lower-case domain name like example\.com$/ },
    ],
    ["zone without records", [r53([])], { key: "berth:dns.zones[0].records", value: [], message: /^must have at least 1 item/ }],
  ])("%s", (_label, zones, expected) => {
    expect(problemsOf(devWithZones(zones))).toContainEqual({ key: expected.key, value: expected.value, message: expect.stringMatching(expected.message) });
  });

  it("accepts wildcards, FQDN targets across zones and adopted zones", () => {
    expect(() =>
      parseConfig(
        devWithZones([
          r53([A("host", { ttl: 60 }), A("*.apps"), CNAME("www", "host.example.com.")], { zoneId: "Z0123456789ABCDEFGHIJ" }),
          cf([A("@", { proxied: true }), CNAME("www", "host.example.com", { ttl: 1 })], { accountId: HEX32 }),
        ]),
      ),
    ).not.toThrow();
  });
});

describe("the registry name never goes through Cloudflare's proxy", () => {
  const prodDns = section("prod", "dns") as { zones: Array<{ records: unknown[] }> };
  const prodRegistry = section("prod", "registry");
  const withCf = (records: unknown[]) =>
    toRawConfigInput(
      stackWith("prod", {
        registry: { ...prodRegistry, hostname: "docker.example.net" },
        dns: { zones: [prodDns.zones[0], cf(records)] },
      }),
    );

  it("refuses a proxied registry record", () => {
    expect(problemsOf(withCf([A("@", { proxied: true }), CNAME("www", "@", { proxied: true }), CNAME("docker", "@", { proxied: true })]))).toContainEqual({
      key: "berth:dns.zones[1].records[2].proxied",
      value: true,
      message:
        "docker.example.net serves the registry (berth:registry.hostname); Cloudflare's proxy caps uploads at 100 MB, so image pushes would fail. Set proxied: false",
    });
  });

  it("refuses an unproxied registry CNAME to a proxied record", () => {
    expect(problemsOf(withCf([A("@", { proxied: true }), CNAME("www", "@", { proxied: true }), CNAME("docker", "@")]))).toContainEqual({
      key: "berth:dns.zones[1].records[0].proxied",
      value: true,
      message: expect.stringMatching(/^the registry name docker\.example\.net resolves through this proxied record \(docker\.example\.net -> example\.net\)/),
    });
  });

  it("accepts an unproxied registry record next to proxied ones", () => {
    expect(() => parseConfig(withCf([A("@", { proxied: true }), CNAME("www", "@", { proxied: true }), A("docker")]))).not.toThrow();
  });
});

describe("the Cloudflare token", () => {
  it("must be a secret when it is in config", () => {
    const input = { ...toRawConfigInput(stackWith("prod")), cloudflareApiToken: "plain" as const };
    expect(problemsOf(input)).toEqual([
      {
        key: "cloudflare:apiToken",
        value: "(hidden)",
        message: expect.stringMatching(/^must be stored encrypted: pulumi config set --secret cloudflare:apiToken/),
      },
    ]);
    expect(() => parseConfig({ ...input, cloudflareApiToken: "secret" })).not.toThrow();
  });
});
