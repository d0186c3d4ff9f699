// The offline plan of a stack with passphrase secrets: a copy of dev with an `encryptionsalt` and one
// secure value (berth:registryPassword, written as `pulumi config set --secret` would). With the
// passphrase the real value is used and never printed; without one it runs on a marked stand-in and
// says so once. The same through npm in a process of its own, and a wrong passphrase's exit code:
// test/integration/plan-cli.test.ts.
import { describe, expect, it } from "vitest";
import { planInProcess, type PlanCapture } from "../helpers/planCli";
import { useVaultStack, VAULT_PASSPHRASE, VAULT_VALUE } from "../helpers/vaultStack";
import { runStack, type RunResult } from "../../offline/engine";
import { isSecretValue } from "../../offline/mocks";
import type { Env } from "../../offline/stackFile";

const vaultDir = useVaultStack();
const PASSPHRASE = VAULT_PASSPHRASE;
const VALUE = VAULT_VALUE;

/** The plan CLI in this process, with `env` as its environment; keeps the run it made. */
async function plan(env: Env, ...args: string[]): Promise<PlanCapture & { run?: RunResult }> {
  let run: RunResult | undefined;
  const out = await planInProcess(["vault", "--stack-dir", vaultDir(), ...args], { run: async (file) => (run = await runStack(file)), env });
  return { ...out, run };
}

describe("npm run plan on a stack with passphrase secrets", () => {
  it("uses the decrypted value as a secret: --json shows [secret] and the value nowhere", async () => {
    const res = await plan({ PULUMI_CONFIG_PASSPHRASE: PASSPHRASE }, "--json");
    expect(res.status, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { outputs: Record<string, unknown> };
    expect(doc.outputs.registryPassword).toBe("[secret]");
    expect(res.stdout).not.toContain(VALUE);
    const output = res.run!.outputs.registryPassword;
    expect(isSecretValue(output) && output.value).toBe(VALUE);
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
