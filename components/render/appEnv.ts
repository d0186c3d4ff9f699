// Pure renderer: an app's runtime files on the host. Per part a root-only env file (clear values,
// single-line secrets, `<NAME>_FILE` for multi-line ones, the database names, PORT) and a directory of
// multi-line secrets the container gets read-only at /run/secrets. All of it is secret: it is delivered
// over the secret channel (command stdin marked secret), never user data or a public bundle.
//
//   /etc/berth/apps/<app>/                 0700 root: nothing below is reachable by other host users
//   /etc/berth/apps/<app>/<part>.env       0600 root: `docker run --env-file`
//   /etc/berth/apps/<app>/secrets-<part>/  0755, files 0444: mounted at /run/secrets:ro, readable by the
//                                          container's user whatever its uid
import { partEnv, renderEnvFile } from "../../lib/appRuntime";
import { chmodDirectories, pruneFiles } from "./hostCommands";
import { HOST_PATHS, type HostFile } from "./paths";
import type { AppSettings } from "./settings";

/** The app parts of an app, in order. */
export const PART_ROLES = ["frontend", "backend"] as const;
export type PartRole = (typeof PART_ROLES)[number];

/** Where one part's runtime files live on the host. */
export function appEnvPaths(app: string, role: PartRole): { readonly dir: string; readonly envFile: string; readonly secretsDir: string } {
  const dir = `${HOST_PATHS.appsDir}/${app}`;
  return { dir, envFile: `${dir}/${role}.env`, secretsDir: `${dir}/secrets-${role}` };
}

/** What one app's files are rendered from besides its settings: the values of its secrets and database. */
export interface AppEnvValues {
  /** berth:appSecrets.<app>: NAME -> value. */
  readonly secrets: Readonly<Record<string, string>>;
  /** DATABASE_URL and DB_* when the app has `database: true` (lib/appDatabase.ts appDatabaseEnv). */
  readonly database?: Readonly<Record<string, string>>;
}

/** The app's runtime files (all secret), one env file and one secrets directory per part. */
export function appEnvFiles(app: AppSettings, values: AppEnvValues): HostFile[] {
  const files: HostFile[] = [];
  for (const role of PART_ROLES) {
    const part = app[role];
    if (!part) continue;
    const secrets: Record<string, string> = {};
    for (const name of part.secrets) {
      const v = values.secrets[name];
      if (v === undefined) throw new Error(`app ${app.name} ${role}: no value for secret ${name} (berth:appSecrets.${app.name}.${name})`);
      secrets[name] = v;
    }
    const env = partEnv({
      env: part.env,
      secrets,
      containerPort: part.containerPort,
      ...(app.database && values.database ? { database: values.database } : {}),
    });
    const paths = appEnvPaths(app.name, role);
    files.push({ path: paths.envFile, mode: 0o600, secret: true, usedBy: [], content: renderEnvFile(env) });
    for (const [name, content] of Object.entries(env.files)) {
      files.push({ path: `${paths.secretsDir}/${name}`, mode: 0o444, secret: true, usedBy: [], content });
    }
  }
  return files;
}

/** Shell lines after the files are in place: the app's directory root-only, secrets no longer declared gone. */
export function appEnvAfter(app: AppSettings, files: readonly HostFile[]): string[] {
  const lines: string[] = [];
  for (const role of PART_ROLES) {
    if (!app[role]) continue;
    const paths = appEnvPaths(app.name, role);
    const keep = files.filter((f) => f.path.startsWith(`${paths.secretsDir}/`)).map((f) => f.path.slice(paths.secretsDir.length + 1));
    lines.push(pruneFiles(paths.secretsDir, keep));
  }
  lines.push(chmodDirectories("0700", [`${HOST_PATHS.appsDir}/${app.name}`]));
  return lines;
}
