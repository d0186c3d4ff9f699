// Real openssl against the certificates Berth asks for: the self-signed chain verifies for the
// host's IP and every served name and completes a TLS handshake; the Origin CA certificate
// carries the proxied names; and the provided-certificate validation rejects a mismatched key, a
// missing name and an expired certificate made by openssl here. Missing openssl fails, never skips.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../cli/local/procs";
import { validateProvidedTls } from "../../lib/certificates";
import { ConfigError } from "../../config";
import { fakeOriginCaCertPem } from "../../offline/fakePki";
import { requireBinaries, scratchDir } from "../helpers/procs";
import { one, plain, run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const { openssl } = requireBinaries("openssl");
const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) p.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function ssl(args: string[], cwd: string): string {
  return execFileSync(openssl, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function sslFails(args: string[], cwd: string): string {
  try {
    execFileSync(openssl, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ""}${err.stderr ?? ""}`;
  }
  throw new Error(`openssl ${args.join(" ")} unexpectedly succeeded`);
}
function dir(prefix: string): string {
  const d = scratchDir(prefix);
  dirs.push(d);
  return d;
}

/** Writes the stack's CA, server certificate and server key as a CI agent or the host would get them. */
function writeSelfSigned(r: RunResult, d: string): void {
  fs.writeFileSync(path.join(d, "ca.crt"), String(r.outputs.tlsCaCertificate));
  fs.writeFileSync(path.join(d, "server.crt"), String(one(r, "tls:index/locallySignedCert:LocallySignedCert", "tls-server-cert").state.certPem));
  fs.writeFileSync(path.join(d, "server.key"), String(plain(one(r, "tls:index/privateKey:PrivateKey", "tls-server-key").state.privateKeyPem)), { mode: 0o600 });
}

describe("self-signed (dev): clients connect by IP", async () => {
  const r = await sharedRun("dev");
  const ip = String(r.outputs.hostPublicIp);
  const d = dir("tls-dev");
  writeSelfSigned(r, d);

  it("verifies the server certificate against the published CA, for TLS servers", () => {
    expect(ssl(["verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "server.crt"], d).trim()).toBe("server.crt: OK");
  });

  it("carries the host's public IP as a SAN and verifies for that IP only", () => {
    expect(ssl(["x509", "-in", "server.crt", "-noout", "-ext", "subjectAltName"], d)).toContain(`IP Address:${ip}`);
    expect(ssl(["verify", "-CAfile", "ca.crt", "-verify_ip", ip, "server.crt"], d).trim()).toBe("server.crt: OK");
    expect(sslFails(["verify", "-CAfile", "ca.crt", "-verify_ip", "203.0.113.254", "server.crt"], d)).toMatch(/IP address mismatch/);
  });

  it("has a CA that may sign and a server certificate that may not", () => {
    const ca = ssl(["x509", "-in", "ca.crt", "-noout", "-ext", "basicConstraints,keyUsage"], d);
    expect(ca).toMatch(/CA:TRUE/);
    expect(ca).toMatch(/Certificate Sign, CRL Sign/);
    const server = ssl(["x509", "-in", "server.crt", "-noout", "-ext", "basicConstraints,keyUsage,extendedKeyUsage"], d);
    expect(server).toMatch(/CA:FALSE/);
    expect(server).toMatch(/TLS Web Server Authentication/);
  });

  it("pairs the server certificate with its key", () => {
    expect(ssl(["x509", "-in", "server.crt", "-noout", "-pubkey"], d)).toBe(ssl(["pkey", "-in", "server.key", "-pubout"], d));
  });

  it("completes a TLS handshake that a client verifies by IP with only ca.crt (what Docker and curl do)", async () => {
    // A free port no rehearsal has claimed: a random one could be a running rehearsal's live port, whose
    // DNAT rule would hand this handshake to that rehearsal's app.
    const port = await freePort();
    const server = spawn(openssl, ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", "server.crt", "-key", "server.key", "-www", "-quiet"], {
      cwd: d,
      stdio: "ignore",
    });
    procs.push(server);
    let out = "";
    let status: number | null = null;
    // Up to 15 s for the server to listen: the machine may be busy with other files' load.
    for (let i = 0; i < 150; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const c = spawnSync(openssl, ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", "ca.crt", "-verify_ip", ip, "-verify_return_error", "-brief"], {
        cwd: d,
        encoding: "utf8",
        input: "",
      });
      out = `${c.stdout}${c.stderr}`;
      status = c.status;
      if (!/Connection refused|connect:errno/i.test(out)) break;
    }
    server.kill();
    expect(out).toMatch(/Verification: OK/);
    expect(status).toBe(0);
  });
});

describe("self-signed with names (prod shape)", async () => {
  const r = await run(stackWith("prod", { tls: { mode: "self-signed" } }));
  const d = dir("tls-prod-self");
  writeSelfSigned(r, d);
  it.each(["example.com", "www.example.com", "example.net", "www.example.net", "jenkins.example.com", "docker.example.com"])("verifies for %s", (name) => {
    expect(ssl(["verify", "-CAfile", "ca.crt", "-verify_hostname", name, "server.crt"], d).trim()).toBe("server.crt: OK");
  });
  it("does not verify for a name it does not serve", () => {
    expect(sslFails(["verify", "-CAfile", "ca.crt", "-verify_hostname", "admin.example.com", "server.crt"], d)).toMatch(/hostname mismatch/);
  });
});

describe("cloudflare-origin", async () => {
  const prodProxy = section("prod", "proxy") as { apps: unknown[] };
  const r = await run(
    stackWith("prod", { registry: { enabled: false }, proxy: { enabled: true, apps: [prodProxy.apps[1]] }, tls: { mode: "cloudflare-origin" } }),
  );
  const d = dir("tls-origin");
  fs.writeFileSync(path.join(d, "origin-ca.crt"), fakeOriginCaCertPem());
  fs.writeFileSync(path.join(d, "origin.crt"), String(one(r, "cloudflare:index/originCaCertificate:OriginCaCertificate").state.certificate));
  fs.writeFileSync(path.join(d, "origin.key"), String(plain(one(r, "tls:index/privateKey:PrivateKey", "tls-origin-key").state.privateKeyPem)), { mode: 0o600 });
  it("is signed for the proxied names, for the key Berth made", () => {
    for (const name of ["example.net", "www.example.net"]) {
      expect(ssl(["verify", "-CAfile", "origin-ca.crt", "-verify_hostname", name, "origin.crt"], d).trim()).toBe("origin.crt: OK");
    }
    expect(ssl(["x509", "-in", "origin.crt", "-noout", "-pubkey"], d)).toBe(ssl(["pkey", "-in", "origin.key", "-pubout"], d));
  });
});

describe("provided: certificates made by openssl", () => {
  const d = dir("tls-provided");
  const caConfig =
    "[ca]\ndefault_ca=x\n[x]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n";
  fs.writeFileSync(path.join(d, "ca.cnf"), caConfig);
  let serial = 0x1000;
  /** Issues a leaf for `names` signed by the intermediate, valid between the given instants. */
  const issue = (base: string, names: string[], from: string, to: string, key = "leaf.key"): string => {
    fs.writeFileSync(path.join(d, "index.txt"), "");
    fs.writeFileSync(path.join(d, "serial"), `${(serial++).toString(16)}\n`);
    fs.writeFileSync(
      path.join(d, `${base}.ext`),
      `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`,
    );
    ssl(["req", "-new", "-key", key, "-subj", `/CN=${names[0]}`, "-out", `${base}.csr`], d);
    ssl(
      [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "int.crt",
        "-keyfile",
        "int.key",
        "-in",
        `${base}.csr`,
        "-startdate",
        from,
        "-enddate",
        to,
        "-extfile",
        `${base}.ext`,
        "-notext",
        "-out",
        `${base}.crt`,
      ],
      d,
    );
    return fs.readFileSync(path.join(d, `${base}.crt`), "utf8");
  };
  // Root -> intermediate -> leaves, and a second, unrelated key.
  ssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "root.key",
      "-subj",
      "/CN=Test Root",
      "-days",
      "3650",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      "root.crt",
    ],
    d,
  );
  ssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "int.key",
      "-subj",
      "/CN=Test Intermediate",
      "-out",
      "int.csr",
    ],
    d,
  );
  fs.writeFileSync(path.join(d, "int.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  ssl(
    ["x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial", "-days", "3650", "-extfile", "int.ext", "-out", "int.crt"],
    d,
  );
  ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key"], d);
  ssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.key"], d);
  const read = (f: string): string => fs.readFileSync(path.join(d, f), "utf8");
  const now = new Date();
  const stamp = (days: number): string =>
    new Date(now.getTime() + days * 86_400_000)
      .toISOString()
      .replace(/[-:T]/g, "")
      .replace(/\.\d{3}Z$/, "Z");
  const names = ["example.com", "www.example.com", "docker.example.com"];
  const good = issue("good", ["example.com", "*.example.com"], stamp(-1), stamp(90)) + read("int.crt");
  const base = { privateKeyPem: read("leaf.key"), names, minRemainingDays: 30, now };

  it("accepts a chain that openssl verifies, whose key matches and that covers every name", () => {
    fs.writeFileSync(path.join(d, "good-chain.crt"), good);
    expect(ssl(["verify", "-CAfile", "root.crt", "-untrusted", "int.crt", "good.crt"], d).trim()).toBe("good.crt: OK");
    expect(validateProvidedTls({ ...base, certificatePem: good })).toEqual([]);
  });

  it("rejects a key that belongs to another certificate", () => {
    expect(validateProvidedTls({ ...base, certificatePem: good, privateKeyPem: read("other.key") })).toEqual([
      {
        key: "berth:tlsPrivateKey",
        value: "(hidden)",
        message: expect.stringMatching(
          /^does not match the certificate in berth:tlsCertificate \(CN=example\.com, public key sha256:[0-9a-f]{16}\); set the key that belongs to it/,
        ),
      },
    ]);
  });

  it("rejects a certificate that misses a served name", () => {
    const narrow = issue("narrow", ["example.com", "www.example.com"], stamp(-1), stamp(90)) + read("int.crt");
    expect(validateProvidedTls({ ...base, certificatePem: narrow })).toEqual([
      {
        key: "berth:tlsCertificate",
        value: ["docker.example.com"],
        message: "does not cover docker.example.com (served by this stack); the certificate names example.com, www.example.com",
      },
    ]);
  });

  it("rejects an expired certificate, and one that expires within minRemainingDays", () => {
    const expired = issue("expired", ["example.com", "*.example.com"], stamp(-100), stamp(-10)) + read("int.crt");
    expect(sslFails(["verify", "-CAfile", "root.crt", "-untrusted", "int.crt", "expired.crt"], d)).toMatch(/certificate has expired/);
    expect(validateProvidedTls({ ...base, certificatePem: expired })).toEqual([
      {
        key: "berth:tlsCertificate",
        value: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        message: expect.stringMatching(/^the server certificate \(CN=example\.com\) expired on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; renew it$/),
      },
    ]);
    const soon = issue("soon", ["example.com", "*.example.com"], stamp(-1), stamp(10)) + read("int.crt");
    expect(validateProvidedTls({ ...base, certificatePem: soon })[0].message).toMatch(
      /expires on .*, in (9|10) day\(s\), within berth:tls\.minRemainingDays \(30\); renew it first$/,
    );
    expect(validateProvidedTls({ ...base, certificatePem: soon, minRemainingDays: 5 })).toEqual([]);
  });

  it("rejects a chain in the wrong order", () => {
    const reversed = read("int.crt") + read("good.crt");
    const messages = validateProvidedTls({ ...base, certificatePem: reversed }).map((p) => p.message);
    expect(messages).toContainEqual(
      expect.stringMatching(/^the first certificate \(CN=Test Intermediate\) is a CA certificate; put the server certificate first/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^certificate 1 of the chain \(CN=Test Intermediate\) is not signed by certificate 2 \(CN=example\.com\)/),
    );
  });

  it("stops the stack before any resource, naming the key", async () => {
    // prod serves names in two zones: one certificate for both.
    const both = issue("both", ["example.com", "*.example.com", "example.net", "*.example.net"], stamp(-1), stamp(90)) + read("int.crt");
    const attempt = run(stackWith("prod", { tls: { mode: "provided" } }, { tlsCertificate: both, tlsPrivateKey: read("other.key") }));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/berth:tlsPrivateKey = "\(hidden\)": does not match the certificate in berth:tlsCertificate/);
    const ok = await run(stackWith("prod", { tls: { mode: "provided" } }, { tlsCertificate: both, tlsPrivateKey: read("leaf.key") }));
    // The earliest expiry in the chain: the leaf's 90 days, not the intermediate's ten years.
    expect(ok.outputs.tlsCertificateExpiry).toBe(new Date(new X509Certificate(both).validTo).toISOString().replace(/\.\d{3}Z$/, "Z"));
  });
});
