// components/render/appDatabase.ts and the two host-command builders it uses (heredoc,
// mysqlClientScript in hostCommands.ts): SQL literals, identifiers and GRANT names quoted as MySQL
// reads them, option-file values as the clients read them, the flavors' difference (RETAIN CURRENT
// PASSWORD on mysql8 only), and the script's secrecy: the passwords appear only inside the
// here-documents, and a stand-in `mysql` run by real bash receives the option file as its first
// argument and the SQL on stdin, byte for byte, and the option file is gone afterwards.
// The SQL's behaviour on a real server is test/integration/app-database.test.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  grantDatabase,
  optionValue,
  passwordFingerprint,
  renderAppDatabaseScript,
  renderAppDatabasesSql,
  renderClientOptions,
  renderDiscardOldPasswordSql,
  sqlIdentifier,
  sqlString,
  type AppDatabaseServer,
} from "../../../components/render/appDatabase";
import { heredoc, mysqlClientScript } from "../../../components/render/hostCommands";

const SERVER: AppDatabaseServer = { host: "berth-dev-db.abc.eu-central-1.rds.amazonaws.com", port: 3306, user: "berth", password: `ma"ster 'pw' \\ #1` };
const APPS = [
  { app: "web", password: `we'b"\\p@ss:/?#%+ &é日` },
  { app: "my-app", password: "my-app-password" },
];

describe("quoting", () => {
  it.each([
    ["plain", "'plain'"],
    ["it's", "'it''s'"],
    ["back\\slash", "'back\\\\slash'"],
    ["nul\0nl\ncr\rsub\x1a", "'nul\\0nl\\ncr\\rsub\\Z'"],
    ['"double" `tick` %_', "'\"double\" `tick` %_'"],
  ])("sqlString(%j) = %s", (s, quoted) => {
    expect(sqlString(s)).toBe(quoted);
  });

  it("quotes identifiers in backticks and escapes GRANT's wildcards in database names", () => {
    expect(sqlIdentifier("web")).toBe("`web`");
    expect(sqlIdentifier("a`b")).toBe("`a``b`");
    expect(grantDatabase("my_app")).toBe("`my\\_app`");
    expect(grantDatabase("a%b\\c")).toBe("`a\\%b\\\\c`");
  });

  it.each([
    ["plain", '"plain"'],
    [" lead and trail ", '" lead and trail "'],
    ["q\"uote 'single' #hash ;semi", '"q\\"uote \'single\' #hash ;semi"'],
    ["back\\slash", '"back\\\\slash"'],
    ["nl\ncr\rtab\tbs\b", '"nl\\ncr\\rtab\\tbs\\b"'],
  ])("optionValue(%j) = %s", (s, quoted) => {
    expect(optionValue(s)).toBe(quoted);
  });
});

describe("the SQL", () => {
  it("mysql8 changes passwords with RETAIN CURRENT PASSWORD, mariadb without", () => {
    const mysql8 = renderAppDatabasesSql(APPS, "mysql8");
    const mariadb = renderAppDatabasesSql(APPS, "mariadb");
    expect(mysql8.match(/RETAIN CURRENT PASSWORD/g)).toHaveLength(2);
    expect(mariadb).not.toMatch(/RETAIN/);
    expect(mysql8.replace(/ RETAIN CURRENT PASSWORD/g, "").replace("flavor mysql8", "flavor mariadb")).toBe(mariadb);
  });

  it("grants ALL on the app's own database only, never *.*, and makes no user but the apps'", () => {
    const sql = renderAppDatabasesSql(APPS, "mysql8");
    expect(sql.match(/^GRANT .*$/gm)).toEqual(["GRANT ALL PRIVILEGES ON `web`.* TO 'web'@'%';", "GRANT ALL PRIVILEGES ON `my\\_app`.* TO 'my_app'@'%';"]);
    expect(sql).not.toMatch(/\*\.\*/);
    expect(sql.match(/CREATE USER [^;]*?@/g)).toEqual(["CREATE USER IF NOT EXISTS 'web'@", "CREATE USER IF NOT EXISTS 'my_app'@"]);
  });

  it("records a fingerprint, never the password, and the fingerprint follows the password", () => {
    const fp = passwordFingerprint("web", APPS[0].password);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(passwordFingerprint("web", APPS[0].password)).toBe(fp);
    expect(passwordFingerprint("web", `${APPS[0].password}x`)).not.toBe(fp);
    expect(passwordFingerprint("shop", APPS[0].password)).not.toBe(fp);
    expect(renderAppDatabasesSql(APPS, "mariadb")).toContain(`VALUES ('web', '${fp}') ON DUPLICATE KEY UPDATE \`fingerprint\` = '${fp}';`);
  });

  it("discards an old password only when the containers' fingerprint is the recorded one, under the password lock", () => {
    const mysql8 = renderDiscardOldPasswordSql("mysql8");
    expect(mysql8).toContain("DO GET_LOCK('berth_app_password', 60);");
    expect(mysql8).toContain(
      "SET @berth_current = (SELECT COUNT(*) FROM `_berth`.`app_password` WHERE `user` = '{user}' AND `fingerprint` = '{fingerprint}');",
    );
    expect(mysql8).toContain("SET @berth_sql = IF(@berth_current = 1, 'ALTER USER IF EXISTS ''{user}''@''%'' DISCARD OLD PASSWORD', 'DO 0');");
    expect(mysql8.trimEnd().split("\n").slice(-2)).toEqual(["DO RELEASE_LOCK('berth_app_password');", "SELECT @berth_current;"]);
    // MariaDB keeps no old password: the check runs, the statement does nothing.
    const mariadb = renderDiscardOldPasswordSql("mariadb");
    expect(mariadb).not.toMatch(/DISCARD OLD PASSWORD/);
    expect(mariadb).toContain("SET @berth_sql = IF(@berth_current = 1, 'DO 0', 'DO 0');");
    // The creation step takes the same lock around its rotations, and never discards.
    const create = renderAppDatabasesSql(APPS, "mysql8").split("\n");
    expect(create.indexOf("DO GET_LOCK('berth_app_password', 60);")).toBeLessThan(create.findIndex((l) => l.includes("RETAIN CURRENT PASSWORD")));
    expect(create.at(-2)).toBe("DO RELEASE_LOCK('berth_app_password');");
    expect(create.join("\n")).not.toMatch(/DISCARD/);
  });

  it("keeps the master login root only for the deploy program when asked, after the SQL succeeded", () => {
    const lines = renderAppDatabaseScript(SERVER, APPS, "mysql8", "/etc/berth/db/admin.cnf").trimEnd().split("\n");
    expect(lines.slice(-3)).toEqual([
      "install -d -m 0700 -o root -g root '/etc/berth/db'",
      `install -m 0600 -o root -g root "$berth_mysql_options" '/etc/berth/db/admin.cnf.new'`,
      "mv -f '/etc/berth/db/admin.cnf.new' '/etc/berth/db/admin.cnf'",
    ]);
    expect(renderAppDatabaseScript(SERVER, APPS, "mysql8")).not.toMatch(/admin\.cnf/);
    expect(() => renderAppDatabaseScript(SERVER, APPS, "mysql8", "relative/admin.cnf")).toThrow(/absolute plain path/);
    expect(() => renderAppDatabaseScript(SERVER, APPS, "mysql8", "/etc/x y.cnf")).toThrow(/absolute plain path/);
  });

  it("refuses an app listed twice", () => {
    expect(() => renderAppDatabasesSql([APPS[0], APPS[0]], "mysql8")).toThrow(/listed twice/);
  });
});

describe("the client options", () => {
  it("require TLS on mysql8 and verify the server with a CA file", () => {
    expect(renderClientOptions(SERVER, "mysql8")).toBe(
      [
        "[client]",
        'host="berth-dev-db.abc.eu-central-1.rds.amazonaws.com"',
        "port=3306",
        'user="berth"',
        'password="ma\\"ster \'pw\' \\\\ #1"',
        "default-character-set=utf8mb4",
        "ssl-mode=REQUIRED",
        "",
      ].join("\n"),
    );
    expect(renderClientOptions({ ...SERVER, caFile: "/etc/berth/rds-ca.pem" }, "mysql8")).toMatch(
      /\nssl-mode=VERIFY_IDENTITY\nssl-ca="\/etc\/berth\/rds-ca.pem"\n$/,
    );
    expect(renderClientOptions(SERVER, "mariadb")).toMatch(/\ndefault-character-set=utf8mb4\n$/);
    expect(renderClientOptions({ ...SERVER, caFile: "/ca.pem" }, "mariadb")).toMatch(/\nssl-ca="\/ca.pem"\nssl-verify-server-cert\n$/);
  });
});

describe("host commands: heredoc and mysqlClientScript (exact strings)", () => {
  it("heredoc quotes its delimiter and refuses a body line equal to it", () => {
    expect(heredoc("EOF_X", "a\n$b `c`")).toBe("<<'EOF_X'\na\n$b `c`\nEOF_X");
    expect(heredoc("EOF_X", "a\n")).toBe("<<'EOF_X'\na\nEOF_X");
    expect(() => heredoc("EOF_X", "a\nEOF_X\nb")).toThrow(/is its delimiter/);
    expect(() => heredoc("eof'", "a")).toThrow(/capitals/);
  });

  it("mysqlClientScript writes the options to a private temp file and feeds the SQL on stdin", () => {
    expect(mysqlClientScript("mysql", "[client]\n", "SELECT 1;\n")).toEqual([
      "set -euo pipefail",
      "umask 077",
      "berth_mysql_options=$(mktemp)",
      `trap 'rm -f "$berth_mysql_options"' EXIT`,
      `cat >"$berth_mysql_options" <<'BERTH_MYSQL_OPTIONS'\n[client]\nBERTH_MYSQL_OPTIONS`,
      `mysql --defaults-file="$berth_mysql_options" --batch <<'BERTH_MYSQL_SQL'\nSELECT 1;\nBERTH_MYSQL_SQL`,
    ]);
  });
});

describe("the creation script", () => {
  const script = renderAppDatabaseScript(SERVER, APPS, "mysql8");

  it("holds the passwords only inside its here-documents (never in a command line)", () => {
    const outside = script.replace(/<<'(BERTH_[A-Z_]+)'\n[\s\S]*?\n\1(\n|$)/g, "<<HEREDOC\n");
    expect(outside).not.toContain("ster");
    for (const a of APPS) expect(outside).not.toContain(a.password);
    expect(outside.split("\n").filter((l) => l.includes("mysql "))).toEqual(['mysql --defaults-file="$berth_mysql_options" --batch <<HEREDOC']);
  });

  it("hands a client the option file first and the SQL on stdin, byte for byte, then removes the file (real bash, stand-in mysql)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-appdb-render-"));
    try {
      const bin = path.join(dir, "bin");
      const tmp = path.join(dir, "tmp");
      fs.mkdirSync(bin);
      fs.mkdirSync(tmp);
      // The stand-in records its arguments, the option file (and its mode) and stdin.
      fs.writeFileSync(
        path.join(bin, "mysql"),
        `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/args"\nf="\${1#--defaults-file=}"\nstat -c %a "$f" > "${dir}/mode"\ncat "$f" > "${dir}/options"\ncat > "${dir}/stdin"\n`,
        { mode: 0o755 },
      );
      const r = spawnSync("bash", ["-s"], { input: script, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, TMPDIR: tmp } });
      expect(r.status, r.stderr).toBe(0);
      const args = fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
      expect(args).toEqual([expect.stringMatching(new RegExp(`^--defaults-file=${tmp}/tmp\\.\\w+$`)), "--batch"]);
      expect(fs.readFileSync(path.join(dir, "mode"), "utf8").trim()).toBe("600");
      expect(fs.readFileSync(path.join(dir, "options"), "utf8")).toBe(renderClientOptions(SERVER, "mysql8"));
      expect(fs.readFileSync(path.join(dir, "stdin"), "utf8")).toBe(renderAppDatabasesSql(APPS, "mysql8"));
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
