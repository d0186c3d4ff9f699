// Tls on its own (public mock API): each mode with minimal and full args, the resources it registers
// (and no others), the one `served` value the host layer consumes, and renewal, expiry and names.
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { CA_VALIDITY_HOURS, Tls, type CertbotCertificate, type CertificateFiles, type TlsArgs } from "../../components/tls";
import { CERTBOT_DEPLOY_HOOK_PATH, letsEncryptPlan, renderCertbotCommand, renderDeployHook } from "../../components/render/certbot";
import { realPrivateKey, realSelfSignedCert } from "../../offline/fakePki";
import { failure, isSecret, mockComponents, secretOf, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const ORG = "Berth berth-test";
const NAMES = ["example.com", "www.example.com"];
const IP = "203.0.113.10";
// Every mode reads mode, names, validityDays, minRemainingDays and naming (required); the rest
// belongs to one mode each and is optional.
const base: TlsArgs = { mode: "self-signed", names: [], validityDays: 365, minRemainingDays: 30, naming };

const KEY = "tls:index/privateKey:PrivateKey";
const SELF = "tls:index/selfSignedCert:SelfSignedCert";
const CSR = "tls:index/certRequest:CertRequest";
const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const ORIGIN = "cloudflare:index/originCaCertificate:OriginCaCertificate";
const DAY = 24;

/** Every resource registered, as "type name", sorted (registration order follows input resolution). */
const registered = (m: ComponentMocks): string[] => m.resources.map((r) => `${r.type} ${r.name}`).sort();
const files = (t: Tls): CertificateFiles => {
  expect(t.served.kind).toBe("files");
  return t.served as CertificateFiles;
};

/** A real PEM certificate (the provided mode parses its dates), valid for `days` from the fake PKI's fixed start. */
function realCert(name: string, days: number): { cert: string; key: string } {
  const key = realPrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem;
  const cert = String(
    realSelfSignedCert(name, {
      privateKeyPem: key,
      subject: { commonName: name },
      allowedUses: ["server_auth", "digital_signature"],
      validityPeriodHours: days * DAY,
    }).certPem,
  );
  return { cert, key };
}

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Tls self-signed", () => {
  it("minimal: a CA and a server certificate for the stack's host, with no name or address", async () => {
    const t = new Tls("tls", base, m.opts);
    const f = files(t);
    const [ca, cert, key, expiry] = await Promise.all([valueOf(t.caPem!), valueOf(f.certPem), valueOf(f.keyPem), valueOf(t.expiry)]);
    await m.settle();

    expect(registered(m)).toEqual([
      "berth:tls:Tls tls",
      `${CSR} tls-server-csr`,
      `${SIGNED} tls-server-cert`,
      `${KEY} tls-ca-key`,
      `${KEY} tls-server-key`,
      `${SELF} tls-ca`,
    ]);
    expect(m.resources.filter((r) => r.custom).every((r) => r.parent === "tls")).toBe(true);
    expect(m.one(KEY, "tls-ca-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(m.one(KEY, "tls-server-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(m.one(SELF).inputs).toMatchObject({
      privateKeyPem: secretOf(expect.stringContaining("FAKE-tls-ca-key")),
      isCaCertificate: true,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      validityPeriodHours: CA_VALIDITY_HOURS,
      subject: { commonName: "berth-test CA", organization: ORG },
      setSubjectKeyId: true,
    });
    expect(m.one(CSR).inputs).toMatchObject({
      privateKeyPem: secretOf(expect.stringContaining("FAKE-tls-server-key")),
      subject: { commonName: "berth-test host", organization: ORG },
    });
    // (The mock monitor drops empty lists: no names and no addresses reach the request.)
    expect(m.one(CSR).inputs.dnsNames ?? []).toEqual([]);
    expect(m.one(CSR).inputs.ipAddresses ?? []).toEqual([]);
    // (Every private key reaches the provider as a secret: the tls provider's outputs are secret.)
    expect(m.one(SIGNED).inputs).toMatchObject({
      certRequestPem: expect.stringContaining("FAKE-tls-server-csr"),
      caPrivateKeyPem: secretOf(expect.stringContaining("FAKE-tls-ca-key")),
      caCertPem: ca,
      allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
      validityPeriodHours: 365 * DAY,
      earlyRenewalHours: 30 * DAY,
      setSubjectKeyId: true,
    });

    // The files: the server certificate, its key (secret) and the CA; the CA is also caPem.
    expect(cert).toContain("FAKE-tls-server-cert");
    expect(key).toContain("FAKE-tls-server-key");
    expect(await isSecret(f.keyPem)).toBe(true);
    expect(await isSecret(f.certPem)).toBe(false);
    expect(await valueOf(f.caPem!)).toBe(ca);
    expect(ca).toContain("FAKE-tls-ca");
    // The server certificate's end (not the CA's, years later), in ISO 8601 UTC.
    expect(expiry).toBe("2027-01-01T00:00:00Z");
    expect([t.mode, t.renewal, t.names]).toEqual(["self-signed", "pulumi-up", []]);
  });

  it("full: the served names and the host's address in the request, the first name as its subject", async () => {
    const t = new Tls("tls", { ...base, names: NAMES, ipAddresses: [pulumi.output(IP)], validityDays: 90, minRemainingDays: 20 }, m.opts);
    await valueOf(t.expiry);
    await m.settle();
    expect(m.ofType(KEY)).toHaveLength(2);
    expect(m.one(CSR).inputs).toMatchObject({ subject: { commonName: "example.com", organization: ORG }, dnsNames: NAMES, ipAddresses: [IP] });
    expect(m.one(SIGNED).inputs).toMatchObject({ validityPeriodHours: 90 * DAY, earlyRenewalHours: 20 * DAY });
    expect(t.names).toEqual(NAMES);
    expect(t.names).not.toBe(NAMES);
    expect(m.ofType(ORIGIN)).toEqual([]);
  });
});

describe("Tls cloudflare-origin", () => {
  it("minimal: an ECDSA key and request for the served names, signed by the Origin CA for 15 years", async () => {
    const t = new Tls("tls", { ...base, mode: "cloudflare-origin", names: ["example.net"] }, m.opts);
    const f = files(t);
    const [cert, key, expiry] = await Promise.all([valueOf(f.certPem), valueOf(f.keyPem), valueOf(t.expiry)]);
    await m.settle();

    expect(registered(m)).toEqual(["berth:tls:Tls tls", `${ORIGIN} tls-origin-cert`, `${CSR} tls-origin-csr`, `${KEY} tls-origin-key`]);
    expect(m.one(KEY).inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(m.one(CSR).inputs).toMatchObject({ subject: { commonName: "example.net", organization: ORG }, dnsNames: ["example.net"] });
    expect(m.one(ORIGIN).inputs).toEqual({
      csr: expect.stringContaining("FAKE-tls-origin-csr"),
      hostnames: ["example.net"],
      requestType: "origin-ecc",
      requestedValidity: 5475,
    });
    expect(cert).toContain("FAKE-tls-origin-cert");
    expect(key).toContain("FAKE-tls-origin-key");
    expect(await isSecret(f.keyPem)).toBe(true);
    expect(f.caPem).toBeUndefined();
    expect(t.caPem).toBeUndefined();
    // Cloudflare's "2041-11-14 06:44:30 +0000 UTC", as ISO 8601.
    expect(expiry).toBe("2041-11-14T06:44:30Z");
    expect([t.mode, t.renewal, t.names]).toEqual(["cloudflare-origin", "manual", ["example.net"]]);
  });

  it("full: the given Origin hostnames, an RSA key and the given lifetime", async () => {
    const hostnames = ["example.net", "*.example.net"];
    const t = new Tls(
      "tls",
      {
        ...base,
        mode: "cloudflare-origin",
        names: ["example.net", "www.example.net", "example.com"],
        originHostnames: hostnames,
        originRequestType: "origin-rsa",
        originValidityDays: 365,
      },
      m.opts,
    );
    await valueOf(t.expiry);
    await m.settle();
    expect(m.one(KEY).inputs).toEqual({ algorithm: "RSA", rsaBits: 2048 });
    expect(m.one(CSR).inputs).toMatchObject({ subject: { commonName: "example.net" }, dnsNames: hostnames });
    expect(m.one(ORIGIN).inputs).toMatchObject({ hostnames, requestType: "origin-rsa", requestedValidity: 365 });
    // The names output stays the served names; only the certificate is limited to the Origin hostnames.
    expect(t.names).toEqual(["example.net", "www.example.net", "example.com"]);
  });
});

describe("Tls provided", () => {
  it("minimal: no resource; the given certificate in the clear, its key secret, its end as the expiry", async () => {
    const { cert, key } = realCert("provided-leaf", 90);
    const t = new Tls("tls", { ...base, mode: "provided", providedCertificate: cert, providedPrivateKey: key }, m.opts);
    const f = files(t);
    const [certPem, keyPem, expiry] = await Promise.all([valueOf(f.certPem), valueOf(f.keyPem), valueOf(t.expiry)]);
    await m.settle();

    expect(registered(m)).toEqual(["berth:tls:Tls tls"]);
    expect([certPem, keyPem]).toEqual([cert, key]);
    expect(await isSecret(f.certPem)).toBe(false);
    expect(await isSecret(f.keyPem)).toBe(true);
    expect(f.caPem).toBeUndefined();
    expect(expiry).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(expiry)).toBe(Date.parse(new X509Certificate(cert).validTo));
    expect([t.mode, t.renewal, t.names, t.caPem]).toEqual(["provided", "manual", [], undefined]);
  });

  it("full: a chain's expiry is its earliest certificate's; the other modes' args make nothing", async () => {
    const leaf = realCert("provided-chain-leaf", 90);
    const intermediate = realCert("provided-chain-intermediate", 30);
    const chain = leaf.cert + intermediate.cert;
    const t = new Tls(
      "tls",
      {
        ...base,
        mode: "provided",
        names: NAMES,
        ipAddresses: [IP],
        originHostnames: NAMES,
        email: "ops@example.com",
        providedCertificate: chain,
        providedPrivateKey: leaf.key,
      },
      m.opts,
    );
    const [certPem, expiry] = await Promise.all([valueOf(files(t).certPem), valueOf(t.expiry)]);
    await m.settle();
    expect(registered(m)).toEqual(["berth:tls:Tls tls"]);
    expect(certPem).toBe(chain);
    expect(Date.parse(expiry)).toBe(Date.parse(new X509Certificate(intermediate.cert).validTo));
    expect(Date.parse(expiry)).toBeLessThan(Date.parse(new X509Certificate(leaf.cert).validTo));
    expect(t.names).toEqual(NAMES);
  });
});

describe("Tls letsencrypt", () => {
  it("minimal: nothing in the cloud; certbot's plan for the host, no expiry known at deploy time", async () => {
    const t = new Tls("tls", { ...base, mode: "letsencrypt", names: ["example.com"], email: "ops@example.com" }, m.opts);
    const expiry = await valueOf(t.expiry);
    await m.settle();

    expect(registered(m)).toEqual(["berth:tls:Tls tls"]);
    expect(t.served.kind).toBe("certbot");
    const plan = (t.served as CertbotCertificate).plan;
    expect(plan).toEqual({
      command: renderCertbotCommand(letsEncryptPlan(["example.com"], "ops@example.com", false)),
      deployHook: renderDeployHook(),
      hookPath: CERTBOT_DEPLOY_HOOK_PATH,
      names: ["example.com"],
    });
    expect(plan.command).toContain("--email ops@example.com");
    expect(plan.command).not.toContain("--staging");
    expect(expiry).toBe("");
    expect([t.mode, t.renewal, t.names, t.caPem]).toEqual(["letsencrypt", "certbot", ["example.com"], undefined]);
  });

  it("full: every served name on one lineage, against the staging endpoint", async () => {
    const t = new Tls("tls", { ...base, mode: "letsencrypt", names: NAMES, email: "ops@example.com", staging: true }, m.opts);
    await m.settle();
    const plan = (t.served as CertbotCertificate).plan;
    expect(plan.command).toBe(renderCertbotCommand(letsEncryptPlan(NAMES, "ops@example.com", true)));
    expect(plan.command).toContain("--cert-name example.com -d example.com -d www.example.com");
    expect(plan.command).toContain("--staging");
    expect(plan.names).toEqual(NAMES);
    expect(registered(m)).toEqual(["berth:tls:Tls tls"]);
  });
});

describe("Tls guards", () => {
  it("refuses cloudflare-origin without a hostname", async () => {
    const err = await failure(() => new Tls("tls", { ...base, mode: "cloudflare-origin", names: [] }, m.opts));
    expect(err.message).toContain("mode cloudflare-origin needs at least one hostname");
    // An empty Origin list is not replaced by the served names.
    const err2 = await failure(() => new Tls("tls2", { ...base, mode: "cloudflare-origin", names: NAMES, originHostnames: [] }, m.opts));
    expect(err2.message).toContain("mode cloudflare-origin needs at least one hostname");
    await m.settle();
    expect(m.resources.filter((r) => r.custom)).toEqual([]);
  });

  it("refuses provided without the certificate or without its key", async () => {
    const { cert, key } = realCert("provided-guard", 90);
    for (const args of [{ providedPrivateKey: key }, { providedCertificate: cert }, {}]) {
      const err = await failure(() => new Tls("tls", { ...base, mode: "provided", ...args }, m.opts));
      expect(err.message).toContain("mode provided needs the certificate and its key");
    }
  });

  it("ties a renderer's refusal to the component: letsencrypt without a name, provided with a certificate that does not parse", async () => {
    const le = await failure(() => new Tls("tls", { ...base, mode: "letsencrypt", names: [], email: "ops@example.com" }, m.opts));
    expect(le.message).toContain("letsencrypt needs at least one served name");
    const bad = await failure(
      () =>
        new Tls(
          "tls2",
          { ...base, mode: "provided", providedCertificate: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", providedPrivateKey: "k" },
          m.opts,
        ),
    );
    expect(bad.message).toContain("bad base64 decode");
    const none = await failure(() => new Tls("tls3", { ...base, mode: "provided", providedCertificate: "not a pem", providedPrivateKey: "k" }, m.opts));
    expect(none.message).toContain("no certificate in PEM text");
  });

  it("refuses letsencrypt without an ACME e-mail", async () => {
    for (const email of [undefined, ""]) {
      const err = await failure(() => new Tls("tls", { ...base, mode: "letsencrypt", names: NAMES, email }, m.opts));
      expect(err.message).toContain("mode letsencrypt needs an ACME account e-mail");
    }
  });
});
