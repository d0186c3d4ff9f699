// The pure TLS helpers: served names, RFC 6125 name matching, timestamps, and the certbot
// command line and deploy hook the host layer runs.
import { describe, expect, it } from "vitest";
import { certificateNameCovers, servedNames, toIsoInstant } from "../../lib/certificates";
import { ACME_WEBROOT, CERTBOT_DEPLOY_HOOK_PATH, letsEncryptPlan, renderCertbotCommand, renderDeployHook } from "../../components/render/certbot";
import { shellQuote } from "../../components/render/hostCommands";
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

describe("Let's Encrypt", () => {
  const plan = letsEncryptPlan(["docker.example.com", "example.com"], "ops@example.com", false);
  it("names certbot's lineage after the first name and serves it from the fixed path", () => {
    expect(plan).toEqual({
      certName: "docker.example.com",
      names: ["docker.example.com", "example.com"],
      email: "ops@example.com",
      staging: false,
      webroot: ACME_WEBROOT,
      certPath: "/etc/letsencrypt/live/docker.example.com/fullchain.pem",
      keyPath: "/etc/letsencrypt/live/docker.example.com/privkey.pem",
      servedCertPath: "/etc/berth/tls/server.crt",
      servedKeyPath: "/etc/berth/tls/server.key",
      deployHookPath: CERTBOT_DEPLOY_HOOK_PATH,
    });
    expect(() => letsEncryptPlan([], "ops@example.com", false)).toThrow(/at least one served name/);
  });
  it("renders the certbot command: webroot, pinned lineage, every name, non-interactive, deploy hook", () => {
    expect(renderCertbotCommand(plan)).toBe(
      "certbot certonly --webroot -w /var/www/berth-acme --cert-name docker.example.com -d docker.example.com -d example.com" +
        " --email ops@example.com --agree-tos --no-eff-email --non-interactive --keep-until-expiring --expand" +
        " --deploy-hook /etc/letsencrypt/renewal-hooks/berth-reload-nginx.sh",
    );
    expect(renderCertbotCommand({ ...plan, staging: true, email: "o'brien@example.com" })).toMatch(/ --email 'o'\\''brien@example\.com' .* --staging$/);
  });
  it("renders a deploy hook that validates before it reloads nginx", () => {
    const hook = renderDeployHook();
    expect(hook.startsWith("#!/bin/sh\n")).toBe(true);
    expect(hook).toContain("set -eu");
    expect(hook.indexOf("nginx -t -q")).toBeLessThan(hook.indexOf("reload nginx"));
    expect(hook).toContain("nginx -s reload");
  });
  it("quotes for the shell only when needed", () => {
    expect(shellQuote("a.example.com")).toBe("a.example.com");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
