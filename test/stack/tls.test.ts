// The Tls component under the mock engine, every mode in both stacks: which resources, which
// names and addresses, which outputs, and that private keys stay secret.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config";
import { realPrivateKey, realSelfSignedCert } from "../../offline/fakePki";
import { isSecretValue, ofType, one, run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const SELF = "tls:index/selfSignedCert:SelfSignedCert";
const CSR = "tls:index/certRequest:CertRequest";
const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const ORIGIN = "cloudflare:index/originCaCertificate:OriginCaCertificate";
const KEY = "tls:index/privateKey:PrivateKey";
const PROD_NAMES = ["example.com", "www.example.com", "example.net", "www.example.net", "jenkins.example.com", "docker.example.com"];
const prodProxy = section("prod", "proxy") as { apps: unknown[] };

function tlsResources(r: RunResult) {
  return r.resources.filter((x) => x.parent === one(r, "berth:tls:Tls").urn);
}

describe.each<[string, Record<string, unknown>, string[]]>([
  ["dev", {}, []],
  ["prod", { tls: { mode: "self-signed", extraNames: ["status.example.com"] } }, [...PROD_NAMES, "status.example.com"]],
])("self-signed in %s", async (stack, edits, names) => {
  // dev as shipped is self-signed: its shared run serves.
  const r = stack === "dev" && Object.keys(edits).length === 0 ? await sharedRun("dev") : await run(stackWith(stack, edits));
  const ip = String(r.outputs.hostPublicIp);

  it("makes a CA that can sign certificates and publishes it", () => {
    const ca = one(r, SELF, "tls-ca");
    expect(ca.inputs).toMatchObject({ isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"], validityPeriodHours: 87600 });
    expect(isSecretValue(ca.inputs.privateKeyPem)).toBe(true);
    expect(r.outputs.tlsCaCertificate).toBe(ca.state.certPem);
    expect(new X509Certificate(String(r.outputs.tlsCaCertificate)).ca).toBe(true);
  });

  it("asks for a server certificate with the host's public IP and every served name", () => {
    const csr = one(r, CSR, "tls-server-csr");
    expect(csr.inputs.ipAddresses).toEqual([ip]);
    expect(csr.inputs.dnsNames).toEqual(names);
    expect(isSecretValue(csr.inputs.privateKeyPem)).toBe(true);
    const cert = one(r, SIGNED, "tls-server-cert");
    expect(cert.inputs).toMatchObject({
      allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 30 * 24,
    });
    expect(isSecretValue(cert.inputs.caPrivateKeyPem)).toBe(true);
    expect(cert.inputs.caCertPem).toBe(one(r, SELF, "tls-ca").state.certPem);
  });

  it("exports mode, names and the server certificate's expiry", () => {
    expect(r.outputs.tlsMode).toBe("self-signed");
    expect(r.outputs.tlsNames).toEqual(names);
    expect(r.outputs.tlsCertificateExpiry).toBe(one(r, SIGNED, "tls-server-cert").state.validityEndTime);
    expect(String(r.outputs.tlsCertificateExpiry)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r.outputs.tlsRenewal).toBe("pulumi-up");
  });

  it("keeps every private key secret", () => {
    for (const k of ofType(r, KEY)) expect(isSecretValue(k.state.privateKeyPem), k.name).toBe(true);
    const own = tlsResources(r).filter((x) => x.type === KEY);
    expect(own.map((k) => [k.name, k.inputs.algorithm, k.inputs.ecdsaCurve])).toEqual([
      ["tls-ca-key", "ECDSA", "P256"],
      ["tls-server-key", "ECDSA", "P256"],
    ]);
  });
});

describe("cloudflare-origin", () => {
  // A stack whose every served name is a proxied Cloudflare record (the registry is off: its name must never be proxied).
  const edits = (tls: Record<string, unknown>) => ({
    registry: { enabled: false },
    proxy: { enabled: true, apps: [prodProxy.apps[1]] },
    tls: { mode: "cloudflare-origin", ...tls },
  });

  it("signs an ECDSA key's request for the proxied names with Cloudflare's Origin CA", async () => {
    const r = await run(stackWith("prod", edits({ extraNames: ["*.example.net"] })));
    expect(
      tlsResources(r)
        .map((x) => x.type)
        .sort(),
    ).toEqual([ORIGIN, CSR, KEY].sort());
    const origin = one(r, ORIGIN, "tls-origin-cert");
    expect(origin.inputs).toMatchObject({ hostnames: ["example.net", "www.example.net", "*.example.net"], requestType: "origin-ecc", requestedValidity: 5475 });
    expect(origin.inputs.csr).toBe(one(r, CSR).state.certRequestPem);
    expect(one(r, KEY, "tls-origin-key").inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(one(r, CSR).inputs.dnsNames).toEqual(["example.net", "www.example.net", "*.example.net"]);
    // Cloudflare prints "YYYY-MM-DD HH:MM:SS +0000 UTC"; the output is ISO 8601.
    expect(String(origin.state.expiresOn)).toMatch(/ \+0000 UTC$/);
    expect(r.outputs.tlsCertificateExpiry).toBe(`${String(origin.state.expiresOn).slice(0, 10)}T${String(origin.state.expiresOn).slice(11, 19)}Z`);
    expect(r.outputs.tlsRenewal).toBe("manual");
    expect(r.outputs.tlsCaCertificate).toBe("");
    expect(ofType(r, SELF)).toEqual([]);
  });

  it("uses RSA and the configured lifetime for origin-rsa", async () => {
    const r = await run(stackWith("prod", edits({ originRequestType: "origin-rsa", originValidityDays: 365 })));
    expect(one(r, ORIGIN).inputs).toMatchObject({ requestType: "origin-rsa", requestedValidity: 365, hostnames: ["example.net", "www.example.net"] });
    expect(one(r, KEY, "tls-origin-key").inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
  });
});

describe("provided", () => {
  const key = realPrivateKey("provided-test-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem;
  const cert = (names: string[], hours = 24 * 90) =>
    String(
      realSelfSignedCert("provided-test-cert", {
        privateKeyPem: key,
        subject: { commonName: names[0] },
        dnsNames: names,
        allowedUses: ["server_auth", "digital_signature"],
        validityPeriodHours: hours,
      }).certPem,
    );

  it("passes a certificate that covers every served name, and creates no certificate resources", async () => {
    const pem = cert(["example.com", "*.example.com", "example.net", "*.example.net"]);
    const r = await run(stackWith("prod", { tls: { mode: "provided" } }, { tlsCertificate: pem, tlsPrivateKey: key }));
    expect(tlsResources(r)).toEqual([]);
    expect(r.outputs.tlsMode).toBe("provided");
    expect(r.outputs.tlsCertificateExpiry).toBe(new Date(new X509Certificate(pem).validTo).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(r.outputs.tlsRenewal).toBe("manual");
  });

  it("refuses, before any resource, a certificate that misses names or expires too soon", async () => {
    const pem = cert(["example.com", "*.example.com"], 24 * 10);
    const attempt = run(stackWith("prod", { tls: { mode: "provided" } }, { tlsCertificate: pem, tlsPrivateKey: key }));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    const err = (await attempt.catch((e: unknown) => e)) as ConfigError;
    expect(err.problems).toContainEqual({
      key: "berth:tlsCertificate",
      value: ["example.net", "www.example.net"],
      message: expect.stringMatching(
        /^does not cover example\.net, www\.example\.net \(served by this stack\); the certificate names example\.com, \*\.example\.com$/,
      ),
    });
    expect(err.problems).toContainEqual({
      key: "berth:tlsCertificate",
      value: expect.any(String),
      message: expect.stringMatching(
        /^the server certificate \(.*\) expires on .*, in [89] day\(s\), within berth:tls\.minRemainingDays \(30\); renew it first$/,
      ),
    });
    expect(err.message).not.toContain("PRIVATE KEY");
  });
});

describe("letsencrypt (prod as shipped)", async () => {
  const r = await sharedRun("prod");
  it("creates no certificate in the cloud and says certbot renews it", () => {
    expect(tlsResources(r)).toEqual([]);
    expect(ofType(r, ORIGIN)).toEqual([]);
    expect(r.outputs.tlsMode).toBe("letsencrypt");
    expect(r.outputs.tlsNames).toEqual(PROD_NAMES);
    expect(r.outputs.tlsCertificateExpiry).toBe("");
    expect(r.outputs.tlsRenewal).toBe("certbot");
    expect(r.outputs.tlsCaCertificate).toBe("");
  });
});
