// App databases against a real server: Debian's MariaDB (cli/local/mariadb.ts, the rehearsal's
// stand-in for RDS) on 127.0.0.1 and a free port. The rendered creation script (the very bash the
// `pulumi up` step feeds to the host, mariadb flavor) runs under bash with only the master login in
// its option file: it creates each app's database and user; a second run changes no user row,
// grant or fingerprint; each app user works in its own database and is refused (ERROR 1044) on
// another app's, on `mysql` and on Berth's `_berth`, including the `_`-wildcard case (`my_app`
// against `myxapp`); a changed password is applied once. Passwords carry quotes, backslashes,
// URL delimiters and non-ASCII, and DATABASE_URL's encoding is decoded and used for a real login.
//
// What MariaDB cannot run: MySQL 8's dual passwords (`RETAIN CURRENT PASSWORD`, `DISCARD OLD
// PASSWORD`). The mysql8 flavor (RDS) is pinned here as exact text, and MariaDB's refusal of it is
// shown, so a reader knows this file does not prove that SQL on MySQL 8.4.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDatabaseName, appDatabaseUser, databaseUrl } from "../../lib/appDatabase";
import {
  renderAppDatabaseScript,
  renderAppDatabasesSql,
  renderDiscardOldPasswordSql,
  passwordFingerprint,
  type AppDatabaseSpec,
} from "../../components/render/appDatabase";
import { createAdminUser, runSql, runSqlOk, startMariaDb, stopMariaDb, type MariaDbServer } from "../../cli/local/mariadb";
import { pidAlive, readPidFile, run } from "../../cli/local/procs";
import { requireBinaries, scratchDir } from "../helpers/procs";

const bin = requireBinaries("bash", "shellcheck", "mariadbd", "mariadb", "mariadb-install-db");
const MASTER = { user: "berth", password: `ma"ster 'pw' \\ #1 é` };
const WEB_PW = `we'b"\\p@ss:/?#%+ &é日😀`;
const APPS: AppDatabaseSpec[] = [
  { app: "web", password: WEB_PW },
  { app: "shop", password: "shop-password-1" },
  // `my_app` in a GRANT unescaped would also match `myxapp`.
  { app: "my-app", password: "my-app-password" },
  { app: "myxapp", password: "myxapp-password" },
];

const dir = scratchDir("app-db");
let server: MariaDbServer;
let pid: number | undefined;

beforeAll(async () => {
  server = await startMariaDb(path.join(dir, "server"), { host: "127.0.0.1" });
  pid = readPidFile(server.pidFile);
  await createAdminUser(server, MASTER);
});

afterAll(async () => {
  if (server) await stopMariaDb(server);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(pid !== undefined && pidAlive(pid), "mariadbd still running after stop").toBe(false);
  expect(fs.existsSync(dir)).toBe(false);
});

/** Runs the rendered creation script as the host step does (bash reading it on stdin), TMPDIR private so its option file can be seen to go. */
async function creationStep(apps: readonly AppDatabaseSpec[], adminOptionsFile?: string): Promise<void> {
  const script = renderAppDatabaseScript(
    { host: server.host, port: server.port, user: MASTER.user, password: MASTER.password },
    apps,
    "mariadb",
    adminOptionsFile,
  );
  const tmp = fs.mkdtempSync(path.join(dir, "step-"));
  const r = await run(bin.bash, ["-s"], { input: script, env: { ...process.env, TMPDIR: tmp } });
  expect(r.code, `${r.stderr}${r.stdout}`).toBe(0);
  expect(fs.readdirSync(tmp), "the option file with the master password outlived the step").toEqual([]);
  fs.rmSync(tmp, { recursive: true });
}

/** Every account row (MariaDB keeps password hash and password_last_changed in global_priv), every app's grants and Berth's fingerprints. */
async function snapshot(): Promise<string> {
  const rows = await runSqlOk(server, "SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host; SELECT * FROM _berth.app_password ORDER BY user;");
  const grants = await Promise.all(APPS.map((a) => runSqlOk(server, `SHOW GRANTS FOR '${appDatabaseUser(a.app)}'@'%';`)));
  return [rows.stdout, ...grants.map((g) => g.stdout)].join("\n");
}

const login = (app: string, password: string, database?: string) => ({ user: appDatabaseUser(app), password, database });
const pw = (app: string): string => APPS.find((a) => a.app === app)!.password;

describe("the creation script on MariaDB", () => {
  it("passes shellcheck", () => {
    const file = path.join(dir, "create.sh");
    fs.writeFileSync(file, renderAppDatabaseScript({ host: "127.0.0.1", port: 3306, user: MASTER.user, password: MASTER.password }, APPS, "mariadb"));
    const r = spawnSync(bin.shellcheck, ["--shell", "bash", "--severity", "warning", file], { encoding: "utf8" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it("creates one database and one user per app, with ALL on that database only", async () => {
    await creationStep(APPS);
    const dbs = (await runSqlOk(server, "SHOW DATABASES;")).stdout.split("\n");
    expect(dbs).toEqual(expect.arrayContaining(["web", "shop", "my_app", "myxapp", "_berth"]));
    const users = (await runSqlOk(server, "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE Host = '%' ORDER BY User;")).stdout.trim().split("\n").slice(1);
    expect(users).toEqual(["berth@%", "my_app@%", "myxapp@%", "shop@%", "web@%"]);
    const grants = (await runSqlOk(server, "SHOW GRANTS FOR 'my_app'@'%';")).stdout.trim().split("\n").slice(1);
    expect(grants).toEqual([
      expect.stringMatching(/^GRANT USAGE ON \*\.\* TO `my_app`@`%` IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'$/),
      "GRANT ALL PRIVILEGES ON `my\\_app`.* TO `my_app`@`%`",
    ]);
  });

  it("changes nothing when run again (user rows, password_last_changed, grants, fingerprints)", async () => {
    const before = await snapshot();
    // password_last_changed counts seconds: a needless ALTER USER would show after this wait.
    await new Promise((r) => setTimeout(r, 1_100));
    await creationStep(APPS);
    expect(await snapshot()).toBe(before);
  });

  it("lets web's user create, write and read in web, with the password that DATABASE_URL encodes", async () => {
    const url = new URL(databaseUrl({ host: server.host, port: server.port, database: "web", user: "web", password: WEB_PW, tls: false }));
    const fromUrl = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: decodeURIComponent(url.pathname.slice(1)) };
    expect(fromUrl).toEqual({ user: "web", password: WEB_PW, database: "web" });
    const r = await runSqlOk(
      server,
      "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body VARCHAR(100)) CHARACTER SET utf8mb4; REPLACE INTO notes VALUES (1, 'héllo'); SELECT body FROM notes WHERE id = 1;",
      fromUrl,
    );
    expect(r.stdout.trim().split("\n")).toEqual(["body", "héllo"]);
  });

  it("refuses web's user on shop, on mysql and on _berth (ERROR 1044); shop's user on web", async () => {
    for (const [who, db] of [
      ["web", "shop"],
      ["web", "mysql"],
      ["web", "_berth"],
      ["shop", "web"],
    ] as const) {
      const r = await runSql(server, `USE ${db};`, login(who, pw(who)));
      expect(r.code, `${who} on ${db}`).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`ERROR 1044 .*Access denied for user '${appDatabaseUser(who)}'@'%' to database '${db}'`));
    }
    const r = await runSql(server, "SELECT * FROM _berth.app_password;", login("web", pw("web"), "web"));
    expect(r.stderr).toMatch(/ERROR 1142 .*SELECT command denied/);
  });

  it("keeps my-app's user out of myxapp: the GRANT escapes `_`, which a plain GRANT would read as a wildcard", async () => {
    const r = await runSql(server, "USE myxapp;", login("my-app", pw("my-app")));
    expect(r.stderr).toMatch(/ERROR 1044 .*to database 'myxapp'/);
    expect((await runSql(server, "USE my_app; SELECT 1;", login("my-app", pw("my-app")))).code).toBe(0);
    // The hazard itself, on this server: an unescaped grant on `my_app`.* opens `myxapp` too.
    await runSqlOk(server, "CREATE USER probe@'%' IDENTIFIED BY 'probe-password'; GRANT ALL PRIVILEGES ON `my_app`.* TO probe@'%';");
    expect((await runSql(server, "USE myxapp;", { user: "probe", password: "probe-password" })).code).toBe(0);
    await runSqlOk(server, "DROP USER probe@'%';");
  });

  it("applies a changed password once: the new one works, the old one is refused (no dual passwords on MariaDB), other apps untouched", async () => {
    const newPw = `n3w'pa\\ss#${"é"}`;
    const shopBefore = (await runSqlOk(server, "SELECT Priv FROM mysql.global_priv WHERE User = 'shop';")).stdout;
    const changed = APPS.map((a) => (a.app === "web" ? { ...a, password: newPw } : a));
    await creationStep(changed);
    expect((await runSql(server, "SELECT 1;", login("web", newPw))).code).toBe(0);
    expect((await runSql(server, "SELECT 1;", login("web", WEB_PW))).stderr).toMatch(/ERROR 1045 .*Access denied for user 'web'/);
    expect((await runSqlOk(server, "SELECT Priv FROM mysql.global_priv WHERE User = 'shop';")).stdout).toBe(shopBefore);
    const again = await runSqlOk(server, "SELECT Priv FROM mysql.global_priv WHERE User = 'web';");
    await new Promise((r) => setTimeout(r, 1_100));
    await creationStep(changed);
    expect((await runSqlOk(server, "SELECT Priv FROM mysql.global_priv WHERE User = 'web';")).stdout).toBe(again.stdout);
  });

  it("ends a rotation as the deploy program does: the kept master login runs the check, which says 1 only for the current password", async () => {
    const admin = path.join(dir, "etc", "berth", "db", "admin.cnf");
    const current = APPS.map((a) => (a.app === "shop" ? { ...a, password: "shop-password-2" } : a));
    await creationStep(current, admin);
    expect(fs.statSync(admin).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(admin)).mode & 0o777).toBe(0o700);
    // What host/berth-deploy runs (end_password_window): the template filled, on the client's stdin.
    const check = async (password: string): Promise<string> => {
      const sql = renderDiscardOldPasswordSql("mariadb").replaceAll("{user}", "shop").replaceAll("{fingerprint}", passwordFingerprint("shop", password));
      const r = await run(bin.mariadb, [`--defaults-file=${admin}`, "--batch", "--skip-column-names"], { input: sql });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(await check("shop-password-2")).toBe("1");
    expect(await check("shop-password-1")).toBe("0");
    expect((await runSql(server, "SELECT 1;", login("shop", "shop-password-2"))).code).toBe(0);
  });

  it("names databases and users after the app, `-` as `_`", () => {
    expect(APPS.map((a) => [appDatabaseName(a.app), appDatabaseUser(a.app)])).toEqual([
      ["web", "web"],
      ["shop", "shop"],
      ["my_app", "my_app"],
      ["myxapp", "myxapp"],
    ]);
  });
});

describe("the mysql8 flavor (RDS): rendered text only", () => {
  // MariaDB 10.11 has no dual passwords, so nothing here runs RETAIN CURRENT PASSWORD or DISCARD OLD
  // PASSWORD for real: the text is pinned, and MariaDB's refusal is shown so no one mistakes it for a test of MySQL 8.4.
  const spec = [{ app: "web", password: "n3w'pa\\ss" }];

  it("changes a password with RETAIN CURRENT PASSWORD and discards the old one in a separate script (exact text)", () => {
    const fp = "8e87a12d4e57095e4ad222cd39bc6c1e01c131dec5fb9982755ba86443169047";
    expect(renderAppDatabasesSql(spec, "mysql8").split("\n")).toEqual([
      "-- Berth: one database and one user per app (flavor mysql8); rendered by components/render/appDatabase.ts. Idempotent.",
      "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
      "CREATE DATABASE IF NOT EXISTS `_berth` DEFAULT CHARACTER SET utf8mb4;",
      "CREATE TABLE IF NOT EXISTS `_berth`.`app_password` (`user` VARCHAR(32) NOT NULL PRIMARY KEY, `fingerprint` CHAR(64) NOT NULL) DEFAULT CHARACTER SET ascii;",
      "DO GET_LOCK('berth_app_password', 60);",
      "-- app web: database web, user web",
      "CREATE DATABASE IF NOT EXISTS `web` DEFAULT CHARACTER SET utf8mb4;",
      `SET @berth_sql = IF((SELECT COUNT(*) FROM \`_berth\`.\`app_password\` WHERE \`user\` = 'web' AND \`fingerprint\` = '${fp}') = 0, ` +
        String.raw`'ALTER USER IF EXISTS ''web''@''%'' IDENTIFIED BY ''n3w''''pa\\\\ss'' RETAIN CURRENT PASSWORD', 'DO 0');`,
      "PREPARE berth_stmt FROM @berth_sql;",
      "EXECUTE berth_stmt;",
      "DEALLOCATE PREPARE berth_stmt;",
      String.raw`CREATE USER IF NOT EXISTS 'web'@'%' IDENTIFIED BY 'n3w''pa\\ss';`,
      "GRANT ALL PRIVILEGES ON `web`.* TO 'web'@'%';",
      `INSERT INTO \`_berth\`.\`app_password\` (\`user\`, \`fingerprint\`) VALUES ('web', '${fp}') ON DUPLICATE KEY UPDATE \`fingerprint\` = '${fp}';`,
      "DO RELEASE_LOCK('berth_app_password');",
      "",
    ]);
    expect(renderDiscardOldPasswordSql("mysql8")).toContain(
      "SET @berth_sql = IF(@berth_current = 1, 'ALTER USER IF EXISTS ''{user}''@''%'' DISCARD OLD PASSWORD', 'DO 0');",
    );
  });

  it("is refused by MariaDB, which is why it is not run here", async () => {
    const r = await runSql(server, "ALTER USER IF EXISTS 'web'@'%' DISCARD OLD PASSWORD;");
    expect(r.stderr).toMatch(/ERROR 1064 .*DISCARD OLD PASSWORD/);
    const retain = await runSql(server, "ALTER USER IF EXISTS 'nobody'@'%' IDENTIFIED BY 'x' RETAIN CURRENT PASSWORD;");
    expect(retain.stderr).toMatch(/ERROR 1064 .*RETAIN CURRENT PASSWORD/);
  });
});
