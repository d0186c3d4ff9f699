// Pure: every shell command Berth runs on the host, and the one quoting rule they share. Components
// and renderers import these builders instead of writing command text inline, so a command is
// written once (the cloud-init wait serves both the provisioned check and the Docker bootstrap)
// and test/components/render/hostCommands.test.ts pins each one as an exact string.
//
// The quoting rule is POSIX single quotes: a word goes between ' and ', and a ' inside it becomes
// '\'' (close, escaped quote, reopen). Nothing else is special inside single quotes, so this holds
// for every string without NUL. `shellQuote` leaves a word bare when it is made only of characters
// no shell treats specially (the set Python's shlex.quote uses); `singleQuote` always quotes. The
// bundle scripts always quote their paths and messages, and keep doing so: a change of their text
// would re-run every delivery on the next `pulumi up`.

/** Characters that need no quoting in any position of an argument word (as shlex.quote). */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `s` in POSIX single quotes, always (a ' inside becomes '\''). */
export function singleQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `word` as one shell word: bare when every character is safe, else single-quoted. */
export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : singleQuote(word);
}

/** A command line from its words, each quoted by `shellQuote`. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** A group that prints `message` to stderr and exits 1, for `check || failWith(...)`. */
export function failWith(message: string): string {
  return `{ echo ${singleQuote(message)} >&2; exit 1; }`;
}

/** Waits for cloud-init to finish; its exit status is ignored (2 means "degraded", warnings only), the caller checks what it needs. */
export function waitForCloudInit(): string {
  return "cloud-init status --wait >/dev/null 2>&1 || true";
}

/** Runs the script that arrives on stdin as root (the bundles; nothing about the files is in the command line). */
export function runAsRootFromStdin(): string {
  return "sudo bash -s";
}

/** Waits for cloud-init, then runs the stdin script as root (the Docker bootstrap, which checks for Docker itself). */
export function runAsRootAfterCloudInit(): string {
  return `${waitForCloudInit()}; ${runAsRootFromStdin()}`;
}

/** Waits for cloud-init, then fails unless Docker and nginx are installed: the step every delivery waits for. */
export function checkProvisioned(): string {
  return `${waitForCloudInit()}; command -v docker >/dev/null && test -x /usr/sbin/nginx || ${failWith("berth: the host is not provisioned (see /var/log/cloud-init-output.log)")}`;
}

/** Fails unless dockerd is installed (cloud-init installs it). */
export function requireDocker(): string {
  return `command -v dockerd >/dev/null || ${failWith("berth: Docker is not installed (did cloud-init fail? see /var/log/cloud-init-output.log)")}`;
}

/** Waits up to `seconds` for the Docker daemon to answer, then fails with docker's own message if it still does not. */
export function waitForDocker(seconds = 30): string {
  return `for _ in $(seq 1 ${seconds}); do docker info >/dev/null 2>&1 && break; sleep 1; done; docker info >/dev/null`;
}

/** Makes systemd read changed unit files and drop-ins. */
export function reloadSystemd(): string {
  return "systemctl daemon-reload";
}

/** Restarts a systemd unit. */
export function restartUnit(unit: string): string {
  return shellJoin(["systemctl", "restart", unit]);
}

/** Enables systemd units at boot; `now` starts them too, `quiet` drops systemctl's symlink messages. */
export function enableUnits(units: readonly string[], options: { readonly now?: boolean; readonly quiet?: boolean } = {}): string {
  return `${shellJoin(["systemctl", "enable", ...(options.now ? ["--now"] : []), ...units])}${options.quiet ? " >/dev/null 2>&1" : ""}`;
}

/** Enables systemd units at boot and starts them without waiting for them (cloud-init goes on installing meanwhile). */
export function enableAndStartNoBlock(units: readonly string[]): string {
  return shellJoin(["systemctl", "enable", "--now", "--no-block", ...units]);
}

/** What the data volume step needs: which volume, where it may appear, where it goes, and the size EBS was asked for. */
export interface DataVolumeStep {
  /** The data volume step's path on the host. */
  readonly program: string;
  /** EBS volume id, vol-... */
  readonly volumeId: string;
  /** Device paths to look for, most specific first (lib/dataVolume.ts ebsDeviceLinks). */
  readonly devices: readonly string[];
  /** Mount point. */
  readonly mount: string;
  /** Filesystem label of a freshly made filesystem. */
  readonly label: string;
  /** The volume's size in GiB: the step waits for the device to reach it, then grows the filesystem; unset = grow to the device as it is. */
  readonly sizeGiB?: number;
}

/** The data volume step's command line (host/data-volume.sh ensure): the boot unit's ExecStart, cloud-init's and `pulumi up`'s step. */
export function ensureDataVolume(step: DataVolumeStep): string {
  return shellJoin([
    step.program,
    "ensure",
    "--volume-id",
    step.volumeId,
    "--mount",
    step.mount,
    "--label",
    step.label,
    ...step.devices.flatMap((d) => ["--device", d]),
    ...(step.sizeGiB !== undefined ? ["--size-gib", String(step.sizeGiB)] : []),
  ]);
}

/** Tests the nginx configuration and reloads nginx, only if nginx is running (a new certificate served now). */
export function reloadNginxIfActive(): string {
  return "if systemctl is-active --quiet nginx; then nginx -t -q && systemctl reload nginx; fi";
}

/** Reloads nginx through systemd where it runs under systemd, else by signal (the local rehearsal's nginx). Several lines. */
export function reloadNginx(): string {
  return [
    "if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx; then",
    "  systemctl reload nginx",
    "else",
    "  nginx -s reload",
    "fi",
  ].join("\n");
}

/** apt-get with the dpkg lock wait: first boot races apt-daily and unattended-upgrades for the lock. */
const APT_GET = "apt-get -o DPkg::Lock::Timeout=600";

/** Refreshes the apt package lists. */
export function aptUpdate(): string {
  return `${APT_GET} update`;
}

/** Installs packages without questions; `quiet` passes -q. */
export function aptInstall(packages: readonly string[], options: { readonly quiet?: boolean } = {}): string {
  return `DEBIAN_FRONTEND=noninteractive ${APT_GET} install -y${options.quiet ? " -q" : ""} ${shellJoin(packages)}`;
}

/** Installs Ubuntu's MySQL client unless `mysql` is there (the app databases' creation step runs it). */
export function installMysqlClient(): string {
  return `command -v mysql >/dev/null || { ${aptUpdate()} -q && ${aptInstall(["mysql-client"], { quiet: true })}; }`;
}

/** Installs the conntrack tool unless it is there (the deploy program drops a stopped color's entries with it). */
export function installConntrack(): string {
  return `command -v conntrack >/dev/null || { ${aptUpdate()} -q && ${aptInstall(["conntrack"], { quiet: true })}; }`;
}

/** Installs certbot unless it is there. */
export function installCertbot(): string {
  return `command -v certbot >/dev/null || ${aptInstall(["certbot"], { quiet: true })} >/dev/null`;
}

/** Adds Docker's apt repository and its signing key (Docker Engine is not installed from Ubuntu's packages). */
export function addDockerAptRepository(): string[] {
  return [
    "install -m 0755 -d /etc/apt/keyrings",
    "curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc",
    "chmod a+r /etc/apt/keyrings/docker.asc",
    `echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu $(. /etc/os-release && echo $VERSION_CODENAME) stable" > /etc/apt/sources.list.d/docker.list`,
  ];
}

/** Creates directories with `mode` (words quoted by `shellQuote`). */
export function makeDirectories(mode: string, dirs: readonly string[]): string {
  return `install -d -m ${mode} ${shellJoin(dirs)}`;
}

/** Creates one directory with `mode`, the path always single-quoted (as the bundles write it). */
export function makeDirectory(mode: string, dir: string): string {
  return `install -d -m ${mode} ${singleQuote(dir)}`;
}

/**
 * Keeps a private copy of the file whose path is in the shell variable `fromVar` at `target`: root
 * only (0600 in a 0700 directory), replaced whole (a rename), never half-written. Three lines.
 */
export function keepPrivateCopy(fromVar: string, target: string): string[] {
  if (!/^[a-z_][a-z0-9_]*$/.test(fromVar)) throw new Error(`keepPrivateCopy: ${fromVar} is not a shell variable name`);
  const dir = target.slice(0, target.lastIndexOf("/")) || "/";
  return [
    `install -d -m 0700 -o root -g root ${singleQuote(dir)}`,
    `install -m 0600 -o root -g root "$${fromVar}" ${singleQuote(`${target}.new`)}`,
    `mv -f ${singleQuote(`${target}.new`)} ${singleQuote(target)}`,
  ];
}

/** Installs a staged sudoers rule only after visudo accepts it: a broken rule would lock sudo. Two lines. */
export function installSudoersChecked(staged: string, target: string): string[] {
  return [
    `visudo -cqf ${shellQuote(staged)} || ${failWith("berth: the rendered sudoers rule failed visudo; /etc/sudoers.d is unchanged")}`,
    `install -m 0440 -o root -g root ${shellQuote(staged)} ${shellQuote(target)}`,
  ];
}

/** Takes `user` out of `group` if it is in it (`gpasswd -d` fails for a non-member). */
export function removeFromGroup(user: string, group: string): string {
  const u = shellQuote(user);
  const g = shellQuote(group);
  return `if id -nG ${u} | tr ' ' '\\n' | grep -qx ${g}; then gpasswd -d ${u} ${g} >/dev/null; fi`;
}

/** Sets the mode of existing directories (e.g. an app's root-only directory after its files are in place). */
export function chmodDirectories(mode: string, dirs: readonly string[]): string {
  return `chmod ${mode} ${shellJoin(dirs)}`;
}

/**
 * Removes the files directly in `dir` that are not named in `keep` (a secret that is no longer
 * declared must not linger on the host). `keep` empty: every file goes.
 */
export function pruneFiles(dir: string, keep: readonly string[]): string {
  const names = [...keep].sort().flatMap((n) => ["!", "-name", n]);
  return `if [ -d ${shellQuote(dir)} ]; then find ${shellJoin([dir, "-maxdepth", "1", "-type", "f", ...names, "-delete"])}; fi`;
}

/**
 * Stops, disables and removes the timer and service files in `dir` matching `glob` (`*.timer` and
 * `*.service`) whose timer is not in `keep`: the units of a job that is no longer declared.
 */
export function pruneJobUnits(dir: string, glob: string, keep: readonly string[]): string {
  // An empty pattern list would be a syntax error: '' matches only an empty name, which no file has.
  const kept = keep.length ? keep.map(shellQuote).join("|") : "''";
  return [
    `for t in ${shellQuote(dir)}/${glob}.timer; do [ -e "$t" ] || continue; u=$(basename "$t")`,
    `case "$u" in ${kept}) continue;; esac`,
    `systemctl disable --now "$u" >/dev/null 2>&1 || true; rm -f "$t" "\${t%.timer}.service"; done`,
  ].join("; ");
}

/**
 * A quoted here-document feeding `body` to the command before it: `<<'DELIM'` turns off every
 * expansion, so the body arrives byte for byte. Throws when a line of `body` equals the delimiter
 * (it would end the document early); the callers' bodies escape newlines inside values, so none can.
 */
export function heredoc(delimiter: string, body: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(delimiter)) throw new Error(`heredoc delimiter ${JSON.stringify(delimiter)}: use capitals, digits and _`);
  if (body.split("\n").includes(delimiter)) throw new Error(`a line of the here-document body is its delimiter ${delimiter}`);
  const text = body.endsWith("\n") ? body : `${body}\n`;
  return `<<${singleQuote(delimiter)}\n${text}${delimiter}`;
}

/** MySQL clients Berth drives: Ubuntu's `mysql` (MySQL 8) on the host, Debian's `mariadb` in the rehearsal. */
export type MysqlClient = "mysql" | "mariadb";

/** The shell variable `mysqlClientScript`'s lines keep the option file's path in. */
export const MYSQL_OPTIONS_VAR = "berth_mysql_options";

/**
 * Lines of a bash script (one that arrives on stdin, e.g. through `runAsRootFromStdin`) that run
 * `client` against the server and login in `options` (a MySQL option file: `[client]`, host,
 * user, password, ...) with `sql` on its stdin. The options go to a private temporary file
 * (umask 077, mktemp, removed on exit) named with `--defaults-file`, so no password is ever on a
 * command line (`ps`) or in the environment; `--defaults-file` also keeps the machine's own
 * option files out. `--batch` makes the client stop at the first failing statement and exit non-zero.
 */
export function mysqlClientScript(client: MysqlClient, options: string, sql: string): string[] {
  return [
    "set -euo pipefail",
    "umask 077",
    "berth_mysql_options=$(mktemp)",
    `trap 'rm -f "$berth_mysql_options"' EXIT`,
    `cat >"$berth_mysql_options" ${heredoc("BERTH_MYSQL_OPTIONS", options)}`,
    `${client} --defaults-file="$berth_mysql_options" --batch ${heredoc("BERTH_MYSQL_SQL", sql)}`,
  ];
}
