// The pure TLS helpers (lib/certificates.ts): served names, RFC 6125 name matching, timestamps.
// (The certbot command line and deploy hook: test/components/render/certbot.test.ts.)
import { describe, expect, it } from "vitest";
import { certificateNameCovers, servedNames, toIsoInstant } from "../../lib/certificates";
import { parseConfig } from "../../config";
import { toRawConfigInput } from "../../offline/stackFile";
import { stackWith } from "../helpers/stack";

describe("certificateNameCovers (RFC 6125: one whole left-most wildcard label)", () => {
  it.each<[string, string, boolean]>([
    ["example.com", "example.com", true],
    ["EXAMPLE.com", "example.COM.", true],
    ["*.example.com", "www.example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "*.example.com", true],
    ["*.com", "example.com", false],
    ["w*.example.com", "www.example.com", false],
    ["www.example.com", "*.example.com", false],
    ["*.example.com", "wwwexample.com", false],
  ])("%s covers %s: %s", (pattern, name, expected) => {
    expect(certificateNameCovers(pattern, name)).toBe(expected);
  });
});

describe("toIsoInstant", () => {
  it.each([
    ["Nov 22 00:00:00 2027 GMT", "2027-11-22T00:00:00Z"],
    ["2027-11-22T00:00:00Z", "2027-11-22T00:00:00Z"],
    ["2041-11-18 06:44:30 +0000 UTC", "2041-11-18T06:44:30Z"],
    ["2041-11-18 08:44:30 +0200 CEST", "2041-11-18T06:44:30Z"],
  ])("%s -> %s", (text, iso) => expect(toIsoInstant(text)).toBe(iso));
  it("refuses what it cannot read", () => expect(() => toIsoInstant("soon")).toThrow(/unrecognised timestamp "soon"/));
});

describe("servedNames", () => {
  it("lists app, extra-host, registry and extra names once, in that order (prod)", () => {
    const cfg = parseConfig(
      toRawConfigInput(stackWith("prod", { tls: { mode: "letsencrypt", email: "ops@example.com", extraNames: ["example.com", "status.example.com"] } })),
    );
    expect(servedNames(cfg)).toEqual([
      "example.com",
      "www.example.com",
      "example.net",
      "www.example.net",
      "jenkins.example.com",
      "docker.example.com",
      "status.example.com",
    ]);
  });
  it("is empty for dev, which is reached by IP", () => {
    expect(servedNames(parseConfig(toRawConfigInput(stackWith("dev"))))).toEqual([]);
  });
  it("leaves out the registry in direct mode and apps when the proxy is off", () => {
    expect(
      servedNames({
        registry: { enabled: true, expose: "direct", hostname: "docker.example.com" },
        proxy: { enabled: false, apps: [{ hostnames: ["a.example.com"] }], extraHosts: [{ hostname: "b.example.com" }] },
        tls: { extraNames: ["c.example.com"] },
      }),
    ).toEqual(["c.example.com"]);
  });
});
