// Pure renderer: the deploy tooling's host files. The deploy program itself is host/berth-deploy
// (passed in as text); around it go its apps file, the sudoers rule that is its one way to root,
// the deploy user's forced-command key, the registry credentials it pulls with, and the systemd
// units that restore the switch at boot and run registry retention on a timer.
//
// Everything here is public except the registry credentials (renderRegistryAuth), which the
// components deliver as a secret file readable by root only. The shell lines that install it all
// (deployToolingAfter) are composed from render/hostCommands.ts.
import { APPS_NETWORK, colorAddress, DEPLOY_PATTERNS, DEPLOY_USER_COMMANDS, networkGateway } from "../../lib/deployRules";
import {
  enableUnits,
  installConntrack,
  installSudoersChecked,
  makeDirectories,
  pruneJobUnits,
  reloadSystemd,
  removeFromGroup,
  shellJoin,
} from "./hostCommands";
import { DATABASE_ENV_NAMES } from "../../lib/appRuntime";
import { appEnvPaths } from "./appEnv";
import { HOST_PATHS, reroot, type HostFile } from "./paths";
import { appLogArgs, type AppLogTarget } from "./logs";
import { appDatabaseUser } from "../../lib/appDatabase";
import { DATA_VOLUME_MOUNT, hasDataVolume } from "../../lib/dataVolume";
import { clientFor, DISCARD_PLACEHOLDERS, FINGERPRINT_PARAMS, renderDiscardOldPasswordSql, type SqlFlavor } from "./appDatabase";
import type { AppSettings, AppVolumeSettings, HostUserSettings, RegistrySettings } from "./settings";
import { appVolumeDir, JOB_UNIT_GLOB, jobUnitName } from "../../lib/appVolumes";

/** The settings the deploy tooling is rendered from (Config satisfies it: see wiring/args.ts). */
export interface DeployConfig {
  /** The apps the deploy program switches (the rest of berth:proxy is nginx's). */
  readonly proxy: {
    /** Blue/green apps, in config order. */
    readonly apps: readonly AppSettings[];
  };
  /** Where the program pulls from and how retention runs. */
  readonly registry: Pick<RegistrySettings, "enabled" | "username" | "port" | "expose" | "storage" | "dataDir" | "retention">;
  /** The deploy user the sudoers rule and forced-command key are for. */
  readonly host: HostUserSettings;
}

/** Fixed behaviour of the deploy program (not configuration: safe values for every app). */
export const DEPLOY_DEFAULTS = {
  /** A second deploy of the same app waits this long for the first, then fails saying who holds it. */
  lockWaitSeconds: 300,
  /** After the switch: longest wait for the old color's connections to end before it is stopped anyway. */
  drainTimeoutSeconds: 30,
  /** `docker stop -t`: the app's grace period after SIGTERM. */
  stopTimeoutSeconds: 10,
} as const;

/** Where and how the tooling is laid out; defaults describe the real host. */
export interface DeployToolingOptions {
  /** Prefix for every path. @default "/" */
  readonly root?: string;
  /** Login of the deploy user (the rehearsal makes a unique one). @default config.host.deployUser */
  readonly deployUser?: string;
  /** iptables chain of this installation (the rehearsal's is unique per run). @default "BERTH" */
  readonly chain?: string;
  /** Prefix of container names. @default "berth" */
  readonly namePrefix?: string;
  /** DOCKER_HOST for the program; unset = the system daemon. */
  readonly dockerHost?: string;
  /** Port of the registry on 127.0.0.1. @default config.registry.port */
  readonly registryPort?: number;
  /** Name of the registry container (retention restarts it around garbage-collect). @default "berth-registry" */
  readonly registryContainer?: string;
  /** Docker network of the app containers (the rehearsal's is unique per run). @default APPS_NETWORK */
  readonly network?: { readonly name: string; readonly subnet: string; readonly bridge: string };
  /**
   * Where the apps' containers log: CloudWatch Logs (the real host: the region and each app's log
   * group, by app name) or Docker's local driver (the rehearsal). @default { driver: "local" }
   */
  readonly logs?: AppLogsOption;
  /** The apps' database server: RDS for MySQL 8 (dual passwords) or the rehearsal's MariaDB. @default "mysql8" */
  readonly databaseFlavor?: SqlFlavor;
  /**
   * Where the data volume must be mounted before the program makes app volume directories (null: no
   * check, as in the rehearsal, whose /srv/berth is a plain directory). @default DATA_VOLUME_MOUNT when
   * berth:host.dataVolume is set, else null
   */
  readonly dataVolumeMount?: string | null;
}

/** How the apps' containers log (DeployToolingOptions.logs). */
export type AppLogsOption =
  | {
      /** CloudWatch Logs with Docker's awslogs driver. */
      readonly driver: "awslogs";
      /** The stack's region. */
      readonly region: string;
      /** Each app's log group, by app name; every app needs one. */
      readonly groups: Readonly<Record<string, string>>;
    }
  | {
      /** Docker's local driver on the host. */
      readonly driver: "local";
    };

/** The log target of one app (its group looked up by name for CloudWatch). */
function appLogTarget(logs: AppLogsOption, app: string): AppLogTarget {
  if (logs.driver === "local") return logs;
  const group = Object.hasOwn(logs.groups, app) ? logs.groups[app] : undefined;
  if (group === undefined)
    throw new Error(`deploy: app ${app} has no CloudWatch Logs group (logs.groups names ${Object.keys(logs.groups).join(", ") || "none"})`);
  return { driver: "awslogs", region: logs.region, group };
}

/** Everything the tooling files are rendered from. */
export interface DeployToolingInput {
  /** The settings the files are rendered from. */
  readonly config: DeployConfig;
  /** Text of host/berth-deploy. */
  readonly program: string;
  /** OpenSSH public key of the deploy user (the CI key). */
  readonly deployPublicKey: string;
  /** Layout; unset = the real host's. */
  readonly options?: DeployToolingOptions;
}

const CHAIN = /^[A-Z][A-Z0-9]{0,15}$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SUDOERS_SAFE_PATH = /^\/[A-Za-z0-9/._-]+$/;

/** Where the registry answers the host itself: loopback, so pulls need no DNS, CA or hairpin. */
export function registryAddress(config: DeployConfig, options: DeployToolingOptions = {}): string {
  return `127.0.0.1:${options.registryPort ?? config.registry.port}`;
}

/** The deploy program's view of the stack (apps.json), deterministic text. */
export function renderAppsFile(config: DeployConfig, options: DeployToolingOptions = {}): string {
  const chain = options.chain ?? "BERTH";
  if (!CHAIN.test(chain)) throw new Error(`deploy: chain ${chain} must be 1-16 upper-case letters or digits`);
  const reg = config.registry;
  const network = options.network ?? APPS_NETWORK;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(network.bridge)) throw new Error(`deploy: bridge name ${network.bridge} must be 1-15 plain characters`);
  const logs = options.logs ?? { driver: "local" };
  const apps = config.proxy.apps.map((app) => ({
    name: app.name,
    initialColor: app.initialColor,
    restart: app.restart,
    database: app.database,
    databaseUser: app.database ? appDatabaseUser(app.name) : null,
    parts: (["frontend", "backend"] as const).flatMap((role) => {
      const p = app[role];
      if (!p) return [];
      return [
        {
          role,
          repository: p.repository ?? `${app.name}-${role}`,
          livePort: p.livePort,
          bluePort: p.bluePort,
          greenPort: p.greenPort,
          blueAddress: colorAddress(network.subnet, p.bluePort),
          greenAddress: colorAddress(network.subnet, p.greenPort),
          containerPort: p.containerPort,
          health: {
            path: p.health.path,
            intervalSeconds: p.health.intervalSeconds,
            timeoutSeconds: p.health.timeoutSeconds,
            successes: p.health.successes,
            deadlineSeconds: p.health.deadlineSeconds,
          },
          envFile: p.envFile ?? null,
          // Strings go to `docker run -v` as they are; directories of the app are made by the program
          // (owner, mode) before the first container that mounts them, and never deleted.
          volumes: p.volumes.filter((v): v is string => typeof v === "string"),
          appVolumes: p.volumes
            .filter((v): v is AppVolumeSettings => typeof v !== "string")
            .map((v) => ({ name: v.name, path: v.path, hostDir: appVolumeDir(app.name, v.name), owner: v.owner, mode: v.mode })),
          jobs: p.jobs.map((j) => ({ name: j.name, schedule: j.schedule, command: [...j.command], timeoutSeconds: j.timeoutSeconds })),
          // The values are in the root-only env file (components/render/appEnv.ts); here only names.
          runtime: {
            envFile: appEnvPaths(app.name, role).envFile,
            secretsDir: appEnvPaths(app.name, role).secretsDir,
            clear: Object.keys(p.env).sort(),
            secrets: [...p.secrets].sort(),
          },
          release: p.release ? [...p.release] : null,
          releaseTimeoutSeconds: p.releaseTimeoutSeconds,
          // `docker run` arguments as they are: the log driver and its options (render/logs.ts).
          logArgs: appLogArgs(appLogTarget(logs, app.name)),
        },
      ];
    }),
  }));
  const file = {
    version: 2,
    patterns: DEPLOY_PATTERNS,
    userCommands: DEPLOY_USER_COMMANDS,
    registry: reg.enabled ? registryAddress(config, options) : null,
    // Behind nginx the registry speaks plain HTTP on loopback; in direct mode it serves TLS itself,
    // with the stack's certificate, which the program pins (it connects by loopback address, not by name).
    registryScheme: reg.expose === "direct" ? "https" : "http",
    registryTls: reg.enabled && reg.expose === "direct" ? { certFile: HOST_PATHS.tlsCertificate } : null,
    registryContainer: options.registryContainer ?? "berth-registry",
    // Where retention measures what it freed (filesystem), or only counts blobs (s3).
    registryStorage: reg.storage,
    registryDataDir: reg.dataDir,
    retention: { keep: reg.retention.keep },
    dockerHost: options.dockerHost ?? null,
    dockerConfigDir: HOST_PATHS.deployDockerConfigDir,
    namePrefix: options.namePrefix ?? "berth",
    chain,
    network: { name: network.name, subnet: network.subnet, gateway: networkGateway(network.subnet), bridge: network.bridge },
    stateDir: HOST_PATHS.deployStateDir,
    envDigestKey: HOST_PATHS.envDigestKey,
    databaseEnv: DATABASE_ENV_NAMES,
    databaseAdmin: config.proxy.apps.some((a) => a.database) ? databaseAdmin(options) : null,
    dataVolumeMount: options.dataVolumeMount !== undefined ? options.dataVolumeMount : hasDataVolume(config) ? DATA_VOLUME_MOUNT : null,
    logFile: HOST_PATHS.deployLog,
    ...DEPLOY_DEFAULTS,
    apps,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * How the deploy program ends a password rotation's dual-password window (render/appDatabase.ts):
 * the client and master login file, the SQL template and the fingerprint parameters it fills it with.
 */
function databaseAdmin(options: DeployToolingOptions) {
  const flavor = options.databaseFlavor ?? "mysql8";
  return {
    flavor,
    client: clientFor(flavor),
    optionsFile: HOST_PATHS.dbAdminOptions,
    discardSql: renderDiscardOldPasswordSql(flavor),
    placeholders: DISCARD_PLACEHOLDERS,
    fingerprint: FINGERPRINT_PARAMS,
  };
}

/** The sudoers rule: the deploy user may run the program's four user commands as root, nothing else. */
export function renderSudoers(deployUser: string, programPath: string): string {
  if (!USER.test(deployUser)) throw new Error(`deploy: bad user name ${deployUser}`);
  if (!SUDOERS_SAFE_PATH.test(programPath)) throw new Error(`deploy: program path ${programPath} needs escaping in sudoers; use plain characters`);
  // Alias names are global across /etc/sudoers.d: one per deploy user, so two installations never clash.
  const alias = `BERTH_DEPLOY_${deployUser.toUpperCase().replace(/-/g, "_")}`;
  const commands = DEPLOY_USER_COMMANDS.map((c) => `${programPath} ${c} *`).join(", ");
  return [
    "# Managed by Berth (components/render/deploy.ts). Checked with visudo before it is installed.",
    `# ${deployUser} reaches Docker and the switch only through the deploy program's user commands.`,
    `Cmnd_Alias ${alias} = ${commands}`,
    `Defaults!${alias} env_keep += "BERTH_VIA"`,
    `${deployUser} ALL=(root) NOPASSWD: ${alias}`,
    "",
  ].join("\n");
}

/** authorized_keys of the deploy user: the key runs the deploy program and nothing else. */
export function renderAuthorizedKeys(publicKey: string, programPath: string): string {
  const key = publicKey.trim();
  if (/PRIVATE KEY/.test(key) || !/^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+( [^\n"]*)?$/.test(key))
    throw new Error("deploy: the deploy key must be one OpenSSH public key line");
  if (!SUDOERS_SAFE_PATH.test(programPath)) throw new Error(`deploy: bad program path ${programPath}`);
  return [
    "# Managed by Berth: this key runs the deploy program only (no shell, no forwarding, no pty).",
    `restrict,command="${programPath} --ssh" ${key}`,
    "",
  ].join("\n");
}

/** Docker client config holding the registry login for the host's own pulls (secret). */
export function renderRegistryAuth(address: string, username: string, password: string): string {
  return `${JSON.stringify({ auths: { [address]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }, null, 2)}\n`;
}

/** systemd units: the switch restored at boot (before nginx), retention on the configured schedule. */
export function renderSystemdUnits(config: DeployConfig, programPath: string): Record<string, string> {
  const units: Record<string, string> = {
    "berth-switch.service": [
      "# Managed by Berth. iptables rules do not survive a reboot: put every app's live port back on the",
      "# color the switch last moved to (the deploy journal, else /var/lib/berth/deploy) and Berth's apps",
      "# network in place, once Docker is up and before nginx starts sending requests.",
      "[Unit]",
      "Description=Berth blue/green switch (nat rules for each app's live port)",
      "After=docker.service",
      "Wants=docker.service",
      "Before=nginx.service",
      "",
      "[Service]",
      "Type=oneshot",
      "RemainAfterExit=yes",
      `ExecStart=${programPath} restore`,
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
    ].join("\n"),
  };
  Object.assign(units, renderJobUnits(config, programPath));
  if (config.registry.enabled) {
    units["berth-registry-retention.service"] = [
      "# Managed by Berth. Keeps the newest tags per repository (never a live or previous deploy's),",
      "# then garbage-collects with the registry read-only and restarts it.",
      "[Unit]",
      "Description=Berth registry retention",
      "After=docker.service",
      "Requires=docker.service",
      "",
      "[Service]",
      "Type=oneshot",
      `ExecStart=${programPath} retention`,
      "",
    ].join("\n");
    units["berth-registry-retention.timer"] = [
      "# Managed by Berth (berth:registry.retention.schedule).",
      "[Unit]",
      "Description=Berth registry retention schedule",
      "",
      "[Timer]",
      `OnCalendar=${config.registry.retention.schedule}`,
      "Persistent=true",
      "RandomizedDelaySec=15min",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n");
  }
  return units;
}

/** Every job of every app part, in config order: (app, job). */
function allJobs(config: DeployConfig): Array<{ app: string; job: AppSettings["frontend"]["jobs"][number] }> {
  return config.proxy.apps.flatMap((app) =>
    [app.frontend, ...(app.backend ? [app.backend] : [])].flatMap((p) => p.jobs.map((job) => ({ app: app.name, job }))),
  );
}

/** The timers of the apps' jobs (deployToolingAfter enables them). */
export function jobTimers(config: DeployConfig): string[] {
  return allJobs(config).map(({ app, job }) => `${jobUnitName(app, job.name)}.timer`);
}

/**
 * Per job a timer (its schedule, Persistent=true: a run missed while the host was down runs at boot)
 * and a oneshot service that runs `berth-deploy job <app> <name>`; the program runs the live tag as a
 * one-off container under the job's lock and kills it at its timeout, so systemd's own start timeout
 * is only a backstop for a stuck Docker.
 */
export function renderJobUnits(config: DeployConfig, programPath: string): Record<string, string> {
  const units: Record<string, string> = {};
  for (const { app, job } of allJobs(config)) {
    const unit = jobUnitName(app, job.name);
    units[`${unit}.service`] = [
      `# Managed by Berth (berth:proxy.apps[] ${app}, job ${job.name}). Runs the app's live tag as a one-off`,
      "# container; a run already under way makes this one a no-op that says so (exit 1, nothing runs twice).",
      "[Unit]",
      `Description=Berth job ${app}/${job.name}`,
      "After=docker.service berth-switch.service",
      "Requires=docker.service",
      "",
      "[Service]",
      "Type=oneshot",
      "Environment=BERTH_VIA=timer",
      `ExecStart=${programPath} job ${app} ${job.name}`,
      `TimeoutStartSec=${job.timeoutSeconds + 300}`,
      "",
    ].join("\n");
    units[`${unit}.timer`] = [
      `# Managed by Berth (berth:proxy.apps[] ${app}, job ${job.name}, schedule).`,
      "[Unit]",
      `Description=Berth job ${app}/${job.name} schedule`,
      "",
      "[Timer]",
      `OnCalendar=${job.schedule}`,
      "Persistent=true",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n");
  }
  return units;
}

/** Every public file of the deploy tooling, re-rooted when asked. */
export function deployToolingFiles(input: DeployToolingInput): HostFile[] {
  const o = input.options ?? {};
  const root = o.root ?? "/";
  const r = (p: string): string => reroot(root, p);
  const user = o.deployUser ?? input.config.host.deployUser;
  const program = r(HOST_PATHS.deployProgram);
  const files: HostFile[] = [
    { path: program, mode: 0o755, content: input.program, usedBy: [] },
    { path: r(HOST_PATHS.deployApps), mode: 0o644, content: renderAppsFile(input.config, o), usedBy: [] },
    { path: r(HOST_PATHS.deploySudoersStaged), mode: 0o440, content: renderSudoers(user, program), usedBy: [] },
    { path: r(`/home/${user}/.ssh/authorized_keys`), mode: 0o644, content: renderAuthorizedKeys(input.deployPublicKey, program), usedBy: [] },
  ];
  for (const [name, text] of Object.entries(renderSystemdUnits(input.config, program))) {
    files.push({ path: r(`${HOST_PATHS.systemdDir}/${name}`), mode: 0o644, content: text, usedBy: [] });
  }
  return files;
}

/**
 * Shell lines run as root after the files are in place on the real host: state directories, the
 * sudoers rule (only once visudo accepts it), the deploy user out of the docker group (docker group
 * = root), the switch restored now and at every boot, the retention timer.
 */
export function deployToolingAfter(config: DeployConfig): string[] {
  const user = config.host.deployUser;
  if (!USER.test(user)) throw new Error(`deploy: bad user name ${user}`);
  return [
    makeDirectories("0755", [HOST_PATHS.deployStateDir, HOST_PATHS.maintenanceDir]),
    makeDirectories("0750", ["/var/log/berth"]),
    ...installSudoersChecked(HOST_PATHS.deploySudoersStaged, HOST_PATHS.sudoers),
    removeFromGroup(user, "docker"),
    installConntrack(),
    // Jobs no longer declared lose their units (their volumes stay); the declared ones run on schedule.
    pruneJobUnits(HOST_PATHS.systemdDir, JOB_UNIT_GLOB, jobTimers(config)),
    reloadSystemd(),
    enableUnits(["berth-switch.service"], { quiet: true }),
    shellJoin([HOST_PATHS.deployProgram, "restore"]),
    ...(config.registry.enabled ? [enableUnits(["berth-registry-retention.timer"], { now: true, quiet: true })] : []),
    ...(jobTimers(config).length ? [enableUnits(jobTimers(config), { now: true, quiet: true })] : []),
  ];
}
