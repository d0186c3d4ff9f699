// TLS material for the local rehearsal, made with the real openssl: a throwaway CA and one server
// certificate for every name the stack serves, plus localhost and 127.0.0.1 (clients reach the
// rehearsal by IP). The CA key stays in the rehearsal directory and never becomes a host file.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { requireBinary, runOk } from "./procs";

/** Files of the rehearsal's TLS material. */
export interface RehearsalTls {
  /** CA certificate clients trust (skopeo --dest-cert-dir holds a copy named ca.crt). */
  readonly caFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

/** Names and addresses in the server certificate's subjectAltName. */
export function rehearsalSans(names: readonly string[]): string {
  const dns = [...new Set([...names, "localhost"])].map((n) => `DNS:${n}`);
  return [...dns, "IP:127.0.0.1"].join(",");
}

/**
 * Creates (or reuses, when `dir` already holds them) a CA and a server certificate for `names`.
 * Reuse keeps a second `up` in the same directory consistent with files written create-only.
 */
export async function ensureRehearsalTls(dir: string, names: readonly string[], validityDays = 30): Promise<RehearsalTls> {
  const openssl = requireBinary("openssl");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string): string => path.join(dir, n);
  if (![f("ca.crt"), f("server.crt"), f("server.key")].every((p) => fs.existsSync(p))) {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await runOk(openssl, [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.crt"),
      "-days",
      String(validityDays),
      "-sha256",
      "-subj",
      "/CN=Berth local rehearsal CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await runOk(openssl, ["req", "-new", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", `/CN=${names[0] ?? "localhost"}`]);
    fs.writeFileSync(
      f("server.ext"),
      [
        `subjectAltName=${rehearsalSans(names)}`,
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "",
      ].join("\n"),
    );
    await runOk(openssl, [
      "x509",
      "-req",
      "-in",
      f("server.csr"),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      String(validityDays),
      "-sha256",
      "-extfile",
      f("server.ext"),
      "-out",
      f("server.crt"),
    ]);
    fs.chmodSync(f("ca.key"), 0o600);
    fs.chmodSync(f("server.key"), 0o600);
  }
  return {
    caFile: f("ca.crt"),
    certPem: fs.readFileSync(f("server.crt"), "utf8"),
    keyPem: fs.readFileSync(f("server.key"), "utf8"),
    caPem: fs.readFileSync(f("ca.crt"), "utf8"),
  };
}
