// A load generator that counts every failure: `connections` keep-alive connections sending GETs and
// as many sending POSTs (with a body), each connection one request after another until stopped.
// A failed request is any status other than 200 or any socket error (reset, refused, timeout); a
// closed idle keep-alive connection is not a failure only because Node never sends on one it knows
// is closed, exactly like a browser or wrk. Timeouts are generous: the machine is shared and slow
// answers are not what is measured here, failures are.
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";

/**
 * Niceness of the generator while it runs. Integration files run two at a time on a 2-core machine: at
 * full priority the generator (close to one core of TLS by itself) starves the file beside it. Niced, it sends
 * as fast as the CPU the others leave allows: every connection keeps one request after another going, so
 * a switch still meets requests in flight; only the count per second drops when the machine is busy.
 * nginx, the apps and the deploy program run at normal priority either way.
 */
export const LOAD_NICE = 10;

let niced = 0;
let niceBefore = 0;
/** Lowers this thread's priority to `level` for the first running load; restores it when the last one stops. */
function nice(on: boolean, level: number): void {
  if (level <= 0) return;
  try {
    if (on && niced++ === 0) {
      niceBefore = os.getPriority();
      os.setPriority(Math.max(niceBefore, level));
    } else if (!on && --niced === 0) {
      os.setPriority(niceBefore); // raising it back needs CAP_SYS_NICE, which the integration tests have (root)
    }
  } catch {
    // Not permitted: the load runs at whatever priority the process has.
  }
}

export interface LoadTarget {
  /** Base URL, e.g. https://127.0.0.1:8443/ */
  readonly url: string;
  /** Host header (and TLS server name); unset = the URL's host. */
  readonly host?: string | null;
  /** CA to verify HTTPS against. */
  readonly ca?: string;
  /** Paths to spread requests over, e.g. ["/", "/api/items"]. */
  readonly paths: readonly string[];
}

export interface LoadResult {
  readonly requests: number;
  readonly ok: number;
  /** status -> count, for every status other than 200. */
  readonly badStatus: Readonly<Record<string, number>>;
  /** error code -> count (ECONNRESET, ECONNREFUSED, timeout, ...). */
  readonly errors: Readonly<Record<string, number>>;
  /** Answers per `version` field of the app's JSON body. */
  readonly versions: Readonly<Record<string, number>>;
  readonly get: number;
  readonly post: number;
  readonly failed: number;
  readonly seconds: number;
  /** Lines describing the first few failures (time since start, method, path, what). */
  readonly samples: readonly string[];
}

export interface RunningLoad {
  /** Stops sending, waits for requests in flight, returns the tally. */
  stop(): Promise<LoadResult>;
  /** Requests answered so far. */
  count(): number;
}

/** Starts the load; call stop() to end it. `niceness` 0 keeps the caller's priority (the benchmarks). */
export function startLoad(target: LoadTarget, connections = 32, timeoutMs = 60_000, niceness = LOAD_NICE): RunningLoad {
  const u = new URL(target.url);
  const mod = u.protocol === "https:" ? https : http;
  let stopped = false;
  let requests = 0;
  let ok = 0;
  let get = 0;
  let post = 0;
  const badStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const samples: string[] = [];
  const started = Date.now();
  const body = Buffer.from(JSON.stringify({ item: "berth", note: "x".repeat(512) }));
  const note = (what: string, method: string, p: string): void => {
    if (samples.length < 10) samples.push(`${((Date.now() - started) / 1000).toFixed(2)}s ${method} ${p}: ${what}`);
  };

  const worker = async (method: "GET" | "POST", n: number): Promise<void> => {
    // One agent per worker with one socket: each worker is one client connection, kept alive.
    const agentOpts = { keepAlive: true, maxSockets: 1, ...(target.ca ? { ca: target.ca } : {}), ...(target.host ? { servername: target.host } : {}) };
    const agent = u.protocol === "https:" ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    let i = n;
    while (!stopped) {
      const p = target.paths[i++ % target.paths.length];
      await new Promise<void>((resolve) => {
        const req = mod.request(
          {
            host: u.hostname,
            port: u.port,
            path: p,
            method,
            agent,
            headers: {
              ...(target.host ? { host: target.host } : {}),
              ...(method === "POST" ? { "content-type": "application/json", "content-length": body.length } : {}),
            },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              requests++;
              if (method === "GET") get++;
              else post++;
              if (res.statusCode === 200) {
                ok++;
                try {
                  const v = String((JSON.parse(Buffer.concat(chunks).toString()) as { version?: unknown }).version);
                  versions[v] = (versions[v] ?? 0) + 1;
                } catch {
                  versions["(not json)"] = (versions["(not json)"] ?? 0) + 1;
                }
              } else {
                badStatus[String(res.statusCode)] = (badStatus[String(res.statusCode)] ?? 0) + 1;
                note(`HTTP ${res.statusCode}`, method, p);
              }
              resolve();
            });
            res.on("error", (e: NodeJS.ErrnoException) => {
              requests++;
              errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1;
              note(e.code ?? e.message, method, p);
              resolve();
            });
          },
        );
        req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
        req.on("error", (e: NodeJS.ErrnoException) => {
          requests++;
          errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1;
          note(e.code ?? e.message, method, p);
          resolve();
        });
        if (method === "POST") req.end(body);
        else req.end();
      });
    }
    agent.destroy();
  };

  let result: Promise<LoadResult> | undefined;
  nice(true, niceness);
  const workers = [...Array.from({ length: connections }, (_, n) => worker("GET", n)), ...Array.from({ length: connections }, (_, n) => worker("POST", n))];
  return {
    count: () => requests,
    stop(): Promise<LoadResult> {
      // Once: a second call gets the same tally.
      result ??= (async () => {
        stopped = true;
        await Promise.all(workers);
        nice(false, niceness);
        const failed = Object.values(badStatus).reduce((x, y) => x + y, 0) + Object.values(errors).reduce((x, y) => x + y, 0);
        return { requests, ok, badStatus, errors, versions, get, post, failed, seconds: (Date.now() - started) / 1000, samples };
      })();
      return result;
    },
  };
}
