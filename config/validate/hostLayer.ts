// Host-layer rules: the registry's exposure, each served name claimed once, every port the host
// serves and every app repository its own, and a TLS mode that can actually certify the names the
// stack serves (and that DNS points at the host).
import { HSTS_PRELOAD_MIN_MAX_AGE } from "../../lib/apiRules";
import { servedNames } from "../../lib/certificates";
import { owningZone, planRecords, recordFqdn } from "../../lib/dnsPlan";
import { describeHolder, hostPortCollisions, type PortCollision } from "../../lib/hostPorts";
import { CATCH_ALL_PROBLEM, repeatedClaims, tooManyCatchAlls, type NameClaim } from "../../lib/proxyRules";
import type { ConfigProblem } from "../errors";
import type { Raw } from "../schema";

/** Registry, proxy and TLS: served names claimed once, ports apart, a certificate mode that can serve them. */
export function validateHostLayer(raw: Raw, add: (p: ConfigProblem) => void): void {
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "proxy") {
    if (!raw.proxy.enabled)
      add({ key: "berth:registry.expose", value: "proxy", message: "needs berth:proxy.enabled = true (nginx serves the registry); or use expose: direct" });
    if (!reg.hostname)
      add({ key: "berth:registry.hostname", value: undefined, message: 'is required when berth:registry.expose is "proxy" (e.g. docker.example.com)' });
  }
  if (reg.enabled && reg.expose === "direct" && reg.hostname !== undefined) {
    add({ key: "berth:registry.hostname", value: reg.hostname, message: "applies to expose: proxy only; direct mode is reached by IP" });
  }
  // Every served name, with the key that introduced it; nginx gives each name to one server block.
  const claims: NameClaim[] = [];
  if (reg.enabled && reg.expose === "proxy" && reg.hostname) claims.push({ name: reg.hostname, by: "berth:registry.hostname" });
  for (const c of hostPortCollisions(raw)) add({ key: c.key, value: c.value, message: portCollisionMessage(c) });
  const repoOwner = new Map<string, string>();
  raw.proxy.apps.forEach((app, ai) => {
    app.hostnames.forEach((h, hi) => claims.push({ name: h, by: `berth:proxy.apps[${ai}].hostnames[${hi}]` }));
    for (const role of ["frontend", "backend"] as const) {
      const part = app[role];
      if (!part) continue;
      const repo = part.repository ?? `${app.name}-${role}`;
      const prevRepo = repoOwner.get(repo);
      if (prevRepo)
        add({
          key: `berth:proxy.apps[${ai}].${role}.repository`,
          value: repo,
          message: `repository ${repo} is already used by ${prevRepo}; each app part needs its own`,
        });
      else repoOwner.set(repo, `berth:proxy.apps[${ai}].${role}`);
    }
  });

  raw.proxy.extraHosts.forEach((h, i) => claims.push({ name: h.hostname, by: `berth:proxy.extraHosts[${i}].hostname` }));
  for (const c of repeatedClaims(claims)) add({ key: c.by, value: c.name, message: c.message });
  /** Each served name and the first key that serves it. */
  const names = new Map<string, string>();
  for (const c of claims) if (!names.has(c.name)) names.set(c.name, c.by);
  if (tooManyCatchAlls(raw.proxy.apps)) {
    add({ key: "berth:proxy.apps", value: raw.proxy.apps.filter((a) => a.hostnames.length === 0).map((a) => a.name), message: CATCH_ALL_PROBLEM });
  }
  const appNames = raw.proxy.apps.map((a) => a.name);
  appNames.forEach((n, i) => {
    if (appNames.indexOf(n) !== i) add({ key: `berth:proxy.apps[${i}].name`, value: n, message: "app names must be unique" });
  });
  if (!raw.proxy.enabled && (raw.proxy.apps.length > 0 || raw.proxy.extraHosts.length > 0)) {
    add({ key: "berth:proxy.enabled", value: false, message: "apps or extraHosts are configured but the proxy is off; set enabled: true or remove them" });
  }
  raw.proxy.extraHosts.forEach((h, i) => {
    if (h.passAuthorization && h.basicAuthUser === undefined) {
      add({
        key: `berth:proxy.extraHosts[${i}].passAuthorization`,
        value: true,
        message: "applies only with basicAuthUser: without basic auth the client's Authorization header reaches the upstream anyway; remove it",
      });
    }
  });
  const proxy = raw.proxy;
  if (proxy.hstsPreload && (!proxy.hstsIncludeSubdomains || proxy.hstsMaxAgeSeconds < HSTS_PRELOAD_MIN_MAX_AGE)) {
    add({
      key: "berth:proxy.hstsPreload",
      value: true,
      message: `browsers' preload lists take only HSTS with includeSubDomains and a max-age of at least ${HSTS_PRELOAD_MIN_MAX_AGE} s (one year); set hstsIncludeSubdomains: true and hstsMaxAgeSeconds >= ${HSTS_PRELOAD_MIN_MAX_AGE} (now ${String(proxy.hstsIncludeSubdomains)} and ${proxy.hstsMaxAgeSeconds}), or hstsPreload: false`,
    });
  }
  if (reg.enabled && reg.storage === "s3") {
    // The host requires IMDSv2; registry 2.x's AWS SDK (aws-sdk-go 1.15) predates it and would
    // find no instance credentials, so every push would fail.
    const major = Number(/^registry:(\d+)\./.exec(reg.image)?.[1] ?? 0);
    if (major < 3)
      add({
        key: "berth:registry.image",
        value: reg.image,
        message:
          "storage s3 needs registry 3.0.0 or newer: 2.x's AWS SDK cannot read the instance profile's credentials over IMDSv2, which the host requires; use registry:3.0.0, or storage: filesystem",
      });
  }
  validateTls(raw, names, add);
  if (names.size > 0 && raw.dns.zones.length > 0) {
    const defined = new Set(raw.dns.zones.flatMap((z) => z.records.map((r) => recordFqdn(z.domain, r.name))));
    const inZone = (n: string): boolean => raw.dns.zones.some((z) => n === z.domain || n.endsWith(`.${z.domain}`));
    for (const [n, key] of names) {
      if (inZone(n) && !defined.has(n))
        add({ key, value: n, message: `${n} is inside a configured DNS zone but has no record in berth:dns; add one (e.g. a CNAME to the host)` });
    }
  }
}

/** Why a configured port cannot be used: who has it, and what to do instead. */
function portCollisionMessage(c: PortCollision): string {
  const taken = `port ${c.port} is already used by ${describeHolder(c.holder)}`;
  if (c.key.endsWith(".upstream"))
    return `${taken}; an extra host forwards to a service of its own, so give it a port that neither the host nor Berth uses (SSH, 80, 443, the Docker API, the registry, the apps' ports)`;
  const dnat = c.key.endsWith(".livePort") ? " (the switch's DNAT rule would capture every connection to 127.0.0.1 on it)" : "";
  return `${taken}${dnat}; every port the host serves needs its own number: SSH, 80 and 443 (nginx), the Docker API, the registry and each app's blue, green and live port`;
}

/**
 * TLS settings against the names the stack serves and the DNS that points at it.
 * `keys` maps each served name to the config key that introduced it (for error messages).
 */
function validateTls(raw: Raw, keys: ReadonlyMap<string, string>, add: (p: ConfigProblem) => void): void {
  const tls = raw.tls;
  const zones = raw.dns.zones;
  const served = servedNames(raw);
  const keyOfName = (n: string): string => keys.get(n) ?? `berth:tls.extraNames[${tls.extraNames.indexOf(n)}]`;
  const planned = planRecords(zones);
  const reg = raw.registry;
  if (reg.enabled && reg.expose === "direct" && (tls.mode === "letsencrypt" || tls.mode === "cloudflare-origin")) {
    add({
      key: "berth:registry.expose",
      value: "direct",
      message: `direct mode is reached by IP, and a ${tls.mode} certificate cannot name an IP address; use expose: proxy with a hostname, or berth:tls.mode self-signed`,
    });
  }
  switch (tls.mode) {
    case "self-signed":
      if (tls.validityDays <= tls.minRemainingDays) {
        add({
          key: "berth:tls.validityDays",
          value: tls.validityDays,
          message: `must exceed berth:tls.minRemainingDays (${tls.minRemainingDays}): pulumi up renews the self-signed certificate once fewer days than that remain`,
        });
      }
      break;
    case "letsencrypt": {
      if (!tls.email) add({ key: "berth:tls.email", value: undefined, message: "is required for mode letsencrypt (Let's Encrypt account e-mail)" });
      if (!raw.proxy.enabled)
        add({ key: "berth:tls.mode", value: tls.mode, message: "letsencrypt uses nginx's webroot challenge; set berth:proxy.enabled = true" });
      if (served.length === 0) add({ key: "berth:tls.mode", value: tls.mode, message: "letsencrypt needs at least one served name that points at the host" });
      tls.extraNames.forEach((n, i) => {
        if (n.startsWith("*."))
          add({
            key: `berth:tls.extraNames[${i}]`,
            value: n,
            message:
              "Let's Encrypt issues wildcard names only through the DNS challenge, and Berth uses the HTTP (webroot) challenge; list the names, or use mode provided",
          });
      });
      // The HTTP challenge succeeds only where the name resolves to this host: Berth must own its record.
      // (Names inside a configured zone without a record are reported by validateHostLayer.)
      for (const n of served) {
        if (!n.startsWith("*.") && owningZone(zones, n) === undefined) {
          add({
            key: keyOfName(n),
            value: n,
            message: `${n} is in no zone under berth:dns, so nothing makes it point at the host, and Let's Encrypt's HTTP challenge would fail; add its zone and a record, or use berth:tls.mode provided`,
          });
        }
      }
      break;
    }
    case "cloudflare-origin": {
      if (!zones.some((z) => z.provider === "cloudflare")) {
        add({ key: "berth:tls.mode", value: tls.mode, message: "cloudflare-origin needs a Cloudflare zone under berth:dns.zones" });
        break;
      }
      if (served.length === 0)
        add({ key: "berth:tls.mode", value: tls.mode, message: "cloudflare-origin needs at least one served name on a proxied Cloudflare record" });
      const proxied = new Set(planned.filter((p) => p.proxied).map((p) => p.fqdn));
      for (const n of served) {
        if (tls.extraNames.includes(n) && !keys.has(n)) {
          if (owningZone(zones, n)?.provider !== "cloudflare") {
            add({
              key: keyOfName(n),
              value: n,
              message: `${n} is not inside a Cloudflare zone under berth:dns; Cloudflare's Origin CA signs only names of your Cloudflare zones`,
            });
          }
        } else if (reg.enabled && reg.expose === "proxy" && n === reg.hostname) {
          add({
            key: "berth:tls.mode",
            value: tls.mode,
            message: `the registry name ${n} must not be proxied (Cloudflare's 100 MB upload cap), and only Cloudflare trusts an Origin CA certificate, so docker clients would refuse it; use berth:tls.mode letsencrypt or provided`,
          });
        } else if (!proxied.has(n)) {
          add({
            key: keyOfName(n),
            value: n,
            message: `${n} is not a proxied Cloudflare record, so clients would reach nginx directly and see an Origin CA certificate that only Cloudflare trusts; set proxied: true on its Cloudflare record, or use berth:tls.mode letsencrypt or provided`,
          });
        }
      }
      break;
    }
    case "provided":
      break; // The certificate and key are config secrets: checked in validateTlsSecrets.
  }
}
