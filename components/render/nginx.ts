// Every file nginx needs for a Berth host, rendered from typed input.
//
// Layout (paths come from NginxPaths, so the rehearsal can re-root them):
//   nginx.conf                 main file: process settings, TLS policy, includes of the files below
//   berth/snippets/*.conf      headers and proxy settings shared by every server
//   berth/sites/NN-*.conf      one file per server: port-80 redirect, default, registry, apps, extra hosts
//   berth/auth/<host>.htpasswd basic-auth users of extra hosts
// Blue/green never touches these files: each app part's upstream is a fixed loopback "live" port that
// the deploy program's iptables switch forwards to the live color (host/berth-deploy), so a deploy
// needs no reload. nginx keeps the previous configuration when a reload fails its test, and Berth's
// delivery runs `nginx -t` before reloading, so a bad render never goes live (host/apply-nginx.sh).
import * as posix from "node:path/posix";
import { domainNameProblem } from "../../lib/dnsNames";
import { appNameProblem, CATCH_ALL_PROBLEM, nginxSizeProblem, repeatedClaims, tooManyCatchAlls } from "../../lib/proxyRules";
import type { HostFile } from "./paths";

/** Loopback names a registry server block may answer to besides DNS names (the local rehearsal). */
const LOCAL_NAMES: ReadonlySet<string> = new Set(["127.0.0.1", "localhost"]);

/** A blue/green deployment color. */
export type Color = "blue" | "green";

/** The loopback ports of one app part: one per color, and the fixed one nginx proxies to. */
export interface UpstreamPorts {
  /** Port of the blue container on 127.0.0.1. */
  readonly bluePort: number;
  /** Port of the green container on 127.0.0.1. */
  readonly greenPort: number;
  /** Port nginx connects to; the switch forwards it to the live color's port. */
  readonly livePort: number;
}

/**
 * Upstream connection reuse, bounded so that a switch completes on its own: an idle pooled
 * connection closes after 1 s, a busy one after 1 s of use (after its current request), so a
 * second or so after a switch no connection to the old color is left and it can be stopped.
 */
export const UPSTREAM_KEEPALIVE = { connections: 32, timeoutSeconds: 1, timeSeconds: 1 } as const;

/** Retry-After of the maintenance answer, in seconds. */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 120;

/** An application served by nginx: `/` to its front end, `backendPath` to its back end. */
export interface NginxApp {
  /** Lower-case name; used in upstream and file names. */
  readonly name: string;
  /** Names it answers to; empty = the catch-all (default) server reached by IP. */
  readonly hostnames: readonly string[];
  /** Serves `/`. */
  readonly frontend: UpstreamPorts;
  /** Serves `backendPath`; unset = the front end serves everything. */
  readonly backend?: UpstreamPorts;
  /** Path prefix of the back end, e.g. "/api" (the prefix is passed on unchanged). */
  readonly backendPath: string;
  /** Color the switch points at before the first deploy. */
  readonly initialColor: Color;
}

/** Another service on the host published under its own name (Jenkins, Jupyter, ...). */
export interface NginxExtraHost {
  /** Public name, e.g. jenkins.example.com. */
  readonly hostname: string;
  /** Loopback URL nginx forwards to, e.g. http://127.0.0.1:8080. */
  readonly upstream: string;
  /** Pass WebSocket upgrades through (Jupyter kernels, Jenkins' live console). */
  readonly websockets: boolean;
  /** htpasswd file content (bcrypt lines); set = ask for a password before forwarding. */
  readonly basicAuthHtpasswd?: string;
  /**
   * With basic auth: forward the client's Authorization header (the proxy password) anyway.
   * @default false: the header is removed, so the upstream never sees the proxy's credentials
   */
  readonly passAuthorization?: boolean;
}

/** The registry when nginx terminates TLS in front of it (`expose: proxy`). */
export interface NginxRegistry {
  /** Names the registry server answers to (the public name; the rehearsal adds 127.0.0.1). */
  readonly hostnames: readonly string[];
  /** host:port of the plain-HTTP registry on loopback, e.g. 127.0.0.1:5000. */
  readonly upstream: string;
}

/** Absolute paths nginx reads and writes. */
export interface NginxPaths {
  /** The main configuration file (`nginx -c`). */
  readonly mainConfig: string;
  /** Directory holding sites/, snippets/ and auth/. */
  readonly berthDir: string;
  /** Directory of per-app maintenance flag files (`<dir>/<app>`), written by the deploy program. */
  readonly maintenanceDir: string;
  readonly pidFile: string;
  readonly logDir: string;
  /** Root that port 80 serves `/.well-known/acme-challenge/` from. */
  readonly acmeWebroot: string;
  /** The distribution's mime.types (not written by Berth). */
  readonly mimeTypes: string;
  /** Directory for request-body and proxy temp files; unset = nginx's compiled-in default. */
  readonly tempDir?: string;
}

/** Everything the nginx files depend on. */
export interface NginxSpec {
  readonly paths: NginxPaths;
  /** Worker user (also the group that may read auth files); unset = no `user` line. */
  readonly user?: string;
  /** Address to bind, e.g. 127.0.0.1; unset = all addresses. */
  readonly listenAddress?: string;
  /** @default 80 on the host */
  readonly httpPort: number;
  /** @default 443 on the host */
  readonly httpsPort: number;
  /** PEM chain served for every name (one certificate covers all served names). */
  readonly certificatePath: string;
  readonly keyPath: string;
  /** HSTS max-age; 0 tells browsers to forget an earlier policy. */
  readonly hstsMaxAgeSeconds: number;
  /** HSTS covers subdomains too. @default false */
  readonly hstsIncludeSubdomains?: boolean;
  /** Ask browsers to preload HSTS (needs includeSubdomains and a max-age of a year). @default false */
  readonly hstsPreload?: boolean;
  /**
   * Names served through Cloudflare's proxy and Cloudflare's address ranges: servers with such a
   * name take the client address from CF-Connecting-IP, but only on connections from those ranges.
   */
  readonly realIp?: { readonly names: readonly string[]; readonly ranges: readonly string[] };
  /** Request body limit for app and extra-host servers (the registry has none). */
  readonly clientMaxBodySize: string;
  readonly apps: readonly NginxApp[];
  readonly extraHosts: readonly NginxExtraHost[];
  /** Set when nginx fronts the registry. */
  readonly registry?: NginxRegistry;
}

/**
 * TLS 1.2 suites: Mozilla's "intermediate" list without its three DHE suites (stricter: ECDHE
 * only, so no Diffie-Hellman parameters to manage). TLS 1.3 suites are all AEAD and forward-secret.
 */
export const TLS_CURVES = "X25519:prime256v1:secp384r1";

export const TLS_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Name of an app's upstream for one role; stable, because sites and live files both use it. */
export function upstreamName(appName: string, role: "frontend" | "backend"): string {
  return `berth_${appName.replace(/-/g, "_")}_${role}`;
}

/** Path of an app's maintenance flag: while it exists, nginx answers 503 for the app. */
export function maintenanceFlagPath(maintenanceDir: string, appName: string): string {
  return posix.join(maintenanceDir, appName);
}

const HEADER = "# Managed by Berth (components/render/nginx.ts). Changes here are overwritten on the next update.";

function file(path: string, lines: readonly string[], extra: Partial<HostFile> = {}): HostFile {
  return { path, content: `${lines.join("\n")}\n`, mode: 0o644, usedBy: ["nginx"], ...extra };
}

/** The Strict-Transport-Security value. */
export function hstsValue(spec: Pick<NginxSpec, "hstsMaxAgeSeconds" | "hstsIncludeSubdomains" | "hstsPreload">): string {
  if (spec.hstsPreload && (!spec.hstsIncludeSubdomains || spec.hstsMaxAgeSeconds < 31536000))
    throw new Error("nginx: HSTS preload needs includeSubDomains and a max-age of at least a year");
  return [`max-age=${spec.hstsMaxAgeSeconds}`, ...(spec.hstsIncludeSubdomains ? ["includeSubDomains"] : []), ...(spec.hstsPreload ? ["preload"] : [])].join(
    "; ",
  );
}

const IPV4_CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-f:]+:[0-9a-f:]*\/(?:12[0-8]|1[01]\d|[1-9]?\d)$/i;

/** Indents every non-empty line by `n` levels of four spaces. */
function indent(lines: readonly string[], n = 1): string[] {
  return lines.map((l) => (l === "" ? l : `${"    ".repeat(n)}${l}`));
}

function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...indent(body), "}"];
}

/** The directives every site file builds from: listen lines and the include lines of the snippets. */
interface Directives {
  readonly snippet: (name: string) => string;
  readonly listen: (port: number) => string;
  readonly https: (defaultServer: boolean) => string;
  readonly securityHeaders: string;
  readonly hostHeaders: (value: string) => string[];
  readonly realIp: (names: readonly string[]) => string[];
  readonly proxyHeaders: string;
  readonly websocket: string;
}

function directives(spec: NginxSpec): Directives {
  const snippet = (name: string): string => posix.join(spec.paths.berthDir, "snippets", name);
  const listen = (port: number): string => (spec.listenAddress ? `${spec.listenAddress}:${port}` : String(port));
  const realIpNames = new Set(spec.realIp?.names ?? []);
  return {
    snippet,
    listen,
    https: (defaultServer) => `listen ${listen(spec.httpsPort)} ssl http2${defaultServer ? " default_server" : ""};`,
    securityHeaders: `include ${snippet("security-headers.conf")};`,
    // $host is the request's name without its port; nginx chose this server because it is one of the
    // server's names, so the upstream sees a name it serves (e.g. never "example.com:@evil.test").
    hostHeaders: (value) => [`proxy_set_header Host ${value};`, `proxy_set_header X-Forwarded-Host ${value};`],
    realIp: (names) => (names.some((n) => realIpNames.has(n)) ? [`include ${snippet("cloudflare-real-ip.conf")};`] : []),
    proxyHeaders: `include ${snippet("proxy.conf")};`,
    websocket: `include ${snippet("websocket.conf")};`,
  };
}

/** Every file nginx needs, in a stable order. */
export function renderNginxFiles(spec: NginxSpec): HostFile[] {
  validateSpec(spec);
  const d = directives(spec);
  const catchAll = spec.apps.find((a) => a.hostnames.length === 0);
  return [
    file(spec.paths.mainConfig, renderMain(spec)),
    ...snippetFiles(spec, d),
    httpSiteFile(spec, d),
    ...(catchAll ? [] : [refuseUnknownNamesFile(spec, d)]),
    ...(spec.registry ? [registrySiteFile(spec, spec.registry, d)] : []),
    ...spec.apps.map((app) => appSiteFile(spec, app, app === catchAll, d)),
    ...spec.extraHosts.flatMap((host) => extraHostFiles(spec, host, d)),
  ];
}

/** The snippets every server includes: security headers, forwarding headers, Cloudflare's real IP, WebSocket. */
function snippetFiles(spec: NginxSpec, d: Directives): HostFile[] {
  const files: HostFile[] = [];
  files.push(
    file(d.snippet("security-headers.conf"), [
      HEADER,
      "# Security headers for HTTPS responses. `always` adds them to error responses too. nginx drops",
      "# inherited add_header lines in any block that has its own, so every location includes this file.",
      `add_header Strict-Transport-Security "${hstsValue(spec)}" always;`,
      'add_header X-Content-Type-Options "nosniff" always;',
      'add_header X-Frame-Options "SAMEORIGIN" always;',
      'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    ]),
  );
  files.push(
    file(d.snippet("proxy.conf"), [
      HEADER,
      "# Forwarding headers for every proxied location (Host and X-Forwarded-Host are set beside each",
      "# include: a name the server block serves, never the client's text).",
      "proxy_http_version 1.1;",
      "# The client's address as nginx knows it (restored from CF-Connecting-IP only on connections from",
      "# Cloudflare's ranges): one address. Whatever X-Forwarded-For the client sent is dropped, so an",
      "# app may trust this header, and only this one value.",
      "proxy_set_header X-Real-IP $remote_addr;",
      "proxy_set_header X-Forwarded-For $remote_addr;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "# RFC 7239's Forwarded would pass on whatever the client claimed: remove it.",
      'proxy_set_header Forwarded "";',
    ]),
  );
  if (spec.realIp && spec.realIp.names.length > 0) {
    const bad = spec.realIp.ranges.filter((r) => !IPV4_CIDR.test(r) && !IPV6_CIDR.test(r));
    if (spec.realIp.ranges.length === 0 || bad.length > 0)
      throw new Error(`nginx: Cloudflare's ranges must be CIDRs (got ${JSON.stringify(bad.length > 0 ? bad : spec.realIp.ranges)})`);
    files.push(
      file(d.snippet("cloudflare-real-ip.conf"), [
        HEADER,
        "# This server's names are proxied by Cloudflare: every request arrives from Cloudflare, and the",
        "# client's address is in CF-Connecting-IP. nginx takes it from there (into $remote_addr) only",
        "# when the connection comes from one of Cloudflare's ranges (read from Cloudflare's API), so a",
        "# client that reaches the host directly cannot choose its address.",
        ...spec.realIp.ranges.map((r) => `set_real_ip_from ${r};`),
        "real_ip_header CF-Connecting-IP;",
      ]),
    );
  }
  files.push(
    file(d.snippet("websocket.conf"), [
      HEADER,
      "# WebSocket upgrades; $connection_upgrade is mapped in nginx.conf.",
      "proxy_set_header Upgrade $http_upgrade;",
      "proxy_set_header Connection $connection_upgrade;",
      "proxy_read_timeout 1h;",
    ]),
  );
  return files;
}

/** Port 80: certbot's webroot challenge, everything else to HTTPS. */
function httpSiteFile(spec: NginxSpec, d: Directives): HostFile {
  const httpsPortSuffix = spec.httpsPort === 443 ? "" : `:${spec.httpsPort}`;
  return file(posix.join(spec.paths.berthDir, "sites", "00-http.conf"), [
    HEADER,
    "# Port 80 answers ACME HTTP-01 challenges and redirects everything else to HTTPS.",
    ...block("server", [
      `listen ${d.listen(spec.httpPort)} default_server;`,
      "server_name _;",
      "",
      ...block("location ^~ /.well-known/acme-challenge/", [`root ${spec.paths.acmeWebroot};`, "default_type text/plain;", "try_files $uri =404;"]),
      "",
      ...block("location /", [`return 301 https://$host${httpsPortSuffix}$request_uri;`]),
    ]),
  ]);
}

/** HTTPS for names no app serves, when no app is the catch-all. */
function refuseUnknownNamesFile(spec: NginxSpec, d: Directives): HostFile {
  return file(posix.join(spec.paths.berthDir, "sites", "10-default.conf"), [
    HEADER,
    "# HTTPS for names this host does not serve: refuse the TLS handshake (an unrecognized_name alert),",
    "# so no certificate (and no list of served names) is shown; a request that still gets here",
    "# (a served name in SNI, another in Host) is closed without an answer.",
    ...block("server", [d.https(true), "server_name _;", "ssl_reject_handshake on;", "return 444;"]),
  ]);
}

/** The registry behind nginx's TLS. */
function registrySiteFile(spec: NginxSpec, registry: NginxRegistry, d: Directives): HostFile {
  return file(posix.join(spec.paths.berthDir, "sites", "20-registry.conf"), [
    HEADER,
    "# The registry listens on loopback in plain HTTP; nginx terminates TLS for it.",
    ...block("upstream berth_registry", [`server ${registry.upstream};`]),
    "",
    "# Clients need Docker-Distribution-Api-Version on every answer, including nginx's own errors.",
    "# The registry sends it itself; add it only when the upstream did not, so it is never doubled.",
    ...block("map $upstream_http_docker_distribution_api_version $berth_registry_api_version", ['"" "registry/2.0";']),
    "",
    ...block("server", [
      d.https(false),
      `server_name ${registry.hostnames.join(" ")};`,
      d.securityHeaders,
      "",
      "# Image layers are large: no size limit, no spooling to disk, generous timeouts.",
      "client_max_body_size 0;",
      "chunked_transfer_encoding on;",
      "",
      ...block("location /", [
        d.securityHeaders,
        "add_header Docker-Distribution-Api-Version $berth_registry_api_version always;",
        d.proxyHeaders,
        "# The registry writes absolute upload URLs (Location) from these: with the port clients use",
        "# when it is not 443 (the rehearsal), so the next request of a push comes back here.",
        ...d.hostHeaders(spec.httpsPort === 443 ? "$host" : `$host:${spec.httpsPort}`),
        "# The registry sends this header too (for direct mode); nginx's copy above is the one that counts.",
        "proxy_hide_header X-Content-Type-Options;",
        "proxy_pass http://berth_registry;",
        "proxy_request_buffering off;",
        "proxy_buffering off;",
        "proxy_connect_timeout 10s;",
        "proxy_send_timeout 900s;",
        "proxy_read_timeout 900s;",
      ]),
    ]),
  ]);
}

/** One app's site: its upstreams, the maintenance switch, / to the front end and the back end's path. */
function appSiteFile(spec: NginxSpec, app: NginxApp, isDefault: boolean, d: Directives): HostFile {
  const appProxy = [d.securityHeaders, d.proxyHeaders, ...d.hostHeaders("$host"), d.websocket];
  const upstream = (role: "frontend" | "backend", ports: UpstreamPorts): string[] => [
    `# ${role}: blue ${ports.bluePort}, green ${ports.greenPort}; the switch forwards ${ports.livePort} to the live one.`,
    ...block(`upstream ${upstreamName(app.name, role)}`, [
      `server 127.0.0.1:${ports.livePort};`,
      `keepalive ${UPSTREAM_KEEPALIVE.connections};`,
      `keepalive_timeout ${UPSTREAM_KEEPALIVE.timeoutSeconds}s;`,
      `keepalive_time ${UPSTREAM_KEEPALIVE.timeSeconds}s;`,
    ]),
  ];
  const locations: string[] = [...block("location /", [...appProxy, `proxy_pass http://${upstreamName(app.name, "frontend")};`])];
  if (app.backend) {
    // A regex location so "/api" and "/api/..." go to the back end but "/apiary" does not.
    const prefix = app.backendPath.replace(/[.]/g, "\\.");
    locations.push("", ...block(`location ~ ^${prefix}(?:/|$)`, [...appProxy, `proxy_pass http://${upstreamName(app.name, "backend")};`]));
  }
  const flag = maintenanceFlagPath(spec.paths.maintenanceDir, app.name);
  return file(posix.join(spec.paths.berthDir, "sites", `30-app-${app.name}.conf`), [
    HEADER,
    `# App "${app.name}": / to the front end${app.backend ? `, ${app.backendPath} to the back end` : ""}.`,
    "# Upstream connections are reused for at most 1 s, so a blue/green switch drains by itself.",
    ...upstream("frontend", app.frontend),
    ...(app.backend ? ["", ...upstream("backend", app.backend)] : []),
    "",
    ...block("server", [
      d.https(isDefault),
      `server_name ${isDefault ? "_" : app.hostnames.join(" ")};`,
      ...d.realIp(app.hostnames),
      d.securityHeaders,
      `client_max_body_size ${spec.clientMaxBodySize};`,
      "",
      ...(isDefault
        ? [
            "# Reached by IP: any name here is one this host does not serve, and the app must not see it",
            "# as its own (links, redirects, password-reset mails built from Host). 421 Misdirected Request.",
            ...block('if ($host !~ "^[0-9.]+$|^\\[[0-9a-f:.]+\\]$")', ["return 421;"]),
            "",
          ]
        : []),
      `# Maintenance: \`berth-deploy maintenance ${app.name} on\` creates the flag; nginx tests it on every`,
      "# request, so no reload is needed and the app keeps running behind it.",
      ...block(`if (-f ${flag})`, ["return 503;"]),
      "error_page 503 @berth_maintenance;",
      ...block("location @berth_maintenance", [
        d.securityHeaders,
        `add_header Retry-After ${MAINTENANCE_RETRY_AFTER_SECONDS} always;`,
        "default_type text/plain;",
        `return 503 "${app.name} is down for maintenance; please retry in a few minutes.\\n";`,
      ]),
      "",
      ...locations,
    ]),
  ]);
}

/** An extra host's site, and its htpasswd file when it asks for basic auth. */
function extraHostFiles(spec: NginxSpec, host: NginxExtraHost, d: Directives): HostFile[] {
  const files: HostFile[] = [];
  const authFile = posix.join(spec.paths.berthDir, "auth", `${host.hostname}.htpasswd`);
  if (host.basicAuthHtpasswd !== undefined) {
    // Workers check passwords at request time, so their group must read the file.
    files.push({ path: authFile, content: host.basicAuthHtpasswd, mode: 0o640, secret: true, usedBy: ["nginx"], ...(spec.user ? { group: spec.user } : {}) });
  }
  files.push(
    file(posix.join(spec.paths.berthDir, "sites", `40-host-${host.hostname}.conf`), [
      HEADER,
      `# ${host.hostname} forwards to ${host.upstream}${host.basicAuthHtpasswd !== undefined ? " after basic auth" : ""}.`,
      ...block("server", [
        d.https(false),
        `server_name ${host.hostname};`,
        ...d.realIp([host.hostname]),
        d.securityHeaders,
        `client_max_body_size ${spec.clientMaxBodySize};`,
        "",
        ...block("location /", [
          d.securityHeaders,
          ...(host.basicAuthHtpasswd !== undefined ? [`auth_basic ${JSON.stringify(host.hostname)};`, `auth_basic_user_file ${authFile};`] : []),
          d.proxyHeaders,
          ...d.hostHeaders("$host"),
          ...(host.basicAuthHtpasswd !== undefined && !host.passAuthorization
            ? ["# The client's Authorization header holds the proxy password: the upstream never gets it.", 'proxy_set_header Authorization "";']
            : []),
          ...(host.websockets ? [d.websocket] : []),
          `proxy_pass ${host.upstream};`,
        ]),
      ]),
    ]),
  );
  return files;
}

function renderMain(spec: NginxSpec): string[] {
  const p = spec.paths;
  const temp = p.tempDir
    ? [
        "# Temp files stay inside the rehearsal directory.",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `${k}_temp_path ${posix.join(p.tempDir!, k)};`),
        "",
      ]
    : [];
  return [
    HEADER,
    ...(spec.user ? [`user ${spec.user};`] : []),
    "worker_processes auto;",
    `pid ${p.pidFile};`,
    `error_log ${posix.join(p.logDir, "error.log")} warn;`,
    "",
    ...block("events", ["worker_connections 1024;"]),
    "",
    ...block("http", [
      `include ${p.mimeTypes};`,
      "default_type application/octet-stream;",
      `access_log ${posix.join(p.logDir, "access.log")};`,
      "sendfile on;",
      "tcp_nopush on;",
      "keepalive_timeout 65s;",
      "server_tokens off;",
      "",
      ...temp,
      "# TLS policy for every server: TLS 1.2 and 1.3 only, forward-secret AEAD suites.",
      "ssl_protocols TLSv1.2 TLSv1.3;",
      `ssl_ciphers ${TLS_CIPHERS};`,
      "ssl_prefer_server_ciphers off;",
      `ssl_ecdh_curve ${TLS_CURVES};`,
      "ssl_session_cache shared:berth_tls:10m;",
      "ssl_session_timeout 1d;",
      "# Without key rotation, session tickets would weaken forward secrecy; the cache resumes sessions instead.",
      "ssl_session_tickets off;",
      "# One certificate covers every served name.",
      `ssl_certificate ${spec.certificatePath};`,
      `ssl_certificate_key ${spec.keyPath};`,
      "",
      "# WebSocket upgrades pass through; other requests send no Connection header, so app upstreams",
      '# can keep their connections alive ("close" here would turn upstream keepalive off).',
      ...block("map $http_upgrade $connection_upgrade", ["default upgrade;", '"" "";']),
      "",
      `include ${posix.join(p.berthDir, "sites", "*.conf")};`,
    ]),
  ];
}

/**
 * The renderer guards its own input with the rules config validation applies (lib/proxyRules.ts,
 * lib/dnsNames.ts), so a spec built by other code (the rehearsal, tests) cannot slip a bad name
 * or size into the files; config reports the same problems earlier, per key.
 */
function validateSpec(spec: NginxSpec): void {
  const refuse = (what: string, problem: string | undefined): void => {
    if (problem !== undefined) throw new Error(`nginx: ${what} ${problem}`);
  };
  if (tooManyCatchAlls(spec.apps)) throw new Error(`nginx: ${CATCH_ALL_PROBLEM}`);
  for (const a of spec.apps) {
    refuse(`app name ${JSON.stringify(a.name)}`, appNameProblem(a.name));
    for (const h of a.hostnames) refuse(`hostname ${JSON.stringify(h)} of app ${a.name}`, domainNameProblem(h));
  }
  for (const h of spec.extraHosts) refuse(`extra host ${JSON.stringify(h.hostname)}`, domainNameProblem(h.hostname));
  // The registry block also answers for the addresses the rehearsal reaches it by (127.0.0.1, localhost).
  for (const h of spec.registry?.hostnames ?? []) {
    if (!LOCAL_NAMES.has(h)) refuse(`registry hostname ${JSON.stringify(h)}`, domainNameProblem(h));
  }
  const repeated = repeatedClaims([
    ...spec.apps.flatMap((a) => a.hostnames.map((name) => ({ name, by: `app ${a.name}` }))),
    ...spec.extraHosts.map((h) => ({ name: h.hostname, by: "an extra host" })),
    ...(spec.registry?.hostnames ?? []).map((name) => ({ name, by: "the registry" })),
  ]);
  if (repeated.length > 0) throw new Error(`nginx: ${repeated[0].message} (again by ${repeated[0].by})`);
  refuse(`client_max_body_size ${JSON.stringify(spec.clientMaxBodySize)}`, nginxSizeProblem(spec.clientMaxBodySize));
}
