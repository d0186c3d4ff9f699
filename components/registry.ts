// Registry: the private registry container (the distribution registry, berth:registry.image) on
// the host. Its files (config.yml, htpasswd, TLS in direct mode) are delivered first; the container
// is replaced whenever they change (a content hash in its environment), while image data stays in
// the stack's S3 bucket (which outlives the host) or a host directory (which outlives any
// container). Credentials: username from config, password from the berth:registryPassword secret
// or generated; the htpasswd entry is bcrypt with a salt derived from the inputs, so it is
// identical on every run (no perpetual diff).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RemoteFiles, secretFiles, type HostTarget } from "./remoteFiles";
import { filesDigest } from "./render/bundle";
import { makeDirectory } from "./render/hostCommands";
import { htpasswdEntry } from "./render/htpasswd";
import { tiedTo } from "./resourceErrors";
import type { RegistryContainerSpec } from "./render/hostFiles";
import type { HostFile } from "./render/paths";

export interface RegistryCredentialsArgs {
  /** The registry's login (berth:registry.username). */
  readonly username: string;
  /** From config (secret); without it a password of 32 letters and digits is generated and kept in state. */
  readonly password?: pulumi.Input<string>;
  /** Secret kept in state that keys the deterministic bcrypt salt (see render/htpasswd.ts). */
  readonly saltKey: pulumi.Input<string>;
}

/** The registry's login, its password and the matching htpasswd entry. */
export interface RegistryCredentials {
  /** The login, as given. */
  readonly username: string;
  /** The password (secret): the one given, or the generated one. */
  readonly password: pulumi.Output<string>;
  /** `user:$2y$...`, secret. */
  readonly htpasswdLine: pulumi.Output<string>;
}

/** Makes (or takes) the registry password and its stable htpasswd entry. */
export function registryCredentials(name: string, args: RegistryCredentialsArgs, opts?: pulumi.CustomResourceOptions): RegistryCredentials {
  const password =
    args.password !== undefined
      ? pulumi.secret(args.password)
      : // Letters and digits only: the password goes through shells, URLs and CI variables unharmed.
        new random.RandomPassword(`${name}-password`, { length: 32, special: false, minLower: 4, minUpper: 4, minNumeric: 4 }, opts).result;
  return {
    username: args.username,
    password: pulumi.secret(password),
    htpasswdLine: pulumi.secret(pulumi.all([password, args.saltKey]).apply(([p, k]) => tiedTo(opts?.parent, () => htpasswdEntry(args.username, p, k)))),
  };
}

export interface RegistryArgs {
  /** The host the files go to (SSH connection and instance id). */
  readonly target: HostTarget;
  /** Docker provider for the host's daemon (the TLS-protected Docker API: see DockerHost). */
  readonly dockerProvider: docker.Provider;
  /** How the container runs (image, mounts, publish address): registryContainerSpec(). */
  readonly container: RegistryContainerSpec;
  /** config.yml and anything else public the registry reads. */
  readonly configFiles: pulumi.Input<HostFile[]>;
  /** htpasswd. */
  readonly secretFiles: pulumi.Input<HostFile[]>;
  /** Files delivered elsewhere that the registry reads (the TLS pair in direct mode): a change restarts it. */
  readonly readsFiles?: pulumi.Input<HostFile[]>;
  /** Host directory for image data (created if missing, never deleted); unset when the data is in S3. */
  readonly dataDir?: string;
  /**
   * `http.secret` (secret): signs upload state. Stable across restarts, so an upload in progress
   * survives one; it reaches the container as REGISTRY_HTTP_SECRET, never through a file.
   */
  readonly httpSecret: pulumi.Input<string>;
  /** Must be in place before the container starts (the TLS delivery in direct mode, Docker's readiness). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Registry extends pulumi.ComponentResource {
  /** Docker id of the running registry container. */
  public readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:registry:Registry", name, {}, opts);
    const parent = { parent: this };

    const config = new RemoteFiles(
      `${name}-config`,
      {
        target: args.target,
        files: args.configFiles,
        secret: false,
        // The data directory must exist before Docker bind-mounts it (or Docker makes it root-only and empty).
        bundle: { mode: "install", ...(args.dataDir !== undefined ? { after: [makeDirectory("0750", args.dataDir)] } : {}) },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    // The htpasswd file exists before the container starts: a registry that finds none invents a user.
    const secrets = secretFiles(`${name}-secrets`, args.target, args.secretFiles, { parent: this, dependsOn: args.dependsOn });

    const image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: args.container.image,
        keepLocally: true,
      },
      { ...parent, provider: args.dockerProvider },
    );

    const digest = pulumi.all([args.configFiles, args.secretFiles, args.readsFiles ?? []]).apply(([c, s, r]) => filesDigest([...c, ...s, ...r]));
    const container = new docker.Container(
      `${name}-container`,
      {
        name: "berth-registry",
        image: image.imageId,
        restart: "always",
        command: [...args.container.command],
        ...(args.container.network === "host"
          ? { networkMode: "host" }
          : { ports: [{ internal: args.container.port, external: args.container.port, ip: args.container.publishIp }] }),
        volumes: args.container.mounts.map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: m.readOnly })),
        // Changing a file changes this value, which replaces (restarts) the container with the new files.
        envs: [
          pulumi.interpolate`BERTH_FILES_SHA256=${digest}`,
          pulumi.interpolate`BERTH_HOST=${args.target.hostId}`,
          pulumi.secret(pulumi.interpolate`REGISTRY_HTTP_SECRET=${args.httpSecret}`),
        ],
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
      },
      { ...parent, provider: args.dockerProvider, dependsOn: [config.command, secrets.command], deleteBeforeReplace: true },
    );

    this.containerId = container.id;
    this.registerOutputs({ containerId: this.containerId });
  }
}
