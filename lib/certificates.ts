// Pure TLS algorithms: which names the stack serves, whether a certificate covers a name
// (RFC 6125), validation of a provided certificate chain and key with Node's X509Certificate,
// and expiry dates. (certbot's command line and deploy hook are renderers:
// components/render/certbot.ts.) No Pulumi, no file system, no child processes; `now` is always
// an argument.
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import type { Problem } from "./problems";

/** How the served certificate is made (berth:tls.mode). */
export type TlsMode = "self-signed" | "cloudflare-origin" | "provided" | "letsencrypt";

/** Config keys of the provided certificate and key (errors name them). */
export const TLS_CERTIFICATE_KEY = "berth:tlsCertificate";
export const TLS_PRIVATE_KEY_KEY = "berth:tlsPrivateKey";

// ---------------------------------------------------------------------------------------------
// Served names

/** The config slices that decide the served names (Config or its raw, validated shape). */
export interface ServedNamesInput {
  readonly registry: { readonly enabled: boolean; readonly expose: "direct" | "proxy"; readonly hostname?: string };
  readonly proxy: {
    readonly enabled: boolean;
    readonly apps: ReadonlyArray<{ readonly hostnames: readonly string[] }>;
    readonly extraHosts: ReadonlyArray<{ readonly hostname: string }>;
  };
  readonly tls: { readonly extraNames: readonly string[] };
}

/**
 * Every DNS name the stack's certificate must cover, unique, in this order: each proxy app's
 * hostnames, the proxy's extra hosts, the registry name (expose: proxy), then tls.extraNames.
 * The order matters: the first name names the Let's Encrypt lineage (its directory), and
 * components/render/hostFiles.ts uses the same order for the nginx certificate paths.
 * IP addresses are not names: the self-signed mode adds the host's IP separately.
 */
export function servedNames(cfg: ServedNamesInput): string[] {
  const out: string[] = [];
  const add = (n: string): void => {
    if (!out.includes(n)) out.push(n);
  };
  if (cfg.proxy.enabled) {
    for (const app of cfg.proxy.apps) app.hostnames.forEach(add);
    for (const h of cfg.proxy.extraHosts) add(h.hostname);
  }
  if (cfg.registry.enabled && cfg.registry.expose === "proxy" && cfg.registry.hostname) add(cfg.registry.hostname);
  cfg.tls.extraNames.forEach(add);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Name matching (RFC 6125 section 6.4: a wildcard is the whole left-most label, one label deep)

/** True when a certificate name (DNS SAN) covers `name`. `name` may itself be a wildcard. */
export function certificateNameCovers(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const n = name.toLowerCase().replace(/\.$/, "");
  if (p === n) return true;
  if (!p.startsWith("*.") || n.startsWith("*.")) return false;
  const suffix = p.slice(1); // ".example.com"
  // Never a wildcard over a single label ("*.com") or the apex itself.
  if (suffix.split(".").length < 3 || !n.endsWith(suffix)) return false;
  const first = n.slice(0, n.length - suffix.length);
  return first.length > 0 && !first.includes(".");
}

/** DNS names and IP addresses from a certificate's subjectAltName extension. */
export function subjectAltNames(cert: X509Certificate): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  // Node prints "DNS:a.example, IP Address:203.0.113.5"; values with special characters are JSON-quoted.
  for (const part of (cert.subjectAltName ?? "").split(/, (?=[A-Za-z ]+:)/)) {
    const m = /^([A-Za-z ]+):(.*)$/.exec(part.trim());
    if (!m) continue;
    const value = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    if (m[1] === "DNS") dns.push(value);
    else if (m[1] === "IP Address") ip.push(value);
  }
  return { dns, ip };
}

// ---------------------------------------------------------------------------------------------
// PEM and dates

/** Splits PEM text into its certificates (leaf first, as in a chain file). Throws on bad PEM. */
export function parseCertificateChain(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** X509Certificate dates ("Jan  1 00:00:00 2027 GMT") or provider timestamps to ISO 8601 UTC, seconds precision. */
export function toIsoInstant(text: string): string {
  // Cloudflare prints "2041-11-14 06:44:30 +0000 UTC"; Date cannot parse the trailing zone name.
  const cleaned = text.replace(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d{4})(?: [A-Z]+)?$/, "$1T$2$3");
  const ms = Date.parse(cleaned);
  if (Number.isNaN(ms)) throw new Error(`unrecognised timestamp "${text}"`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The earliest expiry (notAfter) of the certificates in a PEM chain, as ISO 8601. */
export function chainExpiry(pem: string): string {
  const certs = parseCertificateChain(pem);
  if (certs.length === 0) throw new Error("no certificate in PEM text");
  return certs.map((c) => toIsoInstant(c.validTo)).sort()[0];
}

// ---------------------------------------------------------------------------------------------
// Provided certificate validation

export interface ProvidedTlsInput {
  /** PEM chain: the server certificate first, then any intermediates. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Names the certificate must cover (servedNames). */
  readonly names: readonly string[];
  /** The chain must stay valid at least this many days after `now`. */
  readonly minRemainingDays: number;
  readonly now: Date;
}

const DAY_MS = 86_400_000;

/**
 * Checks a provided certificate chain and key before anything is deployed: both parse, the key
 * matches the server certificate, the chain is in order, every served name is covered, and no
 * certificate is expired, not yet valid, or expiring within `minRemainingDays`. Returns every
 * problem (empty when fine); messages name the config key and never contain the key itself.
 */
export function validateProvidedTls(input: ProvidedTlsInput): Problem[] {
  const problems: Problem[] = [];
  const certProblem = (message: string, value: unknown = "(hidden)"): void => {
    problems.push({ key: TLS_CERTIFICATE_KEY, value, message });
  };
  let chain: X509Certificate[];
  try {
    chain = parseCertificateChain(input.certificatePem);
  } catch (e) {
    certProblem(`is not a readable PEM certificate chain (${(e as Error).message})`);
    return problems;
  }
  if (chain.length === 0) {
    certProblem('holds no "-----BEGIN CERTIFICATE-----" block; give the PEM chain, server certificate first');
    return problems;
  }
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(input.privateKeyPem);
  } catch (e) {
    problems.push({ key: TLS_PRIVATE_KEY_KEY, value: "(hidden)", message: `is not a readable, unencrypted PEM private key (${(e as Error).message})` });
  }
  const leaf = chain[0];
  const subject = leaf.subject.replace(/\n/g, ", ");
  if (key && !leaf.checkPrivateKey(key)) {
    problems.push({
      key: TLS_PRIVATE_KEY_KEY,
      value: "(hidden)",
      message: `does not match the certificate in ${TLS_CERTIFICATE_KEY} (${subject}, public key ${fingerprint(leaf.publicKey)}); set the key that belongs to it, or the certificate issued for this key (${fingerprint(createPublicKey(key))})`,
    });
  }
  if (leaf.ca) certProblem(`the first certificate (${subject}) is a CA certificate; put the server certificate first, then the intermediates`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
      certProblem(
        `certificate ${i + 1} of the chain (${chain[i].subject.replace(/\n/g, ", ")}) is not signed by certificate ${i + 2} (${chain[i + 1].subject.replace(/\n/g, ", ")}); order the chain server first, then each issuer`,
      );
    }
  }
  const sans = subjectAltNames(leaf).dns;
  const missing = input.names.filter((n) => !sans.some((p) => certificateNameCovers(p, n)));
  if (missing.length > 0) {
    certProblem(
      `does not cover ${missing.join(", ")} (served by this stack); the certificate names ${sans.length ? sans.join(", ") : "no DNS names (no subjectAltName)"}`,
      missing,
    );
  }
  const now = input.now.getTime();
  chain.forEach((c, i) => {
    const which = i === 0 ? `the server certificate (${subject})` : `chain certificate ${i + 1} (${c.subject.replace(/\n/g, ", ")})`;
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    const toIso = toIsoInstant(c.validTo);
    if (to <= now) certProblem(`${which} expired on ${toIso}; renew it`, toIso);
    else if (to - now < input.minRemainingDays * DAY_MS) {
      const days = Math.floor((to - now) / DAY_MS);
      certProblem(`${which} expires on ${toIso}, in ${days} day(s), within berth:tls.minRemainingDays (${input.minRemainingDays}); renew it first`, toIso);
    }
    if (from > now) certProblem(`${which} is not valid before ${toIsoInstant(c.validFrom)}`, toIsoInstant(c.validFrom));
  });
  return problems;
}

function fingerprint(key: KeyObject): string {
  const der = key.export({ type: "spki", format: "der" });
  // Short, stable identifier of a public key for error messages (first 8 bytes of its SHA-256).
  return `sha256:${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}
