// The rehearsal's stand-in for RDS: a private MariaDB server (Debian's mariadb-server) with its own
// datadir, socket and pid file under a directory of the caller's, listening on the address the
// caller gives (the rehearsal's Docker bridge, so app containers reach it as they reach RDS on AWS;
// 127.0.0.1 in the tests) and a free port. `--no-defaults` everywhere: the machine's /etc/mysql is
// never read, and the machine's own MariaDB (if any) is never touched. Root logs in only through
// the socket (unix_socket authentication, as the OS user root); over TCP only the users made here
// exist. Stopped by its pid. SQL goes to the `mariadb` client on stdin; a login's password goes in a
// 0600 option file that exists only while the client runs, never on a command line.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { optionValue, sqlString } from "../../components/render/appDatabase";
import { freePort, pidAlive, readPidFile, requireBinary, run, runOk, stopProcess, waitFor, type RunResult } from "./procs";

/** A MariaDB server this code started; everything it has lives under `dir`. */
export interface MariaDbServer {
  /** The directory holding the datadir, socket, pid file and log. */
  readonly dir: string;
  readonly dataDir: string;
  /** Unix socket: root's way in (unix_socket authentication). */
  readonly socket: string;
  readonly pidFile: string;
  /** The server's error log. */
  readonly log: string;
  /** The address it listens on (its --bind-address). */
  readonly host: string;
  readonly port: number;
}

/** Longest socket path we hand out: the kernel's limit is 107 bytes. */
const MAX_SOCKET_PATH = 100;

/** Paths and address of a server under `dir` (nothing is made). */
function layout(dir: string, host: string, port: number): MariaDbServer {
  const socket = path.join(dir, "mysqld.sock");
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH)
    throw new Error(`the MariaDB socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter directory`);
  return { dir, dataDir: path.join(dir, "data"), socket, pidFile: path.join(dir, "mysqld.pid"), log: path.join(dir, "mysqld.log"), host, port };
}

/** mariadbd's command line: private files, the caller's address, no name lookups, no machine option files. */
function serverArgs(s: MariaDbServer): string[] {
  return [
    "--no-defaults",
    `--datadir=${s.dataDir}`,
    `--socket=${s.socket}`,
    `--pid-file=${s.pidFile}`,
    `--log-error=${s.log}`,
    `--bind-address=${s.host}`,
    `--port=${s.port}`,
    "--user=root",
    // Accounts are matched by address only ('%' for the apps), and a slow resolver never delays a login.
    "--skip-name-resolve",
    // A small footprint: a rehearsal holds a few test rows.
    "--innodb-buffer-pool-size=32M",
    `--tmpdir=${path.join(s.dir, "tmp")}`,
  ];
}

/**
 * Creates the datadir (first start only) and starts mariadbd listening on `host` (an address of
 * this machine) and `port` (default: a free one). Resolves once root can run a query over the
 * socket; on failure stops what it started and throws with the log's tail.
 */
export async function startMariaDb(dir: string, opts: { readonly host: string; readonly port?: number }): Promise<MariaDbServer> {
  const mariadbd = requireBinary("mariadbd");
  const installDb = requireBinary("mariadb-install-db");
  requireBinary("mariadb");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = layout(fs.realpathSync(dir), opts.host, opts.port ?? (await freePort()));
  fs.mkdirSync(path.join(s.dir, "tmp"), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(path.join(s.dataDir, "mysql"))) {
    // root@localhost with unix_socket only: no password-less root over TCP; no test database.
    await runOk(installDb, ["--no-defaults", `--datadir=${s.dataDir}`, "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db"], {
      timeoutMs: 120_000,
    });
  }
  const out = fs.openSync(s.log, "a");
  const child = spawn(mariadbd, serverArgs(s), { detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  child.unref();
  const ready = await waitFor(async () => (await runSql(s, "SELECT 1;")).code === 0, 60_000, 200);
  if (!ready) {
    await stopMariaDb(s).catch(() => undefined);
    throw new Error(`mariadbd did not answer on ${s.socket} within 60 s:\n${logTail(s.log)}`);
  }
  return s;
}

function logTail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Stops the server by its pid (SIGTERM, a clean shutdown; SIGKILL after 30 s). Its files stay in `dir`. */
export async function stopMariaDb(s: Pick<MariaDbServer, "pidFile">): Promise<"stopped" | "not-running"> {
  const pid = readPidFile(s.pidFile);
  if (pid === undefined || !pidAlive(pid)) return "not-running";
  return stopProcess(pid, "mariadbd", 30_000);
}

/** A login over TCP; without one, SQL runs as root over the socket. */
export interface SqlLogin {
  readonly user: string;
  readonly password: string;
  /** Default database of the session. */
  readonly database?: string;
}

/**
 * Runs `sql` (on the client's stdin) and resolves with the client's exit code and output; never
 * throws on an SQL error (a refused login or statement is something the tests look for). As
 * `login` over TCP to the server's address, else as root over the socket. The password goes in a
 * 0600 option file in a private temporary directory, removed when the client exits.
 */
export async function runSql(s: MariaDbServer, sql: string, login?: SqlLogin): Promise<RunResult> {
  const client = requireBinary("mariadb");
  if (login === undefined) return run(client, ["--no-defaults", `--socket=${s.socket}`, "--user=root", "--batch", "--raw"], { input: sql });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-sql-"));
  try {
    const options = path.join(tmp, "login.cnf");
    const lines = ["[client]", `user=${optionValue(login.user)}`, `password=${optionValue(login.password)}`, "default-character-set=utf8mb4"];
    if (login.database !== undefined) lines.push(`database=${optionValue(login.database)}`);
    fs.writeFileSync(options, `${lines.join("\n")}\n`, { mode: 0o600 });
    // --defaults-file: this file and no other (as --no-defaults); it must come first.
    return await run(client, [`--defaults-file=${options}`, "--protocol=TCP", `--host=${s.host}`, `--port=${s.port}`, "--batch", "--raw"], { input: sql });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Like runSql, but throws with the client's message when it fails. */
export async function runSqlOk(s: MariaDbServer, sql: string, login?: SqlLogin): Promise<RunResult> {
  const r = await runSql(s, sql, login);
  if (r.code !== 0) throw new Error(`mariadb ${login ? `as ${login.user}` : "as root"} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/**
 * Makes the stand-in for RDS's master user: `user`@'%' with every privilege and the grant option
 * (what the creation step needs: CREATE USER, GRANT, and the `_berth` schema). Idempotent.
 */
export async function createAdminUser(s: MariaDbServer, login: { readonly user: string; readonly password: string }): Promise<void> {
  const account = `${sqlString(login.user)}@'%'`;
  await runSqlOk(
    s,
    [
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(login.password)};`,
      `ALTER USER ${account} IDENTIFIED BY ${sqlString(login.password)};`,
      `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
    ].join("\n"),
  );
}
