// The local rehearsal: a stack's host layer on this machine, on loopback ports, with the very files
// the stack puts on the host, re-rooted under a scratch directory.
//
//   <dir>/etc, usr, var, run ...  the host files (same renderers as the stack, root = <dir>)
//   <dir>/rehearsal/              state.json, TLS CA and keys, SSH keys, generated passwords (0600)
//   <dir>/endpoints.json          what clients need: registry, credentials, CA, URLs, Docker, SSH
//
// As on the host: the registry and the apps run as containers on a real Docker Engine (a private
// dockerd unless one is given), nginx gets its files through host/apply-nginx.sh, the deploy program
// (host/berth-deploy) is installed with its apps file, switch, sudoers rule and forced-command key,
// and a real sshd lets the deploy key in. App ports are moved to free ports (like nginx's), and
// every name that must be unique on a shared machine (user, iptables chain, containers) carries
// the rehearsal's id. Needs root: it starts dockerd and sshd, adds a user and iptables rules.
// Two things cannot be had offline and are stood in for, and said so: a stack that keeps images in
// S3 keeps them in <dir>/var/lib/berth/registry here, and Cloudflare's address ranges (for the
// real-IP restore of proxied names) are 127.0.0.2/32, so `curl --interface 127.0.0.2` plays Cloudflare.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { parseConfig, type Config } from "../../config";
import { renderAppDatabaseScript } from "../../components/render/appDatabase";
import { appEnvFiles } from "../../components/render/appEnv";
import { deployToolingFiles, renderRegistryAuth, renderSudoers } from "../../components/render/deploy";
import { hostDirectories, hostFiles, registryContainerSpec } from "../../components/render/hostFiles";
import { isStandIn } from "../../config/input";
import { appDatabaseEnv, appDatabaseName, appDatabaseUser } from "../../lib/appDatabase";
import { DB_PASSWORD_SECRET } from "../../lib/appRuntime";
import { servedNames } from "../../lib/certificates";
import { networkGateway } from "../../lib/deployRules";
import { proxiedServedNames } from "../../lib/dnsPlan";
import { htpasswdEntry } from "../../components/render/htpasswd";
import { HOST_PATHS, NGINX_OWNED_DIRS, reroot, type HostFile } from "../../components/render/paths";
import { readStackFile, toRawConfigInput, PROJECT_DIR } from "../../offline/stackFile";
import { dockerCli, dockerOk, ensureRegistryImage, freeAppsSubnet, startPrivateDockerd, stopPrivateDockerd, type PrivateDockerd } from "./docker";
import { applyNginxFiles, writeHostFiles, type NginxInvocation } from "./files";
import { assertPortFree, claimFreePort, claimPort, pidAlive, readPidFile, releasePorts, requireBinary, run, stopProcess, waitFor } from "./procs";
import { createDeployUser, ensureKeys, installSudoers, removeDeployAccess, sshArgs, startSshd, type SshAccess } from "./sshd";
import { createAdminUser, startMariaDb, stopMariaDb, type MariaDbServer } from "./mariadb";
import { ensureRehearsalTls } from "./tls";
import { Refused } from "../entry";

/** The deploy program in this checkout (the same file Pulumi installs on the host). */
export const DEPLOY_PROGRAM = path.resolve(__dirname, "..", "..", "host", "berth-deploy");

/** How to reach one app through the rehearsal's nginx. */
export interface AppEndpoint {
  /** HTTPS URL on 127.0.0.1. */
  readonly url: string;
  /** Host header to send (the app's first hostname), or null for the catch-all app. */
  readonly host: string | null;
}

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
  /** DOCKER_HOST of the engine running the registry and the apps. */
  readonly dockerHost: string;
  /** Each app by name. */
  readonly apps: Readonly<Record<string, AppEndpoint>>;
  /** sshd on 127.0.0.1 for the deploy user (forced command: the deploy program). */
  readonly sshPort: number;
  readonly sshUser: string;
  /** The deploy user's private key (mode 0600). */
  readonly sshKeyFile: string;
  /** known_hosts line for the rehearsal's sshd. */
  readonly sshKnownHostsFile: string;
}

/** What `up` remembers for `down` and for tests (<dir>/rehearsal/state.json). */
export interface RehearsalState {
  readonly stack: string;
  readonly dir: string;
  /** Short random id carried by every name that must be unique on the machine. */
  readonly id: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Port the registry container publishes on 127.0.0.1. */
  readonly registryPort: number;
  /** How clients reach the registry: its own TLS port (direct) or nginx (proxy); off when disabled. */
  readonly registryMode: "direct" | "proxy" | "off";
  readonly registryConfig: string;
  readonly registryContainer: string;
  readonly nginx: NginxInvocation;
  /** Password files of extra hosts with basic auth, by hostname. */
  readonly basicAuthPasswordFiles: Readonly<Record<string, string>>;
  /** App ports moved to free ones: "<app>.<frontend|backend>.<bluePort|greenPort|livePort>" -> port. */
  readonly appPorts: Readonly<Record<string, number>>;
  readonly dockerHost: string;
  /** Set when `up` started its own daemon (then `down` stops it). */
  readonly dockerd?: PrivateDockerd;
  /** iptables chain and container-name prefix of this rehearsal's deploy program. */
  readonly chain: string;
  readonly namePrefix: string;
  /** The deploy program's Docker network for app containers (its own /16 and bridge per rehearsal). */
  readonly appsNetwork: { readonly name: string; readonly subnet: string; readonly bridge: string };
  /** The RDS stand-in (a private MariaDB on the apps network's gateway address), when an app has `database: true`. */
  readonly database?: { readonly port: number; readonly server?: MariaDbServer };
  /** Where the stack files were read from (a second `up` reads the same). */
  readonly projectDir?: string;
  /** The deploy program under <dir>. */
  readonly program: string;
  readonly ssh: SshAccess;
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
  /** sshd port on 127.0.0.1. @default a free port */
  readonly sshPort?: number;
  /** Use this Docker Engine (DOCKER_HOST) instead of starting a private one. */
  readonly dockerHost?: string;
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

/** The stack's validated config. */
export function loadStackConfig(stack: string, projectDir: string = PROJECT_DIR): Config {
  return parseConfig(toRawConfigInput(readStackFile(stack, projectDir)));
}

/**
 * The config the rehearsal renders from: the stack's, with images in a directory under the
 * rehearsal instead of S3 (same driver settings otherwise; the S3 configuration itself is checked
 * by the renderer's tests) and the app ports moved to the rehearsal's free ones.
 */
export function rehearsalConfig(state: Pick<RehearsalState, "stack" | "appPorts">, projectDir?: string): Config {
  const stackConfig = loadStackConfig(state.stack, projectDir);
  return withAppPorts({ ...stackConfig, registry: { ...stackConfig.registry, storage: "filesystem" } }, state.appPorts);
}

type Part = "frontend" | "backend";
type PortKind = "bluePort" | "greenPort" | "livePort";
const PORT_KINDS: readonly PortKind[] = ["livePort", "bluePort", "greenPort"];

/** The config with every app port replaced as `ports` says (the rehearsal's free ports). */
export function withAppPorts(config: Config, ports: Readonly<Record<string, number>>): Config {
  const move = (app: string, role: Part, p: Config["proxy"]["apps"][number]["frontend"]): typeof p => ({
    ...p,
    ...Object.fromEntries(PORT_KINDS.map((k) => [k, ports[`${app}.${role}.${k}`] ?? p[k]])),
  });
  return {
    ...config,
    proxy: {
      ...config.proxy,
      apps: config.proxy.apps.map((a) => ({
        ...a,
        frontend: move(a.name, "frontend", a.frontend),
        ...(a.backend ? { backend: move(a.name, "backend", a.backend) } : {}),
      })),
    },
  };
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

/** Starts (or creates) the registry container and waits until it answers /v2/ with 401. */
export async function startRegistry(state: RehearsalState): Promise<void> {
  if (state.registryMode === "off") return;
  const config = rehearsalConfig(state);
  const docker = dockerCli(state.dockerHost);
  const exists = (await docker(["container", "inspect", "--format", "{{.Id}}", state.registryContainer])).code === 0;
  if (exists) {
    await dockerOk(state.dockerHost, ["start", state.registryContainer]);
  } else {
    const spec = registryContainerSpec(config);
    await ensureRegistryImage(state.dockerHost, spec.image);
    const mounts = spec.mounts.flatMap((m) => ["-v", `${reroot(state.dir, m.hostPath)}:${reroot(state.dir, m.containerPath)}${m.readOnly ? ":ro" : ""}`]);
    // As on the host: http.secret arrives in the environment (from a root-only file, never in an
    // argument list), never in the config file.
    const envFile = path.join(state.dir, "rehearsal", "registry.env");
    const secret = secretFile(path.join(state.dir, "rehearsal", "registry-http-secret"), randomPassword);
    fs.writeFileSync(envFile, `REGISTRY_HTTP_SECRET=${secret}\n`, { mode: 0o600 });
    await dockerOk(state.dockerHost, [
      "run",
      "-d",
      "--name",
      state.registryContainer,
      "--restart",
      "unless-stopped",
      "--env-file",
      envFile,
      "-p",
      `127.0.0.1:${state.registryPort}:${state.registryPort}`,
      ...mounts,
      spec.image,
      state.registryConfig,
    ]);
  }
  const ca = state.registryMode === "direct" ? fs.readFileSync(path.join(state.dir, "rehearsal", "tls", "ca.crt"), "utf8") : undefined;
  const url = `${state.registryMode === "direct" ? "https" : "http"}://127.0.0.1:${state.registryPort}/v2/`;
  // Generous: two rehearsals booting side by side on two cores can take a while to start a container.
  const up = await waitFor(async () => (await httpStatus(url, ca)) === 401, 60_000);
  if (!up) {
    const logs = await docker(["logs", "--tail", "20", state.registryContainer]);
    throw new Error(`the registry container did not answer ${url} with 401 within 60 s:\n${logs.stdout}${logs.stderr}`);
  }
}

/** Stops the registry container (kept, with its data in <dir>). */
export async function stopRegistry(state: RehearsalState): Promise<"stopped" | "not-running"> {
  if (state.registryMode === "off") return "not-running";
  const docker = dockerCli(state.dockerHost);
  const running = (await docker(["container", "inspect", "--format", "{{.State.Running}}", state.registryContainer])).stdout.trim() === "true";
  if (!running) return "not-running";
  await dockerOk(state.dockerHost, ["stop", state.registryContainer]);
  return "stopped";
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
  /** The stack's config with the rehearsal's app ports. */
  readonly config: Config;
  readonly files: readonly HostFile[];
  /** nginx's files (delivered through apply-nginx.sh). */
  readonly nginxFiles: readonly HostFile[];
  /** The directories apply-nginx.sh prunes. */
  readonly ownedDirs: readonly string[];
  /** The deploy tooling (program, apps file, sudoers, key, units) and the registry login (secret). */
  readonly deployFiles: readonly HostFile[];
}

/**
 * The secrets an app part declares that the offline config could not read (a stack encrypted with
 * a passphrase that was not given, or another secrets provider): `up` refuses to start such an app.
 */
export function unreadableAppSecrets(config: Config): string[] {
  const out: string[] = [];
  for (const app of config.proxy.apps) {
    const values = config.appSecrets[app.name] ?? {};
    const names = [
      ...(app.frontend.secrets ?? []),
      ...(app.backend?.secrets ?? []),
      ...(app.database && values[DB_PASSWORD_SECRET] !== undefined ? [DB_PASSWORD_SECRET] : []),
    ];
    for (const n of names) if (values[n] !== undefined && isStandIn(values[n])) out.push(`berth:appSecrets.${app.name}.${n}`);
  }
  return [...new Set(out)];
}

/** The master login of the rehearsal's RDS stand-in (made once per rehearsal, kept under its private dir). */
function rehearsalDatabaseMaster(state: Pick<RehearsalState, "dir">, config: Config): { user: string; password: string } {
  return { user: config.database.username, password: secretFile(path.join(state.dir, "rehearsal", "database-master-password"), randomPassword) };
}

/** An app's database env in the rehearsal: the stand-in server on the apps network's gateway, no TLS. */
function rehearsalDatabaseEnv(state: RehearsalState, app: string, config: Config): Record<string, string> {
  if (!state.database) throw new Error(`app ${app} has database: true but the rehearsal has no database port`);
  return appDatabaseEnv({
    host: networkGateway(state.appsNetwork.subnet),
    port: state.database.port,
    database: appDatabaseName(app),
    user: appDatabaseUser(app),
    password: rehearsalAppDbPassword(state, app, config),
    tls: false,
  });
}

function rehearsalAppDbPassword(state: Pick<RehearsalState, "dir">, app: string, config: Config): string {
  return config.appSecrets[app]?.[DB_PASSWORD_SECRET] ?? secretFile(path.join(state.dir, "rehearsal", `db-password-${app}`), randomPassword);
}

/**
 * Starts the RDS stand-in when an app has a database (or reuses the running one) and runs the same
 * creation step as `pulumi up` (the mariadb flavor of its SQL) with the master login.
 */
async function ensureDatabases(state: RehearsalState, config: Config, log: (line: string) => void): Promise<RehearsalState> {
  const apps = config.proxy.apps.filter((a) => a.database);
  if (apps.length === 0 || !state.database) return state;
  let server = state.database.server;
  if (!server || readPidFile(server.pidFile) === undefined || !pidAlive(readPidFile(server.pidFile)!)) {
    const host = networkGateway(state.appsNetwork.subnet);
    log(`starting a private MariaDB (the RDS stand-in) on ${host}:${state.database.port}`);
    server = await startMariaDb(path.join(state.dir, "rehearsal", "db"), { host, port: state.database.port });
    state = { ...state, database: { ...state.database, server } };
    saveState(state);
  }
  const master = rehearsalDatabaseMaster(state, config);
  await createAdminUser(server, master);
  const script = renderAppDatabaseScript(
    { host: server.host, port: server.port, user: master.user, password: master.password },
    apps.map((a) => ({ app: a.name, password: rehearsalAppDbPassword(state, a.name, config) })),
    "mariadb",
    // The deploy program's login for its password check, kept under the rehearsal's root as on the host.
    reroot(state.dir, HOST_PATHS.dbAdminOptions),
  );
  const r = await run(requireBinary("bash"), ["-s"], { input: script });
  if (r.code !== 0) throw new Error(`the app databases' creation step failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`);
  log(`app databases ready: ${apps.map((a) => appDatabaseName(a.name)).join(", ")}`);
  return state;
}

/** Renders the stack's host files for the rehearsal in `state.dir` (reusing its passwords and TLS). */
export async function renderRehearsal(state: RehearsalState, projectDir?: string): Promise<RehearsalRender> {
  const config = rehearsalConfig(state, projectDir);
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
    // Inside its container the registry listens on all addresses; Docker publishes it on loopback.
    registryListenAddress: `:${state.registryPort}`,
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
    ...(config.registry.enabled
      ? { registry: { username: config.registry.username, htpasswdLine: htpasswdEntry(config.registry.username, password, saltKey) } }
      : {}),
    extraHostAuth,
    options,
  });
  // Each app's runtime files (env file, multi-line secrets, its database), as pulumi up delivers them.
  const appFiles = config.proxy.apps.flatMap((app) =>
    appEnvFiles(app, { secrets: config.appSecrets[app.name] ?? {}, ...(app.database ? { database: rehearsalDatabaseEnv(state, app.name, config) } : {}) }).map(
      (f) => ({ ...f, path: reroot(dir, f.path) }),
    ),
  );
  const deployFiles: HostFile[] = [
    ...appFiles,
    ...deployToolingFiles({
      config,
      program: fs.readFileSync(DEPLOY_PROGRAM, "utf8"),
      deployPublicKey: state.ssh.publicKey,
      options: {
        root: dir,
        deployUser: state.ssh.user,
        chain: state.chain,
        namePrefix: state.namePrefix,
        dockerHost: state.dockerHost,
        registryPort: state.registryPort,
        registryContainer: state.registryContainer,
        network: state.appsNetwork,
        logs: { driver: "local" }, // no CloudWatch here: Docker's local driver, which `docker logs` reads
        databaseFlavor: "mariadb", // the RDS stand-in: no dual passwords
        dataVolumeMount: null, // no EBS volume here: /srv/berth under the rehearsal's root is a plain directory
      },
    }),
    ...(config.registry.enabled
      ? [
          {
            path: reroot(dir, HOST_PATHS.deployDockerConfig),
            mode: 0o600,
            secret: true,
            usedBy: [],
            content: renderRegistryAuth(`127.0.0.1:${state.registryPort}`, config.registry.username, password),
          } satisfies HostFile,
        ]
      : []),
  ];
  for (const d of hostDirectories(config, options)) fs.mkdirSync(d, { recursive: true });
  return {
    config,
    files,
    nginxFiles: files.filter((f) => f.usedBy.includes("nginx") && !f.usedBy.includes("registry")),
    ownedDirs: NGINX_OWNED_DIRS.map((d) => reroot(dir, d)),
    deployFiles,
  };
}

/** Runs the installed deploy program as root (restore, teardown, or a user command). */
export async function runProgram(state: RehearsalState, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Through its own #! line (/usr/bin/python3 -I), as systemd and sudo run it on the host.
  return run(state.program, args, { timeoutMs: 600_000 });
}

/** Runs the deploy program over the rehearsal's SSH as the deploy user, exactly as CI does. */
export async function runOverSsh(state: RehearsalState, request: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(requireBinary("ssh"), [...sshArgs(state.ssh), request], { timeoutMs: 600_000 });
}

/** Renders, starts Docker, the registry, nginx, the deploy tooling and sshd; writes endpoints.json. */
export async function up(opts: UpOptions): Promise<Endpoints> {
  const log = opts.log ?? ((): void => undefined);
  requirePrerequisites();
  const config = loadStackConfig(opts.stack, opts.projectDir);
  const unreadable = unreadableAppSecrets(config);
  if (unreadable.length > 0)
    throw new Refused(
      `cannot read ${unreadable.join(", ")}: the stack file's secrets need its passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE); an app is not started on stand-in values`,
    );
  if (runningRehearsal(opts)) return apply(opts, config, log);
  const dir = claimDir(opts);
  const ports = await choosePorts(opts, config, dir).catch((e: unknown) => {
    releasePorts(dir);
    throw e;
  });
  const priv = path.join(dir, "rehearsal");
  fs.mkdirSync(priv, { recursive: true, mode: 0o700 });
  const keys = await ensureKeys(path.join(priv, "ssh"));
  let state = initialState(opts, config, dir, ports, keys);
  if (config.proxy.apps.some((a) => a.database)) state = { ...state, database: { port: await claimFreePort(dir) } };
  if (opts.projectDir) state = { ...state, projectDir: opts.projectDir };
  if (config.registry.enabled && config.registry.storage === "s3")
    log(`registry: the stack keeps images in S3; here they go to ${reroot(dir, config.registry.dataDir)}`);
  if (proxiedServedNames(config).length > 0) log(`Cloudflare-proxied names: nginx trusts ${state.cloudflareRanges.join(", ")} as Cloudflare here`);
  saveState(state);
  try {
    state = await startHostLayer(state, config, opts, keys.hostKey, log);
  } catch (e) {
    await down(dir).catch(() => undefined);
    throw e;
  }
  const endpoints = endpointsOf(state, config);
  fs.writeFileSync(ENDPOINTS(dir), `${JSON.stringify(endpoints, null, 2)}\n`);
  return endpoints;
}

/** True when `opts.dir` holds a running rehearsal of the same stack (then `up` applies changes to it). */
function runningRehearsal(opts: UpOptions): boolean {
  const dir = path.resolve(opts.dir);
  if (!fs.existsSync(STATE(dir))) return false;
  const prev = readState(dir);
  return prev.stack === opts.stack && readPidFile(prev.nginx.pidFile) !== undefined && pidAlive(readPidFile(prev.nginx.pidFile)!);
}

/**
 * `up` on a running rehearsal: applies the stack's current configuration the way `pulumi up` would,
 * re-delivering what changed (apps' env files and secrets, the apps file, the databases' creation
 * step, nginx's files through its test-then-reload) and restarting nothing: `berth-deploy restart`
 * puts new values into the apps.
 */
async function apply(opts: UpOptions, config: Config, log: (line: string) => void): Promise<Endpoints> {
  let state = readState(fs.realpathSync(path.resolve(opts.dir)));
  log(`applying stack ${opts.stack} to the running rehearsal in ${state.dir} (nothing restarts)`);
  if (config.proxy.apps.some((a) => a.database) && !state.database) state = { ...state, database: { port: await claimFreePort(state.dir) } };
  const rendered = await renderRehearsal(state, opts.projectDir ?? state.projectDir);
  writeDeployFiles(state, rendered.deployFiles);
  // As pulumi up's delivery does: the switch's chains follow the apps file (selectors, what serves, stay).
  const restored = await runProgram(state, ["restore"]);
  if (restored.code !== 0) throw new Error(`berth-deploy restore failed: ${restored.stderr.trim()}`);
  state = await ensureDatabases(state, rendered.config, log);
  if (rendered.config.proxy.enabled) await applyNginxFiles(rendered.nginxFiles, rendered.ownedDirs, state.nginx);
  saveState(state);
  const endpoints = endpointsOf(state, rendered.config);
  fs.writeFileSync(ENDPOINTS(state.dir), `${JSON.stringify(endpoints, null, 2)}\n`);
  return endpoints;
}

/** Root and every binary the rehearsal runs, before anything is made. */
function requirePrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Refused("the rehearsal needs root: it starts dockerd and sshd, adds a user and iptables rules");
  for (const bin of [
    "nginx",
    "docker",
    "dockerd",
    "openssl",
    "bash",
    "iptables",
    "iptables-restore",
    "sshd",
    "ssh",
    "ssh-keygen",
    "sudo",
    "visudo",
    "python3",
    "useradd",
    "ss",
  ])
    requireBinary(bin);
}

/** The rehearsal's directory, made and resolved; refused when it holds another stack's rehearsal or a running one. */
function claimDir(opts: UpOptions): string {
  fs.mkdirSync(path.resolve(opts.dir), { recursive: true });
  const dir = fs.realpathSync(path.resolve(opts.dir));
  if (!/^\/[A-Za-z0-9/._-]+$/.test(dir)) throw new Refused(`--dir ${dir}: use a path of plain characters (it appears in the sudoers rule)`);
  if (fs.existsSync(STATE(dir))) {
    const prev = readState(dir);
    if (prev.stack !== opts.stack) throw new Refused(`${dir} holds a rehearsal of stack ${prev.stack}; use another --dir for ${opts.stack}`);
    const running = [readPidFile(prev.nginx.pidFile), prev.dockerd ? readPidFile(prev.dockerd.pidFile) : undefined, readPidFile(prev.ssh.pidFile)].filter(
      (p): p is number => p !== undefined && pidAlive(p),
    );
    if (running.length > 0)
      throw new Refused(`a rehearsal already runs in ${dir} (pids ${running.join(", ")}); stop it with: npm run local -- down --dir ${dir}`);
  }
  return dir;
}

/** The ports a rehearsal listens on: the given ones (checked free and apart), else free ones. */
interface RehearsalPorts {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly registryPort: number;
  readonly sshPort: number;
  readonly appPorts: Record<string, number>;
}

/**
 * Every port is claimed for the rehearsal in `dir` (cli/local/procs.ts PORT_CLAIMS_DIR), given ones
 * too, so rehearsals side by side never share one: an app's live port is bound by nothing (the
 * switch is a DNAT rule), and a stopped color's port only at its next start.
 */
async function choosePorts(opts: UpOptions, config: Config, dir: string): Promise<RehearsalPorts> {
  const ports: Array<[number | undefined, string]> = [
    [opts.httpPort, "--http-port"],
    [opts.httpsPort, "--https-port"],
    [opts.registryPort, "--registry-port"],
    [opts.sshPort, "--ssh-port"],
  ];
  const given = ports.filter(([p]) => p !== undefined).map(([p]) => p);
  if (new Set(given).size !== given.length)
    throw new Refused(`--http-port, --https-port, --registry-port and --ssh-port must differ (got ${given.join(", ")})`);
  for (const [p, what] of ports)
    if (p !== undefined) {
      await assertPortFree(p, what).catch((e: unknown) => {
        throw new Refused(e instanceof Error ? e.message : String(e));
      });
      if (!claimPort(p, dir)) throw new Refused(`port ${p} (${what}) belongs to another rehearsal on this machine; pick another or omit it for a free one`);
    }
  const chosen: number[] = [];
  const pick = async (p?: number): Promise<number> => {
    if (p !== undefined) return p;
    for (;;) {
      const f = await claimFreePort(dir);
      if (!chosen.includes(f) && !given.includes(f)) {
        chosen.push(f);
        return f;
      }
    }
  };
  const httpPort = await pick(opts.httpPort);
  const httpsPort = await pick(opts.httpsPort);
  const registryPort = await pick(opts.registryPort);
  const sshPort = await pick(opts.sshPort);
  const appPorts: Record<string, number> = {};
  for (const app of config.proxy.apps) {
    for (const role of ["frontend", "backend"] as const) {
      if (!app[role]) continue;
      for (const k of PORT_KINDS) appPorts[`${app.name}.${role}.${k}`] = await pick();
    }
  }
  return { httpPort, httpsPort, registryPort, sshPort, appPorts };
}

/** The state of a new rehearsal: a fresh id, and every path and name derived from it (no Docker host yet unless given). */
function initialState(opts: UpOptions, config: Config, dir: string, ports: RehearsalPorts, keys: { keyFile: string; publicKey: string }): RehearsalState {
  const id = randomBytes(3).toString("hex");
  const r = (p: string): string => reroot(dir, p);
  const priv = path.join(dir, "rehearsal");
  const user = `bd${id}`;
  const ssh: SshAccess = {
    user,
    home: r(`/home/${user}`),
    port: ports.sshPort,
    pidFile: r("/run/berth-sshd.pid"),
    log: r("/var/log/berth/sshd.log"),
    keyFile: keys.keyFile,
    publicKey: keys.publicKey,
    knownHostsFile: path.join(priv, "ssh", "known_hosts"),
    sudoersFile: `/etc/sudoers.d/berth-rehearsal-${id}`,
  };
  return {
    stack: opts.stack,
    dir,
    id,
    httpPort: ports.httpPort,
    httpsPort: ports.httpsPort,
    registryPort: ports.registryPort,
    registryMode: !config.registry.enabled ? "off" : config.registry.expose,
    registryConfig: r(HOST_PATHS.registryConfig),
    registryContainer: `berth-${id}-registry`,
    nginx: {
      args: ["-p", `${dir}/`, "-c", r(HOST_PATHS.nginxConf), "-e", nginxErrorLog(dir)],
      pidFile: r(HOST_PATHS.nginxPid),
    },
    basicAuthPasswordFiles: Object.fromEntries(
      config.proxy.extraHosts.filter((h) => h.basicAuthUser !== undefined).map((h) => [h.hostname, path.join(dir, "rehearsal", "basic-auth", h.hostname)]),
    ),
    appPorts: ports.appPorts,
    chain: `BR${id.toUpperCase()}`,
    namePrefix: `berth-${id}`,
    appsNetwork: { name: `berth-${id}-apps`, subnet: freeAppsSubnet(), bridge: `bra${id}` },
    program: r(HOST_PATHS.deployProgram),
    ssh,
    registryStorage: { stack: config.registry.storage, rehearsal: "filesystem" },
    cloudflareRanges: [...(opts.cloudflareRanges ?? REHEARSAL_CLOUDFLARE_RANGES)],
    dockerHost: opts.dockerHost ?? "",
  };
}

const nginxErrorLog = (dir: string): string => path.join(reroot(dir, HOST_PATHS.nginxLogDir), "error.log");

const saveState = (state: RehearsalState): void => fs.writeFileSync(STATE(state.dir), `${JSON.stringify(state, null, 2)}\n`);

/** The steps, in the host's order: Docker, files, registry, deploy tooling, nginx, sshd. Returns the state with its Docker host. */
async function startHostLayer(state: RehearsalState, config: Config, opts: UpOptions, hostKey: string, log: (line: string) => void): Promise<RehearsalState> {
  if (!opts.dockerHost) {
    log("starting a private dockerd");
    const dockerd = await startPrivateDockerd(path.join(state.dir, "rehearsal", "docker"), reroot(state.dir, "/var/log/berth/dockerd.log"));
    state = { ...state, dockerHost: dockerd.host, dockerd };
    saveState(state);
  }
  log(`rendering stack ${opts.stack} into ${state.dir}`);
  const rendered = await renderRehearsal(state, opts.projectDir ?? state.projectDir);
  // Registry and TLS files first: nginx's configuration test reads the certificate.
  writeHostFiles(rendered.files.filter((f) => !rendered.nginxFiles.includes(f)));
  if (state.registryMode !== "off") {
    log(`starting the registry container on 127.0.0.1:${state.registryPort} (${state.registryMode})`);
    await startRegistry(state);
  }
  log("installing the deploy program, its switch and the deploy user");
  await installDeployTooling(state, rendered.deployFiles);
  // After the switch's restore: the apps network (whose gateway the database listens on) exists.
  state = await ensureDatabases(state, rendered.config, log);
  if (config.proxy.enabled) {
    log(`starting nginx on 127.0.0.1:${state.httpPort} (http) and 127.0.0.1:${state.httpsPort} (https)`);
    await applyNginxFiles(rendered.nginxFiles, rendered.ownedDirs, state.nginx);
    const ok = await waitFor(async () => (await httpStatus(`http://127.0.0.1:${state.httpPort}/`)) === 301, 10_000);
    if (!ok) throw new Error(`nginx did not answer on 127.0.0.1:${state.httpPort}; last lines of its error log:\n${tail(nginxErrorLog(state.dir))}`);
  }
  log(`starting sshd on 127.0.0.1:${state.ssh.port} for ${state.ssh.user}`);
  await startSshd(state.ssh, hostKey);
  return state;
}

/** The deploy tooling's and the apps' files, each app's runtime directory root only (as appEnvAfter leaves it on the host). */
function writeDeployFiles(state: RehearsalState, files: readonly HostFile[]): void {
  writeHostFiles(files);
  const appsDir = reroot(state.dir, HOST_PATHS.appsDir);
  if (fs.existsSync(appsDir)) for (const app of fs.readdirSync(appsDir)) fs.chmodSync(path.join(appsDir, app), 0o700);
}

/** The deploy program's files, its state directories, the deploy user and sudo rule, then `restore` (the switch's rules). */
async function installDeployTooling(state: RehearsalState, deployFiles: readonly HostFile[]): Promise<void> {
  writeDeployFiles(state, deployFiles);
  // The deploy user must reach the program and the apps file (0755/0644); secrets stay 0700/0600.
  fs.chmodSync(state.dir, 0o711);
  for (const d of [HOST_PATHS.deployStateDir, HOST_PATHS.maintenanceDir]) fs.mkdirSync(reroot(state.dir, d), { recursive: true, mode: 0o755 });
  await createDeployUser(state.ssh.user, state.ssh.home);
  await installSudoers(renderSudoers(state.ssh.user, state.program), state.ssh.sudoersFile);
  const restored = await runProgram(state, ["restore"]);
  if (restored.code !== 0) throw new Error(`berth-deploy restore failed: ${restored.stderr.trim()}`);
}

/** endpoints.json: what a client needs to use the running rehearsal. */
function endpointsOf(state: RehearsalState, config: Config): Endpoints {
  const { dir, httpPort, httpsPort } = state;
  return {
    // By name behind nginx: a client sends "localhost" in SNI, and nginx refuses handshakes without
    // a served name (its default server has ssl_reject_handshake on), as on the host.
    registry: state.registryMode === "proxy" ? `localhost:${httpsPort}` : `127.0.0.1:${state.registryPort}`,
    username: config.registry.username,
    passwordFile: path.join(dir, "rehearsal", "registry-password"),
    caFile: path.join(dir, "rehearsal", "tls", "ca.crt"),
    http: `http://127.0.0.1:${httpPort}`,
    https: `https://127.0.0.1:${httpsPort}`,
    dockerHost: state.dockerHost,
    apps: Object.fromEntries(config.proxy.apps.map((a) => [a.name, { url: `https://127.0.0.1:${httpsPort}/`, host: a.hostnames[0] ?? null }])),
    sshPort: state.ssh.port,
    sshUser: state.ssh.user,
    sshKeyFile: state.ssh.keyFile,
    sshKnownHostsFile: state.ssh.knownHostsFile,
  };
}

/** What `down` did, per part. */
export interface DownResult {
  readonly nginx: string;
  readonly registry: string;
  readonly docker: string;
  readonly sshd: string;
}

/**
 * Stops everything of the rehearsal in `dir`: sshd, the deploy user and its sudoers rule, the
 * switch's iptables chains, nginx, the containers (and the private dockerd when `up` started it).
 */
export async function down(dir: string): Promise<DownResult> {
  const state = readState(dir);
  const errors: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return fallback;
    }
  };
  const sshdPid = readPidFile(state.ssh.pidFile);
  const sshd = sshdPid !== undefined && pidAlive(sshdPid) ? "stopped" : "not-running";
  await attempt("sshd", () => removeDeployAccess(state.ssh), undefined);
  if (fs.existsSync(state.program)) await attempt("iptables", () => runProgram(state, ["teardown"]), undefined);
  const nginx = await attempt("nginx", () => stopNginx(state), "failed");
  if (state.database?.server) await attempt("database", () => stopMariaDb(state.database!.server!), "not-running");
  let registry = "not-running";
  let docker = "not-running";
  if (state.dockerHost) {
    const cli = dockerCli(state.dockerHost);
    registry = await attempt("registry", () => stopRegistry(state), "failed");
    if (state.dockerd) {
      docker = await attempt("dockerd", () => stopPrivateDockerd(state.dockerd!), "failed");
      // dockerd leaves the bridge of a user-defined network behind when it stops.
      await run(requireBinary("ip"), ["link", "del", state.appsNetwork.bridge]).catch(() => undefined);
    } else {
      // A shared daemon: remove only this rehearsal's containers.
      const ids = (await cli(["ps", "-aq", "--filter", `name=^${state.namePrefix}-`])).stdout.split("\n").filter(Boolean);
      if (ids.length > 0) await cli(["rm", "-f", ...ids]);
      await cli(["network", "rm", state.appsNetwork.name]);
      docker = "shared";
    }
  }
  if (errors.length > 0) throw new Error(`down left something behind:\n${errors.join("\n")}`);
  // Only once nothing of it is left: its ports (live ports included) are free for others again.
  releasePorts(state.dir);
  return { nginx, registry, docker, sshd };
}
