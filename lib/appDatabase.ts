// An app's own MySQL database (`database: true`), stated once: the names of its database and user,
// what a valid app password is, and the connection values every part of the app receives
// (`DATABASE_URL` and `DB_*`). Config validation, the creation step's SQL renderer
// (components/render/appDatabase.ts) and the env delivery all take them from here. Pure: no Pulumi, no I/O.
//
// Names: an app name is `^[a-z][a-z0-9-]{0,30}$` (lib/proxyRules.ts). The database and the user are
// the app name with every `-` turned into `_` (`my-app` -> `my_app`): `_` needs no quoting in SQL,
// URLs or shells, while `-` would need backticks in every statement an app writes. No app name holds
// `_`, so two apps never map to one name. The result is at most 31 characters, within MySQL's limits
// (64 for a database, 32 for a user name).

/** MySQL's longest database name (identifier limit). */
export const MYSQL_DATABASE_NAME_MAX = 64;
/** MySQL's longest user name (8.0 and later; MariaDB allows more). */
export const MYSQL_USER_NAME_MAX = 32;

/** Names the server keeps for itself: an app database or user by these names would be the server's own. */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  // MySQL's system schemas and its administrator; on RDS also the `innodb` schema and the
  // `rdsadmin`/`rdsrepladmin` users that RDS's own tooling uses.
  "mysql",
  "sys",
  "information_schema",
  "performance_schema",
  "root",
  "innodb",
  "rdsadmin",
  "rdsrepladmin",
]);

/** The name shared by an app's database and its user: the app name with `-` turned into `_`. */
function sqlName(app: string): string {
  return app.replace(/-/g, "_");
}

/** Name of `app`'s database: the app name with `-` turned into `_` (`my-app` -> `my_app`). */
export function appDatabaseName(app: string): string {
  const name = sqlName(app);
  if (name.length > MYSQL_DATABASE_NAME_MAX) throw new Error(`database name ${name} is longer than MySQL's ${MYSQL_DATABASE_NAME_MAX} characters`);
  return name;
}

/** Name of `app`'s MySQL user: the same as its database (`my-app` -> `my_app`). */
export function appDatabaseUser(app: string): string {
  const name = sqlName(app);
  if (name.length > MYSQL_USER_NAME_MAX) throw new Error(`user name ${name} is longer than MySQL's ${MYSQL_USER_NAME_MAX} characters`);
  return name;
}

/** What an app's database must not collide with: the stack's master user and the database RDS creates. */
export interface AppDatabaseReserved {
  /** Master user name (berth:database.username): an app user of that name would be the master. */
  readonly masterUser: string;
  /** The database RDS creates (berth:database.name): not an app's to own. */
  readonly masterDatabase: string;
}

/**
 * Why `app` cannot have its own database, or undefined when it can: its database or user name would
 * be one the server keeps for itself (`mysql`, `sys`, ...), the master user, or the stack's own database.
 */
export function appDatabaseProblem(app: string, reserved: AppDatabaseReserved): string | undefined {
  const name = sqlName(app);
  if (RESERVED_NAMES.has(name)) return `would get database and user "${name}", a name MySQL or RDS keeps for itself; rename the app`;
  if (name === reserved.masterUser) return `would get user "${name}", the stack's master user (berth:database.username); rename the app or the master user`;
  if (name === reserved.masterDatabase) return `would get database "${name}", the one RDS creates (berth:database.name); rename the app or that database`;
  return undefined;
}

/** Control characters (C0 and DEL): env files, option files and the host scripts are line-based. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Shortest app database password Berth accepts (as berth:registryPassword). */
export const APP_DB_PASSWORD_MIN = 12;

/**
 * Why `password` cannot be an app's database password (berth:appSecrets.<app>.DB_PASSWORD), or
 * undefined. Any printable text is fine, quotes, `@`, `#`, `%`, spaces and non-ASCII included
 * (every place it goes escapes it); control characters are not, since the env file, the client's
 * option file and the creation script are line-based.
 */
export function appDatabasePasswordProblem(password: string): string | undefined {
  if (password.length < APP_DB_PASSWORD_MIN) return `must be at least ${APP_DB_PASSWORD_MIN} characters; it has ${password.length}`;
  if (CONTROL.test(password)) return "must not contain control characters (newline, tab, NUL, ...): env files and MySQL option files are line-based";
  return undefined;
}

/** Where and as whom an app connects to its database. */
export interface AppDatabaseConnection {
  /** Server name or address (the RDS endpoint's address, or the rehearsal's bridge address). */
  readonly host: string;
  /** TCP port (3306 unless berth:database.port says otherwise). */
  readonly port: number;
  /** The app's database (`appDatabaseName`). */
  readonly database: string;
  /** The app's user (`appDatabaseUser`), never the master. */
  readonly user: string;
  /** The app's password (a secret). */
  readonly password: string;
  /** True: the URL asks for TLS (on AWS); false: plain (the rehearsal's private server). */
  readonly tls: boolean;
}

/** The query that makes `DATABASE_URL` ask for TLS: MySQL's own connection-URI option (see `databaseUrl`). */
export const TLS_URL_QUERY = "ssl-mode=REQUIRED";

/**
 * Percent-encodes everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`), bytes of
 * UTF-8. Stricter than encodeURIComponent, which leaves `!'()*` bare: some URL parsers treat those
 * as delimiters, and no decoder is hurt by an encoded one. A space is `%20`, never `+` (userinfo
 * decoders do not turn `+` into a space).
 */
export function encodeUrlPart(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `mysql://user:password@host:port/database`, user, password and database percent-encoded
 * (`encodeUrlPart`), an IPv6 address in brackets; with `tls`, `?ssl-mode=REQUIRED`.
 *
 * Why that query: there is no TLS option every driver reads from a URL. `ssl-mode=REQUIRED` is
 * MySQL's own connection-URI syntax (MySQL Shell, the X DevAPI connectors), and it says what the
 * server is asked for. mysql2 (Node) reads URL queries as its own option names (`ssl=...`) and only
 * warns about others; PyMySQL takes no URL at all (SQLAlchemy's `mysql+pymysql://` wants `ssl_ca=`);
 * Go's go-sql-driver/mysql takes a DSN (`user:pass@tcp(host:3306)/db?tls=...`), not a URL. So apps
 * that verify the server's certificate (README, "App databases") build their connection from the
 * `DB_*` values and the region's CA bundle, and `DATABASE_URL` serves the tools that read MySQL's form.
 */
export function databaseUrl(c: AppDatabaseConnection): string {
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  const query = c.tls ? `?${TLS_URL_QUERY}` : "";
  return `mysql://${encodeUrlPart(c.user)}:${encodeUrlPart(c.password)}@${host}:${c.port}/${encodeUrlPart(c.database)}${query}`;
}

/** The env names an app with `database: true` receives, one per value. */
export const APP_DB_ENV = {
  url: "DATABASE_URL",
  host: "DB_HOST",
  port: "DB_PORT",
  database: "DB_NAME",
  user: "DB_USER",
  password: "DB_PASSWORD",
} as const;

/** Every env name of `APP_DB_ENV`, so config can refuse an app env key that would shadow one. */
export const APP_DB_ENV_NAMES: readonly string[] = Object.values(APP_DB_ENV);

/** The env an app part receives for its database: `DATABASE_URL`, `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD` (values as is, unencoded). */
export function appDatabaseEnv(c: AppDatabaseConnection): Record<string, string> {
  return {
    [APP_DB_ENV.url]: databaseUrl(c),
    [APP_DB_ENV.host]: c.host,
    [APP_DB_ENV.port]: String(c.port),
    [APP_DB_ENV.database]: c.database,
    [APP_DB_ENV.user]: c.user,
    [APP_DB_ENV.password]: c.password,
  };
}

/** The region's RDS CA bundle (certificate bundles for specific AWS Regions, AWS's RDS user guide). */
export function rdsCaBundleUrl(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`${JSON.stringify(region)} is not an AWS region name`);
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}
