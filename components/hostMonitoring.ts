// HostMonitoring: the CloudWatch agent and Berth's host check on the host, delivered over SSH like
// every other host file (never user data: changing the agent's config must not touch the EC2
// instance). One public delivery: the agent's config, the check script and its units; after them
// the agent is installed from AWS's signed package when missing, loaded with the config, and the
// check's timer enabled. A new config re-runs this delivery only.
import * as pulumi from "@pulumi/pulumi";
import { RemoteFiles, type HostTarget } from "./remoteFiles";
import { monitoringAfter, monitoringFiles, type MonitoringInput } from "./render/monitoring";
import { tiedTo } from "./resourceErrors";

export interface HostMonitoringArgs {
  /** The host (SSH connection and instance id). */
  readonly target: HostTarget;
  /** What the agent's config and the host check are rendered from, but the log groups' names. */
  readonly settings: Omit<MonitoringInput, "deployLogGroup" | "metricsLogGroup">;
  /** The deploy log's CloudWatch Logs group (MonitoringLogs.deployGroupName): the agent ships the log there. */
  readonly deployLogGroup: pulumi.Input<string>;
  /** The host check's metric lines' group (MonitoringLogs.metricsGroupName). */
  readonly metricsLogGroup: pulumi.Input<string>;
  /** Must be in place first (cloud-init finished). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class HostMonitoring extends pulumi.ComponentResource {
  /** The delivery command. */
  public readonly applied: pulumi.Resource;

  constructor(name: string, args: HostMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:alerts:HostMonitoring", name, {}, opts);
    const files = new RemoteFiles(
      `${name}-files`,
      {
        target: args.target,
        files: pulumi
          .all([args.deployLogGroup, args.metricsLogGroup])
          .apply(([deployLogGroup, metricsLogGroup]) => tiedTo(this, () => monitoringFiles({ ...args.settings, deployLogGroup, metricsLogGroup }))),
        secret: false,
        bundle: { mode: "install", after: tiedTo(this, () => monitoringAfter()) },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.applied = files.command;
    this.registerOutputs({});
  }
}
