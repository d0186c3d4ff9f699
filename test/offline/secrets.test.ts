// Pulumi's passphrase secrets, read offline (offline/secrets.ts) and through the stack-file reader
// (offline/stackFile.ts). The fixed vectors were made by the Pulumi CLI itself, so they pin the
// format independently of our own encrypt: nonce size, tag placement, base64 flavour, the check value.
// Every passphrase and salt pair costs a PBKDF2 derivation of about a second: reuse them.
import { createDecipheriv } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  configPathName,
  decryptValue,
  deriveKey,
  encryptValue,
  newEncryptionSalt,
  parseEncryptionSalt,
  passphraseFromFileText,
  resolveSecureValues,
  SecretsError,
  unlock,
  WrongPassphraseError,
} from "../../offline/secrets";
import { readStackFile, readStackSecrets, StackFileError, writeStackSecret } from "../../offline/stackFile";

const ROOT = path.resolve(__dirname, "../..");

/**
 * pulumi/pulumi tests/roundtrip/roundtrip_test.go (TestConfigRoundtripComments): a stack file the CLI
 * wrote under the passphrase "TestConfigRoundtripComments", whose foo:d decrypts to "secret-value".
 */
const GO = {
  passphrase: "TestConfigRoundtripComments",
  encryptionSalt: "v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg==",
  value: "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==",
  plaintext: "secret-value",
} as const;
/** pulumi/pulumi pkg/secrets/passphrase/manager_test.go: this state opens with "password" and refuses "password123". */
const GO_MANAGER_STATE = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A stack directory holding Pulumi.yaml (project `project`) and Pulumi.<stack>.yaml with `text`. */
function stackDir(stack: string, text: string, project = "foo"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-secrets-"));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

/** The stack file of the roundtrip test, as the CLI left it. */
const GO_STACK = `encryptionsalt: ${GO.encryptionSalt}\nconfig:\n  foo:a: some-value\n  foo:d:\n    secure: ${GO.value} # comment on secret\n`;

describe("the CLI's format (crypt.go, passphrase/manager.go)", () => {
  it("decrypts a value the Pulumi CLI encrypted, after checking the passphrase against encryptionsalt", () => {
    expect(unlock(GO.passphrase, GO.encryptionSalt).decrypt(GO.value)).toBe(GO.plaintext);
    expect(() => unlock("password", GO_MANAGER_STATE)).not.toThrow();
  });

  it("refuses a wrong passphrase by the check value, with a clear message", () => {
    expect(() => unlock("password123", GO_MANAGER_STATE)).toThrow(WrongPassphraseError);
    expect(() => unlock("password123", GO_MANAGER_STATE)).toThrow(/^the passphrase does not match the stack's encryptionsalt$/);
  });

  it("encrypts byte for byte as the CLI does: with the CLI's nonce it reproduces the CLI's value", () => {
    const { salt } = parseEncryptionSalt(GO.encryptionSalt);
    expect(salt.length).toBe(8);
    const key = deriveKey(GO.passphrase, salt);
    expect(encryptValue(key, GO.plaintext, Buffer.from("T1ftqhY0hqr+EJK6", "base64"))).toBe(GO.value);
  });

  it("lays a value out as v1:<12-byte nonce>:<ciphertext><16-byte tag> in padded standard base64", () => {
    const key = deriveKey(GO.passphrase, parseEncryptionSalt(GO.encryptionSalt).salt);
    const plaintext = "ünïcode ✓ and a longer text than one block";
    const value = encryptValue(key, plaintext);
    const [version, nonce, sealed] = value.split(":");
    expect(version).toBe("v1");
    expect(Buffer.from(nonce, "base64")).toHaveLength(12);
    const bytes = Buffer.from(sealed, "base64");
    expect(bytes).toHaveLength(Buffer.byteLength(plaintext) + 16);
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // An independent AES-256-GCM open: the tag is the last 16 bytes.
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    expect(Buffer.concat([d.update(bytes.subarray(0, bytes.length - 16)), d.final()]).toString()).toBe(plaintext);
    expect(encryptValue(key, plaintext)).not.toBe(value); // a fresh nonce each time
    expect(decryptValue(key, value)).toBe(plaintext);
  });

  it("makes an encryptionsalt as `pulumi stack init` does: 8 bytes of salt and the encryption of 'pulumi'", () => {
    const { encryptionSalt, crypter } = newEncryptionSalt("round trip");
    const { salt, check } = parseEncryptionSalt(encryptionSalt);
    expect(salt).toHaveLength(8);
    expect(crypter.decrypt(check)).toBe("pulumi");
    expect(unlock("round trip", encryptionSalt).decrypt(crypter.encrypt("x"))).toBe("x");
  });

  it.each([
    ["another version", "v2:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==", /unknown value version "v2"/],
    ["a missing part", "v1:T1ftqhY0hqr+EJK6", /bad value: expected v1:<nonce>:<ciphertext>/],
    ["URL-safe base64", "v1:T1ftqhY0hqr-EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe_xR72GA==", /not standard padded base64/],
    ["a short nonce", "v1:T1ftqhY0hqr+:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==", /the nonce is 9 bytes, not 12/],
    ["a changed byte", "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx81tcavzuZY4tLatgIfoe/xR72GA==", /message authentication failed/],
  ])("refuses %s", (_, value, message) => {
    const key = deriveKey(GO.passphrase, parseEncryptionSalt(GO.encryptionSalt).salt);
    expect(() => decryptValue(key, value)).toThrow(SecretsError);
    expect(() => decryptValue(key, value)).toThrow(message);
  });

  it("reads a passphrase file as the CLI does (Go's strings.TrimSpace)", () => {
    expect(passphraseFromFileText("correct horse\n")).toBe("correct horse");
    expect(passphraseFromFileText("correct horse\r\n")).toBe("correct horse");
    expect(passphraseFromFileText(" \tcorrect horse \n\n")).toBe("correct horse");
    expect(passphraseFromFileText("\u00a0pw\u0085")).toBe("pw");
  });

  it("finds secure values at any depth and names them as --path does", () => {
    const seen: string[] = [];
    const r = resolveSecureValues({ web: { API_TOKEN: { secure: "v1:a:b" }, port: 3 }, list: [{ secure: "v1:c:d" }] }, (at, c) => {
      seen.push(`${configPathName("berth:appSecrets", at)}=${c}`);
      return "x";
    });
    expect(r).toEqual({ plain: { web: { API_TOKEN: "x", port: 3 }, list: ["x"] }, secret: true });
    expect(seen).toEqual(["berth:appSecrets.web.API_TOKEN=v1:a:b", "berth:appSecrets.list[0]=v1:c:d"]);
    expect(configPathName("app:x", ["a.b", 2])).toBe('app:x["a.b"][2]');
    expect(resolveSecureValues({ a: [1] }, () => "x")).toEqual({ plain: { a: [1] }, secret: false });
  });
});

describe("stack files with secure values", () => {
  it("decrypts with PULUMI_CONFIG_PASSPHRASE and keeps the key secret", () => {
    const file = readStackFile("go", stackDir("go", GO_STACK), { PULUMI_CONFIG_PASSPHRASE: GO.passphrase });
    expect(file.config).toEqual({ "foo:a": "some-value", "foo:d": "secret-value" });
    expect(file.secretKeys).toEqual(["foo:d"]);
    expect(file.standIns).toEqual([]);
  });

  it("reads the passphrase from PULUMI_CONFIG_PASSPHRASE_FILE, trimmed; PULUMI_CONFIG_PASSPHRASE wins when both are set", () => {
    const dir = stackDir("go", GO_STACK);
    const phraseFile = path.join(dir, "passphrase");
    fs.writeFileSync(phraseFile, `${GO.passphrase}\n`);
    expect(readStackFile("go", dir, { PULUMI_CONFIG_PASSPHRASE_FILE: phraseFile }).config["foo:d"]).toBe("secret-value");
    expect(() => readStackFile("go", dir, { PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: phraseFile })).toThrow(
      /the passphrase from PULUMI_CONFIG_PASSPHRASE does not match/,
    );
    expect(() => readStackFile("go", dir, { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dir, "missing") })).toThrow(
      /^PULUMI_CONFIG_PASSPHRASE_FILE=.*missing: cannot read it \(ENOENT\)$/,
    );
  });

  it("refuses a wrong passphrase in one line naming the stack file", () => {
    const dir = stackDir("go", GO_STACK);
    let error: unknown;
    try {
      readStackFile("go", dir, { PULUMI_CONFIG_PASSPHRASE: "not it" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackFileError);
    const message = (error as Error).message;
    expect(message).toBe(
      `${path.join(dir, "Pulumi.go.yaml")}: the passphrase from PULUMI_CONFIG_PASSPHRASE does not match the stack's encryptionsalt; set it to the passphrase the stack's secrets were encrypted with`,
    );
    expect(message).not.toContain("\n");
  });

  it("uses marked stand-ins without a passphrase, and lists them", () => {
    const file = readStackFile("go", stackDir("go", GO_STACK), {});
    expect(file.config["foo:d"]).toBe("[stand-in for foo:d]");
    expect(file.secretKeys).toEqual(["foo:d"]);
    expect(file.standIns).toEqual([
      { key: "foo:d", path: [], name: "foo:d", reason: "no passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" },
    ]);
  });

  it("uses stand-ins for another secrets provider (awskms), even with a passphrase, and without encryptionsalt", () => {
    const kms = "secretsprovider: awskms://alias/berth?region=us-east-1\nencryptedkey: AQICAHh=\nconfig:\n  foo:t:\n    secure: AAABAKz=\n";
    const file = readStackFile("kms", stackDir("kms", kms), { PULUMI_CONFIG_PASSPHRASE: "anything" });
    expect(file.config["foo:t"]).toBe("[stand-in for foo:t]");
    expect(file.standIns?.[0].reason).toBe("the awskms secrets provider cannot be read offline");
    const cloud = readStackFile("svc", stackDir("svc", "config:\n  foo:t:\n    secure: AAABAKz=\n"), { PULUMI_CONFIG_PASSPHRASE: "anything" });
    expect(cloud.config["foo:t"]).toBe("[stand-in for foo:t]");
    expect(cloud.standIns?.[0].reason).toMatch(/Pulumi Cloud secrets provider/);
  });

  it("writes nested --path secrets as `pulumi config set --secret --path` does and reads them back", () => {
    const dir = stackDir("nested", "# a comment that stays\nconfig:\n  aws:region: ap-northeast-2\n", "berth");
    const file = path.join(dir, "Pulumi.nested.yaml");
    writeStackSecret(file, "berth:appSecrets", ["web", "API_TOKEN"], "tok-7f3a", "nested pass");
    writeStackSecret(file, "berth:appSecrets", ["worker", "KEY"], "key-99", "nested pass");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toMatch(/^encryptionsalt: v1:[A-Za-z0-9+/]{11}=:v1:/);
    expect(text).toContain("# a comment that stays");
    expect(text).toMatch(/ {2}berth:appSecrets:\n {4}web:\n {6}API_TOKEN:\n {8}secure: v1:[^\n]+\n {4}worker:\n {6}KEY:\n {8}secure: v1:/);
    expect(text).not.toMatch(/tok-7f3a|key-99/);
    const env = { PULUMI_CONFIG_PASSPHRASE: "nested pass" };
    expect(JSON.parse(readStackFile("nested", dir, env).config["berth:appSecrets"])).toEqual({ web: { API_TOKEN: "tok-7f3a" }, worker: { KEY: "key-99" } });
    expect(() => writeStackSecret(file, "berth:x", [], "v", "other pass")).toThrow(/the passphrase does not match/);

    const secrets = readStackSecrets("nested", dir, env);
    expect(secrets.decrypted.map((s) => [s.name, s.value])).toEqual([
      ["berth:appSecrets.web.API_TOKEN", "tok-7f3a"],
      ["berth:appSecrets.worker.KEY", "key-99"],
    ]);
    const locked = readStackSecrets("nested", dir, {});
    expect(locked.decrypted).toEqual([]);
    expect(locked.unreadable.map((s) => [s.key, s.path])).toEqual([
      ["berth:appSecrets", ["web", "API_TOKEN"]],
      ["berth:appSecrets", ["worker", "KEY"]],
    ]);
  });

  it("leaves the shipped stacks readable without a passphrase: no encryptionsalt, no secure value", () => {
    for (const stack of ["dev", "prod"]) {
      expect(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).not.toMatch(/encryptionsalt|secure:/);
      expect(readStackFile(stack, ROOT, { PULUMI_CONFIG_PASSPHRASE: "ignored" }).standIns).toEqual([]);
    }
  });
});

describe("config validation of stand-ins", () => {
  it("skips the providers' value rules for a stand-in offline, and only offline", async () => {
    const { parseConfig } = await import("../../config");
    const { toRawConfigInput } = await import("../../offline/stackFile");
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const locked = `encryptionsalt: ${GO.encryptionSalt}\n${dev}  berth:registryPassword:\n    secure: ${GO.value}\n`;
    const input = toRawConfigInput(readStackFile("locked", stackDir("locked", locked, "berth"), {}));
    expect(input.values.registryPassword).toBe("[stand-in for berth:registryPassword]");
    expect(parseConfig(input).secrets.registryPassword).toBe("[stand-in for berth:registryPassword]");
    expect(() => parseConfig({ ...input, target: "cloud" })).toThrow(/berth:registryPassword = "\(hidden\)": must not contain ':'/);
  });
});
