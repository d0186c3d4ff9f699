// Real keys and certificates for the fake cloud, so the offline plan and the tests see material
// that openssl and Node can verify: the tls:* handlers honour their inputs (algorithm, subject,
// SANs, CA flag, allowed uses, validity, signing by the given CA), which lets a test check that
// the inputs Berth sends produce a valid chain.
//
// Everything is a function of the resource's name and inputs, so two plans of the same tree in two
// processes are byte-identical (a plan diff then shows only real changes): keys are derived from
// that seed (EC and Ed25519 directly, RSA from seeded primes), and since openssl's ECDSA signatures
// use a random nonce, every certificate and request openssl builds is signed again with RFC 6979
// deterministic nonces (@noble/curves); RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic
// already. Certificates start at 00:00 UTC of the current day, so dates stay stable within a day.
import { execFileSync, spawnSync } from "node:child_process";
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { p256, p384 } from "@noble/curves/nist";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

type Inputs = Record<string, unknown>;

const cache = new Map<string, unknown>();
function cached<T>(kind: string, seed: string, inputs: unknown, make: () => T): T {
  const key = `${kind}\u0000${seed}\u0000${JSON.stringify(inputs)}`;
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

let opensslChecked: boolean | undefined;
/** True when the openssl binary runs (the fake cloud falls back to placeholder PEM text otherwise). */
export function opensslAvailable(): boolean {
  if (opensslChecked === undefined) opensslChecked = spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;
  return opensslChecked;
}

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

const CURVES: Record<string, { node: string; jwk: string; hash: string; bytes: number }> = {
  P224: { node: "secp224r1", jwk: "P-224", hash: "sha224", bytes: 28 },
  P256: { node: "prime256v1", jwk: "P-256", hash: "sha256", bytes: 32 },
  P384: { node: "secp384r1", jwk: "P-384", hash: "sha384", bytes: 48 },
};

function deriveKey(seed: string, algorithm: string, inputs: Inputs): KeyObject {
  if (algorithm === "ED25519") {
    const d = createHash("sha256").update(seed).digest();
    // PKCS#8 for Ed25519 is a fixed prefix and the 32-byte seed.
    return createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), d]), format: "der", type: "pkcs8" });
  }
  if (algorithm === "ECDSA") {
    const curve = CURVES[typeof inputs.ecdsaCurve === "string" ? inputs.ecdsaCurve : "P224"];
    if (!curve) throw new Error(`fake cloud: ECDSA curve ${String(inputs.ecdsaCurve)} is not supported offline (use P224, P256 or P384)`);
    const d = createHash(curve.hash).update(seed).digest().subarray(0, curve.bytes);
    const ecdh = createECDH(curve.node);
    ecdh.setPrivateKey(d);
    const pub = ecdh.getPublicKey();
    const n = curve.bytes;
    return createPrivateKey({
      key: { kty: "EC", crv: curve.jwk, d: b64url(d), x: b64url(pub.subarray(1, 1 + n)), y: b64url(pub.subarray(1 + n)) },
      format: "jwk",
    });
  }
  if (algorithm === "RSA") return seededRsaKey(seed, Number(inputs.rsaBits ?? 2048));
  throw new Error(`fake cloud: unknown key algorithm ${algorithm}`);
}

// ---------------------------------------------------------------------------------------------
// Seeded RSA: Node generates RSA keys only from the system's randomness, so primes come from a
// deterministic byte stream (HMAC-SHA256 in counter mode) and a Miller-Rabin test instead.

function byteStream(seed: string): (n: number) => Buffer {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (n) => {
    while (pool.length < n) pool = Buffer.concat([pool, createHmac("sha256", seed).update(String(counter++)).digest()]);
    const out = pool.subarray(0, n);
    pool = pool.subarray(n);
    return out;
  };
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

const SMALL_PRIMES = (() => {
  const out: bigint[] = [];
  for (let n = 3; out.length < 300; n += 2) if (out.every((p) => n % Number(p) !== 0)) out.push(BigInt(n));
  return out;
})();

function probablyPrime(n: bigint, next: (k: number) => Buffer): boolean {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  const bytes = (n.toString(16).length + 1) >> 1;
  for (let round = 0; round < 24; round++) {
    const a = 2n + (BigInt(`0x${next(bytes).toString("hex")}`) % (n - 3n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < r && composite; i++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

function seededPrime(bits: number, next: (k: number) => Buffer, e: bigint): bigint {
  for (;;) {
    const raw = next(bits / 8);
    raw[0] |= 0xc0; // top two bits set: the product has exactly 2*bits bits
    raw[raw.length - 1] |= 1;
    const candidate = BigInt(`0x${raw.toString("hex")}`);
    if ((candidate - 1n) % e !== 0n && probablyPrime(candidate, next)) return candidate;
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function seededRsaKey(seed: string, bits: number): KeyObject {
  if (bits % 16 !== 0 || bits < 1024) throw new Error(`fake cloud: RSA key size ${bits} is not supported offline (use 2048, 3072 or 4096)`);
  const next = byteStream(`rsa:${seed}`);
  const e = 65537n;
  const p = seededPrime(bits / 2, next, e);
  let q = seededPrime(bits / 2, next, e);
  while (q === p) q = seededPrime(bits / 2, next, e);
  const d = modInverse(e, (p - 1n) * (q - 1n));
  const b64 = (v: bigint): string => {
    const hex = v.toString(16);
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
  };
  return createPrivateKey({
    key: { kty: "RSA", n: b64(p * q), e: b64(e), d: b64(d), p: b64(p), q: b64(q), dp: b64(d % (p - 1n)), dq: b64(d % (q - 1n)), qi: b64(modInverse(q, p)) },
    format: "jwk",
  });
}

// ---------------------------------------------------------------------------------------------
// Deterministic signatures over what openssl built: a certificate and a certificate request are
// both SEQUENCE { body, signatureAlgorithm, signature BIT STRING }, so the body is signed again and
// the signature replaced.

/** One DER element at `offset`: where its content starts and where it ends. */
function derElement(der: Buffer, offset: number): { start: number; contentStart: number; end: number } {
  let len = der[offset + 1];
  let contentStart = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[offset + 2 + i];
    contentStart += n;
  }
  return { start: offset, contentStart, end: contentStart + len };
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const ECDSA_HASH_BY_OID: Record<string, string> = {
  // ecdsa-with-SHA256, -SHA384, -SHA512 (1.2.840.10045.4.3.2-4), DER-encoded
  "06082a8648ce3d040302": "sha256",
  "06082a8648ce3d040303": "sha384",
  "06082a8648ce3d040304": "sha512",
};

/** `pem` (one CERTIFICATE or CERTIFICATE REQUEST) with its ECDSA signature made deterministic. */
function deterministicSignature(pem: string, signingKeyPem: string): string {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(pem)?.[1];
  if (!label) throw new Error("fake cloud: not a PEM document");
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
  const outer = derElement(der, 0);
  const body = derElement(der, outer.contentStart);
  const alg = derElement(der, body.end);
  const algorithm = der.subarray(alg.contentStart, alg.end);
  const hash = ECDSA_HASH_BY_OID[algorithm.subarray(0, derElement(algorithm, 0).end).toString("hex")];
  if (!hash) return pem; // RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic already
  const jwk = createPrivateKey(signingKeyPem).export({ format: "jwk" });
  const curve = jwk.crv === "P-256" ? p256 : jwk.crv === "P-384" ? p384 : undefined;
  if (!curve || !jwk.d) throw new Error(`fake cloud: deterministic ECDSA signatures need a P-256 or P-384 key, not ${String(jwk.crv)}`);
  const digest = createHash(hash).update(der.subarray(body.start, body.end)).digest();
  const signature = Buffer.from(curve.sign(digest, Buffer.from(jwk.d, "base64url"), { prehash: false }).toDERRawBytes());
  const bitString = Buffer.concat([Buffer.from([0x03]), derLength(signature.length + 1), Buffer.from([0]), signature]);
  const content = Buffer.concat([der.subarray(body.start, alg.end), bitString]);
  const out = Buffer.concat([Buffer.from([0x30]), derLength(content.length), content]).toString("base64");
  return `-----BEGIN ${label}-----\n${out.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/** State of a tls.PrivateKey: real PEM keys (the OpenSSH fields are left to the caller). */
export function realPrivateKey(name: string, inputs: Inputs): { privateKeyPem: string; privateKeyPemPkcs8: string; publicKeyPem: string } {
  return cached("key", name, inputs, () => {
    const algorithm = typeof inputs.algorithm === "string" ? inputs.algorithm : "RSA";
    const key = deriveKey(`${name}:${JSON.stringify(inputs)}`, algorithm, inputs);
    // Like the tls provider: PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519.
    const privateKeyPem =
      algorithm === "RSA"
        ? key.export({ type: "pkcs1", format: "pem" })
        : algorithm === "ECDSA"
          ? key.export({ type: "sec1", format: "pem" })
          : key.export({ type: "pkcs8", format: "pem" });
    return {
      privateKeyPem: String(privateKeyPem),
      privateKeyPemPkcs8: String(key.export({ type: "pkcs8", format: "pem" })),
      publicKeyPem: String(createPublicKey(key).export({ type: "spki", format: "pem" })),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// openssl helpers

function withDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fake-pki-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(dir: string, args: string[]): string {
  try {
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`fake cloud: openssl ${args.join(" ")} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
}

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  province?: string;
  locality?: string;
}

function subjectArg(s: Subject | undefined): string {
  const parts: Array<[string, string | undefined]> = [
    ["C", s?.country],
    ["ST", s?.province],
    ["L", s?.locality],
    ["O", s?.organization],
    ["OU", s?.organizationalUnit],
    ["CN", s?.commonName],
  ];
  const text = parts
    .filter(([, v]) => v)
    .map(([k, v]) => `/${k}=${String(v).replace(/([/\\])/g, "\\$1")}`)
    .join("");
  return text || "/";
}

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
};

function sanLine(dnsNames: unknown, ipAddresses: unknown): string | undefined {
  const names = [
    ...((dnsNames as string[] | undefined) ?? []).map((n) => `DNS:${n}`),
    ...((ipAddresses as string[] | undefined) ?? []).map((ip) => `IP:${ip}`),
  ];
  return names.length ? `subjectAltName = ${names.join(",")}` : undefined;
}

function extensions(inputs: Inputs, san?: string): string {
  const uses = (inputs.allowedUses as string[] | undefined) ?? [];
  const unknown = uses.filter((u) => !(u in KEY_USAGE) && !(u in EXT_KEY_USAGE) && u !== "any_extended");
  if (unknown.length) throw new Error(`fake cloud: unknown allowedUses ${unknown.join(", ")}`);
  const ku = uses.filter((u) => u in KEY_USAGE).map((u) => KEY_USAGE[u]);
  const eku = uses.filter((u) => u in EXT_KEY_USAGE).map((u) => EXT_KEY_USAGE[u]);
  const lines = [
    `basicConstraints = critical, CA:${inputs.isCaCertificate ? "TRUE" : "FALSE"}`,
    ...(ku.length ? [`keyUsage = critical, ${ku.join(", ")}`] : []),
    ...(eku.length ? [`extendedKeyUsage = ${eku.join(", ")}`] : []),
    ...(inputs.setSubjectKeyId || inputs.isCaCertificate ? ["subjectKeyIdentifier = hash"] : []),
    "authorityKeyIdentifier = keyid",
    ...(san ? [san] : []),
  ];
  return `${lines.join("\n")}\n`;
}

const CA_CONFIG = `[ca]
default_ca = fake
[fake]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
copy_extensions = COPY
[anything]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
`;

function asn1Time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
/** 00:00 UTC today: certificates made the same day are identical in their dates. */
function startOfToday(): number {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

interface SignRequest {
  seed: string;
  csrPem: string;
  /** Signing key; for a self-signed certificate, the request's own key. */
  caKeyPem: string;
  /** Absent = self-signed. */
  caCertPem?: string;
  hours: number;
  extensions: string;
  /** Copy SANs from the request (tls.LocallySignedCert does); otherwise only `extensions`. */
  copyRequestExtensions: boolean;
}

function sign(req: SignRequest): { certPem: string; start: number; end: number } {
  return withDir((dir) => {
    fs.writeFileSync(path.join(dir, "ca.cnf"), req.copyRequestExtensions ? CA_CONFIG : CA_CONFIG.replace("copy_extensions = COPY", "copy_extensions = none"));
    fs.writeFileSync(path.join(dir, "index.txt"), "");
    // Positive serial derived from the seed.
    fs.writeFileSync(
      path.join(dir, "serial"),
      `${(parseInt(createHash("sha256").update(req.seed).digest("hex").slice(0, 1), 16) & 7).toString(16)}${createHash("sha256").update(req.seed).digest("hex").slice(1, 32)}\n`,
    );
    fs.writeFileSync(path.join(dir, "ca.key"), req.caKeyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "req.csr"), req.csrPem);
    fs.writeFileSync(path.join(dir, "ext.cnf"), req.extensions);
    const start = startOfToday();
    const end = start + req.hours * 3_600_000;
    const args = [
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-keyfile",
      "ca.key",
      "-in",
      "req.csr",
      "-startdate",
      asn1Time(start),
      "-enddate",
      asn1Time(end),
      "-extfile",
      "ext.cnf",
      "-notext",
      "-preserveDN",
      "-out",
      "cert.pem",
    ];
    if (req.caCertPem) {
      fs.writeFileSync(path.join(dir, "ca.crt"), req.caCertPem);
      args.push("-cert", "ca.crt");
    } else args.push("-selfsign");
    openssl(dir, args);
    const text = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    const certPem = deterministicSignature(text.slice(text.indexOf("-----BEGIN CERTIFICATE-----")), req.caKeyPem);
    return { certPem, start, end };
  });
}

function makeCsr(keyPem: string, subject: Subject | undefined, san: string | undefined): string {
  return withDir((dir) => {
    fs.writeFileSync(path.join(dir, "key.pem"), keyPem, { mode: 0o600 });
    openssl(dir, [
      "req",
      "-new",
      "-key",
      "key.pem",
      "-subj",
      subjectArg(subject),
      ...(san ? ["-addext", san.replace(/^subjectAltName = /, "subjectAltName=")] : []),
      "-out",
      "req.csr",
    ]);
    return deterministicSignature(fs.readFileSync(path.join(dir, "req.csr"), "utf8"), keyPem);
  });
}

function certState(certPem: string, start: number, end: number): Record<string, unknown> {
  return { certPem, validityStartTime: rfc3339(start), validityEndTime: rfc3339(end), readyForRenewal: false };
}

/** tls.SelfSignedCert */
export function realSelfSignedCert(name: string, inputs: Inputs): Record<string, unknown> {
  return cached("self-signed", name, inputs, () => {
    const keyPem = String(inputs.privateKeyPem);
    const csr = makeCsr(keyPem, inputs.subject as Subject | undefined, undefined);
    const { certPem, start, end } = sign({
      seed: `${name}:${JSON.stringify(inputs)}`,
      csrPem: csr,
      caKeyPem: keyPem,
      hours: Number(inputs.validityPeriodHours),
      extensions: extensions(inputs, sanLine(inputs.dnsNames, inputs.ipAddresses)),
      copyRequestExtensions: false,
    });
    return certState(certPem, start, end);
  });
}

/** tls.CertRequest */
export function realCertRequest(name: string, inputs: Inputs): Record<string, unknown> {
  return cached("csr", name, inputs, () => ({
    certRequestPem: makeCsr(String(inputs.privateKeyPem), inputs.subject as Subject | undefined, sanLine(inputs.dnsNames, inputs.ipAddresses)),
  }));
}

/** tls.LocallySignedCert: subject and SANs come from the request, as in the tls provider. */
export function realLocallySignedCert(name: string, inputs: Inputs): Record<string, unknown> {
  return cached("locally-signed", name, inputs, () => {
    const { certPem, start, end } = sign({
      seed: `${name}:${JSON.stringify(inputs)}`,
      csrPem: String(inputs.certRequestPem),
      caKeyPem: String(inputs.caPrivateKeyPem),
      caCertPem: String(inputs.caCertPem),
      hours: Number(inputs.validityPeriodHours),
      extensions: extensions(inputs),
      copyRequestExtensions: true,
    });
    return certState(certPem, start, end);
  });
}

/** A stand-in for Cloudflare's Origin CA (ECDSA P-256 root), made once per process. */
function fakeOriginCa(): { keyPem: string; certPem: string } {
  return cached("origin-ca", "cloudflare", {}, () => {
    const keyPem = realPrivateKey("fake-cloudflare-origin-ca", { algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem;
    const inputs = { isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"] };
    const csr = makeCsr(keyPem, { commonName: "Fake Cloudflare Origin CA (Berth offline plan)", organization: "Berth" }, undefined);
    const { certPem } = sign({
      seed: "fake-cloudflare-origin-ca",
      csrPem: csr,
      caKeyPem: keyPem,
      hours: 20 * 365 * 24,
      extensions: extensions(inputs),
      copyRequestExtensions: false,
    });
    return { keyPem, certPem };
  });
}

/** The fake Origin CA's root certificate (tests verify Origin certificates against it). */
export function fakeOriginCaCertPem(): string {
  return fakeOriginCa().certPem;
}

/** cloudflare.OriginCaCertificate: signs the CSR for `hostnames` (Cloudflare ignores the CSR's own names). */
export function realOriginCertificate(name: string, inputs: Inputs): Record<string, unknown> {
  return cached("origin", name, inputs, () => {
    const ca = fakeOriginCa();
    const days = Number(inputs.requestedValidity ?? 5475);
    const { certPem, end } = sign({
      seed: `${name}:${JSON.stringify(inputs)}`,
      csrPem: String(inputs.csr),
      caKeyPem: ca.keyPem,
      caCertPem: ca.certPem,
      hours: days * 24,
      extensions: extensions({ allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"] }, sanLine(inputs.hostnames, [])),
      copyRequestExtensions: false,
    });
    // Cloudflare's format, e.g. "2041-11-18 00:00:00 +0000 UTC".
    const expiresOn = `${new Date(end).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
    return { certificate: certPem, expiresOn };
  });
}
