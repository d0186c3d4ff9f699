// The app runtime end to end on the rehearsal (real nginx, Docker Engine, sshd and MariaDB), all over SSH
// with the CI key: an app with clear env, two secrets (one with newlines), its own database and a release
// step deploys; it sees every value and writes and reads a row through DATABASE_URL; a failing release
// aborts with the old version serving; a changed secret, delivered by a second `up`, is served after
// `restart` with zero failed requests under 32 keep-alive GET and 32 POST connections; `logs` returns the
// app's own lines; and no secret value shows in the plan, the deploy log, `ps` or a file others can read.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { dockerOk, ensureNodeImage } from "../../cli/local/docker";
import { run } from "../../cli/local/procs";
import { down, readState, runOverSsh, up, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { PROJECT_DIR, writeStackSecret } from "../../offline/stackFile";
import { buildPushDrop, NODE_BASE } from "../helpers/apps";
import { deriveTag } from "../helpers/imageDeriver";
import { startLoad, type LoadResult } from "../helpers/load";
import { curl, requireBinaries, scratchDir } from "../helpers/procs";
import { upOrTearDown } from "../helpers/rehearsal";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "python3", "mariadbd", "mariadb", "nsenter", "ps");
const PASSPHRASE = "rehearsal passphrase, not a real one";
const TOKEN_1 = "tok-first-7f3a9c";
const TOKEN_2 = "tok-second-b41d0e";
const SIGNING_KEY = "-----BEGIN TEST KEY-----\nline one\nline two\n-----END TEST KEY-----";
const dir = scratchDir("runtime");
const project = scratchDir("runtime-project");
const stackFile = path.join(project, "Pulumi.dev.yaml");
let endpoints: Endpoints;
let state: RehearsalState;
const configDir = scratchDir("runtime-docker-config");
const previousPassphrase = process.env.PULUMI_CONFIG_PASSPHRASE;

/** The app: its env on /env, a row written and counted through DATABASE_URL on /db, its version elsewhere. */
const SERVER_JS = `
const http = require("http"); const fs = require("fs"); const mysql = require("mysql2/promise");
const version = process.env.APP_VERSION;
console.log("runtime-app " + version + " started on port " + process.env.PORT);
async function db() {
  const c = await mysql.createConnection(process.env.DATABASE_URL.replace(/[?].*$/, ""));
  try {
    await c.query("INSERT INTO items (note) VALUES (?)", ["from " + version]);
    const [rows] = await c.query("SELECT COUNT(*) AS n FROM items");
    return { rows: rows[0].n, db: process.env.DB_NAME, user: process.env.DB_USER };
  } finally { await c.end(); }
}
http.createServer((req, res) => {
  let body = ""; req.on("data", (c) => (body += c));
  req.on("end", async () => {
    res.setHeader("content-type", "application/json");
    try {
      if (req.url.endsWith("/env")) {
        const file = process.env.SIGNING_KEY_FILE;
        return res.end(JSON.stringify({ version, GREETING: process.env.GREETING, API_TOKEN: process.env.API_TOKEN, PORT: process.env.PORT,
          SIGNING_KEY_FILE: file, SIGNING_KEY: file ? fs.readFileSync(file, "utf8") : null }));
      }
      if (req.url.endsWith("/db")) return res.end(JSON.stringify(await db()));
      res.end(JSON.stringify({ version }));
    } catch (e) { res.statusCode = 500; res.end(JSON.stringify({ error: String(e) })); }
  });
}).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
`;
const RELEASE_JS = `
const mysql = require("mysql2/promise");
(async () => {
  if (process.env.RELEASE_FAIL) { console.log("checking schema"); console.error("migration 7 failed: column exists"); process.exit(1); }
  const c = await mysql.createConnection(process.env.DATABASE_URL.replace(/[?].*$/, ""));
  await c.query("CREATE TABLE IF NOT EXISTS items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100))");
  await c.end();
  console.log("migrated items");
})().catch((e) => { console.error(String(e)); process.exit(2); });
`;

/** mysql2 and what it requires, copied from this checkout's node_modules into a build context. */
function copyModule(name: string, into: string, seen = new Set<string>()): void {
  if (seen.has(name)) return;
  seen.add(name);
  const from = path.join(PROJECT_DIR, "node_modules", name);
  fs.cpSync(from, path.join(into, "node_modules", name), { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) copyModule(dep, into, seen);
}

/** Pushes `tag` of both repositories: r1 built with Docker, the others derived from it (test/helpers/imageDeriver.ts). */
async function push(tag: string, env: Record<string, string> = {}): Promise<void> {
  if (tag === "r1") return buildAndPush(tag);
  await deriveTag(endpoints, ["web-frontend", "web-backend"], "r1", tag, { APP_VERSION: tag, ...env });
}

async function buildAndPush(tag: string): Promise<void> {
  await ensureNodeImage(endpoints.dockerHost, NODE_BASE);
  for (const repo of ["web-frontend", "web-backend"]) {
    const ctx = scratchDir("runtime-ctx");
    try {
      fs.writeFileSync(path.join(ctx, "server.js"), SERVER_JS);
      fs.writeFileSync(path.join(ctx, "release.js"), RELEASE_JS);
      copyModule("mysql2", ctx);
      fs.writeFileSync(
        path.join(ctx, "Dockerfile"),
        `FROM ${NODE_BASE}\nCOPY node_modules /app/node_modules\nCOPY server.js release.js /app/\nENV APP_VERSION=${tag}\nCMD ["/app/server.js"]\n`,
      );
      await buildPushDrop(endpoints.dockerHost, configDir, `${endpoints.registry}/${repo}:${tag}`, ctx);
    } finally {
      fs.rmSync(ctx, { recursive: true, force: true });
    }
  }
}

beforeAll(async () => {
  process.env.PULUMI_CONFIG_PASSPHRASE = PASSPHRASE;
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  const doc = parseDocument(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8"));
  const web = doc.getIn(["config", "berth:proxy", "apps", 0]) as { set: (k: string, v: unknown) => void };
  web.set("database", true);
  doc.setIn(["config", "berth:proxy", "apps", 0, "frontend", "env"], { GREETING: "hello from the stack" });
  doc.setIn(["config", "berth:proxy", "apps", 0, "frontend", "secrets"], ["API_TOKEN", "SIGNING_KEY"]);
  doc.setIn(["config", "berth:proxy", "apps", 0, "backend", "release"], ["/usr/bin/node", "/app/release.js"]);
  fs.writeFileSync(stackFile, doc.toString());
  writeStackSecret(stackFile, "berth:appSecrets", ["web", "API_TOKEN"], TOKEN_1, PASSPHRASE);
  writeStackSecret(stackFile, "berth:appSecrets", ["web", "SIGNING_KEY"], SIGNING_KEY, PASSPHRASE);
  endpoints = await upOrTearDown({ stack: "dev", dir, projectDir: project });
  state = readState(dir);
  await dockerOk(endpoints.dockerHost, ["--config", configDir, "login", endpoints.registry, "-u", endpoints.username, "--password-stdin"], {
    input: fs.readFileSync(endpoints.passwordFile, "utf8").trim(),
  });
  await push("r1");
  await push("r2");
  await push("rfail", { RELEASE_FAIL: "1" });
}, 900_000);

afterAll(async () => {
  try {
    if (state) await down(dir);
  } finally {
    if (previousPassphrase === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
    else process.env.PULUMI_CONFIG_PASSPHRASE = previousPassphrase;
    for (const d of [dir, project, configDir]) fs.rmSync(d, { recursive: true, force: true });
  }
}, 180_000);

const ssh = (request: string): ReturnType<typeof runOverSsh> => runOverSsh(state, request);
const get = async (p: string): Promise<Record<string, unknown>> => {
  const r = await curl(["--cacert", endpoints.caFile, `${endpoints.apps.web.url.replace(/\/$/, "")}${p}`]);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as Record<string, unknown>;
};
const load = (): ReturnType<typeof startLoad> =>
  startLoad({ url: endpoints.apps.web.url, ca: fs.readFileSync(endpoints.caFile, "utf8"), paths: ["/", "/api/items"] }, 32);
const summary = (r: LoadResult): string => JSON.stringify({ ...r, samples: r.samples.slice(0, 5) });
const secrets = [TOKEN_1, TOKEN_2, "line one\nline two"];

describe("the app runtime over SSH with the CI key", () => {
  it("deploys with the release step: the app sees its clear env, both secrets (one as a file) and PORT", async () => {
    const psSeen: string[] = [];
    const watching = (async () => {
      for (let i = 0; i < 200; i++) {
        psSeen.push((await run("ps", ["-eo", "args"])).stdout);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await ssh("deploy web r1");
    await watching.catch(() => undefined);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("release backend: migrated items");
    for (const s of secrets) expect(psSeen.join("\n")).not.toContain(s.split("\n")[0]);
    const env = await get("/env");
    expect(env).toMatchObject({
      version: "r1",
      GREETING: "hello from the stack",
      API_TOKEN: TOKEN_1,
      PORT: "80",
      SIGNING_KEY_FILE: "/run/secrets/SIGNING_KEY",
    });
    expect(env.SIGNING_KEY).toBe(SIGNING_KEY);
  }, 300_000);

  it("writes and reads a row through DATABASE_URL, as its own user in its own database", async () => {
    const first = await get("/api/db");
    const second = await get("/api/db");
    expect(first).toMatchObject({ db: "web", user: "web" });
    expect(Number(second.rows)).toBe(Number(first.rows) + 1);
  }, 60_000);

  it("a release that exits 1 aborts the deploy with its last lines; the old version keeps serving", async () => {
    const running = load();
    const r = await ssh("deploy web rfail");
    const result = await running.stop();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("release backend: migration 7 failed: column exists");
    expect(r.stderr.trim().split("\n")).toEqual([
      "berth-deploy: failed: the release step of web backend exited 1; nothing was switched; its last line: migration 7 failed: column exists",
    ]);
    expect(result.failed, summary(result)).toBe(0);
    expect((await get("/")).version).toBe("r1");
  }, 300_000);

  it("a changed secret, delivered by a second up (nothing restarts), is served after restart with zero failed requests", async () => {
    writeStackSecret(stackFile, "berth:appSecrets", ["web", "API_TOKEN"], TOKEN_2, PASSPHRASE);
    const before = await ssh("status web --json");
    await up({ stack: "dev", dir, projectDir: project });
    expect((await ssh("status web --json")).stdout).toBe(before.stdout);
    expect((await get("/env")).API_TOKEN).toBe(TOKEN_1);
    const running = load();
    await new Promise((r) => setTimeout(r, 500));
    const r = await ssh("restart web");
    await new Promise((r) => setTimeout(r, 500));
    const result = await running.stop();
    console.log(`restart under load: ${summary(result)}`);
    expect(r.code, r.stderr).toBe(0);
    expect(result.failed, summary(result)).toBe(0);
    expect((await get("/env")).API_TOKEN).toBe(TOKEN_2);
    expect((await get("/")).version).toBe("r1");
    // The end of a password rotation ran for real against the RDS stand-in: the deploy program logged in
    // with the login the creation step kept, and the server recorded the containers' password as current.
    const records = fs
      .readFileSync(path.join(dir, "var/log/berth/deploy.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; result: string; databasePassword?: string });
    const restart = records.filter((x) => x.action === "restart" && x.result === "ok").at(-1);
    expect(restart?.databasePassword).toBe("current (no dual passwords on this server)");
    expect(fs.statSync(path.join(dir, "etc/berth/db/admin.cnf")).mode & 0o777).toBe(0o600);
  }, 300_000);

  it("env lists names, sources and digests, never a value; logs returns the app's own lines", async () => {
    const env = await ssh("env web");
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toMatch(/^frontend\s+API_TOKEN\s+secret\s+hmac-sha256:[0-9a-f]{16}$/m);
    expect(env.stdout).toMatch(/^frontend\s+SIGNING_KEY_FILE\s+secret-file\s+hmac-sha256:/m);
    expect(env.stdout).toMatch(/^backend\s+DATABASE_URL\s+database\s+hmac-sha256:/m);
    expect(env.stdout).toMatch(/^frontend\s+GREETING\s+clear\s+/m);
    for (const s of [...secrets, "hello from the stack"]) expect(env.stdout).not.toContain(s.split("\n")[0]);
    const logs = await ssh("logs web --tail 20");
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\[(blue|green) r1 frontend\] \S+ runtime-app r1 started on port 80$/m);
    const refused = await ssh("logs web --tail 999999");
    expect(refused.code).toBe(2);
  }, 120_000);

  it("no secret value in either plan format, the deploy log, or any file under the rehearsal others can read", async () => {
    const tsx = path.resolve(PROJECT_DIR, "node_modules/.bin/tsx");
    const plan = path.resolve(PROJECT_DIR, "cli/plan.ts");
    for (const format of [[], ["--json"]]) {
      const p = await run(tsx, [plan, "dev", "--stack-dir", project, ...format], { env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } });
      expect(p.code, p.stderr).toBe(0);
      for (const s of secrets) expect(p.stdout + p.stderr).not.toContain(s.split("\n")[0]);
    }
    const deployLog = fs.readFileSync(path.join(dir, "var/log/berth/deploy.log"), "utf8");
    for (const s of secrets) expect(deployLog).not.toContain(s.split("\n")[0]);
    // Files another user could read: readable by others, and every folder above them traversable.
    const exposed: string[] = [];
    const walk = (d: string, reachable: boolean): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        const st = fs.lstatSync(p);
        if (e.isDirectory()) walk(p, reachable && (st.mode & 0o001) !== 0);
        else if (e.isFile() && reachable && (st.mode & 0o004) !== 0 && st.size < 4_000_000) {
          const text = fs.readFileSync(p, "utf8");
          if (secrets.some((s) => text.includes(s.split("\n")[0]))) exposed.push(p);
        }
      }
    };
    walk(dir, true);
    expect(exposed).toEqual([]);
  }, 300_000);
});
