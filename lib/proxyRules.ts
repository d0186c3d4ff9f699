// Rules for what nginx serves, stated once. Config validation (config/schema.ts and
// config/validate/hostLayer.ts) reports them per key before any resource exists; the nginx
// renderer (components/render/nginx.ts) guards its own input with the same functions, so the two
// can never disagree on what is valid, and say so in the same words. Pure: no Pulumi, no I/O.

/** App names become upstream, file and container names (`<app>_frontend_blue`, live/<app>.conf). */
const APP_NAME = /^[a-z][a-z0-9-]*$/;
export const APP_NAME_MAX = 31;

/** Why `name` cannot name an app, or undefined when it can. */
export function appNameProblem(name: string): string | undefined {
  if (!APP_NAME.test(name) || name.length > APP_NAME_MAX) return `must be lower-case letters, digits or -, starting with a letter (${APP_NAME_MAX} at most)`;
  return undefined;
}

/** nginx's size syntax for client_max_body_size: bytes, or a number with k, m or g. */
const NGINX_SIZE = /^\d+[kmg]?$/;

/** Why `size` cannot be an nginx size, or undefined when it can. */
export function nginxSizeProblem(size: string): string | undefined {
  return NGINX_SIZE.test(size) ? undefined : "must be an nginx size like 10m (a number, optionally followed by k, m or g)";
}

/** Only one server block can be nginx's default for requests by IP or unknown names. */
export const CATCH_ALL_PROBLEM = "only one app may have no hostnames (the catch-all server reached by IP)";

/** True when more than one app would be the catch-all server (an app without hostnames). */
export function tooManyCatchAlls(apps: readonly { readonly hostnames: readonly string[] }[]): boolean {
  return apps.filter((a) => a.hostnames.length === 0).length > 1;
}

/** A served name and who serves it (a config key, or a description such as "app web"). */
export interface NameClaim {
  readonly name: string;
  readonly by: string;
}

/** A claim on a name that an earlier claim already holds, and the problem in words. */
export interface RepeatedClaim extends NameClaim {
  readonly firstBy: string;
  readonly message: string;
}

/** Every claim after the first on the same name: nginx can give each name to one server block only. */
export function repeatedClaims(claims: readonly NameClaim[]): RepeatedClaim[] {
  const first = new Map<string, string>();
  const out: RepeatedClaim[] = [];
  for (const c of claims) {
    const firstBy = first.get(c.name);
    if (firstBy === undefined) first.set(c.name, c.by);
    else out.push({ ...c, firstBy, message: `${c.name} is already served by ${firstBy}` });
  }
  return out;
}
