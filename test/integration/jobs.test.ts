// App volumes and scheduled jobs end to end on one rehearsal (real Docker Engine, nginx and sshd), all
// over SSH with the CI key: the dev stack's back end declares a volume and a job. Before any deploy the
// job runs nothing and exits 0; v1 (running as uid 1000, not root) writes a file into the volume, whose
// directory under the rehearsal's own /srv/berth has the declared owner and mode; v2, after a deploy,
// reads it; the job runs on demand and returns its output and exit code; two triggers at once run one
// job, not two; status lists the job's last run; the job's timer and service are in the rehearsal's root.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { dockerOk, ensureNodeImage } from "../../cli/local/docker";
import { down, readState, runOverSsh, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { PROJECT_DIR } from "../../offline/stackFile";
import { buildPushDrop, NODE_BASE } from "../helpers/apps";
import { deriveTag } from "../helpers/imageDeriver";
import { curl, requireBinaries, scratchDir } from "../helpers/procs";
import { upOrTearDown } from "../helpers/rehearsal";

requireBinaries("nginx", "dockerd", "docker", "sshd", "ssh", "iptables", "sudo", "python3", "nsenter");
const dir = scratchDir("jobs");
const project = scratchDir("jobs-project");
const configDir = scratchDir("jobs-docker-config");
let endpoints: Endpoints;
let state: RehearsalState;

/** The app: POST /api/write puts a note into the volume, GET /api/read returns it; every answer names the version. */
const SERVER_JS = `
const http = require("http"); const fs = require("fs");
const version = process.env.APP_VERSION;
http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  try {
    if (req.url.endsWith("/write")) fs.writeFileSync("/data/note.txt", "from " + version);
    const note = req.url.endsWith("/read") ? fs.readFileSync("/data/note.txt", "utf8") : null;
    res.end(JSON.stringify({ version, note, uid: process.getuid() }));
  } catch (e) { res.statusCode = 500; res.end(JSON.stringify({ version, error: String(e) })); }
}).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
`;
/** The job: reads the note, records its run in the volume, takes long enough for a second trigger to meet it. */
const JOB_JS = `
const fs = require("fs");
console.log("report of " + process.env.APP_VERSION + ": note is " + fs.readFileSync("/data/note.txt", "utf8"));
fs.appendFileSync("/data/job-runs.txt", "run\\n");
setTimeout(() => { console.log("report done"); process.exit(0); }, 3000);
`;

async function buildAndPush(tag: string): Promise<void> {
  await ensureNodeImage(endpoints.dockerHost, NODE_BASE);
  const ctx = scratchDir("jobs-ctx");
  try {
    fs.writeFileSync(path.join(ctx, "server.js"), SERVER_JS);
    fs.writeFileSync(path.join(ctx, "job.js"), JOB_JS);
    // A non-root user, as most images have: the volume's owner 1000:1000 is what lets it write.
    fs.writeFileSync(
      path.join(ctx, "Dockerfile"),
      `FROM ${NODE_BASE}\nCOPY server.js job.js /app/\nENV APP_VERSION=${tag}\nUSER 1000:1000\nCMD ["/app/server.js"]\n`,
    );
    for (const repo of ["web-frontend", "web-backend"]) {
      await buildPushDrop(endpoints.dockerHost, configDir, `${endpoints.registry}/${repo}:${tag}`, ctx);
    }
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  const doc = parseDocument(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8"));
  // The dev stack's volume (data at /data, 1000:1000, 0750) as it ships; its job replaced by one these images hold.
  doc.setIn(
    ["config", "berth:proxy", "apps", 0, "backend", "jobs"],
    [{ name: "report", schedule: "*-*-* 03:00:00", command: ["/usr/bin/node", "/app/job.js"], timeoutSeconds: 60 }],
  );
  fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), doc.toString());
  endpoints = await upOrTearDown({ stack: "dev", dir, projectDir: project });
  state = readState(dir);
  await dockerOk(endpoints.dockerHost, ["--config", configDir, "login", endpoints.registry, "-u", endpoints.username, "--password-stdin"], {
    input: fs.readFileSync(endpoints.passwordFile, "utf8").trim(),
  });
  await buildAndPush("v1");
  // v2: v1 with its own version (test/helpers/imageDeriver.ts), no second Docker build.
  await deriveTag(endpoints, ["web-frontend", "web-backend"], "v1", "v2", { APP_VERSION: "v2" });
}, 900_000);

afterAll(async () => {
  try {
    if (state) await down(dir);
  } finally {
    for (const d of [dir, project, configDir]) fs.rmSync(d, { recursive: true, force: true });
  }
}, 180_000);

const ssh = (request: string): ReturnType<typeof runOverSsh> => runOverSsh(state, request);
const api = async (p: string): Promise<Record<string, unknown>> => {
  const r = await curl(["--cacert", endpoints.caFile, `${endpoints.apps.web.url.replace(/\/$/, "")}/api${p}`]);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as Record<string, unknown>;
};
const volume = (): string => path.join(dir, "srv/berth/volumes/web/data");
const jobLines = (): Array<Record<string, unknown>> =>
  fs
    .readFileSync(path.join(dir, "var/log/berth/deploy.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.action === "job");

describe("volumes and jobs over SSH with the CI key", () => {
  it("the job's timer and service are rendered into the rehearsal's root, with its schedule", () => {
    const units = path.join(dir, "etc/systemd/system");
    expect(fs.readFileSync(path.join(units, "berth-job-web_report.timer"), "utf8")).toContain("OnCalendar=*-*-* 03:00:00\nPersistent=true\n");
    expect(fs.readFileSync(path.join(units, "berth-job-web_report.service"), "utf8")).toContain(`ExecStart=${state.program} job web report\n`);
  });

  it("before any deploy the job runs nothing, says so and exits 0", async () => {
    const r = await ssh("job web report");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("job web/report: web was never deployed; nothing to run");
    expect(jobLines().at(-1)).toMatchObject({ job: "report", result: "skipped", reason: "never deployed", via: expect.stringMatching(/^ssh /) });
  }, 60_000);

  it("v1 writes into the volume as uid 1000; the directory has the declared owner and mode under the rehearsal's root", async () => {
    const d = await ssh("deploy web v1");
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain("volume web/data: created /srv/berth/volumes/web/data (owner 1000:1000, mode 0750)");
    expect(await api("/write")).toMatchObject({ version: "v1", uid: 1000 });
    const st = fs.statSync(volume());
    expect([st.uid, st.gid, (st.mode & 0o7777).toString(8)]).toEqual([1000, 1000, "750"]);
    expect(fs.readFileSync(path.join(volume(), "note.txt"), "utf8")).toBe("from v1");
    expect(fs.existsSync("/srv/berth/volumes/web")).toBe(false);
  }, 300_000);

  it("v2, after a deploy, reads what v1 wrote", async () => {
    const d = await ssh("deploy web v2");
    expect(d.code, d.stderr).toBe(0);
    expect(await api("/read")).toEqual({ version: "v2", note: "from v1", uid: 1000 });
  }, 300_000);

  it("two triggers at once run one job: it returns the job's output and exit code, the other starts nothing", async () => {
    const before = jobLines().length;
    const [a, b] = await Promise.all([ssh("job web report"), ssh("job web report")]);
    const [ran, refused] = a.code === 0 ? [a, b] : [b, a];
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("report of v2: note is from v1\nreport done\n");
    expect(ran.stdout).toMatch(/job web\/report \(v2\) exited 0 after [0-9.]+s/);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^berth-deploy: failed: job web\/report is already running \(job web\/report by \S+, pid \d+, since .*\); this trigger did not start a second run$/m,
    );
    expect(fs.readFileSync(path.join(volume(), "job-runs.txt"), "utf8")).toBe("run\n");
    const lines = jobLines().slice(before);
    expect(lines.map((l) => l.result).sort()).toEqual(["busy", "ok"]);
    // lastLines also holds what Docker itself says on stderr (here: a warning about the rehearsal's IPv4 forwarding).
    expect(lines.find((l) => l.result === "ok")).toMatchObject({
      tag: "v2",
      exitCode: 0,
      lastLines: expect.arrayContaining(["report of v2: note is from v1", "report done"]),
    });
  }, 120_000);

  it("status lists the job with its last run; an undeclared job and a job with arguments are refused", async () => {
    const s = await ssh("status web");
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^ {2}job report \(backend, \*-\*-\* 03:00:00\): last run \S+: v2 ok, exit 0 in [0-9.]+s$/m);
    const other = await ssh("job web nightly-cleanup");
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("app web has no job 'nightly-cleanup'; its jobs: report");
    expect((await ssh("job web report --now")).code).toBe(2);
  }, 60_000);
});
