// Benchmark: three ways to put a new version live, under the same load, in one go, on the dev
// stack's rehearsal (real nginx, real Docker Engine, the app as real containers that exit at once
// on SIGTERM):
//   stop-start  stop the old container, start the new one on the same port (the seeds' Jenkins job)
//   reload      start the new color, rewrite the nginx upstream to its port, `nginx -s reload`,
//               stop the old color (the seeds' blue/green with sed + reload)
//   berth       `berth-deploy deploy web <tag>`: the iptables switch, no reload, drain, stop
// Load: 32 keep-alive connections sending GETs and 32 sending POSTs, counting every non-200 answer
// and every socket error. Images are pulled before the clock starts (deploy time excludes the pull).
// Usage: npx tsx bench/deploy-switch.ts [switches per method]
import * as fs from "node:fs";
import * as path from "node:path";
import { dockerOk } from "../cli/local/docker";
import { applyNginxFiles } from "../cli/local/files";
import { requireBinary, runOk, waitFor } from "../cli/local/procs";
import { down, readState, renderRehearsal, runProgram, up, type RehearsalState } from "../cli/local/rehearsal";
import { Pusher } from "../test/helpers/apps";
import { startLoad, type LoadResult } from "../test/helpers/load";
import { scratchDir } from "../test/helpers/procs";

const switches = Number(process.argv[2] ?? 5);

interface Row {
  readonly method: string;
  readonly load: LoadResult;
  readonly switchSeconds: number[];
  readonly deploySeconds: number[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = (): number => Number(process.hrtime.bigint()) / 1e9;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthy(port: number): Promise<void> {
  const ok = await waitFor(
    async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      return r.status === 200;
    },
    30_000,
    50,
  );
  if (!ok) throw new Error(`nothing healthy on 127.0.0.1:${port}`);
}

/** What every method's run shares: the rehearsal, the pushed tags in order, containers on the color ports, the load. */
interface Bench {
  readonly s: RehearsalState;
  readonly dir: string;
  /** The next unused tag (each version deployed takes one). */
  readonly takeTag: () => string;
  readonly port: (part: "frontend" | "backend", k: "bluePort" | "greenPort" | "livePort") => number;
  readonly run: (name: string, part: "frontend" | "backend", color: "blue" | "green", t: string) => Promise<void>;
  readonly rm: (...names: string[]) => Promise<void>;
  readonly load: () => ReturnType<typeof startLoad>;
}

async function main(): Promise<void> {
  const dir = scratchDir("bench-deploy");
  let state: RehearsalState | undefined;
  try {
    const endpoints = await up({ stack: "dev", dir });
    state = readState(dir);
    const s = state;
    const pusher = new Pusher(endpoints.dockerHost, endpoints.registry);
    await pusher.login(endpoints.username, fs.readFileSync(endpoints.passwordFile, "utf8").trim());
    const tags = Array.from({ length: (switches + 1) * 3 }, (_, i) => `b${i}`);
    process.stderr.write(`building and pushing ${tags.length * 2} images\n`);
    for (const t of tags) {
      await pusher.buildAndPush("web-frontend", t, "frontend");
      await pusher.buildAndPush("web-backend", t, "backend");
    }
    const ref = (repo: string, t: string): string => `${endpoints.registry}/${repo}:${t}`;
    for (const t of tags)
      for (const repo of ["web-frontend", "web-backend"]) await dockerOk(s.dockerHost, ["--config", pusher.configDir, "pull", "-q", ref(repo, t)]);
    const ca = fs.readFileSync(endpoints.caFile, "utf8");
    let next = 0;
    const port = (part: "frontend" | "backend", k: "bluePort" | "greenPort" | "livePort"): number => s.appPorts[`web.${part}.${k}`];
    const bench: Bench = {
      s,
      dir,
      takeTag: () => tags[next++],
      port,
      run: async (name, part, color, t) => {
        await dockerOk(s.dockerHost, [
          "run",
          "-d",
          "--name",
          `bench-${part}-${name}`,
          "-p",
          `127.0.0.1:${port(part, `${color}Port`)}:80`,
          ref(`web-${part}`, t),
        ]);
      },
      rm: async (...names) => {
        await dockerOk(s.dockerHost, ["rm", "-f", ...names]);
      },
      load: () => startLoad({ url: endpoints.apps.web.url, ca, paths: ["/", "/api/items"] }, 32, 60_000, 0), // full priority: a benchmark runs alone
    };
    const rows: Row[] = [await benchStopStart(bench), await benchReload(bench), await benchBerth(bench)];
    pusher.dispose();
    printRows(rows);
  } finally {
    if (state) await down(dir).catch((e: unknown) => console.error(String(e)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 1. stop-start on the blue ports (the switch points the live ports at blue). */
async function benchStopStart({ s, takeTag, port, run, rm, load }: Bench): Promise<Row> {
  const first = takeTag();
  await run("s0", "frontend", "blue", first);
  await run("s0", "backend", "blue", first);
  await healthy(port("frontend", "bluePort"));
  await healthy(port("backend", "bluePort"));
  const l = load();
  await sleep(1500);
  const sw: number[] = [];
  const dep: number[] = [];
  for (let i = 1; i <= switches; i++) {
    const t0 = now();
    await dockerOk(s.dockerHost, ["stop", "-t", "10", `bench-frontend-s${i - 1}`, `bench-backend-s${i - 1}`]);
    const t1 = now();
    await rm(`bench-frontend-s${i - 1}`, `bench-backend-s${i - 1}`);
    const tag = takeTag();
    await run(`s${i}`, "frontend", "blue", tag);
    await run(`s${i}`, "backend", "blue", tag);
    await healthy(port("frontend", "bluePort"));
    await healthy(port("backend", "bluePort"));
    const t2 = now();
    sw.push(t2 - t1);
    dep.push(t2 - t0);
    await sleep(1500);
  }
  const row = { method: "stop-start", load: await l.stop(), switchSeconds: sw, deploySeconds: dep };
  await rm(`bench-frontend-s${switches}`, `bench-backend-s${switches}`);
  return row;
}

/** 2. reload: nginx upstreams rewritten to the color ports, one reload per switch. */
async function benchReload({ s, takeTag, port, run, rm, load }: Bench): Promise<Row> {
  const rendered = await renderRehearsal(s);
  const site = rendered.nginxFiles.find((f) => f.path.endsWith("/sites/30-app-web.conf"))!;
  const nginx = requireBinary("nginx");
  const point = async (color: "blue" | "green"): Promise<void> => {
    let text = site.content;
    for (const part of ["frontend", "backend"] as const)
      text = text.replace(`server 127.0.0.1:${port(part, "livePort")};`, `server 127.0.0.1:${port(part, `${color}Port`)};`);
    fs.writeFileSync(site.path, text);
    await runOk(nginx, [...s.nginx.args, "-s", "reload"]);
  };
  let color: "blue" | "green" = "blue";
  const first = takeTag();
  await run("r0", "frontend", color, first);
  await run("r0", "backend", color, first);
  await healthy(port("frontend", "bluePort"));
  await healthy(port("backend", "bluePort"));
  await point(color);
  await sleep(2000);
  const l = load();
  await sleep(1500);
  const sw: number[] = [];
  const dep: number[] = [];
  for (let i = 1; i <= switches; i++) {
    const nextColor: "blue" | "green" = color === "blue" ? "green" : "blue";
    const t0 = now();
    const tag = takeTag();
    await run(`r${i}`, "frontend", nextColor, tag);
    await run(`r${i}`, "backend", nextColor, tag);
    await healthy(port("frontend", `${nextColor}Port`));
    await healthy(port("backend", `${nextColor}Port`));
    const t1 = now();
    await point(nextColor);
    const t2 = now();
    // The old workers finish their requests; the old app is stopped after the same 1 s as berth's drain.
    await sleep(1000);
    await rm(`bench-frontend-r${i - 1}`, `bench-backend-r${i - 1}`);
    sw.push(t2 - t1);
    dep.push(now() - t0);
    color = nextColor;
    await sleep(1500);
  }
  const row = { method: "reload", load: await l.stop(), switchSeconds: sw, deploySeconds: dep };
  await rm(`bench-frontend-r${switches}`, `bench-backend-r${switches}`);
  await applyNginxFiles(rendered.nginxFiles, rendered.ownedDirs, s.nginx); // back to the live ports
  await sleep(2000);
  return row;
}

/** 3. berth: the deploy program, as root (the same program CI reaches over SSH). */
async function benchBerth({ s, dir, takeTag, load }: Bench): Promise<Row> {
  const first = await runProgram(s, ["deploy", "web", takeTag()]);
  if (first.code !== 0) throw new Error(first.stderr);
  const l = load();
  await sleep(1500);
  const sw: number[] = [];
  const dep: number[] = [];
  const logFile = path.join(dir, "var/log/berth/deploy.log");
  for (let i = 1; i <= switches; i++) {
    const r = await runProgram(s, ["deploy", "web", takeTag()]);
    if (r.code !== 0) throw new Error(r.stderr);
    const d = (JSON.parse(fs.readFileSync(logFile, "utf8").trim().split("\n").at(-1)!) as { durations: Record<string, number> }).durations;
    sw.push(d.switch);
    dep.push(d.deploy);
    await sleep(1500);
  }
  return { method: "berth", load: await l.stop(), switchSeconds: sw, deploySeconds: dep };
}

function printRows(rows: readonly Row[]): void {
  console.log(`deploy switch benchmark: dev rehearsal, ${switches} switches per method, 32 GET + 32 POST keep-alive connections`);
  console.log("method      requests  failed  (non-200 / socket errors)        switch s (median, max)  deploy s excl. pull (median, max)");
  for (const r of rows) {
    const bad = Object.values(r.load.badStatus).reduce((a, b) => a + b, 0);
    const sock = Object.values(r.load.errors).reduce((a, b) => a + b, 0);
    console.log(
      [
        r.method.padEnd(10),
        String(r.load.requests).padStart(9),
        String(r.load.failed).padStart(7),
        `  (${bad} / ${sock}) ${JSON.stringify({ ...r.load.badStatus, ...r.load.errors })}`.padEnd(34),
        `${median(r.switchSeconds).toFixed(3)}, ${Math.max(...r.switchSeconds).toFixed(3)}`.padStart(16),
        `${median(r.deploySeconds).toFixed(2)}, ${Math.max(...r.deploySeconds).toFixed(2)}`.padStart(24),
      ].join(" "),
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
