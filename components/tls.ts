// Tls: the stack's server certificate, in the mode berth:tls.mode chooses.
//   self-signed        a CA and a server certificate (@pulumi/tls); SANs = served names + host IP
//   cloudflare-origin  a key and CSR (@pulumi/tls) signed by Cloudflare's Origin CA
//   provided           chain and key from config secrets (validated in config/, before any resource)
//   letsencrypt        nothing in the cloud: certbot on the host obtains it (paths and command here)
// Outputs are what the registry and nginx delivery consume: certPem (chain to serve), keyPem
// (secret), caPem (self-signed only), expiry. Name choice and validation live in lib/certificates.ts.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Config } from "../config";
import { chainExpiry, servedNames, toIsoInstant, type TlsMode } from "../lib/certificates";
import { letsEncryptPlan, renderCertbotCommand, renderDeployHook, type LetsEncryptPlan } from "./render/certbot";
import { owningZone, planRecords } from "../lib/dnsPlan";
import type { Naming } from "../lib/naming";
import { resourceProblem } from "./resourceErrors";

/** Lifetime of the self-signed CA: long, because every client that trusts it must be updated when it changes. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
/**
 * How the served certificate gets renewed, per mode (the `tlsRenewal` output):
 *   pulumi-up  `pulumi up` issues a new one once fewer than minRemainingDays remain (self-signed)
 *   certbot    certbot's timer on the host renews it; no date is known at deploy time (letsencrypt)
 *   manual     someone replaces it before it expires (provided; cloudflare-origin, whose Origin CA
 *              certificate Pulumi does not renew by itself: `pulumi up --replace` it)
 */
export type TlsRenewal = "pulumi-up" | "certbot" | "manual";
export const TLS_RENEWAL: Readonly<Record<TlsMode, TlsRenewal>> = {
  "self-signed": "pulumi-up",
  "cloudflare-origin": "manual",
  provided: "manual",
  letsencrypt: "certbot",
};

export interface TlsArgs {
  readonly mode: TlsMode;
  /** DNS names the certificate covers (see `servedNames`); may be empty (dev, reached by IP). */
  readonly names: readonly string[];
  /** self-signed: IP addresses for the certificate, i.e. the host's public IP. @default [] */
  readonly ipAddresses?: pulumi.Input<string>[];
  /** self-signed: server certificate lifetime in days. */
  readonly validityDays: number;
  /** self-signed: `pulumi up` re-issues the server certificate once fewer days than this remain. */
  readonly minRemainingDays: number;
  /** cloudflare-origin: names for the Origin CA certificate (proxied Cloudflare names). */
  readonly originHostnames?: readonly string[];
  /** cloudflare-origin: @default "origin-ecc" */
  readonly originRequestType?: "origin-ecc" | "origin-rsa";
  /** cloudflare-origin: lifetime in days (7, 30, 90, 365, 730, 1095, 5475). */
  readonly originValidityDays?: number;
  /** provided: PEM chain, server certificate first (already validated by config/). */
  readonly providedCertificate?: string;
  /** provided: PEM private key of that certificate. */
  readonly providedPrivateKey?: string;
  /** letsencrypt: ACME account e-mail. */
  readonly email?: string;
  /** letsencrypt: use the staging endpoint. @default false */
  readonly staging?: boolean;
  readonly naming: Naming;
}

/** The names an Origin CA certificate may carry: served names on proxied Cloudflare records, and extra names in Cloudflare zones. */
export function originHostnames(cfg: Pick<Config, "dns" | "registry" | "proxy" | "tls">): string[] {
  const proxied = new Set(planRecords(cfg.dns.zones).filter((r) => r.proxied).map((r) => r.fqdn));
  return servedNames(cfg).filter((n) => proxied.has(n) || (cfg.tls.extraNames.includes(n) && owningZone(cfg.dns.zones, n)?.provider === "cloudflare"));
}

/** TlsArgs from validated config, so the composition root stays free of decisions. */
export function tlsArgs(cfg: Config, hostPublicIp: pulumi.Input<string>): TlsArgs {
  return {
    mode: cfg.tls.mode,
    names: servedNames(cfg),
    ipAddresses: cfg.tls.mode === "self-signed" ? [hostPublicIp] : [],
    validityDays: cfg.tls.validityDays,
    minRemainingDays: cfg.tls.minRemainingDays,
    originHostnames: originHostnames(cfg),
    originRequestType: cfg.tls.originRequestType,
    originValidityDays: cfg.tls.originValidityDays,
    providedCertificate: cfg.secrets.tlsCertificate,
    providedPrivateKey: cfg.secrets.tlsPrivateKey,
    email: cfg.tls.email,
    staging: cfg.tls.staging,
    naming: { project: cfg.project, stack: cfg.stack },
  };
}

export class Tls extends pulumi.ComponentResource {
  public readonly mode: TlsMode;
  /** DNS names the certificate covers. */
  public readonly names: readonly string[];
  /** PEM to serve (nginx ssl_certificate, registry certificate): server certificate first, then intermediates. Undefined for letsencrypt (see `letsEncrypt`). */
  public readonly certPem?: pulumi.Output<string>;
  /** PEM private key of certPem (secret). Undefined for letsencrypt. */
  public readonly keyPem?: pulumi.Output<string>;
  /** self-signed only: the CA certificate clients must trust. */
  public readonly caPem?: pulumi.Output<string>;
  /** ISO 8601 UTC expiry of the certificate Berth holds (earliest in the chain), or "" when none exists at deploy time (letsencrypt). */
  public readonly expiry: pulumi.Output<string>;
  /** Who renews the certificate (see TLS_RENEWAL). */
  public readonly renewal: TlsRenewal;
  /** letsencrypt only: where certbot writes the files and what it is asked for. */
  public readonly letsEncrypt?: LetsEncryptPlan;
  /** letsencrypt only: the certbot command line to run on the host (after nginx serves the webroot). */
  public readonly certbotCommand?: string;
  /** letsencrypt only: text of the deploy hook script (install at letsEncrypt.deployHookPath, mode 0755). */
  public readonly certbotDeployHook?: string;

  constructor(name: string, args: TlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:tls:Tls", name, {}, opts);
    const parent = { parent: this };
    this.mode = args.mode;
    this.renewal = TLS_RENEWAL[args.mode];
    this.names = [...args.names];
    const subject = (cn: string): { commonName: string; organization: string } => ({ commonName: cn.slice(0, 64), organization: `Berth ${args.naming.project}-${args.naming.stack}` });

    switch (args.mode) {
      case "self-signed": {
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = new tls.SelfSignedCert(`${name}-ca`, {
          privateKeyPem: caKey.privateKeyPem,
          isCaCertificate: true,
          allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
          validityPeriodHours: CA_VALIDITY_HOURS,
          subject: subject(`${args.naming.project}-${args.naming.stack} CA`),
          setSubjectKeyId: true,
        }, parent);
        const key = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const csr = new tls.CertRequest(`${name}-server-csr`, {
          privateKeyPem: key.privateKeyPem,
          subject: subject(args.names[0] ?? `${args.naming.project}-${args.naming.stack} host`),
          dnsNames: [...args.names],
          ipAddresses: args.ipAddresses ?? [],
        }, parent);
        const cert = new tls.LocallySignedCert(`${name}-server-cert`, {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
          validityPeriodHours: args.validityDays * 24,
          // `pulumi up` replaces the certificate once it is this close to expiry.
          earlyRenewalHours: args.minRemainingDays * 24,
          setSubjectKeyId: true,
        }, parent);
        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.caPem = ca.certPem;
        // The CA lives far longer than the server certificate, so the server's date is the one to watch.
        this.expiry = cert.validityEndTime.apply(toIsoInstant);
        break;
      }
      case "cloudflare-origin": {
        const hostnames = [...(args.originHostnames ?? args.names)];
        if (hostnames.length === 0) throw resourceProblem("mode cloudflare-origin needs at least one hostname (proxied Cloudflare records under berth:dns)", this);
        const rsa = args.originRequestType === "origin-rsa";
        const key = new tls.PrivateKey(`${name}-origin-key`, rsa ? { algorithm: "RSA", rsaBits: 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const csr = new tls.CertRequest(`${name}-origin-csr`, {
          privateKeyPem: key.privateKeyPem,
          subject: subject(hostnames[0]),
          dnsNames: hostnames,
        }, parent);
        const cert = new cloudflare.OriginCaCertificate(`${name}-origin-cert`, {
          csr: csr.certRequestPem,
          hostnames,
          requestType: rsa ? "origin-rsa" : "origin-ecc",
          requestedValidity: args.originValidityDays ?? 5475,
        }, parent);
        this.certPem = cert.certificate;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.expiry = cert.expiresOn.apply(toIsoInstant);
        break;
      }
      case "provided": {
        if (args.providedCertificate === undefined || args.providedPrivateKey === undefined) {
          throw resourceProblem("mode provided needs the certificate and its key: set berth:tlsCertificate and berth:tlsPrivateKey (as secrets)", this);
        }
        // The certificate is public; only the key stays secret.
        this.certPem = pulumi.output(args.providedCertificate);
        this.keyPem = pulumi.secret(args.providedPrivateKey);
        this.expiry = pulumi.output(chainExpiry(args.providedCertificate));
        break;
      }
      case "letsencrypt": {
        if (!args.email) throw resourceProblem("mode letsencrypt needs an ACME account e-mail: set berth:tls.email", this);
        this.letsEncrypt = letsEncryptPlan(args.names, args.email, args.staging ?? false);
        this.certbotCommand = renderCertbotCommand(this.letsEncrypt);
        this.certbotDeployHook = renderDeployHook();
        // certbot obtains the certificate on the host after `pulumi up`, and renews it there every
        // 60 days or so: a date stored now would be wrong or stale, so the output stays empty and
        // the expiry check reads the live certificate instead (tlsRenewal says "certbot").
        this.expiry = pulumi.output("");
        break;
      }
    }
    // The key is deliberately not registered: component outputs are not needed by anything, and
    // the offline plan prints component state without recognising secrets in it.
    this.registerOutputs({ names: this.names, caPem: this.caPem, expiry: this.expiry });
  }
}
