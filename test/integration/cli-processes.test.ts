// The CLIs as real processes: what only a process of its own shows. The plan (`npm run plan`, `tsx
// cli/plan.ts`): output byte-identical to a plan made in another process, keys and signatures
// included; the fake PKI's keys the same in any process; the exit code; passphrase secrets read from
// the environment, a wrong passphrase refused in one line. The outputs CLI writing $GITHUB_OUTPUT and
// masks; the local CLI's exit code on a usage error; the deploy CLI running the Pulumi CLI from PATH,
// or saying how to do without it. The in-process cases are in test/cli/<cli>.test.ts.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { EXIT, usage } from "../../cli/entry";
import { LOCAL_CLI } from "../../cli/local";
import { plainOutputs } from "../../cli/outputs";
import { runStack } from "../../offline/engine";
import type { Env } from "../../offline/stackFile";
import { pkiFingerprint } from "../helpers/pkiFingerprint";
import { planInProcess, type PlanCapture } from "../helpers/planCli";
import { useVaultStack, VAULT_PASSPHRASE, VAULT_VALUE } from "../helpers/vaultStack";
import { sharedRun } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

/** The plan CLI in this process (a run of its own, not another process's). */
function plan(...args: string[]): Promise<PlanCapture> {
  return planInProcess(args, { run: (file) => runStack(file) });
}

describe("npm run plan", () => {
  it("is byte-identical in two processes, keys and signatures included, and --out holds the plan alone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-"));
    try {
      // The way the README shows it: through npm, whose banner goes to stdout, not into the file.
      // npm passes its log level to child npm runs (npm_config_loglevel): under `npm run -s` the banner
      // would vanish, so the child gets npm's default level, as a user's shell has.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== "npm_config_loglevel"));
      const viaNpm = spawnSync("npm", ["run", "plan", "--", "prod", "--json", "--out", path.join(dir, "a.json")], { cwd: ROOT, encoding: "utf8", env });
      expect(viaNpm.status, viaNpm.stderr).toBe(0);
      expect(viaNpm.stdout).toContain("> berth@");
      // The second plan runs in this process, not in the npm one.
      const second = await plan("prod", "--json");
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
    // RSA keys and ECDSA signatures are random by nature; the fake PKI must not be. The same
    // function runs in a fresh process and in this one.
    const a = spawnSync(TSX, ["-e", 'process.stdout.write(require("./test/helpers/pkiFingerprint").pkiFingerprint())'], { cwd: ROOT, encoding: "utf8" });
    const b = { stdout: pkiFingerprint() };
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

  it("sets the process's exit code (a real process)", () => {
    const res = spawnSync(TSX, ["cli/plan.ts", "dev", "--out"], { cwd: ROOT, encoding: "utf8" });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^usage: npm run plan -- <stack>/);
    expect(res.stdout).toBe("");
  });
});

const vaultDir = useVaultStack();
const PASSPHRASE = VAULT_PASSPHRASE;
const VALUE = VAULT_VALUE;

/** `npm run -s plan -- vault --stack-dir DIR` in its own process, with the passphrase variables given (others removed). */
function npmPlan(extra: Env): SpawnSyncReturns<string> {
  const env: Record<string, string | undefined> = { ...process.env, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined, ...extra };
  return spawnSync("npm", ["run", "-s", "plan", "--", "vault", "--stack-dir", vaultDir()], { cwd: ROOT, encoding: "utf8", env });
}

describe("npm run plan on a stack with passphrase secrets", () => {
  it("plans with the real value when PULUMI_CONFIG_PASSPHRASE is set, and never prints it", () => {
    expect(fs.readFileSync(path.join(vaultDir(), "Pulumi.vault.yaml"), "utf8")).not.toContain(VALUE);
    const res = npmPlan({ PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Plan for stack "vault" of project "berth"/);
    expect(res.stdout).toMatch(/\n {2}registryPassword: \[secret\]\n/);
    expect(res.stdout).not.toContain(VALUE);
    expect(res.stdout).not.toContain("stand-in");
    expect(res.stderr).toBe("");
  });

  it("refuses a wrong passphrase in one line naming the stack file, exit 2", () => {
    const res = npmPlan({ PULUMI_CONFIG_PASSPHRASE: "not the passphrase" });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(
      `plan: ${path.join(vaultDir(), "Pulumi.vault.yaml")}: the passphrase from PULUMI_CONFIG_PASSPHRASE does not match the stack's encryptionsalt; set it to the passphrase the stack's secrets were encrypted with\n`,
    );
  });
});

describe("npm run outputs", () => {
  it("reads `pulumi stack output --json --show-secrets` from stdin and writes $GITHUB_OUTPUT, masking secrets in the log (a real process)", async () => {
    const plain = plainOutputs((await sharedRun("prod")).outputs);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-outputs-"));
    onTestFinished(() => fs.rmSync(outDir, { recursive: true, force: true })); // it holds the (fake) password
    const file = path.join(outDir, "github_output");
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["cli/outputs.ts", "prod", "--stdin", "--format", "github", "--show-secrets"], {
      cwd: ROOT,
      input: JSON.stringify(plain),
      encoding: "utf8",
      env: { ...process.env, GITHUB_OUTPUT: file },
    });
    expect(r.status, r.stderr).toBe(0);
    const written = fs.readFileSync(file, "utf8");
    expect(written).toContain("registryHost=docker.example.com\n");
    expect(written).toContain(`registryPassword=${String(plain.registryPassword)}\n`);
    for (const line of r.stdout.trimEnd().split("\n")) expect(line).toMatch(/^::add-mask::/);
    expect(r.stdout).toContain(`::add-mask::${String(plain.registryPassword)}\n`);
  });
});

describe("npm run local", () => {
  it("exits 2 with the help on a usage error (a real process)", () => {
    const r = spawnSync(TSX, ["cli/local.ts", "status", "web"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(EXIT.refused);
    expect(r.stderr).toBe(`${usage(LOCAL_CLI)}local: status needs --dir\n`);
    expect(r.stdout).toBe("");
  });
});

describe("npm run deploy as a process", () => {
  let scale: Record<string, unknown>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-deploy-cli-"));
  beforeAll(async () => {
    scale = plainOutputs((await sharedRun("scale")).outputs);
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A PATH with node and, when given, a fake `pulumi` that records its arguments and prints `outputs`. */
  function bin(name: string, outputs?: Record<string, unknown>): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.symlinkSync(process.execPath, path.join(dir, "node"));
    if (outputs) {
      fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
      const script = `const fs = require("fs");\nfs.writeFileSync(${JSON.stringify(`${dir}/args`)}, process.argv.slice(2).join(" ") + "\\n");\nprocess.stdout.write(fs.readFileSync(${JSON.stringify(`${dir}/outputs.json`)}));\n`;
      fs.writeFileSync(path.join(dir, "pulumi"), `#!/usr/bin/env node\n${script}`, { mode: 0o755 });
    }
    return dir;
  }
  const run = (argv: string[], pathDir: string) =>
    spawnSync(TSX, ["cli/deploy.ts", ...argv], { cwd: ROOT, encoding: "utf8", env: { HOME: tmp, PATH: pathDir }, timeout: 60_000 });

  it("runs `pulumi stack output --json --stack <stack>` for the outputs, and exits 2 for an app on the host", () => {
    const dir = bin("with-pulumi", scale);
    const r = run(["scale", "site", "v1"], dir);
    expect(r.stderr).toContain("deploy: app site runs on the host (runtime: host), not on ECS");
    expect(r.status).toBe(EXIT.refused);
    expect(fs.readFileSync(path.join(dir, "args"), "utf8")).toBe("stack output --json --stack scale\n");
  });

  it("exits 2 naming the way out when the Pulumi CLI is not installed", () => {
    const r = run(["scale", "shop", "v1"], bin("without-pulumi"));
    expect(r.stderr).toContain(
      "deploy: could not run `pulumi stack output --json --stack scale` (ENOENT): install the Pulumi CLI and log in, or pass --outputs FILE\n",
    );
    expect(r.status).toBe(EXIT.refused);
  });
});
