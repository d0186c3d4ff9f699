// A fixed set of keys, certificates and signatures from the offline fake PKI, with their hash:
// plan.test.ts computes it in its own process and in a fresh one, which must agree byte for byte.
import { createHash } from "node:crypto";
import * as pki from "../../offline/fakePki";

/** A PEM field of a fake resource's state. */
function pem(v: unknown): string {
  if (typeof v !== "string" || !v.startsWith("-----BEGIN ")) throw new Error(`expected PEM text, got ${JSON.stringify(v)}`);
  return v;
}

/** The sha256 of every PEM made, a newline, then the server and CA certificates (to verify the chain). */
export function pkiFingerprint(): string {
  const rsa = pki.realPrivateKey("origin-key", { algorithm: "RSA", rsaBits: 2048 });
  const ca = pki.realPrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const caCert = pki.realSelfSignedCert("ca-cert", {
    privateKeyPem: ca.privateKeyPem,
    isCaCertificate: true,
    validityPeriodHours: 24,
    allowedUses: ["cert_signing"],
    subject: { commonName: "ca" },
  });
  const key = pki.realPrivateKey("server-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const csr = pki.realCertRequest("server-csr", { privateKeyPem: key.privateKeyPem, dnsNames: ["a.test"], subject: { commonName: "a.test" } });
  const cert = pki.realLocallySignedCert("server-cert", {
    certRequestPem: csr.certRequestPem,
    caPrivateKeyPem: ca.privateKeyPem,
    caCertPem: caCert.certPem,
    validityPeriodHours: 24,
    allowedUses: ["server_auth"],
  });
  const origin = pki.realOriginCertificate("origin", {
    csr: pki.realCertRequest("origin-csr", { privateKeyPem: rsa.privateKeyPem }).certRequestPem,
    hostnames: ["a.test"],
    requestType: "origin-rsa",
    requestedValidity: 7,
  });
  const all = [rsa.privateKeyPem, pem(caCert.certPem), pem(csr.certRequestPem), pem(cert.certPem), pem(origin.certificate)].join("");
  return `${createHash("sha256").update(all).digest("hex")}\n${pem(cert.certPem)}${pem(caCert.certPem)}`;
}
