// Where Berth's host files live, and the file record every renderer returns.
//
// One table of canonical host paths so the components (which copy files over SSH), the local
// rehearsal (which re-roots them under a scratch directory) and the golden files agree.
import * as posix from "node:path/posix";

/** A service that reads host files and must reload (nginx) or restart (registry) when they change. */
export type HostService = "nginx" | "registry";

/** A file to put on the host: where, what, and how. Produced by the pure renderers. */
export interface HostFile {
  /** Absolute path on the target (already re-rooted for the rehearsal). */
  readonly path: string;
  /** File content, UTF-8 text. */
  readonly content: string;
  /** Octal permission bits, e.g. 0o644. */
  readonly mode: number;
  /** Group that must be able to read the file (owner is always root); unset = root. */
  readonly group?: string;
  /** Holds key material or password hashes: deliver as a Pulumi secret, never log it. */
  readonly secret?: boolean;
  /**
   * Write only when the file does not exist yet. After the first write another tool owns it
   * (certbot for the Let's Encrypt files).
   */
  readonly createOnly?: boolean;
  /** Services that read this file: after a change nginx must be tested and reloaded, the registry restarted. */
  readonly usedBy: readonly HostService[];
}

/** Canonical absolute paths on the real host (root "/"). */
export const HOST_PATHS = {
  /** nginx's main file, replaced whole so distribution defaults (sites-enabled/default) never load. */
  nginxConf: "/etc/nginx/nginx.conf",
  /** Shipped by the nginx package; read, never written. */
  nginxMimeTypes: "/etc/nginx/mime.types",
  /** Everything else Berth gives nginx lives below here. */
  nginxBerthDir: "/etc/nginx/berth",
  /** One server block per file; replaced as a set on every update. */
  nginxSitesDir: "/etc/nginx/berth/sites",
  nginxSnippetsDir: "/etc/nginx/berth/snippets",
  /** htpasswd files for extra hosts with basic auth. */
  nginxAuthDir: "/etc/nginx/berth/auth",
  nginxPid: "/run/nginx.pid",
  nginxLogDir: "/var/log/nginx",
  /** certbot --webroot writes challenge files here; port 80 serves them. */
  acmeWebroot: "/var/www/berth-acme",
  /** Registry config dir, mounted read-only into the registry container at the same path. */
  registryConfigDir: "/etc/berth/registry",
  registryConfig: "/etc/berth/registry/config.yml",
  registryHtpasswd: "/etc/berth/registry/htpasswd",
  /** The served certificate and key, in every mode (letsencrypt: copied here by certbot's deploy hook). */
  tlsDir: "/etc/berth/tls",
  tlsCertificate: "/etc/berth/tls/server.crt",
  tlsPrivateKey: "/etc/berth/tls/server.key",
  /** The CA that signed the server certificate (self-signed mode), for clients to trust. */
  tlsCa: "/etc/berth/tls/ca.crt",
  /** The deploy program (host/berth-deploy), root-owned; the deploy user reaches it through sudo. */
  deployProgram: "/usr/local/lib/berth/berth-deploy",
  /** Its configuration: apps.json (public), the sudoers rule before it is checked and installed. */
  deployConfigDir: "/etc/berth/deploy",
  deployApps: "/etc/berth/deploy/apps.json",
  deploySudoersStaged: "/etc/berth/deploy/sudoers",
  /** Docker client config with the registry credentials: root only, never in argv or a log. */
  deployDockerConfigDir: "/etc/berth/deploy/docker",
  deployDockerConfig: "/etc/berth/deploy/docker/config.json",
  /** Live color and tag per app, locks, maintenance flags. */
  deployStateDir: "/var/lib/berth/deploy",
  /** nginx answers 503 for an app while `<dir>/<app>` exists (no reload). */
  maintenanceDir: "/var/lib/berth/deploy/maintenance",
  /** One JSON line per deploy, rollback, maintenance change and retention run. */
  deployLog: "/var/log/berth/deploy.log",
  sudoers: "/etc/sudoers.d/berth-deploy",
  /** Per app: `<app>/<part>.env` (root-only env files) and `<app>/secrets-<part>/` (multi-line secrets). */
  appsDir: "/etc/berth/apps",
  /** The key `berth-deploy env` digests values with (made on the host, root only, never leaves it). */
  envDigestKey: "/etc/berth/deploy/env-digest.key",
  /**
   * The database master login (a MySQL option file, root only, 0600 in a 0700 directory), kept by the
   * app databases' creation step; the deploy program discards old app passwords with it.
   */
  dbAdminOptions: "/etc/berth/db/admin.cnf",
  systemdDir: "/etc/systemd/system",
  /** The data volume step (host/data-volume.sh): finds, formats if blank, mounts and grows the data volume. */
  dataVolumeProgram: "/usr/local/lib/berth/berth-data-volume",
  /** Its boot unit: the same step at every boot, before Docker starts containers that use the volume. */
  dataVolumeUnit: "/etc/systemd/system/berth-data-volume.service",
} as const;

/**
 * Directories whose content Berth owns completely: on delivery, files there that are no longer
 * rendered are removed.
 */
export const NGINX_OWNED_DIRS: readonly string[] = [
  `${HOST_PATHS.nginxBerthDir}/sites`,
  `${HOST_PATHS.nginxBerthDir}/snippets`,
  `${HOST_PATHS.nginxBerthDir}/auth`,
];

/** `p` (absolute) moved under `root`; root "/" leaves it unchanged. */
export function reroot(root: string, p: string): string {
  if (!posix.isAbsolute(p)) throw new Error(`host path must be absolute: ${p}`);
  if (!posix.isAbsolute(root)) throw new Error(`root must be absolute: ${root}`);
  return root === "/" ? p : posix.join(root, p);
}
