// One dev-stack rehearsal for a file of deploy tests (real nginx, Docker Engine, registry, sshd and
// sudo), with the images they deploy pushed to its registry, and the helpers they share: the deploy
// key over SSH, the app through nginx, the deploy log, `status --json`, and load from 32 keep-alive
// connections of GETs and 32 of POSTs. Registers its own beforeAll/afterAll, so a file that calls it
// boots one rehearsal and tears it down, or takes its turn on one shared with other files (`share`).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { UPSTREAM_KEEPALIVE } from "../../components/render/nginx";
import { pidAlive } from "../../cli/local/procs";
import { down, readState, runOverSsh, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { Pusher } from "./apps";
import { SHARED_RUN_DIR, sharedRehearsalPath } from "./globalSetup";
import { startLoad, type LoadResult, type RunningLoad } from "./load";
import { curl, scratchDir, takeLock } from "./procs";
import { upOrTearDown } from "./rehearsal";

/** What `status web --json` says. */
export interface DeployStatus {
  live: { color: string; tag: string; seq: number } | null;
  previous: { color: string; tag: string; seq: number } | null;
  switch: string;
  maintenance: boolean;
  containers: Record<string, Record<string, { state: string; tag: string; container: string }>>;
  releases: Array<{ seq: number; color: string; tag: string }>;
  rollback: { available: boolean; to: string | null };
  interrupted: { op: string; tag: string; step: string } | null;
  repaired: string[];
}

export interface DeployRig {
  /** The rehearsal's directory (its root for host paths). */
  readonly dir: string;
  readonly state: RehearsalState;
  readonly endpoints: Endpoints;
  readonly pusher: Pusher;
  /** `berth-deploy REQUEST` over SSH with the deploy key. */
  readonly ssh: (request: string) => ReturnType<typeof runOverSsh>;
  /** GET a path of the web app through nginx. */
  readonly app: (p: string) => Promise<Awaited<ReturnType<typeof curl>>>;
  /** The version the web app answers a path with (expects 200). */
  readonly version: (p: string) => Promise<string>;
  /**
   * What the web app answers `p` with, `n` times in a row, once nginx's pooled connections from before
   * `since` (a switch) have ended on their own: each is closed after its first request past keepalive_time,
   * or after keepalive_timeout idle (components/render/nginx.ts UPSTREAM_KEEPALIVE), so none is left
   * their sum (plus half a second) later. Until then a request may still reach the color left behind.
   */
  readonly settledVersions: (since: number, p?: string, n?: number) => Promise<string[]>;
  /** The deploy log's records. */
  readonly logLines: () => Array<Record<string, unknown>>;
  readonly status: () => Promise<DeployStatus>;
  /** 32 keep-alive GET and 32 POST connections against the web app until stopped. */
  readonly load: () => ReturnType<typeof startLoad>;
  readonly summary: (r: LoadResult) => string;
}

/** The deploy log's records (none before the first deploy). */
function readLog(dir: string): Array<Record<string, unknown>> {
  const file = path.join(dir, "var/log/berth/deploy.log");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The last lines of the rehearsal's nginx error log about upstreams (timeouts, resets, refusals). */
function nginxErrors(dir: string): string[] {
  try {
    return fs
      .readFileSync(path.join(dir, "var/log/nginx/error.log"), "utf8")
      .split("\n")
      .filter((l) => /upstream|timed out|reset|refused/.test(l))
      .slice(-10);
  } catch {
    return [];
  }
}

/** Where files share the rehearsal `share` in this `vitest run` (beside its shared directory, test/helpers/globalSetup.ts). */
function sharedRehearsalDir(share: string): string | undefined {
  try {
    return sharedRehearsalPath(inject(SHARED_RUN_DIR), share);
  } catch {
    return undefined; // no global setup: a rehearsal of the file's own
  }
}

/** Waits until this process holds `lock` (a file naming the holder's pid; a dead holder's is taken over). */
async function holdLock(lock: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!takeLock(lock)) {
    let holder: number;
    try {
      holder = Number(fs.readFileSync(lock, "utf8").trim());
    } catch {
      continue; // released just now: try again
    }
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) fs.rmSync(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} still held by pid ${holder} after ${waitMs / 1000} s`);
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What a shared rehearsal's registry already holds: per repository the image its tags derive from, and every pushed ref. */
interface PushedImages {
  templates: Record<string, { repo: string; tag: string }>;
  pushed: string[];
}

/**
 * Boots the rehearsal in beforeAll (pushing `tags` of web-frontend and web-backend, then the
 * `unhealthy` and `crash` images), then deploys the `initial` tags in order; tears it down in afterAll.
 *
 * With `share`, files share one rehearsal for the whole `vitest run` instead: the first boots it, the
 * next find it running (pushing only the images it lacks), and the global setup takes it down at
 * the end. They hold it in turn (a lock file: never two at once, whatever order the files run in),
 * and each starts from its `initial` deploys and reads only the deploy log lines written after them.
 */
export function useDeployRehearsal(name: string, tags: readonly string[], initial: readonly string[] = [], share?: string): DeployRig {
  const shared = share === undefined ? undefined : sharedRehearsalDir(share);
  const dir = shared ?? scratchDir(name);
  let logStart = 0;
  let state: RehearsalState | undefined;
  let endpoints: Endpoints | undefined;
  let pusher: Pusher | undefined;
  let ca = "";
  // Loads a test started and did not stop (it failed midway): stopped after it, never left for the next test.
  const loads = new Set<RunningLoad>();
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the deploy rehearsal has no ${what} (beforeAll failed)`);
    return v;
  };
  const rig: DeployRig = {
    dir,
    get state() {
      return need(state, "state");
    },
    get endpoints() {
      return need(endpoints, "endpoints");
    },
    get pusher() {
      return need(pusher, "pusher");
    },
    ssh: (request) => runOverSsh(rig.state, request),
    app: (p) => curl(["--cacert", rig.endpoints.caFile, `${rig.endpoints.apps.web.url.replace(/\/$/, "")}${p}`]),
    version: async (p) => {
      const r = await rig.app(p);
      expect(r.status, r.body).toBe(200);
      return (JSON.parse(r.body) as { version: string }).version;
    },
    settledVersions: async (since, p = "/", n = 10) => {
      const settleMs = (UPSTREAM_KEEPALIVE.timeSeconds + UPSTREAM_KEEPALIVE.timeoutSeconds) * 1000 + 500;
      const wait = since + settleMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await rig.app(p);
        seen.push(r.status === 200 ? (JSON.parse(r.body) as { version: string }).version : `HTTP ${r.status}`);
      }
      return seen;
    },
    logLines: () => readLog(dir).slice(logStart),
    status: async () => {
      const r = await rig.ssh("status web --json");
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as DeployStatus;
    },
    load: () => {
      const running = startLoad({ url: rig.endpoints.apps.web.url, ca, paths: ["/", "/api/items"] }, 32);
      loads.add(running);
      return {
        count: () => running.count(),
        stop: () => {
          loads.delete(running);
          return running.stop();
        },
      };
    },
    // With failures, what nginx said about them (upstream timeouts, resets) comes along for the diagnosis.
    summary: (r) => JSON.stringify({ ...r, samples: r.samples.slice(0, 5), ...(r.failed > 0 ? { nginx: nginxErrors(dir) } : {}) }),
  };

  // Beside the shared rehearsal: which file holds it, and which images its registry has.
  const imagesFile = `${dir}.images.json`;
  beforeAll(async () => {
    if (shared) await holdLock(`${dir}.lock`, 900_000);
    const reuse = shared !== undefined && fs.existsSync(path.join(dir, "endpoints.json"));
    endpoints = reuse ? (JSON.parse(fs.readFileSync(path.join(dir, "endpoints.json"), "utf8")) as Endpoints) : await upOrTearDown({ stack: "dev", dir });
    state = readState(dir);
    ca = fs.readFileSync(endpoints.caFile, "utf8");
    pusher = new Pusher(endpoints.dockerHost, endpoints.registry);
    await pusher.login(endpoints.username, fs.readFileSync(endpoints.passwordFile, "utf8").trim());
    const images: PushedImages =
      reuse && fs.existsSync(imagesFile) ? (JSON.parse(fs.readFileSync(imagesFile, "utf8")) as PushedImages) : { templates: {}, pushed: [] };
    for (const [repo, template] of Object.entries(images.templates)) pusher.templates.set(repo, template);
    // Front and back end of one tag at once; tags in order (retention keeps the newest). The first image
    // is built with Docker, the others derived from it through the registry's API (Pusher.push).
    const p = pusher;
    const push = async (repo: string, tag: string, part: string, mode?: "unhealthy" | "crash"): Promise<void> => {
      if (images.pushed.includes(`${repo}:${tag}`)) return;
      await p.push(ca, repo, tag, part, mode);
      images.pushed.push(`${repo}:${tag}`);
    };
    for (const tag of tags) await Promise.all([push("web-frontend", tag, "frontend"), push("web-backend", tag, "backend")]);
    await Promise.all([push("web-frontend", "unhealthy", "frontend"), push("web-backend", "unhealthy", "backend", "unhealthy")]);
    await Promise.all([push("web-frontend", "crash", "frontend", "crash"), push("web-backend", "crash", "backend")]);
    if (shared) fs.writeFileSync(imagesFile, JSON.stringify({ templates: Object.fromEntries(pusher.templates), pushed: images.pushed }));
    for (const tag of initial) {
      const r = await rig.ssh(`deploy web ${tag}`);
      if (r.code !== 0) throw new Error(`the initial deploy of ${tag} failed: ${r.stderr}`);
    }
    logStart = readLog(dir).length;
  }, 1_200_000);

  afterEach(async () => {
    const left = [...loads];
    loads.clear();
    await Promise.all(left.map((l) => l.stop()));
  });

  afterAll(async () => {
    try {
      // A shared rehearsal stays for the next file; the global setup takes it down at the end of the run.
      if (state && !shared) await down(dir);
    } finally {
      pusher?.dispose();
      if (shared) fs.rmSync(`${dir}.lock`, { force: true });
      else fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  return rig;
}
