// The certbot command line and deploy hook the host layer runs for Let's Encrypt (components/render/certbot.ts).
// (The hook run for real with sh: certbot.deployHook.test.ts.)
import { describe, expect, it } from "vitest";
import { ACME_WEBROOT, CERTBOT_DEPLOY_HOOK_PATH, letsEncryptPlan, renderCertbotCommand, renderDeployHook } from "../../../components/render/certbot";
import { shellQuote } from "../../../components/render/hostCommands";

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
