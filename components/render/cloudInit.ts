// Pure renderer: the host's cloud-init user data. It installs Docker Engine (Docker's apt
// repository) and nginx, creates the non-root deploy user, hardens SSH and turns on unattended
// security upgrades. It must never hold a secret: user data is readable by anyone who can
// describe the instance, so keys and passwords arrive later over SSH.
//
// The deploy user is in no docker group (that would be root): its key is restricted to the deploy
// program from the first boot on. The program, its sudo rule and the same key line are delivered
// over SSH afterwards (components/deployTooling.ts), since user data never changes a running host.
// The runcmd lines come from render/hostCommands.ts; the YAML quoting below is JSON, not shell.
import { renderAuthorizedKeys } from "./deploy";
import { addDockerAptRepository, aptInstall, aptUpdate, enableUnits, reloadSystemd, restartUnit } from "./hostCommands";
import { HOST_PATHS } from "./paths";

export interface CloudInitInput {
  /** Non-root user for CI deploys (no docker group: it deploys through the deploy program). */
  readonly deployUser: string;
  /** OpenSSH public key allowed to log in as the deploy user. */
  readonly deployAuthorizedKey: string;
  /** sshd port; 22 leaves the distribution default alone. */
  readonly sshPort: number;
}

const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML scalar

export function renderCloudInit(input: CloudInitInput): string {
  if (/PRIVATE KEY/.test(input.deployAuthorizedKey)) throw new Error("cloud-init: refusing to put a private key into user data");
  const sshd = [
    "# Managed by Berth: key-only logins, no root.",
    "PermitRootLogin no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    ...(input.sshPort !== 22 ? [`Port ${input.sshPort}`] : []),
  ];
  const runcmd = [
    ...addDockerAptRepository(),
    // First boot races apt-daily and unattended-upgrades for the dpkg lock: aptUpdate/aptInstall wait for it instead of failing.
    aptUpdate(),
    aptInstall(["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin"]),
    enableUnits(["docker", "nginx", "unattended-upgrades"], { now: true }),
    // Ubuntu 24.04 starts sshd through ssh.socket: a new Port only applies once the socket is rebuilt.
    reloadSystemd(),
    `${restartUnit("ssh.socket")} || true`,
    restartUnit("ssh"),
  ];
  return [
    "#cloud-config",
    "# Rendered by Berth (components/render/cloudInit.ts). Holds no secrets.",
    "package_update: true",
    "package_upgrade: false",
    "packages: [ca-certificates, curl, nginx, unattended-upgrades]",
    "groups: [docker]",
    "users:",
    "  - default",
    `  - name: ${q(input.deployUser)}`,
    "    gecos: Berth deploy user",
    "    shell: /bin/bash",
    "    lock_passwd: true",
    "    ssh_authorized_keys:",
    `      - ${q(renderAuthorizedKeys(input.deployAuthorizedKey, HOST_PATHS.deployProgram).split("\n")[1])}`,
    "ssh_pwauth: false",
    "disable_root: true",
    "write_files:",
    "  - path: /etc/ssh/sshd_config.d/60-berth.conf",
    '    permissions: "0644"',
    "    content: |",
    ...sshd.map((l) => `      ${l}`),
    "  - path: /etc/apt/apt.conf.d/20auto-upgrades",
    '    permissions: "0644"',
    "    content: |",
    '      APT::Periodic::Update-Package-Lists "1";',
    '      APT::Periodic::Unattended-Upgrade "1";',
    "runcmd:",
    ...runcmd.map((c) => `  - ${q(c)}`),
    "",
  ].join("\n");
}
