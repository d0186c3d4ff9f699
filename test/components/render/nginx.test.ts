// Properties of the nginx files that matter for safety and for the deploy tooling, checked on the
// shipped stacks' renders (fixed fake material) and on small hand-made specs.
import { describe, expect, it } from "vitest";
import {
  hstsValue,
  MAINTENANCE_RETRY_AFTER_SECONDS,
  maintenanceFlagPath,
  renderNginxFiles,
  TLS_CIPHERS,
  upstreamName,
  type NginxSpec,
} from "../../../components/render/nginx";
import { hostFiles } from "../../../components/render/hostFiles";
import { directives, findBlocks } from "../../helpers/nginxText";
import { FIXED_CLOUDFLARE_RANGES, fileAt, fixtureInput, stackConfig, stackFiles } from "../../helpers/renderFixtures";
import { rejection, section, stackWith } from "../../helpers/stack";
import { toRawConfigInput } from "../../../offline/stackFile";

const prod = stackFiles("prod");
const dev = stackFiles("dev");
const site = (files: typeof prod, name: string): string => fileAt(files, `/etc/nginx/berth/sites/${name}`).content;
const SECURITY = "include /etc/nginx/berth/snippets/security-headers.conf";

describe("main nginx.conf", () => {
  const conf = fileAt(prod, "/etc/nginx/nginx.conf").content;
  const http = directives(findBlocks(conf, /^http$/)[0].body);

  it.each([
    "server_tokens off",
    "ssl_protocols TLSv1.2 TLSv1.3",
    "ssl_session_cache shared:berth_tls:10m",
    "include /etc/nginx/mime.types",
    "include /etc/nginx/berth/sites/*.conf",
  ])("http has %s", (line) => expect(http).toContain(line));

  it("offers only forward-secret AEAD suites for TLS 1.2", () => {
    const ciphers = http
      .find((d) => d.startsWith("ssl_ciphers "))!
      .slice("ssl_ciphers ".length)
      .split(":");
    for (const c of ciphers) expect(c).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
  });

  it("sets pid, error log and the worker user", () => {
    expect(directives(conf)).toEqual(expect.arrayContaining(["user www-data", "pid /run/nginx.pid", "error_log /var/log/nginx/error.log warn"]));
  });

  it("sends no Connection header upstream for ordinary requests, so upstream keepalive works", () => {
    const map = findBlocks(conf, /^map \$http_upgrade \$connection_upgrade$/)[0];
    expect(directives(map.body)).toEqual(["default upgrade", '"" ""']);
  });

  it("includes no live-upstream files any more (a blue/green switch changes no nginx file)", () => {
    expect(conf).not.toContain("/live/");
  });
});

describe("port 80", () => {
  const server = findBlocks(site(prod, "00-http.conf"), /^server$/)[0];
  const acme = findBlocks(server.body, /^location \^~ \/\.well-known\/acme-challenge\/$/);

  it("serves ACME challenges from the webroot instead of redirecting them", () => {
    expect(acme).toHaveLength(1);
    expect(directives(acme[0].body)).toContain("root /var/www/berth-acme");
    expect(acme[0].body).not.toMatch(/return/);
  });

  it("redirects everything else to HTTPS, keeping host and URI", () => {
    const rest = findBlocks(server.body, /^location \/$/)[0];
    expect(directives(rest.body)).toEqual(["return 301 https://$host$request_uri"]);
  });

  it("adds the port to the redirect when HTTPS is not on 443", () => {
    const files = stackFiles("prod", { root: "/r", listenAddress: "127.0.0.1", httpPort: 8080, httpsPort: 8443 });
    const text = fileAt(files, "/r/etc/nginx/berth/sites/00-http.conf").content;
    expect(text).toContain("listen 127.0.0.1:8080 default_server;");
    expect(text).toContain("return 301 https://$host:8443$request_uri;");
  });
});

describe("HTTPS servers", () => {
  const sites = [...prod, ...dev].filter((f) => f.path.includes("/sites/") && !f.path.endsWith("00-http.conf"));

  it.each(sites.map((f) => [f.path, f.content]))("%s: every server listens with ssl and http2", (_p, text) => {
    for (const s of findBlocks(text, /^server$/))
      expect(directives(s.body).find((d) => d.startsWith("listen "))).toMatch(/^listen \S*443 ssl http2( default_server)?$/);
  });

  it.each(sites.map((f) => [f.path, f.content]))("%s: every location repeats the security headers", (_p, text) => {
    for (const loc of findBlocks(text, /^location /)) expect(directives(loc.body)).toContain(SECURITY);
  });

  it("security headers are added with `always` and HSTS uses the configured max-age", () => {
    const text = fileAt(prod, "/etc/nginx/berth/snippets/security-headers.conf").content;
    const adds = directives(text).filter((d) => d.startsWith("add_header"));
    expect(adds.length).toBeGreaterThanOrEqual(4);
    for (const a of adds) expect(a).toMatch(/ always$/);
    expect(text).toContain('Strict-Transport-Security "max-age=63072000" always;');
  });

  it("HSTS: two years by default, includeSubDomains and preload when asked, preload never without them", () => {
    const header = (proxy: Record<string, unknown>): string => {
      const cfg = stackConfig("prod");
      const files = hostFiles(fixtureInput({ ...cfg, proxy: { ...cfg.proxy, ...proxy } }));
      return /Strict-Transport-Security "([^"]+)"/.exec(fileAt(files, "/etc/nginx/berth/snippets/security-headers.conf").content)![1];
    };
    expect(header({})).toBe("max-age=63072000");
    expect(header({ hstsIncludeSubdomains: true })).toBe("max-age=63072000; includeSubDomains");
    expect(header({ hstsIncludeSubdomains: true, hstsPreload: true })).toBe("max-age=63072000; includeSubDomains; preload");
    expect(() => header({ hstsPreload: true })).toThrow(/preload needs includeSubDomains/);
    expect(hstsValue({ hstsMaxAgeSeconds: 0 })).toBe("max-age=0");
  });

  it("closes unknown names when no app is the catch-all (prod)", () => {
    expect(directives(findBlocks(site(prod, "10-default.conf"), /^server$/)[0].body)).toEqual([
      "listen 443 ssl http2 default_server",
      "server_name _",
      "ssl_reject_handshake on",
      "return 444",
    ]);
  });

  it("makes the app without hostnames the default server (dev, reached by IP)", () => {
    expect(dev.some((f) => f.path.endsWith("10-default.conf"))).toBe(false);
    const d = directives(findBlocks(site(dev, "30-app-web.conf"), /^server$/)[0].body);
    expect(d).toEqual(expect.arrayContaining(["listen 443 ssl http2 default_server", "server_name _"]));
  });
});

describe("registry server (prod)", () => {
  const text = site(prod, "20-registry.conf");
  const server = findBlocks(text, /^server$/)[0];
  const loc = findBlocks(server.body, /^location \/$/)[0];

  it("answers the registry hostname and forwards to loopback", () => {
    expect(directives(server.body)).toContain("server_name docker.example.com");
    expect(directives(findBlocks(text, /^upstream berth_registry$/)[0].body)).toEqual(["server 127.0.0.1:5000"]);
    expect(directives(loc.body)).toContain("proxy_pass http://berth_registry");
  });

  it("has no body limit and streams uploads with long timeouts", () => {
    expect(directives(server.body)).toContain("client_max_body_size 0");
    expect(directives(loc.body)).toEqual(
      expect.arrayContaining(["proxy_request_buffering off", "proxy_buffering off", "proxy_read_timeout 900s", "proxy_send_timeout 900s"]),
    );
  });

  it("sends the API version header on every response, errors included", () => {
    expect(directives(loc.body)).toContain("add_header Docker-Distribution-Api-Version $berth_registry_api_version always");
    expect(directives(findBlocks(text, /^map \$upstream_http_docker_distribution_api_version/)[0].body)).toEqual(['"" "registry/2.0"']);
  });

  it("forwards a name it serves (never the client's Host text) and the scheme", () => {
    expect(directives(loc.body)).toEqual(
      expect.arrayContaining(["include /etc/nginx/berth/snippets/proxy.conf", "proxy_set_header Host $host", "proxy_set_header X-Forwarded-Host $host"]),
    );
    expect(text).not.toContain("$http_host");
  });

  it("keeps the port clients use in Host when HTTPS is not on 443 (the registry's upload Location)", () => {
    const files = stackFiles("prod", { root: "/r", httpsPort: 8443 });
    const d = directives(findBlocks(fileAt(files, "/r/etc/nginx/berth/sites/20-registry.conf").content, /^location \/$/)[0].body);
    expect(d).toEqual(expect.arrayContaining(["proxy_set_header Host $host:8443", "proxy_set_header X-Forwarded-Host $host:8443"]));
  });

  it("also answers 127.0.0.1 when the rehearsal asks, without becoming the default", () => {
    const files = stackFiles("prod", { root: "/r", registryExtraServerNames: ["127.0.0.1", "localhost"], registryPort: 5999 });
    const t = fileAt(files, "/r/etc/nginx/berth/sites/20-registry.conf").content;
    expect(t).toContain("server_name docker.example.com 127.0.0.1 localhost;");
    expect(t).toContain("server 127.0.0.1:5999;");
    expect(t).not.toContain("default_server");
  });

  it("is absent when the registry serves TLS itself (dev)", () => {
    expect(dev.some((f) => f.path.endsWith("20-registry.conf"))).toBe(false);
  });
});

describe("forwarded headers", () => {
  const proxy = directives(fileAt(prod, "/etc/nginx/berth/snippets/proxy.conf").content);

  it("sends one client address in X-Forwarded-For (nginx's own view), never the client's list", () => {
    expect(proxy).toEqual(
      expect.arrayContaining([
        "proxy_set_header X-Real-IP $remote_addr",
        "proxy_set_header X-Forwarded-For $remote_addr",
        "proxy_set_header X-Forwarded-Proto $scheme",
        'proxy_set_header Forwarded ""',
      ]),
    );
    for (const f of [...prod, ...dev]) expect(f.content, f.path).not.toMatch(/\$proxy_add_x_forwarded_for|\$http_host/);
  });

  it.each([...prod, ...dev].filter((f) => f.path.includes("/sites/")).map((f) => [f.path, f.content]))(
    "%s: every proxied location sets Host and X-Forwarded-Host exactly once",
    (_p, text) => {
      for (const loc of findBlocks(text, /^location /)) {
        const d = directives(loc.body);
        if (!d.some((x) => x.startsWith("proxy_pass"))) continue;
        expect(
          d.filter((x) => x.startsWith("proxy_set_header Host ")),
          loc.head,
        ).toHaveLength(1);
        expect(
          d.filter((x) => x.startsWith("proxy_set_header X-Forwarded-Host ")),
          loc.head,
        ).toHaveLength(1);
      }
    },
  );

  it("answers 421 in the catch-all server (reached by IP) for any name, before the app sees it", () => {
    const server = findBlocks(site(dev, "30-app-web.conf"), /^server$/)[0];
    const check = findBlocks(server.body, /^if \(\$host !~/);
    expect(check).toHaveLength(1);
    expect(directives(check[0].body)).toEqual(["return 421"]);
    const re = new RegExp(/"([^"]+)"/.exec(check[0].head)![1]);
    for (const ok of ["203.0.113.7", "127.0.0.1", "[::1]"]) expect(ok).toMatch(re);
    for (const bad of ["example.com", "203.0.113.7.evil.test", "evil.test"]) expect(bad).not.toMatch(re);
    // Named servers need no check: nginx picked them because $host is one of their names.
    expect(site(prod, "30-app-shop.conf")).not.toContain("return 421");
  });

  it("restores the client address only on servers of Cloudflare-proxied names, trusting only Cloudflare's ranges", () => {
    const snippet = fileAt(prod, "/etc/nginx/berth/snippets/cloudflare-real-ip.conf").content;
    expect(directives(snippet)).toEqual([...FIXED_CLOUDFLARE_RANGES.map((r) => `set_real_ip_from ${r}`), "real_ip_header CF-Connecting-IP"]);
    const include = "include /etc/nginx/berth/snippets/cloudflare-real-ip.conf";
    expect(directives(findBlocks(site(prod, "30-app-landing.conf"), /^server$/)[0].body)).toContain(include);
    for (const other of ["30-app-shop.conf", "20-registry.conf", "40-host-jenkins.example.com.conf"]) expect(site(prod, other)).not.toContain(include);
    expect(dev.some((f) => f.path.endsWith("cloudflare-real-ip.conf"))).toBe(false);
  });

  it("refuses ranges that are not CIDRs (the text goes into nginx.conf)", () => {
    const cfg = stackConfig("prod");
    expect(() => hostFiles({ ...fixtureInput(cfg), realIp: { names: ["example.net"], ranges: ["1.2.3.0/24; include /etc/passwd"] } })).toThrow(/must be CIDRs/);
    expect(() => hostFiles({ ...fixtureInput(cfg), realIp: { names: ["example.net"], ranges: [] } })).toThrow(/must be CIDRs/);
  });
});

describe("TLS policy (Mozilla intermediate or stricter)", () => {
  const http = directives(findBlocks(fileAt(prod, "/etc/nginx/nginx.conf").content, /^http$/)[0].body);
  it("pins curves and leaves the suite choice to the client", () => {
    expect(http).toEqual(
      expect.arrayContaining([
        "ssl_ecdh_curve X25519:prime256v1:secp384r1",
        "ssl_prefer_server_ciphers off",
        "ssl_session_tickets off",
        "ssl_session_timeout 1d",
      ]),
    );
  });
  it("offers a subset of Mozilla's intermediate TLS 1.2 suites", () => {
    const mozillaIntermediate = [
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305",
      "ECDHE-RSA-CHACHA20-POLY1305",
      "DHE-RSA-AES128-GCM-SHA256",
      "DHE-RSA-AES256-GCM-SHA384",
      "DHE-RSA-CHACHA20-POLY1305",
    ];
    for (const c of TLS_CIPHERS.split(":")) expect(mozillaIntermediate).toContain(c);
  });
});

describe("apps and blue/green upstreams", () => {
  const shop = site(prod, "30-app-shop.conf");

  it("routes / to the front end and the back-end path to the back end through named upstreams", () => {
    expect(directives(findBlocks(shop, /^location \/$/)[0].body)).toContain("proxy_pass http://berth_shop_frontend");
    const api = findBlocks(shop, /^location ~ /);
    expect(api.map((b) => b.head)).toEqual(["location ~ ^/api(?:/|$)"]);
    expect(directives(api[0].body)).toContain("proxy_pass http://berth_shop_backend");
    expect("/api/x").toMatch(/^\/api(?:\/|$)/);
    expect("/apiary").not.toMatch(/^\/api(?:\/|$)/);
  });

  it("has no back-end location for an app without a back end", () => {
    expect(findBlocks(site(prod, "30-app-landing.conf"), /^location ~ /)).toHaveLength(0);
  });

  it("points each upstream at the part's fixed live port with bounded keepalive", () => {
    const text = site(prod, "30-app-shop.conf");
    expect(directives(findBlocks(text, /^upstream berth_shop_frontend$/)[0].body)).toEqual([
      "server 127.0.0.1:3000",
      "keepalive 32",
      "keepalive_timeout 1s",
      "keepalive_time 1s",
    ]);
    expect(directives(findBlocks(text, /^upstream berth_shop_backend$/)[0].body)[0]).toBe("server 127.0.0.1:8080");
    expect(prod.some((f) => f.path.includes("/live/"))).toBe(false);
  });

  it("answers 503 with Retry-After while the app's maintenance flag exists", () => {
    const server = findBlocks(site(prod, "30-app-shop.conf"), /^server$/)[0];
    const flag = maintenanceFlagPath("/var/lib/berth/deploy/maintenance", "shop");
    expect(flag).toBe("/var/lib/berth/deploy/maintenance/shop");
    expect(directives(findBlocks(server.body, new RegExp(`^if \\(-f ${flag}\\)$`))[0].body)).toEqual(["return 503"]);
    expect(directives(server.body)).toContain("error_page 503 @berth_maintenance");
    const named = directives(findBlocks(server.body, /^location @berth_maintenance$/)[0].body);
    expect(named).toEqual(expect.arrayContaining([SECURITY, `add_header Retry-After ${MAINTENANCE_RETRY_AFTER_SECONDS} always`]));
  });

  it("defines every upstream a site uses in the same file", () => {
    for (const f of prod.filter((x) => x.path.includes("/sites/"))) {
      const defined = new Set(findBlocks(f.content, /^upstream /).map((b) => b.head.split(" ")[1]));
      const used = [...f.content.matchAll(/proxy_pass http:\/\/(berth_\w+_(?:frontend|backend));/g)].map((m) => m[1]);
      for (const u of used) expect(defined).toContain(u);
    }
  });

  it("turns hyphens into underscores in upstream names", () => {
    expect(upstreamName("my-app", "backend")).toBe("berth_my_app_backend");
  });
});

describe("extra hosts", () => {
  const text = site(prod, "40-host-jenkins.example.com.conf");
  const loc = directives(findBlocks(text, /^location \/$/)[0].body);

  it("asks for a password from a group-readable, secret htpasswd file", () => {
    expect(loc).toEqual(
      expect.arrayContaining(['auth_basic "jenkins.example.com"', "auth_basic_user_file /etc/nginx/berth/auth/jenkins.example.com.htpasswd"]),
    );
    const auth = fileAt(prod, "/etc/nginx/berth/auth/jenkins.example.com.htpasswd");
    expect(auth).toMatchObject({ secret: true, mode: 0o640, group: "www-data" });
    expect(auth.content).toMatch(/^admin:\$2y\$10\$/);
  });

  it("removes the client's Authorization header (the proxy password) before the upstream, unless the host asks to pass it", () => {
    expect(loc).toContain('proxy_set_header Authorization ""');
    const cfg = stackConfig("prod");
    const passing = { ...cfg, proxy: { ...cfg.proxy, extraHosts: cfg.proxy.extraHosts.map((h) => ({ ...h, passAuthorization: true })) } };
    const text2 = fileAt(hostFiles(fixtureInput(passing)), "/etc/nginx/berth/sites/40-host-jenkins.example.com.conf").content;
    expect(directives(findBlocks(text2, /^location \/$/)[0].body)).not.toContain('proxy_set_header Authorization ""');
  });

  it("passes WebSocket upgrades and forwards to the configured upstream", () => {
    expect(loc).toEqual(expect.arrayContaining(["include /etc/nginx/berth/snippets/websocket.conf", "proxy_pass http://127.0.0.1:8088"]));
  });
});

describe("renderNginxFiles validation", () => {
  const spec: NginxSpec = {
    paths: { mainConfig: "/n/nginx.conf", berthDir: "/n/berth", pidFile: "/p", logDir: "/l", acmeWebroot: "/w", mimeTypes: "/m", maintenanceDir: "/d" },
    httpPort: 80,
    httpsPort: 443,
    certificatePath: "/c",
    keyPath: "/k",
    hstsMaxAgeSeconds: 0,
    clientMaxBodySize: "1m",
    apps: [],
    extraHosts: [],
  };
  const app = {
    name: "a",
    hostnames: [] as string[],
    frontend: { bluePort: 1, greenPort: 2, livePort: 3 },
    backendPath: "/api",
    initialColor: "blue" as const,
  };
  const configApp = { name: "a", frontend: { bluePort: 1, greenPort: 2, livePort: 3 } };

  it("refuses two catch-all apps", () => {
    expect(() => renderNginxFiles({ ...spec, apps: [app, { ...app, name: "b" }] })).toThrow(/catch-all/);
  });

  it("refuses a name served twice", () => {
    expect(() =>
      renderNginxFiles({
        ...spec,
        apps: [{ ...app, hostnames: ["x.example.com"] }],
        extraHosts: [{ hostname: "x.example.com", upstream: "http://127.0.0.1:1", websockets: false }],
      }),
    ).toThrow("nginx: x.example.com is already served by app a (again by an extra host)");
  });

  // One rule, one wording: what config reports for a key is what the renderer refuses with.
  it.each<[string, Partial<NginxSpec>, string, Record<string, unknown>]>([
    ["app name", { apps: [{ ...app, name: "Web" }] }, "berth:proxy.apps[0].name", { apps: [{ ...configApp, name: "Web" }] }],
    ["app name length", { apps: [{ ...app, name: "a".repeat(32) }] }, "berth:proxy.apps[0].name", { apps: [{ ...configApp, name: "a".repeat(32) }] }],
    [
      "app hostname",
      { apps: [{ ...app, hostnames: ["Shop.example.com"] }] },
      "berth:proxy.apps[0].hostnames[0]",
      { apps: [{ ...configApp, hostnames: ["Shop.example.com"] }] },
    ],
    [
      "extra host",
      { extraHosts: [{ hostname: "jenkins", upstream: "http://127.0.0.1:1", websockets: false }] },
      "berth:proxy.extraHosts[0].hostname",
      { extraHosts: [{ hostname: "jenkins", upstream: "http://127.0.0.1:1" }] },
    ],
    ["body size", { clientMaxBodySize: "10MB" }, "berth:proxy.clientMaxBodySize", { clientMaxBodySize: "10MB" }],
    [
      "two catch-alls",
      { apps: [app, { ...app, name: "b" }] },
      "berth:proxy.apps",
      { apps: [configApp, { ...configApp, name: "b", frontend: { bluePort: 4, greenPort: 5, livePort: 6 } }] },
    ],
  ])("refuses a bad %s with the words config uses", (_what, edit, key, proxy) => {
    const problem = rejection(toRawConfigInput(stackWith("dev", { proxy: { ...section("dev", "proxy"), ...proxy } }))).problems.find((p) => p.key === key);
    expect(problem, `config reports ${key}`).toBeDefined();
    expect(() => renderNginxFiles({ ...spec, ...edit })).toThrow(problem!.message);
  });

  it("lets the registry block answer for the rehearsal's loopback names", () => {
    expect(() =>
      renderNginxFiles({ ...spec, registry: { hostnames: ["docker.example.com", "127.0.0.1", "localhost"], upstream: "127.0.0.1:5000" } }),
    ).not.toThrow();
    expect(() => renderNginxFiles({ ...spec, registry: { hostnames: ["docker.example.com;"], upstream: "127.0.0.1:5000" } })).toThrow(/registry hostname/);
  });

  it("writes max-age=0 when HSTS is off, and no user line without a user", () => {
    const files = renderNginxFiles(spec);
    expect(files.find((f) => f.path.endsWith("security-headers.conf"))!.content).toContain('"max-age=0"');
    expect(files.find((f) => f.path === "/n/nginx.conf")!.content).not.toMatch(/^user /m);
  });
});
