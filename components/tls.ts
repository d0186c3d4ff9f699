// Tls: the stack's server certificate, in the mode berth:tls.mode chooses.
//   self-signed        a CA and a server certificate (@pulumi/tls); SANs = served names + host IP
//   cloudflare-origin  a key and CSR (@pulumi/tls) signed by Cloudflare's Origin CA
//   provided           chain and key from config secrets (validated in config/, before any resource)
//   letsencrypt        nothing in the cloud: certbot on the host obtains it (paths and command here)
// What the host layer consumes is one value, `served`: the certificate files to put on the host, or
// the plan certbot follows there. The outputs read caPem (self-signed only) and expiry. Name choice
// and validation live in lib/certificates.ts; the args come from wiring/args.ts (tlsArgs).
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { chainExpiry, toIsoInstant, type TlsMode } from "../lib/certificates";
import { letsEncryptPlan, renderCertbotCommand, renderDeployHook } from "./render/certbot";
import type { Naming } from "../lib/naming";
import { resourceProblem, tiedTo } from "./resourceErrors";

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
/** Who renews the served certificate in each mode. */
export const TLS_RENEWAL: Readonly<Record<TlsMode, TlsRenewal>> = {
  "self-signed": "pulumi-up",
  "cloudflare-origin": "manual",
  provided: "manual",
  letsencrypt: "certbot",
};

export interface TlsArgs {
  /** How the certificate is made (see the modes above). */
  readonly mode: TlsMode;
  /** DNS names the certificate covers (see `servedNames`); may be empty (dev, reached by IP). */
  readonly names: readonly string[];
  /** self-signed: IP addresses for the certificate, i.e. the host's public IP. @default [] */
  readonly ipAddresses?: pulumi.Input<string>[];
  /** self-signed: server certificate lifetime in days. */
  readonly validityDays: number;
  /** self-signed: `pulumi up` re-issues the server certificate once fewer days than this remain. */
  readonly minRemainingDays: number;
  /** cloudflare-origin: names for the Origin CA certificate (proxied Cloudflare names); without it the certificate covers `names`. */
  readonly originHostnames?: readonly string[];
  /** cloudflare-origin: key type, ECDSA P-256 (origin-ecc) or RSA 2048 (origin-rsa). @default "origin-ecc" */
  readonly originRequestType?: "origin-ecc" | "origin-rsa";
  /** cloudflare-origin: lifetime in days (7, 30, 90, 365, 730, 1095, 5475). @default 5475 */
  readonly originValidityDays?: number;
  /** provided: PEM chain, server certificate first (already validated by config/). */
  readonly providedCertificate?: string;
  /** provided: PEM private key of that certificate. */
  readonly providedPrivateKey?: string;
  /** letsencrypt: ACME account e-mail. */
  readonly email?: string;
  /** letsencrypt: use the staging endpoint. @default false */
  readonly staging?: boolean;
  /** Project and stack: the certificates' subject organization and CA name. */
  readonly naming: Naming;
}

/** What certbot runs on the host to obtain, and later renew, the served certificate (letsencrypt). */
export interface CertbotPlan {
  /** The certbot command line (certonly --webroot ... --deploy-hook ...). */
  readonly command: string;
  /** Text of the deploy hook script; installed at `hookPath`, mode 0755. */
  readonly deployHook: string;
  /** Absolute path of the deploy hook on the host (under /etc/letsencrypt/renewal-hooks). */
  readonly hookPath: string;
  /** Names the certificate covers (the bootstrap certificate covers the same), first = lineage name. */
  readonly names: readonly string[];
}

/** The served certificate as files Berth puts on the host: every mode but letsencrypt. */
export interface CertificateFiles {
  /** Discriminant. */
  readonly kind: "files";
  /** PEM to serve (nginx ssl_certificate, registry certificate): server certificate first, then intermediates. */
  readonly certPem: pulumi.Output<string>;
  /** PEM private key of certPem (secret). */
  readonly keyPem: pulumi.Output<string>;
  /** PEM of the CA clients must trust (self-signed only); written next to the certificate for download. */
  readonly caPem?: pulumi.Output<string>;
}

/** The served certificate obtained on the host by certbot (letsencrypt): nothing exists at deploy time. */
export interface CertbotCertificate {
  /** Discriminant. */
  readonly kind: "certbot";
  /** What certbot runs on the host. */
  readonly plan: CertbotPlan;
}

/** What the host layer serves: the certificate files, or certbot's plan to obtain them on the host. */
export type ServedCertificate = CertificateFiles | CertbotCertificate;

export class Tls extends pulumi.ComponentResource {
  /** How the certificate is made (the `tlsMode` output). */
  public readonly mode: TlsMode;
  /** DNS names the certificate covers, in servedNames order (the `tlsNames` output). */
  public readonly names: readonly string[];
  /** self-signed only: PEM of the CA certificate clients must trust (the `tlsCaCertificate` output); undefined in the other modes. */
  public readonly caPem?: pulumi.Output<string>;
  /** ISO 8601 UTC expiry of the certificate Berth holds (earliest in the chain), or "" when none exists at deploy time (letsencrypt). */
  public readonly expiry: pulumi.Output<string>;
  /** Who renews the certificate (see TLS_RENEWAL). */
  public readonly renewal: TlsRenewal;
  /** What the host serves: the certificate files (key secret), or certbot's plan (letsencrypt). */
  public readonly served: ServedCertificate;

  constructor(name: string, args: TlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:tls:Tls", name, {}, opts);
    const parent = { parent: this };
    this.mode = args.mode;
    this.renewal = TLS_RENEWAL[args.mode];
    this.names = [...args.names];
    const subject = (cn: string): { commonName: string; organization: string } => ({
      commonName: cn.slice(0, 64),
      organization: `Berth ${args.naming.project}-${args.naming.stack}`,
    });

    switch (args.mode) {
      case "self-signed": {
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = new tls.SelfSignedCert(
          `${name}-ca`,
          {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            validityPeriodHours: CA_VALIDITY_HOURS,
            subject: subject(`${args.naming.project}-${args.naming.stack} CA`),
            setSubjectKeyId: true,
          },
          parent,
        );
        const key = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const csr = new tls.CertRequest(
          `${name}-server-csr`,
          {
            privateKeyPem: key.privateKeyPem,
            subject: subject(args.names[0] ?? `${args.naming.project}-${args.naming.stack} host`),
            dnsNames: [...args.names],
            ipAddresses: args.ipAddresses ?? [],
          },
          parent,
        );
        const cert = new tls.LocallySignedCert(
          `${name}-server-cert`,
          {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
            validityPeriodHours: args.validityDays * 24,
            // `pulumi up` replaces the certificate once it is this close to expiry.
            earlyRenewalHours: args.minRemainingDays * 24,
            setSubjectKeyId: true,
          },
          parent,
        );
        this.caPem = ca.certPem;
        this.served = { kind: "files", certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem), caPem: this.caPem };
        // The CA lives far longer than the server certificate, so the server's date is the one to watch.
        this.expiry = cert.validityEndTime.apply(toIsoInstant);
        break;
      }
      case "cloudflare-origin": {
        const hostnames = [...(args.originHostnames ?? args.names)];
        if (hostnames.length === 0)
          throw resourceProblem("mode cloudflare-origin needs at least one hostname (proxied Cloudflare records under berth:dns)", this);
        const rsa = args.originRequestType === "origin-rsa";
        const key = new tls.PrivateKey(`${name}-origin-key`, rsa ? { algorithm: "RSA", rsaBits: 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const csr = new tls.CertRequest(
          `${name}-origin-csr`,
          {
            privateKeyPem: key.privateKeyPem,
            subject: subject(hostnames[0]),
            dnsNames: hostnames,
          },
          parent,
        );
        const cert = new cloudflare.OriginCaCertificate(
          `${name}-origin-cert`,
          {
            csr: csr.certRequestPem,
            hostnames,
            requestType: rsa ? "origin-rsa" : "origin-ecc",
            requestedValidity: args.originValidityDays ?? 5475,
          },
          parent,
        );
        this.served = { kind: "files", certPem: cert.certificate, keyPem: pulumi.secret(key.privateKeyPem) };
        this.expiry = cert.expiresOn.apply(toIsoInstant);
        break;
      }
      case "provided": {
        if (args.providedCertificate === undefined || args.providedPrivateKey === undefined) {
          throw resourceProblem("mode provided needs the certificate and its key: set berth:tlsCertificate and berth:tlsPrivateKey (as secrets)", this);
        }
        // The certificate is public; only the key stays secret.
        this.served = { kind: "files", certPem: pulumi.output(args.providedCertificate), keyPem: pulumi.secret(args.providedPrivateKey) };
        const chain = args.providedCertificate;
        this.expiry = pulumi.output(tiedTo(this, () => chainExpiry(chain)));
        break;
      }
      case "letsencrypt": {
        if (!args.email) throw resourceProblem("mode letsencrypt needs an ACME account e-mail: set berth:tls.email", this);
        const email = args.email;
        this.served = tiedTo(this, () => {
          const plan = letsEncryptPlan(args.names, email, args.staging ?? false);
          return {
            kind: "certbot",
            plan: { command: renderCertbotCommand(plan), deployHook: renderDeployHook(), hookPath: plan.deployHookPath, names: this.names },
          };
        });
        // certbot obtains the certificate on the host after `pulumi up`, and renews it there every
        // 60 days or so: a date stored now would be wrong or stale, so the output stays empty and
        // the expiry check reads the live certificate instead (tlsRenewal says "certbot").
        this.expiry = pulumi.output("");
        break;
      }
    }
    // The key is deliberately not registered: nothing reads a component's registered outputs, and a
    // key belongs only in the delivery that puts it on the host.
    this.registerOutputs({ names: this.names, caPem: this.caPem, expiry: this.expiry });
  }
}
