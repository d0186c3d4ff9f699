// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program:
// a flat map of "namespace:key" to string (objects and arrays as JSON text) plus the list of
// keys that were stored as secrets. Shared by the offline plan and the local rehearsal.
// `secure:` values of a stack with the passphrase secrets provider (an `encryptionsalt:` line) are
// decrypted with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, as the CLI does
// (./secrets.ts); any other secure value becomes a visibly marked stand-in, listed in `standIns`.
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, parse, parseDocument } from "yaml";
import { CONFIG_NAMESPACE, standInValue, type RawConfigInput } from "../config/input";
import {
  configPathName,
  newEncryptionSalt,
  passphraseFromFileText,
  resolveSecureValues,
  SecretsError,
  unlock,
  WrongPassphraseError,
  type ConfigPath,
  type Crypter,
} from "./secrets";

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  /** Every config key as Pulumi passes it to the program (PULUMI_CONFIG). */
  readonly config: Record<string, string>;
  /** Keys whose values are secrets. */
  readonly secretKeys: string[];
  /** Secure values that could not be read and hold a stand-in (standInValue) instead; absent or empty when none. */
  readonly standIns?: readonly UnreadableSecret[];
}

/** A secure value of a stack file: its key, where inside the key's value it sits, and the name it goes by. */
export interface SecureEntry {
  /** The config key, namespace included, e.g. `berth:appSecrets`. */
  readonly key: string;
  /** Where inside the key's value (empty for a top-level secret), as `pulumi config set --path` writes it. */
  readonly path: ConfigPath;
  /** `key` and `path` as one name, e.g. `berth:appSecrets.web.API_TOKEN`. */
  readonly name: string;
}

/** A secure value the offline tools cannot read, and what would let them. */
export interface UnreadableSecret extends SecureEntry {
  /** Why, as advice: e.g. "no passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE". */
  readonly reason: string;
}

/** A secure value that was decrypted. */
export interface DecryptedSecret extends SecureEntry {
  readonly value: string;
}

/** What a stack's secure values hold, for the rehearsal: readStackSecrets. */
export interface StackSecrets {
  readonly decrypted: readonly DecryptedSecret[];
  readonly unreadable: readonly UnreadableSecret[];
}

/** Where a passphrase comes from: the process environment unless a caller (a test) says otherwise. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The directory holding Pulumi.yaml (the repository root). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** A stack that cannot be read: a bad name, no stack file, a wrong passphrase. The message is for the user as it stands. */
export class StackFileError extends Error {}

/** The stack's config, secure values decrypted when the passphrase is at hand (see the header). Throws StackFileError. */
export function readStackFile(stack: string, dir: string = PROJECT_DIR, env: Env = process.env): StackFile {
  return loadStack(stack, dir, env).file;
}

/**
 * Every secure value of a stack: decrypted ones with their values, the others with the reason they
 * cannot be read (no passphrase, another secrets provider). For the local rehearsal, which must not
 * start an app on stand-ins. Throws StackFileError for a wrong passphrase or a missing stack.
 */
export function readStackSecrets(stack: string, dir: string = PROJECT_DIR, env: Env = process.env): StackSecrets {
  const { decrypted, file } = loadStack(stack, dir, env);
  return { decrypted, unreadable: file.standIns ?? [] };
}

/** The parts of a stack file this module reads. */
interface StackDoc {
  config?: Record<string, unknown>;
  encryptionsalt?: string;
  secretsprovider?: string;
}

function loadStack(stack: string, dir: string, env: Env): { file: StackFile; decrypted: DecryptedSecret[] } {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackFileError(`stack name "${stack}" may hold only letters, digits, _, . and -`);
  const projectDoc = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { name?: string };
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(dir)
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5));
    throw new StackFileError(`no stack file ${path.basename(file)}; known stacks: ${known.join(", ") || "(none)"}`);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as StackDoc;
  const project = projectDoc.name ?? "berth";
  const relative = path.relative(process.cwd(), file);
  const where = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
  const reader = secureReader(doc, env, where);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const standIns: UnreadableSecret[] = [];
  const decrypted: DecryptedSecret[] = [];
  for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
    // Keys without a namespace belong to the project, as in the Pulumi CLI.
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const { plain, secret } = resolveSecureValues(value, (at, ciphertext) => {
      const entry = { key, path: at, name: configPathName(key, at) };
      const read = reader(entry, ciphertext);
      if (read.value === undefined) {
        standIns.push({ ...entry, reason: read.reason });
        return standInValue(entry.name);
      }
      decrypted.push({ ...entry, value: read.value });
      return read.value;
    });
    if (secret) secretKeys.push(key);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { file: { project, stack, config, secretKeys, standIns }, decrypted };
}

type Reveal = (entry: SecureEntry, ciphertext: string) => { value: string; reason?: undefined } | { value?: undefined; reason: string };

/**
 * How this stack's secure values are read, chosen as the CLI chooses its secrets manager: a
 * `secretsprovider` other than passphrase wins, then `encryptionsalt` (the passphrase provider),
 * else the Pulumi Cloud's own provider. The key is derived (about a second) at the first secure value.
 */
function secureReader(doc: StackDoc, env: Env, where: string): Reveal {
  const provider = doc.secretsprovider;
  if (provider && provider !== "passphrase" && provider !== "default") {
    const scheme = provider.split("://")[0];
    return () => ({ reason: `the ${scheme} secrets provider cannot be read offline` });
  }
  const salt = doc.encryptionsalt;
  if (!salt) return () => ({ reason: "stored by the Pulumi Cloud secrets provider (no encryptionsalt), which cannot be read offline" });
  const phrase = passphraseFromEnv(env);
  if (!phrase) return () => ({ reason: "no passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" });
  let crypter: Crypter | undefined;
  return (entry, ciphertext) => {
    try {
      crypter ??= unlock(phrase.value, salt);
    } catch (e) {
      if (e instanceof WrongPassphraseError)
        throw new StackFileError(
          `${where}: the passphrase from ${phrase.source} does not match the stack's encryptionsalt; set it to the passphrase the stack's secrets were encrypted with`,
        );
      throw new StackFileError(`${where}: ${(e as Error).message}`);
    }
    try {
      return { value: crypter.decrypt(ciphertext) };
    } catch (e) {
      if (e instanceof SecretsError)
        throw new StackFileError(`${where}: ${entry.name} cannot be decrypted: ${e.message}; set it again with pulumi config set --secret`);
      throw e;
    }
  };
}

/** The passphrase as the CLI reads it: PULUMI_CONFIG_PASSPHRASE when set (even empty), else the file PULUMI_CONFIG_PASSPHRASE_FILE names, trimmed. */
export function passphraseFromEnv(env: Env = process.env): { value: string; source: string } | undefined {
  const direct = env.PULUMI_CONFIG_PASSPHRASE;
  if (direct !== undefined) return { value: direct, source: "PULUMI_CONFIG_PASSPHRASE" };
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (!file) return undefined;
  try {
    return { value: passphraseFromFileText(fs.readFileSync(path.resolve(file), "utf8")), source: `PULUMI_CONFIG_PASSPHRASE_FILE (${file})` };
  } catch (e) {
    throw new StackFileError(`PULUMI_CONFIG_PASSPHRASE_FILE=${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Writes one secret into a stack file as `pulumi config set --secret [--path]` would: encrypted
 * under the stack's passphrase (an `encryptionsalt` is made for a stack that has none), other lines
 * and comments kept. `key` includes the namespace (`berth:appSecrets`); `at` is the path inside it.
 * Throws StackFileError for a wrong passphrase or a stack with another secrets provider.
 */
export function writeStackSecret(file: string, key: string, at: ConfigPath, value: string, passphrase: string): void {
  const doc = parseDocument(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
  const provider = doc.get("secretsprovider");
  if (typeof provider === "string" && provider !== "passphrase" && provider !== "default")
    throw new StackFileError(`${file}: its secrets provider is ${provider}; only passphrase stacks can be written offline`);
  const salt = doc.get("encryptionsalt");
  let crypter: Crypter;
  if (typeof salt === "string") {
    try {
      crypter = unlock(passphrase, salt);
    } catch (e) {
      throw new StackFileError(`${file}: ${(e as Error).message}`);
    }
  } else {
    const made = newEncryptionSalt(passphrase);
    crypter = made.crypter;
    // The CLI writes encryptionsalt as the file's first key.
    doc.set("encryptionsalt", made.encryptionSalt);
    if (isMap(doc.contents)) doc.contents.items.unshift(doc.contents.items.pop()!);
  }
  doc.setIn(["config", key, ...at], doc.createNode({ secure: crypter.encrypt(value) }));
  fs.writeFileSync(file, doc.toString());
}

/** The slice of a stack file that config validation needs. */
export function toRawConfigInput(file: StackFile): RawConfigInput {
  const values: Record<string, string> = {};
  // Berth's keys, whatever the project is called (as loadConfig reads them).
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(file.config)) if (k.startsWith(prefix)) values[k.slice(prefix.length)] = v;
  return {
    project: file.project,
    stack: file.stack,
    region: file.config["aws:region"],
    values,
    secretKeys: new Set(file.secretKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))),
    // Stack files read here feed the offline tools (plan, rehearsal, tests), never a real update.
    target: "offline",
  };
}
