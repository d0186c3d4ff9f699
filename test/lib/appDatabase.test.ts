// lib/appDatabase.ts: the names of an app's database and user, the passwords Berth accepts, and
// the connection values an app receives. DATABASE_URL's encoding is checked three ways: exact
// strings, a round trip through the WHATWG URL parser (what Node drivers use) for any password, and
// Python's urllib (what SQLAlchemy's and dj-database-url's URL parsing rests on).
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  APP_DB_ENV_NAMES,
  appDatabaseEnv,
  appDatabaseName,
  appDatabasePasswordProblem,
  appDatabaseProblem,
  appDatabaseUser,
  databaseUrl,
  encodeUrlPart,
  rdsCaBundleUrl,
  type AppDatabaseConnection,
} from "../../lib/appDatabase";

const RESERVED = { masterUser: "berth", masterDatabase: "berth" };
const NASTY = "p@ss:/?#%+ &'\"\\é日😀!*()~";

describe("names", () => {
  it.each([
    ["web", "web"],
    ["my-app", "my_app"],
    ["a-b-c", "a_b_c"],
    ["a".repeat(31), "a".repeat(31)],
  ])("%s -> database and user %s", (app, name) => {
    expect(appDatabaseName(app)).toBe(name);
    expect(appDatabaseUser(app)).toBe(name);
  });

  it("throws past MySQL's user name limit (32), which no valid app name reaches", () => {
    expect(() => appDatabaseUser("a".repeat(33))).toThrow(/longer than MySQL's 32/);
  });

  it.each([
    ["mysql", /keeps for itself/],
    ["sys", /keeps for itself/],
    ["information-schema", /keeps for itself/],
    ["performance-schema", /keeps for itself/],
    ["rdsadmin", /keeps for itself/],
    ["innodb", /keeps for itself/],
    ["berth", /master user/],
  ])("refuses app %s", (app, message) => {
    expect(appDatabaseProblem(app, RESERVED)).toMatch(message);
  });

  it("refuses an app named like the stack's own database, accepts ordinary names", () => {
    expect(appDatabaseProblem("main-db", { masterUser: "admin", masterDatabase: "main_db" })).toMatch(/the one RDS creates/);
    expect(appDatabaseProblem("web", RESERVED)).toBeUndefined();
    expect(appDatabaseProblem("my-sql", RESERVED)).toBeUndefined();
  });
});

describe("passwords", () => {
  it.each([
    ["short", /at least 12/],
    ["twelve chars\nx", /control characters/],
    ["twelve chars\tx", /control characters/],
    ["twelve chars\0x", /control characters/],
    ["twelve chars\x7f", /control characters/],
  ])("refuses %j", (pw, message) => {
    expect(appDatabasePasswordProblem(pw)).toMatch(message);
  });

  it("accepts quotes, backslashes, URL delimiters, spaces and non-ASCII", () => {
    expect(appDatabasePasswordProblem(NASTY)).toBeUndefined();
  });
});

const conn = (over: Partial<AppDatabaseConnection> = {}): AppDatabaseConnection => ({
  host: "berth-dev-db.abc123.eu-central-1.rds.amazonaws.com",
  port: 3306,
  database: "web",
  user: "web",
  password: "secret",
  tls: true,
  ...over,
});

describe("DATABASE_URL", () => {
  it("is mysql://user:password@host:port/db with ssl-mode=REQUIRED when TLS is on", () => {
    expect(databaseUrl(conn())).toBe("mysql://web:secret@berth-dev-db.abc123.eu-central-1.rds.amazonaws.com:3306/web?ssl-mode=REQUIRED");
    expect(databaseUrl(conn({ host: "10.213.7.1", port: 40123, tls: false }))).toBe("mysql://web:secret@10.213.7.1:40123/web");
    expect(databaseUrl(conn({ host: "fd00::1", tls: false }))).toBe("mysql://web:secret@[fd00::1]:3306/web");
  });

  it("percent-encodes every reserved character of user and password (exact)", () => {
    expect(encodeUrlPart(NASTY)).toBe("p%40ss%3A%2F%3F%23%25%2B%20%26%27%22%5C%C3%A9%E6%97%A5%F0%9F%98%80%21%2A%28%29~");
    expect(databaseUrl(conn({ password: "a@b:c/d?e#f%g+h &i" }))).toBe(
      "mysql://web:a%40b%3Ac%2Fd%3Fe%23f%25g%2Bh%20%26i@berth-dev-db.abc123.eu-central-1.rds.amazonaws.com:3306/web?ssl-mode=REQUIRED",
    );
  });

  it("decodes back to the same user, password and database through the WHATWG URL parser (any text)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 24 }), fc.string({ minLength: 1, maxLength: 12 }), (password, user) => {
        const url = new URL(databaseUrl(conn({ user, password })));
        expect(url.protocol).toBe("mysql:");
        expect(url.hostname).toBe("berth-dev-db.abc123.eu-central-1.rds.amazonaws.com");
        expect(url.port).toBe("3306");
        expect(decodeURIComponent(url.username)).toBe(user);
        expect(decodeURIComponent(url.password)).toBe(password);
        expect(url.searchParams.get("ssl-mode")).toBe("REQUIRED");
      }),
      { numRuns: 300 },
    );
  });

  it("decodes back through Python's urllib.parse (unquote, not unquote_plus: + stays +)", () => {
    const url = databaseUrl(conn({ user: "my_app", password: NASTY, database: "my_app" }));
    const py = [
      "import json, sys",
      "from urllib.parse import urlsplit, unquote, parse_qs",
      "u = urlsplit(sys.argv[1])",
      "print(json.dumps([unquote(u.username), unquote(u.password), u.hostname, u.port, unquote(u.path[1:]), parse_qs(u.query)]))",
    ].join("\n");
    const r = spawnSync("python3", ["-c", py, url], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["my_app", NASTY, "berth-dev-db.abc123.eu-central-1.rds.amazonaws.com", 3306, "my_app", { "ssl-mode": ["REQUIRED"] }]);
  });
});

describe("the env an app receives", () => {
  it("is exactly DATABASE_URL and DB_HOST/PORT/NAME/USER/PASSWORD, the parts unencoded", () => {
    expect(appDatabaseEnv(conn({ password: NASTY }))).toEqual({
      DATABASE_URL: databaseUrl(conn({ password: NASTY })),
      DB_HOST: "berth-dev-db.abc123.eu-central-1.rds.amazonaws.com",
      DB_PORT: "3306",
      DB_NAME: "web",
      DB_USER: "web",
      DB_PASSWORD: NASTY,
    });
    expect([...APP_DB_ENV_NAMES].sort()).toEqual(["DATABASE_URL", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER"]);
  });
});

describe("the RDS CA bundle", () => {
  it("is the region's bundle on AWS's trust store", () => {
    expect(rdsCaBundleUrl("eu-central-1")).toBe("https://truststore.pki.rds.amazonaws.com/eu-central-1/eu-central-1-bundle.pem");
    expect(rdsCaBundleUrl("us-gov-west-1")).toBe("https://truststore.pki.rds.amazonaws.com/us-gov-west-1/us-gov-west-1-bundle.pem");
    expect(() => rdsCaBundleUrl("eu-central")).toThrow(/not an AWS region/);
    expect(() => rdsCaBundleUrl("../x")).toThrow(/not an AWS region/);
  });
});
