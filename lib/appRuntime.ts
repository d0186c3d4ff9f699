// The app runtime contract, stated once: which environment names Berth reserves, which names an app
// part's containers get and from where (clear values, secrets, its database), and how a secret with a
// newline becomes a file. Config validation, the env-file renderer and the deploy program's `env`
// command all read it. Pure: no Pulumi, no I/O.
import { APP_DB_ENV, APP_DB_ENV_NAMES } from "./appDatabase";

/** Names Berth sets itself for an app's database (lib/appDatabase.ts owns them): an app may not declare them. */
export const DATABASE_ENV_NAMES: readonly string[] = APP_DB_ENV_NAMES;

/** The one name under `berth:appSecrets.<app>` that needs no declaration (an app with `database: true`): its DB_PASSWORD. */
export const DB_PASSWORD_SECRET = APP_DB_ENV.password;

/** Where a multi-line secret is mounted in the container (read-only). */
export const SECRETS_MOUNT = "/run/secrets";

/**
 * Whether a secret's value reaches the container as the file `/run/secrets/<NAME>` (and `<NAME>_FILE`)
 * rather than as an env value: it holds a line break, which an env file cannot carry. The one rule, for
 * the host's env files and the ECS task definitions alike.
 */
export function secretIsFile(value: string): boolean {
  return /[\r\n]/.test(value);
}

/** Why `name` cannot be declared by an app, or undefined when it can. */
export function reservedEnvProblem(name: string): string | undefined {
  if (name === "PORT") return "is reserved: Berth sets PORT to the part's containerPort";
  if (name.startsWith("BERTH_")) return "is reserved: BERTH_* names are Berth's";
  if (DATABASE_ENV_NAMES.includes(name)) return "is reserved: Berth sets it for an app with database: true";
  return undefined;
}

/** Where a value comes from, as `berth-deploy env` reports it. */
export type EnvSource = "clear" | "secret" | "secret-file" | "database" | "berth";

/** One name an app part's containers get. */
export interface EnvEntry {
  readonly name: string;
  readonly source: EnvSource;
  /** The value (a secret for secret, secret-file and database entries). */
  readonly value: string;
}

/** What one part's containers get: env-file lines and files under /run/secrets. */
export interface PartEnv {
  /** Every name with its source, sorted by name (env-file order). */
  readonly entries: readonly EnvEntry[];
  /** Multi-line secrets: NAME -> content, byte for byte. */
  readonly files: Readonly<Record<string, string>>;
}

/** The inputs of one part's environment. */
export interface PartEnvInput {
  /** Clear values from the stack file. */
  readonly env: Readonly<Record<string, string>>;
  /** Declared secret names and their values (from berth:appSecrets.<app>). */
  readonly secrets: Readonly<Record<string, string>>;
  /** The part's containerPort (PORT). */
  readonly containerPort: number;
  /** DATABASE_URL and DB_* when the app has a database. */
  readonly database?: Readonly<Record<string, string>>;
}

/**
 * The part's environment: clear values, single-line secrets, `<NAME>_FILE` for multi-line ones
 * (their content goes to a file instead), the database names and PORT. Throws on a value Docker's
 * env-file format cannot carry (a newline in a clear value or a database value).
 */
export function partEnv(input: PartEnvInput): PartEnv {
  const entries: EnvEntry[] = [{ name: "PORT", source: "berth", value: String(input.containerPort) }];
  const files: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.env)) {
    if (/[\r\n\0]/.test(value)) throw new Error(`env ${name}: a clear value cannot hold a newline; make it a secret (it then becomes /run/secrets/${name})`);
    entries.push({ name, source: "clear", value });
  }
  for (const [name, value] of Object.entries(input.secrets)) {
    if (value.includes("\0")) throw new Error(`secret ${name}: a value cannot hold a NUL byte`);
    if (secretIsFile(value)) {
      files[name] = value;
      entries.push({ name: `${name}_FILE`, source: "secret-file", value: `${SECRETS_MOUNT}/${name}` });
    } else entries.push({ name, source: "secret", value });
  }
  for (const [name, value] of Object.entries(input.database ?? {})) {
    if (/[\r\n\0]/.test(value)) throw new Error(`database ${name}: value cannot hold a newline`);
    entries.push({ name, source: "database", value });
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`env ${e.name} is set twice`);
    seen.add(e.name);
  }
  return { entries: entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), files };
}

/** Docker's `--env-file` text: one `NAME=value` line per entry (Docker takes the rest of the line verbatim). */
export function renderEnvFile(env: PartEnv): string {
  return env.entries.map((e) => `${e.name}=${e.value}\n`).join("");
}

/** The public description of a part's environment: names and sources, never values. */
export function envManifest(env: PartEnv): Array<{ readonly name: string; readonly source: EnvSource }> {
  return env.entries.map((e) => ({ name: e.name, source: e.source }));
}
