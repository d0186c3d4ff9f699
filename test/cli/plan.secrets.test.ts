// The offline plan of a stack with passphrase secrets: a copy of dev with an `encryptionsalt` and one
// secure value (berth:registryPassword, written as `pulumi config set --secret` would). With the
// passphrase the real value is used and never printed; with a wrong one the plan refuses in one line
// (exit 2); without one it runs on a marked stand-in and says so once.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planInProcess, type PlanCapture } from "../helpers/planCli";
import { runStack, type RunResult } from "../../offline/engine";
import { isSecretValue } from "../../offline/mocks";
import { writeStackSecret, type Env } from "../../offline/stackFile";

const ROOT = path.resolve(__dirname, "../..");
const PASSPHRASE = "plan secrets test passphrase";
const VALUE = "Vault-registry-pw-93817";
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-secrets-"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const file = path.join(dir, "Pulumi.vault.yaml");
  fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), file);
  writeStackSecret(file, "berth:registryPassword", [], VALUE, PASSPHRASE);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The plan CLI in this process, with `env` as its environment; keeps the run it made. */
async function plan(env: Env, ...args: string[]): Promise<PlanCapture & { run?: RunResult }> {
  let run: RunResult | undefined;
  const out = await planInProcess(["vault", "--stack-dir", dir, ...args], { run: async (file) => (run = await runStack(file)), env });
  return { ...out, run };
}

/** `npm run -s plan -- vault --stack-dir DIR` in its own process, with the passphrase variables given (others removed). */
function npmPlan(extra: Env): SpawnSyncReturns<string> {
  const env: Record<string, string | undefined> = { ...process.env, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined, ...extra };
  return spawnSync("npm", ["run", "-s", "plan", "--", "vault", "--stack-dir", dir], { cwd: ROOT, encoding: "utf8", env });
}

describe("npm run plan on a stack with passphrase secrets", () => {
  it("plans with the real value when PULUMI_CONFIG_PASSPHRASE is set, and never prints it", () => {
    expect(fs.readFileSync(path.join(dir, "Pulumi.vault.yaml"), "utf8")).not.toContain(VALUE);
    const res = npmPlan({ PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Plan for stack "vault" of project "berth"/);
    expect(res.stdout).toMatch(/\n {2}registryPassword: \[secret\]\n/);
    expect(res.stdout).not.toContain(VALUE);
    expect(res.stdout).not.toContain("stand-in");
    expect(res.stderr).toBe("");
  });

  it("uses the decrypted value as a secret: --json shows [secret] and the value nowhere", async () => {
    const res = await plan({ PULUMI_CONFIG_PASSPHRASE: PASSPHRASE }, "--json");
    expect(res.status, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { outputs: Record<string, unknown> };
    expect(doc.outputs.registryPassword).toBe("[secret]");
    expect(res.stdout).not.toContain(VALUE);
    const output = res.run!.outputs.registryPassword;
    expect(isSecretValue(output) && output.value).toBe(VALUE);
  });

  it("refuses a wrong passphrase in one line naming the stack file, exit 2", () => {
    const res = npmPlan({ PULUMI_CONFIG_PASSPHRASE: "not the passphrase" });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(
      `plan: ${path.join(dir, "Pulumi.vault.yaml")}: the passphrase from PULUMI_CONFIG_PASSPHRASE does not match the stack's encryptionsalt; set it to the passphrase the stack's secrets were encrypted with\n`,
    );
  });

  it("runs on a marked stand-in without a passphrase and names it once", async () => {
    const text = await plan({});
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).not.toContain(VALUE);
    const note =
      'Stand-ins: berth:registryPassword hold "[stand-in for <key>]" instead of their secure values (no passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE).';
    expect(text.stdout.endsWith(`\n\n${note}\n`)).toBe(true);
    expect(text.stdout.split("stand-in").length - 1).toBe(1);
    expect(text.stdout).toMatch(/\n {2}registryPassword: \[secret\]\n/);
    const output = text.run!.outputs.registryPassword;
    expect(isSecretValue(output) && output.value).toBe("[stand-in for berth:registryPassword]");

    const json = await plan({}, "--json");
    expect(json.status).toBe(0);
    expect(json.stderr).toBe(`plan: ${note}\n`);
    expect(JSON.parse(json.stdout)).toHaveProperty("outputs.registryPassword", "[secret]");
  });
});
