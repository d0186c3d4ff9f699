// DeployTooling: the blue/green deploy program on the host and everything around it, delivered over
// SSH with the admin key like every other host file (user data never changes a running host):
// host/berth-deploy, its apps file, the deploy user's forced-command key, the sudoers rule (installed
// only after visudo accepts it), the systemd units (switch restored at boot, retention timer), and,
// as a separate secret delivery, the registry login the program pulls with (root-only file).
// None of it touches the EC2 instance or the database; changing an app's health check re-runs
// only the public delivery below, changing the registry password only the secret one.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RemoteFiles, type HostTarget } from "./remoteFiles";
import { deployToolingAfter, deployToolingFiles, registryAddress, renderRegistryAuth, type DeployConfig } from "./render/deploy";
import { HOST_PATHS, type HostFile } from "./render/paths";
import { resourceProblem, tiedTo } from "./resourceErrors";

/** The deploy program that runs on the host (also installed by the local rehearsal). */
export const DEPLOY_PROGRAM = path.resolve(__dirname, "../host/berth-deploy");

export interface DeployToolingArgs {
  /** The host the files go to (SSH connection and instance id). */
  readonly target: HostTarget;
  /** What the tooling is rendered from: the apps, the registry, the deploy user. */
  readonly config: DeployConfig;
  /** OpenSSH public key of the deploy user (the CI key). */
  readonly deployPublicKey: pulumi.Input<string>;
  /** Registry login (secret) for the host's own pulls; required when the registry is enabled. */
  readonly registryPassword?: pulumi.Output<string>;
  /** Where the apps' containers log: CloudWatch Logs; unset = Docker's local driver on the host. */
  readonly appLogs?: AppLogsInput;
  /** Must be in place first (cloud-init finished). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The apps' CloudWatch Logs: the region and each app's log group (the AppLogs component's). */
export interface AppLogsInput {
  /** The stack's region. */
  readonly region: string;
  /** Log group name by app name (AppLogs.groupNames): apps.json waits for the groups to exist. */
  readonly groups: pulumi.Input<Record<string, string>>;
}

export class DeployTooling extends pulumi.ComponentResource {
  /** The public delivery: once it ran, the switch exists and nginx may point at the live ports. */
  public readonly applied: pulumi.Resource;

  constructor(name: string, args: DeployToolingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:deploy:DeployTooling", name, {}, opts);
    const { config } = args;
    // The host pulls from the registry with this login: without it every deploy would fail at the pull.
    if (config.registry.enabled && !args.registryPassword)
      throw resourceProblem("the registry is enabled but no registry password was given for the host's pulls", this);
    const auth =
      config.registry.enabled && args.registryPassword
        ? new RemoteFiles(
            `${name}-auth`,
            {
              target: args.target,
              files: args.registryPassword.apply((password): HostFile[] =>
                tiedTo(this, () => [
                  {
                    path: HOST_PATHS.deployDockerConfig,
                    mode: 0o600,
                    secret: true,
                    usedBy: [],
                    content: renderRegistryAuth(registryAddress(config), config.registry.username, password),
                  },
                ]),
              ),
              secret: true,
              bundle: { mode: "install" },
            },
            { parent: this, dependsOn: args.dependsOn },
          )
        : undefined;

    const program = fs.readFileSync(DEPLOY_PROGRAM, "utf8");
    const files = new RemoteFiles(
      `${name}-files`,
      {
        target: args.target,
        files: pulumi.all([args.deployPublicKey, args.appLogs?.groups ?? {}]).apply(([key, groups]) =>
          tiedTo(this, () =>
            deployToolingFiles({
              config,
              program,
              deployPublicKey: key,
              options: args.appLogs ? { logs: { driver: "awslogs", region: args.appLogs.region, groups } } : {},
            }),
          ),
        ),
        secret: false,
        bundle: { mode: "install", after: tiedTo(this, () => deployToolingAfter(config)) },
      },
      { parent: this, dependsOn: [...args.dependsOn, ...(auth ? [auth.command] : [])] },
    );
    this.applied = files.command;
    this.registerOutputs({});
  }
}
