// The local rehearsal: a stack's host layer (nginx + registry) on this machine, on loopback ports,
// with the very files the stack puts on the host, re-rooted under a scratch directory.
//
//   <dir>/etc, var, run ...      the host files (same renderer as the stack, root = <dir>)
//   <dir>/rehearsal/             state.json, TLS CA and keys, generated passwords (0600)
//   <dir>/endpoints.json         what clients need: registry host:port, credentials, CA, base URLs
//
// The nginx files go through host/apply-nginx.sh exactly as on the host; the registry runs as the
// `docker-registry` binary instead of the registry container (no Docker engine here). Two things
// cannot be had offline and are stood in for, and said so: a stack that keeps images in S3 keeps
// them in <dir>/var/lib/berth/registry here, and Cloudflare's address ranges (for the real-IP
// restore of proxied names) are 127.0.0.2/32, so `curl --interface 127.0.0.2` plays Cloudflare.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { parseConfig, type Config } from "../../config";
import { hostDirectories, hostFiles } from "../../components/render/hostFiles";
import { servedNames } from "../../lib/certificates";
import { proxiedServedNames } from "../../lib/dnsPlan";
import { htpasswdEntry } from "../../components/render/htpasswd";
import { HOST_PATHS, NGINX_OWNED_DIRS, reroot, type HostFile } from "../../components/render/paths";
import { readStackFile, toRawConfigInput, PROJECT_DIR } from "../../offline/stackFile";
import { applyNginxFiles, writeHostFiles, type NginxInvocation } from "./files";
import { assertPortFree, freePort, pidAlive, readPidFile, requireBinary, stopProcess, waitFor } from "./procs";
import { ensureRehearsalTls } from "./tls";

/** <dir>/endpoints.json: everything a client needs to use the rehearsal. */
export interface Endpoints {
  /** host:port that skopeo/docker push to (through nginx when the stack proxies the registry). */
  readonly registry: string;
  readonly username: string;
  /** File holding the registry password (mode 0600). */
  readonly passwordFile: string;
  /** CA certificate that signed every served certificate. */
  readonly caFile: string;
  /** Base URL of nginx's plain-HTTP port, e.g. http://127.0.0.1:8080. */
  readonly http: string;
  /** Base URL of nginx's HTTPS port. */
  readonly https: string;
}

/** What `up` remembers for `down` and for tests (<dir>/rehearsal/state.json). */
export interface RehearsalState {
  readonly stack: string;
  readonly dir: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Port the registry process binds on 127.0.0.1. */
  readonly registryPort: number;
  /** How clients reach the registry: its own TLS port (direct) or nginx (proxy); off when disabled. */
  readonly registryMode: "direct" | "proxy" | "off";
  readonly registryConfig: string;
  readonly registryPidFile: string;
  readonly registryLog: string;
  readonly nginx: NginxInvocation;
  /** Password files of extra hosts with basic auth, by hostname. */
  readonly basicAuthPasswordFiles: Readonly<Record<string, string>>;
  /** Where the stack keeps images, and where the rehearsal does (always a directory here). */
  readonly registryStorage: { readonly stack: "s3" | "filesystem"; readonly rehearsal: "filesystem" };
  /** Addresses nginx trusts as Cloudflare for proxied names (Cloudflare's ranges on the host). */
  readonly cloudflareRanges: readonly string[];
}

/** What stands in for Cloudflare's address ranges: connect from 127.0.0.2 to play Cloudflare. */
export const REHEARSAL_CLOUDFLARE_RANGES: readonly string[] = ["127.0.0.2/32"];

/** Options of `up`. */
export interface UpOptions {
  /** Stack name: reads Pulumi.<stack>.yaml. */
  readonly stack: string;
  /** Scratch directory (created if missing). */
  readonly dir: string;
  /** nginx HTTP port on 127.0.0.1. @default a free port */
  readonly httpPort?: number;
  /** nginx HTTPS port on 127.0.0.1. @default a free port */
  readonly httpsPort?: number;
  /** Registry port on 127.0.0.1. @default a free port */
  readonly registryPort?: number;
  /** Addresses that stand in for Cloudflare's ranges. @default REHEARSAL_CLOUDFLARE_RANGES */
  readonly cloudflareRanges?: readonly string[];
  /** Directory holding Pulumi.yaml and the stack files. @default the repository root */
  readonly projectDir?: string;
  /** Progress lines. @default silent */
  readonly log?: (line: string) => void;
}

const STATE = (dir: string): string => path.join(dir, "rehearsal", "state.json");
const ENDPOINTS = (dir: string): string => path.join(dir, "endpoints.json");

/** Reads state.json; throws when `dir` holds no rehearsal. */
export function readState(dir: string): RehearsalState {
  const file = STATE(path.resolve(dir));
  if (!fs.existsSync(file)) throw new Error(`no rehearsal in ${dir} (missing ${file}); start one with: npm run local -- up <stack> --dir ${dir}`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as RehearsalState;
}

/** Reads endpoints.json. */
export function readEndpoints(dir: string): Endpoints {
  return JSON.parse(fs.readFileSync(ENDPOINTS(path.resolve(dir)), "utf8")) as Endpoints;
}

/** The stack's validated config. */
export function loadStackConfig(stack: string, projectDir: string = PROJECT_DIR): Config {
  return parseConfig(toRawConfigInput(readStackFile(stack, projectDir)));
}

function secretFile(file: string, make: () => string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, make(), { mode: 0o600 });
  }
  fs.chmodSync(file, 0o600);
  return fs.readFileSync(file, "utf8").trim();
}

const randomPassword = (): string => randomBytes(24).toString("base64url");

/** GET `url`; resolves with the status (TLS verified against `ca` when given). */
export function httpStatus(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const req = mod.get(url, { ...(ca ? { ca } : {}), timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Starts the registry binary in the background and waits until it answers /v2/ with 401. */
export async function startRegistry(state: RehearsalState): Promise<void> {
  if (state.registryMode === "off") return;
  const old = readPidFile(state.registryPidFile);
  if (old !== undefined && pidAlive(old)) throw new Error(`the registry of ${state.dir} already runs (pid ${old})`);
  const bin = requireBinary("docker-registry");
  fs.mkdirSync(path.dirname(state.registryLog), { recursive: true });
  const log = fs.openSync(state.registryLog, "a");
  // As on the host: http.secret arrives in the environment, never in the config file. Nothing of
  // this machine's AWS settings reaches the registry (a stray AWS_CA_BUNDLE even stops it starting).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  env.REGISTRY_HTTP_SECRET = secretFile(path.join(state.dir, "rehearsal", "registry-http-secret"), randomPassword);
  const child = spawn(bin, ["serve", state.registryConfig], { detached: true, stdio: ["ignore", log, log], env });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${bin}`);
  child.unref();
  fs.mkdirSync(path.dirname(state.registryPidFile), { recursive: true });
  fs.writeFileSync(state.registryPidFile, `${child.pid}\n`);
  const ca = state.registryMode === "direct" ? fs.readFileSync(path.join(state.dir, "rehearsal", "tls", "ca.crt"), "utf8") : undefined;
  const url = `${state.registryMode === "direct" ? "https" : "http"}://127.0.0.1:${state.registryPort}/v2/`;
  const pid = child.pid;
  const up = await waitFor(async () => {
    if (!pidAlive(pid)) throw new Error("exited");
    return (await httpStatus(url, ca)) === 401;
  }, 15_000);
  if (!up) {
    await stopProcess(pid, "docker-registry").catch(() => undefined);
    throw new Error(`the registry did not answer ${url} with 401 within 15 s; last lines of ${state.registryLog}:\n${tail(state.registryLog)}`);
  }
}

/** Stops the registry (if running) and waits until it is gone. */
export async function stopRegistry(state: RehearsalState): Promise<"stopped" | "not-running"> {
  const pid = readPidFile(state.registryPidFile);
  const result = pid === undefined ? "not-running" : await stopProcess(pid, "docker-registry");
  fs.rmSync(state.registryPidFile, { force: true });
  return result;
}

/** Stops nginx (master and workers) if running. */
export async function stopNginx(state: RehearsalState): Promise<"stopped" | "not-running"> {
  const pid = readPidFile(state.nginx.pidFile);
  const result = pid === undefined ? "not-running" : await stopProcess(pid, "nginx");
  fs.rmSync(state.nginx.pidFile, { force: true });
  return result;
}

/** Everything `up` rendered for the rehearsal, for tests that re-deliver or inspect them. */
export interface RehearsalRender {
  readonly config: Config;
  readonly files: readonly HostFile[];
  /** nginx's files (delivered through apply-nginx.sh). */
  readonly nginxFiles: readonly HostFile[];
  /** The directories apply-nginx.sh prunes. */
  readonly ownedDirs: readonly string[];
}

/** Renders the stack's host files for the rehearsal in `state.dir` (reusing its passwords and TLS). */
export async function renderRehearsal(state: RehearsalState, projectDir?: string): Promise<RehearsalRender> {
  const stackConfig = loadStackConfig(state.stack, projectDir);
  // No S3 here: the registry keeps the images in a directory under the rehearsal (same driver
  // settings otherwise; the S3 configuration itself is checked by the tests of the renderer).
  const config: Config = { ...stackConfig, registry: { ...stackConfig.registry, storage: "filesystem" } };
  const dir = state.dir;
  const priv = path.join(dir, "rehearsal");
  const tls = await ensureRehearsalTls(path.join(priv, "tls"), [...servedNames(config), ...config.tls.extraNames]);
  const password = secretFile(path.join(priv, "registry-password"), randomPassword);
  // Keys the bcrypt salts, like the stack's state-held key: same rehearsal, same htpasswd lines.
  const saltKey = secretFile(path.join(priv, "htpasswd-salt-key"), randomPassword);
  const extraHostAuth: Record<string, string> = {};
  for (const h of config.proxy.extraHosts) {
    if (h.basicAuthUser === undefined) continue;
    const pw = secretFile(state.basicAuthPasswordFiles[h.hostname], randomPassword);
    extraHostAuth[h.hostname] = htpasswdEntry(h.basicAuthUser, pw, saltKey);
  }
  const options = {
    root: dir,
    listenAddress: "127.0.0.1",
    httpPort: state.httpPort,
    httpsPort: state.httpsPort,
    registryPort: state.registryPort,
    registryListenAddress: `127.0.0.1:${state.registryPort}`,
    // The public registry name does not resolve here: answer for 127.0.0.1 and localhost as well.
    registryExtraServerNames: ["127.0.0.1", "localhost"],
    // As root, nginx would switch workers to nobody, who cannot read the 0700 scratch dir.
    nginxUser: process.getuid?.() === 0 ? "root" : null,
    nginxTempUnderRoot: true,
  } as const;
  const proxied = proxiedServedNames(config);
  const files = hostFiles({
    config,
    tls,
    ...(proxied.length > 0 ? { realIp: { names: proxied, ranges: state.cloudflareRanges } } : {}),
    ...(config.registry.enabled ? { registry: { username: config.registry.username, htpasswdLine: htpasswdEntry(config.registry.username, password, saltKey) } } : {}),
    extraHostAuth,
    options,
  });
  for (const d of hostDirectories(config, options)) fs.mkdirSync(d, { recursive: true });
  return {
    config,
    files,
    nginxFiles: files.filter((f) => f.usedBy.includes("nginx") && !f.usedBy.includes("registry")),
    ownedDirs: NGINX_OWNED_DIRS.map((d) => reroot(dir, d)),
  };
}

/** Renders, starts nginx and the registry, waits until both answer, writes endpoints.json. */
export async function up(opts: UpOptions): Promise<Endpoints> {
  const log = opts.log ?? ((): void => undefined);
  for (const bin of ["nginx", "docker-registry", "openssl", "bash"]) requireBinary(bin);
  const config = loadStackConfig(opts.stack, opts.projectDir);
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(STATE(dir))) {
    const prev = readState(dir);
    if (prev.stack !== opts.stack) throw new Error(`${dir} holds a rehearsal of stack ${prev.stack}; use another --dir for ${opts.stack}`);
    const running = [readPidFile(prev.nginx.pidFile), readPidFile(prev.registryPidFile)].filter((p): p is number => p !== undefined && pidAlive(p));
    if (running.length > 0) throw new Error(`a rehearsal already runs in ${dir} (pids ${running.join(", ")}); stop it with: npm run local -- down --dir ${dir}`);
  }

  const ports: Array<[number | undefined, string]> = [[opts.httpPort, "--http-port"], [opts.httpsPort, "--https-port"], [opts.registryPort, "--registry-port"]];
  const given = ports.filter(([p]) => p !== undefined).map(([p]) => p);
  if (new Set(given).size !== given.length) throw new Error(`--http-port, --https-port and --registry-port must differ (got ${given.join(", ")})`);
  for (const [p, what] of ports) if (p !== undefined) await assertPortFree(p, what);
  const chosen: number[] = [];
  const pick = async (p: number | undefined): Promise<number> => {
    if (p !== undefined) return p;
    for (;;) {
      const f = await freePort();
      if (!chosen.includes(f) && !given.includes(f)) { chosen.push(f); return f; }
    }
  };
  const httpPort = await pick(opts.httpPort);
  const httpsPort = await pick(opts.httpsPort);
  const registryPort = await pick(opts.registryPort);

  const r = (p: string): string => reroot(dir, p);
  const nginxErrorLog = path.join(r(HOST_PATHS.nginxLogDir), "error.log");
  const state: RehearsalState = {
    stack: opts.stack,
    dir,
    httpPort,
    httpsPort,
    registryPort,
    registryMode: !config.registry.enabled ? "off" : config.registry.expose,
    registryConfig: r(HOST_PATHS.registryConfig),
    registryPidFile: r("/run/berth-registry.pid"),
    registryLog: r("/var/log/berth/registry.log"),
    nginx: {
      args: ["-p", `${dir}/`, "-c", r(HOST_PATHS.nginxConf), "-e", nginxErrorLog],
      pidFile: r(HOST_PATHS.nginxPid),
    },
    basicAuthPasswordFiles: Object.fromEntries(config.proxy.extraHosts.filter((h) => h.basicAuthUser !== undefined)
      .map((h) => [h.hostname, path.join(dir, "rehearsal", "basic-auth", h.hostname)])),
    registryStorage: { stack: config.registry.storage, rehearsal: "filesystem" },
    cloudflareRanges: [...(opts.cloudflareRanges ?? REHEARSAL_CLOUDFLARE_RANGES)],
  };
  if (config.registry.enabled && config.registry.storage === "s3") log(`registry: the stack keeps images in S3; here they go to ${r(config.registry.dataDir)}`);
  if (proxiedServedNames(config).length > 0) log(`Cloudflare-proxied names: nginx trusts ${state.cloudflareRanges.join(", ")} as Cloudflare here`);
  fs.mkdirSync(path.dirname(STATE(dir)), { recursive: true, mode: 0o700 });
  fs.writeFileSync(STATE(dir), `${JSON.stringify(state, null, 2)}\n`);

  log(`rendering stack ${opts.stack} into ${dir}`);
  const rendered = await renderRehearsal(state, opts.projectDir);
  try {
    // Registry and TLS files first: nginx's configuration test reads the certificate.
    writeHostFiles(rendered.files.filter((f) => !rendered.nginxFiles.includes(f)));
    if (state.registryMode !== "off") {
      log(`starting docker-registry on 127.0.0.1:${registryPort} (${state.registryMode})`);
      await startRegistry(state);
    }
    if (config.proxy.enabled) {
      log(`starting nginx on 127.0.0.1:${httpPort} (http) and 127.0.0.1:${httpsPort} (https)`);
      await applyNginxFiles(rendered.nginxFiles, rendered.ownedDirs, state.nginx);
      const ok = await waitFor(async () => (await httpStatus(`http://127.0.0.1:${httpPort}/`)) === 301, 10_000);
      if (!ok) throw new Error(`nginx did not answer on 127.0.0.1:${httpPort}; last lines of its error log:\n${tail(nginxErrorLog)}`);
    }
  } catch (e) {
    await down(dir).catch(() => undefined);
    throw e;
  }

  const endpoints: Endpoints = {
    // By name behind nginx: a client sends "localhost" in SNI, and nginx refuses handshakes without
    // a served name (its default server has ssl_reject_handshake on), as on the host.
    registry: state.registryMode === "proxy" ? `localhost:${httpsPort}` : `127.0.0.1:${registryPort}`,
    username: config.registry.username,
    passwordFile: path.join(dir, "rehearsal", "registry-password"),
    caFile: path.join(dir, "rehearsal", "tls", "ca.crt"),
    http: `http://127.0.0.1:${httpPort}`,
    https: `https://127.0.0.1:${httpsPort}`,
  };
  fs.writeFileSync(ENDPOINTS(dir), `${JSON.stringify(endpoints, null, 2)}\n`);
  return endpoints;
}

/** Stops nginx and the registry of the rehearsal in `dir`; throws if anything survives. */
export async function down(dir: string): Promise<{ nginx: string; registry: string }> {
  const state = readState(dir);
  const [nginx, registry] = await Promise.all([stopNginx(state), stopRegistry(state)]);
  return { nginx, registry };
}
