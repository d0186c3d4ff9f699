// Proxy on its own (public mock API): nginx's configuration staged and handed to apply-nginx.sh
// (test, then reload), in the clear; basic-auth files, when there are any, as a secret delivery
// that goes first.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { APPLY_NGINX_SCRIPT, Proxy, type ProxyArgs } from "../../components/proxy";
import { renderBundle } from "../../components/render/bundle";
import { makeDirectory } from "../../components/render/hostCommands";
import type { HostFile } from "../../components/render/paths";
import { FAKE_TARGET, failure, mockComponents, secretOf, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const target = FAKE_TARGET;
const nginxConf: HostFile = {
  path: "/etc/nginx/nginx.conf",
  content: "events {}\nhttp { include /etc/nginx/berth/sites/*.conf; }\n",
  mode: 0o644,
  usedBy: ["nginx"],
};
const site: HostFile = { path: "/etc/nginx/berth/sites/web.conf", content: "server { listen 443 ssl; }\n", mode: 0o644, usedBy: ["nginx"] };
const auth: HostFile = {
  path: "/etc/nginx/berth/auth/jenkins.example.com",
  content: "admin:$2y$10$abcdefghijklmnopqrstuv\n",
  mode: 0o640,
  group: "www-data",
  secret: true,
  usedBy: ["nginx"],
};
const DIRECTORIES = ["/var/www/berth-acme", "/var/log/nginx", "/var/lib/berth/deploy/maintenance", "/run"];
// The sites and snippets dirs are pruned of stale files; the auth dir belongs to the secret delivery.
const OWNED = ["/etc/nginx/berth/sites", "/etc/nginx/berth/snippets"];
const APPLY = fs.readFileSync(APPLY_NGINX_SCRIPT, "utf8");

const COMMAND = "command:remote:Command";
const REMOTE_FILES = "berth:host:RemoteFiles";

// secretFiles and directories are the optional members: minimal sets neither and depends on nothing.
const minimal: ProxyArgs = { target, configFiles: [nginxConf, site], dependsOn: [] };

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Proxy, minimal args", () => {
  it("applies the configuration through apply-nginx.sh, in the clear, with no secret delivery", async () => {
    const p = new Proxy("proxy", minimal, m.opts);
    const applied = await valueOf((p.applied as pulumi.CustomResource).urn);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.parent, r.dependsOn])).toEqual([["proxy-config", "proxy", []]]);
    expect(m.ofType(COMMAND).map((c) => c.name)).toEqual(["proxy-config-apply"]);
    const c = m.one(COMMAND, "proxy-config-apply").inputs;
    expect(c.create).toBe("sudo bash -s");
    expect(c.stdin).toBe(renderBundle([nginxConf, site], { mode: "nginx", applyScript: APPLY, ownedDirs: OWNED, label: "proxy-config" }));
    // Staged, then tested and reloaded by the apply script: nothing is copied into place directly.
    expect(c.stdin).toContain('bash "$stage/apply-nginx.sh" "$stage"');
    expect(c.stdin).toContain("nginx -t");
    expect(c.stdin).not.toContain("berth/auth' >>");
    expect(c.stdin).not.toContain(makeDirectory("0755", "/var/www/berth-acme"));
    expect(applied).toMatch(/::proxy-config-apply$/);
  });
});

describe("Proxy, full args", () => {
  it("installs the basic-auth files first as a secret, then applies the configuration with its directories", async () => {
    const ready = new pulumi.ComponentResource("test:index:Ready", "ready", {}, m.opts);
    const p = new Proxy("proxy", { ...minimal, secretFiles: [auth], directories: DIRECTORIES, dependsOn: [ready] }, m.opts);
    const applied = await valueOf((p.applied as pulumi.CustomResource).urn);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.dependsOn])).toEqual([
      ["proxy-auth", ["ready"]],
      ["proxy-config", ["ready", "proxy-auth-apply"]],
    ]);
    expect(m.one(COMMAND, "proxy-auth-apply").inputs.stdin).toEqual(secretOf(renderBundle([auth], { mode: "install", label: "proxy-auth" })));
    const config = m.one(COMMAND, "proxy-config-apply").inputs.stdin;
    expect(config).toBe(
      renderBundle([nginxConf, site], { mode: "nginx", applyScript: APPLY, directories: DIRECTORIES, ownedDirs: OWNED, label: "proxy-config" }),
    );
    for (const d of DIRECTORIES) expect(config).toContain(makeDirectory("0755", d));
    // The password hash stays out of the public delivery.
    expect(config).not.toContain("$2y$");
    expect(applied).toMatch(/::proxy-config-apply$/);
  });

  it("makes the secret delivery whenever secretFiles is given, even as an Output of an empty list", async () => {
    new Proxy("proxy", { ...minimal, secretFiles: pulumi.output([]) }, m.opts);
    await m.settle();
    // Whether to give it is the caller's decision: HostServices gives none when no extra host has basic auth.
    expect(m.ofType(REMOTE_FILES).map((r) => r.name)).toEqual(["proxy-auth", "proxy-config"]);
  });
});

describe("Proxy guards", () => {
  it("refuses a directory the bundle cannot create safely", async () => {
    const err = await failure(() => new Proxy("proxy", { ...minimal, directories: ["/var/www/a b"] }, m.opts));
    expect(err.message).toContain("bundle: unsafe directory /var/www/a b");
  });
});
