// The app runtime's cross-field rules: env and secret names (not reserved, not twice), every declared
// secret has a value under berth:appSecrets and every value there is declared (a typo is caught before
// any cloud call), with the exact `pulumi config set` command in the message. Values are never echoed.
import { appDatabasePasswordProblem, appDatabaseProblem, appDatabaseUser, MYSQL_USER_NAME_MAX } from "../../lib/appDatabase";
import { DB_PASSWORD_SECRET, reservedEnvProblem } from "../../lib/appRuntime";
import { DEPLOY_PATTERNS } from "../../lib/deployRules";
import type { ConfigProblem } from "../errors";
import type { ParsedRaw } from "../schema";

/** Values under berth:appSecrets: app -> NAME -> value. */
export type AppSecrets = Readonly<Record<string, Readonly<Record<string, string>>>>;

const ENV_NAME = new RegExp(DEPLOY_PATTERNS.envName);
/** The one wording for a bad name (the schema's for `secrets` says the same). */
export const ENV_NAME_MESSAGE = "must be an environment variable name: A-Z, 0-9 and _, not starting with a digit";

const setCommand = (app: string, name: string): string => `pulumi config set --secret --path 'berth:appSecrets.${app}.${name}' <value>`;

/** Checks every app part's env and secrets (both runtimes) against each other and against berth:appSecrets. */
export function validateAppRuntime(raw: Pick<ParsedRaw, "proxy" | "database">, appSecrets: AppSecrets, add: (p: ConfigProblem) => void): void {
  const apps = raw.proxy.apps;
  for (const [i, app] of apps.entries()) {
    const declared = new Set<string>();
    for (const role of ["frontend", "backend"] as const) {
      const part = app[role];
      if (!part) continue;
      const at = `berth:proxy.apps[${i}].${role}`;
      for (const name of Object.keys(part.env)) {
        if (!ENV_NAME.test(name)) {
          add({ key: `${at}.env.${name}`, value: part.env[name], message: ENV_NAME_MESSAGE });
          continue;
        }
        const problem = reservedEnvProblem(name);
        if (problem) add({ key: `${at}.env.${name}`, value: part.env[name], message: problem });
        if (part.secrets.includes(name)) add({ key: `${at}.env.${name}`, value: part.env[name], message: `is also in ${at}.secrets; give it one source` });
      }
      for (const name of part.secrets) {
        const problem = reservedEnvProblem(name);
        if (problem) add({ key: `${at}.secrets`, value: name, message: problem });
        if (part.secrets.filter((n) => n === name).length > 1) add({ key: `${at}.secrets`, value: name, message: "is listed twice" });
        const fileName = `${name}_FILE`;
        if (fileName in part.env || part.secrets.includes(fileName))
          add({ key: `${at}.secrets`, value: name, message: `${fileName} is Berth's for this secret (when its value has a newline); rename the other` });
        declared.add(name);
        if (appSecrets[app.name]?.[name] === undefined)
          add({
            key: `berth:appSecrets.${app.name}.${name}`,
            value: undefined,
            message: `is declared by ${at}.secrets but has no value; set it: ${setCommand(app.name, name)}`,
          });
      }
    }
    if (app.database) {
      declared.add(DB_PASSWORD_SECRET);
      const at = `berth:proxy.apps[${i}].database`;
      if (appDatabaseUser(app.name).length > MYSQL_USER_NAME_MAX)
        add({ key: at, value: true, message: `app ${app.name} is too long for a MySQL user name (${MYSQL_USER_NAME_MAX} characters); shorten the name` });
      const problem = appDatabaseProblem(app.name, { masterUser: raw.database.username, masterDatabase: raw.database.name });
      if (problem) add({ key: at, value: true, message: `app ${app.name} ${problem}` });
      const given = appSecrets[app.name]?.[DB_PASSWORD_SECRET];
      const pwProblem = given === undefined ? undefined : appDatabasePasswordProblem(given);
      if (pwProblem) add({ key: `berth:appSecrets.${app.name}.${DB_PASSWORD_SECRET}`, value: "(hidden)", message: pwProblem });
    }
    for (const name of Object.keys(appSecrets[app.name] ?? {})) {
      if (declared.has(name)) continue;
      const hint = name === DB_PASSWORD_SECRET ? "only an app with database: true takes DB_PASSWORD" : `no part of ${app.name} declares it in secrets`;
      add({
        key: `berth:appSecrets.${app.name}.${name}`,
        value: "(hidden)",
        message: `is set but ${hint}; declare it, or remove it: pulumi config rm --path 'berth:appSecrets.${app.name}.${name}'`,
      });
    }
  }
  const known = new Set(apps.map((a) => a.name));
  for (const app of Object.keys(appSecrets)) {
    if (!known.has(app))
      add({
        key: `berth:appSecrets.${app}`,
        value: "(hidden)",
        message: `names no app of berth:proxy.apps (${[...known].join(", ") || "none"}); remove it: pulumi config rm --path 'berth:appSecrets.${app}'`,
      });
  }
}

/** berth:appSecrets as Pulumi hands it over (JSON text of an object of objects of strings), or a problem. */
export function parseAppSecrets(text: string, add: (p: ConfigProblem) => void): AppSecrets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    add({
      key: "berth:appSecrets",
      value: "(hidden)",
      message: "must be a mapping app -> NAME -> value, set with pulumi config set --secret --path 'berth:appSecrets.<app>.<NAME>' <value>",
    });
    return {};
  }
  const out: Record<string, Record<string, string>> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    add({ key: "berth:appSecrets", value: "(hidden)", message: "must be a mapping app -> NAME -> value" });
    return {};
  }
  for (const [app, names] of Object.entries(value as Record<string, unknown>)) {
    if (typeof names !== "object" || names === null || Array.isArray(names)) {
      add({ key: `berth:appSecrets.${app}`, value: "(hidden)", message: "must be a mapping NAME -> value" });
      continue;
    }
    out[app] = {};
    for (const [name, v] of Object.entries(names as Record<string, unknown>)) {
      if (typeof v !== "string" || v.length === 0)
        add({ key: `berth:appSecrets.${app}.${name}`, value: "(hidden)", message: "must be a non-empty text value" });
      else out[app][name] = v;
    }
  }
  return out;
}
