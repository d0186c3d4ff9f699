// The offline plan is an interface: `npm run plan -- <stack> [--json] [--out FILE]`. These run the real CLI.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

function plan(...args: string[]) {
  return spawnSync(TSX, ["cli/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PULUMI_CONFIG: "", PULUMI_CONFIG_SECRET_KEYS: "" } });
}

describe("npm run plan", () => {
  it.each(["dev", "prod"])("--json prints exactly one document of the documented shape (%s)", (stack) => {
    const res = plan(stack, "--json");
    expect(res.status, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(["outputs", "project", "resources", "stack"]);
    expect(doc.stack).toBe(stack);
    expect(doc.project).toBe("berth");
    const resources = doc.resources as Array<Record<string, unknown>>;
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
      expect(Object.keys(r).sort()).toEqual(["id", "inputs", "name", "parent", "state", "type", "urn"]);
      if (r.type === "pulumi:pulumi:Stack") expect(r.parent).toBeNull();
      else expect(urns.has(r.parent as string), `${String(r.name)} parent`).toBe(true);
    }
    const outputs = doc.outputs as Record<string, unknown>;
    expect(outputs.hostSshPrivateKey).toBe("[secret]");
    expect(outputs.databasePassword).toBe("[secret]");
    expect(res.stdout).not.toContain("PRIVATE KEY");
    const db = resources.find((r) => r.type === "aws:rds/instance:Instance")!;
    expect((db.inputs as Record<string, unknown>).password).toBe("[secret]");
    // every reference resolved: no unknowns in an `up`-style plan
    expect(res.stdout).not.toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("prints no secret value anywhere, component states included", async () => {
    const { run, secretStrings } = await import("../helpers/stack");
    for (const stack of ["dev", "prod"]) {
      const secrets = secretStrings(await run(stack));
      expect(secrets.size).toBeGreaterThan(3);
      const res = plan(stack, "--json");
      for (const s of secrets) expect(res.stdout.includes(s), `a secret of ${stack} is printed`).toBe(false);
    }
  });

  it("is byte-identical in two processes, keys and signatures included, and --out holds the plan alone", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-"));
    try {
      // The way the README shows it: through npm, whose banner goes to stdout, not into the file.
      const viaNpm = spawnSync("npm", ["run", "plan", "--", "prod", "--json", "--out", path.join(dir, "a.json")], { cwd: ROOT, encoding: "utf8" });
      expect(viaNpm.status, viaNpm.stderr).toBe(0);
      expect(viaNpm.stdout).toContain("> berth@");
      const second = plan("prod", "--json");
      expect(second.status, second.stderr).toBe(0);
      const first = fs.readFileSync(path.join(dir, "a.json"), "utf8");
      expect(first.length).toBeGreaterThan(10_000);
      expect(first === second.stdout, "two plans of one tree differ").toBe(true);
      expect((first.match(/BEGIN CERTIFICATE/g) ?? []).length).toBeGreaterThan(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("derives every key and signature from the resource's name and inputs, in any process", () => {
    // RSA keys and ECDSA signatures are random by nature; the fake PKI must not be.
    const script = `
      const pki = require("./offline/fakePki");
      const { createHash } = require("node:crypto");
      const rsa = pki.realPrivateKey("origin-key", { algorithm: "RSA", rsaBits: 2048 });
      const ca = pki.realPrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      const caCert = pki.realSelfSignedCert("ca-cert", { privateKeyPem: ca.privateKeyPem, isCaCertificate: true, validityPeriodHours: 24, allowedUses: ["cert_signing"], subject: { commonName: "ca" } });
      const key = pki.realPrivateKey("server-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      const csr = pki.realCertRequest("server-csr", { privateKeyPem: key.privateKeyPem, dnsNames: ["a.test"], subject: { commonName: "a.test" } });
      const cert = pki.realLocallySignedCert("server-cert", { certRequestPem: csr.certRequestPem, caPrivateKeyPem: ca.privateKeyPem, caCertPem: caCert.certPem, validityPeriodHours: 24, allowedUses: ["server_auth"] });
      const origin = pki.realOriginCertificate("origin", { csr: pki.realCertRequest("origin-csr", { privateKeyPem: rsa.privateKeyPem }).certRequestPem, hostnames: ["a.test"], requestType: "origin-rsa", requestedValidity: 7 });
      const all = [rsa.privateKeyPem, caCert.certPem, csr.certRequestPem, cert.certPem, origin.certificate].join("");
      process.stdout.write(createHash("sha256").update(all).digest("hex") + "\\n" + cert.certPem + caCert.certPem);
    `;
    const runIt = () => spawnSync(TSX, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    const a = runIt();
    const b = runIt();
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout.split("\n")[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(b.stdout).toBe(a.stdout);
    // Still a valid chain after the deterministic re-signing.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-pki-"));
    try {
      const pems = a.stdout.slice(a.stdout.indexOf("\n") + 1);
      const split = pems.indexOf("-----BEGIN CERTIFICATE-----", 10);
      fs.writeFileSync(path.join(dir, "server.crt"), pems.slice(0, split));
      fs.writeFileSync(path.join(dir, "ca.crt"), pems.slice(split));
      const verify = spawnSync("openssl", ["verify", "-CAfile", "ca.crt", "server.crt"], { cwd: dir, encoding: "utf8" });
      expect(verify.stdout + verify.stderr).toContain("server.crt: OK");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints a readable tree by default", () => {
    const res = plan("dev");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Plan for stack "dev" of project "berth"/);
    expect(res.stdout).toMatch(/\+ berth:network:Network {2}network\n {4}\+ aws:ec2\/vpc:Vpc {2}network-vpc/);
    expect(res.stdout).toMatch(/cidrIpv4: 10\.20\.0\.\d+\/32/);
    expect(res.stdout).toMatch(/Outputs:\n(.|\n)*hostSshPrivateKey: \[secret\]/);
  });

  it("exits 2 with the validation message on invalid config, creating nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-"));
    try {
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace("adminCidrs: [198.51.100.0/24]", "adminCidrs: [0.0.0.0/0]");
      fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), dev);
      const res = plan("broken", "--stack-dir", dir);
      expect(res.status).toBe(2);
      expect(res.stderr).toContain('berth:firewall.adminCidrs[0] = "0.0.0.0/0": SSH and admin ports must not be open to the whole internet');
      expect(res.stdout).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("explains a missing stack and bad usage", () => {
    const missing = plan("staging");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no stack file Pulumi\.staging\.yaml; known stacks: dev, prod/);
    expect(plan().status).toBe(64);
    expect(() => execFileSync(TSX, ["cli/plan.ts", "dev", "--yaml"], { cwd: ROOT, stdio: "pipe" })).toThrow();
    expect(plan("dev", "--out").status).toBe(64);
  });
});
