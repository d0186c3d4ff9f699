// Proxy: nginx on the host. Basic-auth files go first (installed), then the configuration is
// staged and handed to apply-nginx.sh, which runs `nginx -t` and reloads only on success;
// on failure the previous files are restored, keep serving, and `pulumi up` fails with
// nginx's message. The configuration travels in the clear so a preview shows its diff.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RemoteFiles, secretFiles, type HostTarget } from "./remoteFiles";
import { HOST_PATHS, NGINX_OWNED_DIRS } from "./render/paths";
import type { HostFile } from "./render/paths";

/** The delivery script that runs on the host (also used by the rehearsal and its tests). */
export const APPLY_NGINX_SCRIPT = path.resolve(__dirname, "../host/apply-nginx.sh");

export interface ProxyArgs {
  /** The host nginx runs on (SSH connection and instance id). */
  readonly target: HostTarget;
  /** nginx configuration (public). */
  readonly configFiles: pulumi.Input<HostFile[]>;
  /** Basic-auth files (secret); undefined when no extra host asks for a password. */
  readonly secretFiles?: pulumi.Input<HostFile[]>;
  /** Directories nginx needs that hold no rendered file (ACME webroot, log dir, maintenance flags). */
  readonly directories?: readonly string[];
  /** Must be in place before nginx is tested (TLS files, the host being ready). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Proxy extends pulumi.ComponentResource {
  /** The configuration delivery (for resources that need nginx serving, e.g. certbot). */
  public readonly applied: pulumi.Resource;

  constructor(name: string, args: ProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:proxy:Proxy", name, {}, opts);
    const secrets =
      args.secretFiles === undefined ? undefined : secretFiles(`${name}-auth`, args.target, args.secretFiles, { parent: this, dependsOn: args.dependsOn });
    const config = new RemoteFiles(
      `${name}-config`,
      {
        target: args.target,
        files: args.configFiles,
        secret: false,
        bundle: {
          mode: "nginx",
          applyScript: fs.readFileSync(APPLY_NGINX_SCRIPT, "utf8"),
          directories: args.directories,
          // Server blocks and snippets of apps that left the config must not linger. The auth dir is
          // owned by the separate secret delivery above, so this one must not prune it.
          ownedDirs: NGINX_OWNED_DIRS.filter((d) => d !== HOST_PATHS.nginxAuthDir),
        },
      },
      { parent: this, dependsOn: [...args.dependsOn, ...(secrets ? [secrets.command] : [])] },
    );
    this.applied = config.command;
    this.registerOutputs({});
  }
}
