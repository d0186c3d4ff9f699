// Table tests for the TLS rules: which modes fit which stack shape, and the provided-certificate
// secrets. (Real certificates against validateProvidedTls: test/integration/tls-openssl.test.ts.)
import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigProblem, type RawConfigInput } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

function problemsOf(input: RawConfigInput): ConfigProblem[] {
  return [...rejection(input).problems];
}

const prodTls = section("prod", "tls");
const prodProxy = section("prod", "proxy") as { apps: Array<Record<string, unknown>> };
const prodDns = section("prod", "dns") as { zones: Array<Record<string, unknown>> };
const input = (stack: string, edits: Record<string, unknown>, secrets: Record<string, string> = {}): RawConfigInput =>
  toRawConfigInput(stackWith(stack, edits, secrets));

describe("TLS validation: key, value and message", () => {
  it.each<[string, RawConfigInput, { key: string; value: unknown; message: RegExp }]>([
    [
      "letsencrypt without e-mail",
      input("prod", { tls: { mode: "letsencrypt" } }),
      { key: "berth:tls.email", value: undefined, message: /^is required for mode letsencrypt/ },
    ],
    [
      "letsencrypt without nginx",
      input("dev", { tls: { mode: "letsencrypt", email: "ops@example.com" }, proxy: { enabled: false } }),
      { key: "berth:tls.mode", value: "letsencrypt", message: /^letsencrypt uses nginx's webroot challenge; set berth:proxy.enabled = true$/ },
    ],
    [
      "letsencrypt without names",
      input("dev", { tls: { mode: "letsencrypt", email: "ops@example.com" } }),
      { key: "berth:tls.mode", value: "letsencrypt", message: /^letsencrypt needs at least one served name that points at the host$/ },
    ],
    [
      "letsencrypt with a direct registry",
      input("dev", { tls: { mode: "letsencrypt", email: "ops@example.com" } }),
      { key: "berth:registry.expose", value: "direct", message: /^direct mode is reached by IP, and a letsencrypt certificate cannot name an IP address/ },
    ],
    [
      "letsencrypt with a wildcard",
      input("prod", { tls: { ...prodTls, extraNames: ["*.example.com"] } }),
      { key: "berth:tls.extraNames[0]", value: "*.example.com", message: /^Let's Encrypt issues wildcard names only through the DNS challenge/ },
    ],
    [
      "letsencrypt for a name outside berth:dns",
      input("prod", { tls: { ...prodTls, extraNames: ["status.example.org"] } }),
      {
        key: "berth:tls.extraNames[0]",
        value: "status.example.org",
        message: /^status\.example\.org is in no zone under berth:dns, so nothing makes it point at the host/,
      },
    ],
    [
      "letsencrypt app name outside berth:dns",
      input("prod", { proxy: { ...prodProxy, apps: [{ ...prodProxy.apps[0], hostnames: ["shop.example.org"] }, prodProxy.apps[1]] } }),
      { key: "berth:proxy.apps[0].hostnames[0]", value: "shop.example.org", message: /^shop\.example\.org is in no zone under berth:dns/ },
    ],
    [
      "cloudflare-origin without a Cloudflare zone",
      input("dev", { tls: { mode: "cloudflare-origin" } }),
      { key: "berth:tls.mode", value: "cloudflare-origin", message: /^cloudflare-origin needs a Cloudflare zone under berth:dns\.zones$/ },
    ],
    [
      "cloudflare-origin with the registry behind nginx",
      input("prod", { tls: { mode: "cloudflare-origin" } }),
      {
        key: "berth:tls.mode",
        value: "cloudflare-origin",
        message: /^the registry name docker\.example\.com must not be proxied .* use berth:tls\.mode letsencrypt or provided$/,
      },
    ],
    [
      "cloudflare-origin for an unproxied name",
      input("prod", { tls: { mode: "cloudflare-origin" } }),
      {
        key: "berth:proxy.apps[0].hostnames[0]",
        value: "example.com",
        message: /^example\.com is not a proxied Cloudflare record, so clients would reach nginx directly/,
      },
    ],
    [
      "cloudflare-origin extra name outside Cloudflare",
      input("prod", { tls: { mode: "cloudflare-origin", extraNames: ["*.example.com"] } }),
      { key: "berth:tls.extraNames[0]", value: "*.example.com", message: /^\*\.example\.com is not inside a Cloudflare zone under berth:dns/ },
    ],
    [
      "self-signed renewal window longer than the lifetime",
      input("dev", { tls: { mode: "self-signed", validityDays: 30, minRemainingDays: 30 } }),
      { key: "berth:tls.validityDays", value: 30, message: /^must exceed berth:tls\.minRemainingDays \(30\)/ },
    ],
    ["unknown mode", input("dev", { tls: { mode: "acme" } }), { key: "berth:tls.mode", value: "acme", message: /self-signed/ }],
    [
      "origin validity not offered by Cloudflare",
      input("dev", { tls: { originValidityDays: 100 } }),
      { key: "berth:tls.originValidityDays", value: 100, message: /./ },
    ],
    [
      "extra name not a domain",
      input("dev", { tls: { extraNames: ["local host"] } }),
      {
        key: "berth:tls.extraNames[0]",
        value: "local host",
        message: /^must be a lower-case domain name like example\.com, or a wildcard like \*\.example\.com$/,
      },
    ],
    [
      "provided without the certificate",
      input("dev", { tls: { mode: "provided" } }),
      {
        key: "berth:tlsCertificate",
        value: undefined,
        message: /^is required for berth:tls\.mode provided: pulumi config set --secret berth:tlsCertificate < fullchain\.pem$/,
      },
    ],
    [
      "provided without the key",
      input("dev", { tls: { mode: "provided" } }),
      {
        key: "berth:tlsPrivateKey",
        value: undefined,
        message: /^is required for berth:tls\.mode provided: pulumi config set --secret berth:tlsPrivateKey < privkey\.pem$/,
      },
    ],
    [
      "provided with text that is not PEM",
      input("dev", { tls: { mode: "provided" } }, { tlsCertificate: "offline-placeholder-secret", tlsPrivateKey: "offline-placeholder-secret" }),
      { key: "berth:tlsCertificate", value: "(hidden)", message: /^holds no "-----BEGIN CERTIFICATE-----" block/ },
    ],
    [
      "certificate in plain text",
      input("dev", { tls: { mode: "provided" }, tlsCertificate: "-----BEGIN CERTIFICATE-----" }),
      { key: "berth:tlsCertificate", value: "(hidden)", message: /^must be stored encrypted/ },
    ],
    [
      "certificate set in another mode",
      input("dev", {}, { tlsCertificate: "x" }),
      {
        key: "berth:tlsCertificate",
        value: "(hidden)",
        message: /^is set but berth:tls\.mode is self-signed, which ignores it; remove it \(pulumi config rm berth:tlsCertificate\) or set mode: provided$/,
      },
    ],
  ])("%s", (_label, cfg, expected) => {
    expect(problemsOf(cfg)).toContainEqual({ key: expected.key, value: expected.value, message: expect.stringMatching(expected.message) });
  });

  it("never prints a secret value", () => {
    const secret = "-----BEGIN PRIVATE KEY-----\nsecret-material\n-----END PRIVATE KEY-----";
    const err = (() => {
      try {
        parseConfig(input("dev", { tls: { mode: "provided" } }, { tlsCertificate: secret, tlsPrivateKey: secret }));
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected rejection");
    })();
    expect(err.message).not.toContain("secret-material");
  });

  it("accepts cloudflare-origin when every served name is a proxied Cloudflare record", () => {
    const cfg = parseConfig(
      input("prod", {
        registry: { enabled: false },
        proxy: { enabled: true, apps: [prodProxy.apps[1]] },
        tls: { mode: "cloudflare-origin", extraNames: ["*.example.net"] },
        dns: prodDns,
      }),
    );
    expect(cfg.tls.mode).toBe("cloudflare-origin");
    expect(cfg.tls.originRequestType).toBe("origin-ecc");
  });
});
