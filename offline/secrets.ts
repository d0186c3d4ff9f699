// Pulumi's passphrase secrets provider, read and written without the Pulumi CLI: the stack file's
// `encryptionsalt:` line and its `secure: v1:...` values, in the CLI's own format (pulumi/pulumi
// sdk/go/common/resource/config/crypt.go and pkg/secrets/passphrase/manager.go):
//   key            PBKDF2-HMAC-SHA256(passphrase as UTF-8, salt, 1,000,000 iterations, 32 bytes)
//   value          v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext with the 16-byte tag appended>
//   encryptionsalt v1:<base64 8-byte salt>:<the value of the text "pulumi" under that key>
// (base64 is the standard alphabet with padding, Go's base64.StdEncoding). A passphrase is right
// when the check value decrypts to "pulumi". Pure apart from Node's crypto: no files, no environment.
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";

/** PBKDF2 iterations of the CLI's key derivation (about a second of CPU). */
export const PBKDF2_ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 8;
/** What the check value in `encryptionsalt` decrypts to under the right passphrase. */
const CHECK_TEXT = "pulumi";
/** Go's base64.StdEncoding: standard alphabet, padded. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A secure value or an `encryptionsalt` that cannot be used; the message says what is wrong with it (never the value). */
export class SecretsError extends Error {}

/** The passphrase does not open this `encryptionsalt` (its check value does not decrypt to "pulumi"). */
export class WrongPassphraseError extends SecretsError {}

/** Encrypts and decrypts values under one key, as the CLI's symmetric crypter does. */
export interface Crypter {
  /** `v1:<nonce>:<ciphertext+tag>` with a fresh random nonce. */
  encrypt(plaintext: string): string;
  /** The plaintext of a `v1:` value; throws SecretsError when it is malformed or not made with this key. */
  decrypt(value: string): string;
}

/** The parts of an `encryptionsalt` line: `v1:<base64 salt>:<check value>`. */
export interface EncryptionSalt {
  readonly salt: Buffer;
  /** The encryption of "pulumi" under the stack's key (itself a `v1:` value). */
  readonly check: string;
}

function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new SecretsError(`${what} is not standard padded base64`);
  return Buffer.from(text, "base64");
}

/** Reads `encryptionsalt` as the CLI does (split at the first two colons; only version v1 exists). */
export function parseEncryptionSalt(state: string): EncryptionSalt {
  const first = state.indexOf(":");
  const second = first < 0 ? -1 : state.indexOf(":", first + 1);
  if (second < 0) throw new SecretsError("encryptionsalt is malformed: expected v1:<salt>:<check>");
  if (state.slice(0, first) !== "v1") throw new SecretsError(`encryptionsalt has unknown version "${state.slice(0, first)}" (only v1 exists)`);
  return { salt: decodeBase64(state.slice(first + 1, second), "encryptionsalt's salt"), check: state.slice(second + 1) };
}

// Derived keys by hash of (salt, passphrase): deriving takes about a second, and a process (a plan,
// the rehearsal, a test file) reads the same stack more than once.
const keys = new Map<string, Buffer>();

/** The AES-256 key for a passphrase and salt (PBKDF2-SHA256, 1e6 iterations); computed once per process. */
export function deriveKey(passphrase: string, salt: Buffer): Buffer {
  const id = createHash("sha256").update(salt.toString("base64")).update("\0").update(passphrase, "utf8").digest("hex");
  let key = keys.get(id);
  if (!key) {
    key = pbkdf2Sync(Buffer.from(passphrase, "utf8"), salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256");
    keys.set(id, key);
  }
  return key;
}

/** One value under `key`; `nonce` only for tests that pin the output (the CLI always draws a random one). */
export function encryptValue(key: Buffer, plaintext: string, nonce: Buffer = randomBytes(NONCE_BYTES)): string {
  if (nonce.length !== NONCE_BYTES) throw new SecretsError(`the nonce must be ${NONCE_BYTES} bytes`);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

/** The plaintext of a `v1:<nonce>:<ciphertext+tag>` value; SecretsError when malformed or made with another key. */
export function decryptValue(key: Buffer, value: string): string {
  const parts = value.split(":");
  if (parts.length !== 3) throw new SecretsError("bad value: expected v1:<nonce>:<ciphertext>");
  if (parts[0] !== "v1") throw new SecretsError(`unknown value version "${parts[0]}" (only v1 exists)`);
  const nonce = decodeBase64(parts[1], "the nonce");
  const sealed = decodeBase64(parts[2], "the ciphertext");
  if (nonce.length !== NONCE_BYTES) throw new SecretsError(`bad value: the nonce is ${nonce.length} bytes, not ${NONCE_BYTES}`);
  if (sealed.length < TAG_BYTES) throw new SecretsError("bad value: the ciphertext is shorter than its authentication tag");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretsError("message authentication failed: not encrypted with this stack's passphrase and salt");
  }
}

function crypterFor(key: Buffer): Crypter {
  return { encrypt: (plaintext) => encryptValue(key, plaintext), decrypt: (value) => decryptValue(key, value) };
}

/**
 * A crypter for a stack: derives the key from the passphrase and the salt in `encryptionsalt` and
 * checks it against the check value, as `pulumi` does before it reads any secret.
 * Throws WrongPassphraseError when it does not match, SecretsError when the line is malformed.
 */
export function unlock(passphrase: string, encryptionSalt: string): Crypter {
  const { salt, check } = parseEncryptionSalt(encryptionSalt);
  const key = deriveKey(passphrase, salt);
  let text: string | undefined;
  try {
    text = decryptValue(key, check);
  } catch {
    text = undefined;
  }
  if (text !== CHECK_TEXT) throw new WrongPassphraseError("the passphrase does not match the stack's encryptionsalt");
  return crypterFor(key);
}

/** A new `encryptionsalt` for a passphrase (8 random bytes of salt, as `pulumi stack init` makes), and its crypter. */
export function newEncryptionSalt(passphrase: string, salt: Buffer = randomBytes(SALT_BYTES)): { encryptionSalt: string; crypter: Crypter } {
  const key = deriveKey(passphrase, salt);
  return { encryptionSalt: `v1:${salt.toString("base64")}:${encryptValue(key, CHECK_TEXT)}`, crypter: crypterFor(key) };
}

/**
 * A passphrase file's content as the CLI takes it: Go's strings.TrimSpace (leading and trailing
 * Unicode white space, so a trailing newline or CRLF is dropped).
 */
export function passphraseFromFileText(text: string): string {
  const space = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  return text.replace(new RegExp(`^${space}+|${space}+$`, "gu"), "");
}

/** A position inside a config value: map keys and array indexes, as `pulumi config set --path` writes them. */
export type ConfigPath = readonly (string | number)[];

/** The name a nested value goes by, e.g. `berth:appSecrets.web.API_TOKEN` or `app:list[0]`. */
export function configPathName(key: string, path: ConfigPath): string {
  return path.reduce<string>(
    (name, p) => (typeof p === "number" ? `${name}[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `${name}.${p}` : `${name}[${JSON.stringify(p)}]`),
    key,
  );
}

/** Whether a stack file value is a secure one, `{ secure: <ciphertext> }`. */
export function isSecureValue(v: unknown): v is { secure: string } {
  return !!v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { secure?: unknown }).secure === "string";
}

/**
 * Replaces every secure value at any depth of a stack file value with `reveal(path, ciphertext)`;
 * `secret` says whether there was one (the CLI then marks the whole key secret).
 */
export function resolveSecureValues(
  value: unknown,
  reveal: (path: ConfigPath, ciphertext: string) => string,
  path: ConfigPath = [],
): { plain: unknown; secret: boolean } {
  if (isSecureValue(value)) return { plain: reveal(path, value.secure), secret: true };
  if (Array.isArray(value)) {
    const parts = value.map((v, i) => resolveSecureValues(v, reveal, [...path, i]));
    return { plain: parts.map((p) => p.plain), secret: parts.some((p) => p.secret) };
  }
  if (value && typeof value === "object") {
    let secret = false;
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const r = resolveSecureValues(v, reveal, [...path, k]);
      secret ||= r.secret;
      plain[k] = r.plain;
    }
    return { plain, secret };
  }
  return { plain: value, secret: false };
}
