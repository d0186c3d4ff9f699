// A stack with passphrase secrets for the plan tests: a copy of dev named `vault`, with an
// `encryptionsalt` and one secure value (berth:registryPassword, written as `pulumi config set
// --secret` would), in a temporary directory the file's hooks make and remove.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { writeStackSecret } from "../../offline/stackFile";

const ROOT = path.resolve(__dirname, "../..");
export const VAULT_PASSPHRASE = "plan secrets test passphrase";
export const VAULT_VALUE = "Vault-registry-pw-93817";

/** Registers beforeAll/afterAll for the vault stack; returns its directory (valid inside tests). */
export function useVaultStack(): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-secrets-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const file = path.join(dir, "Pulumi.vault.yaml");
    fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), file);
    writeStackSecret(file, "berth:registryPassword", [], VAULT_VALUE, VAULT_PASSPHRASE);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!dir) throw new Error("the vault stack exists only inside tests (beforeAll)");
    return dir;
  };
}
