// HostRole: the host's one IAM role and its instance profile, with one inline policy per purpose:
// the registry's S3 bucket (storage: s3, the actions of REGISTRY_S3_*), and the apps' CloudWatch
// Logs (logs:CreateLogStream and logs:PutLogEvents on the stack's app log groups only: Docker's
// awslogs driver needs nothing more, and the groups exist already). It exists whenever the host
// needs AWS access. No access key exists anywhere: the registry and Docker read the role's
// short-lived credentials from the instance metadata service (IMDSv2).
//
// The role, its S3 policy and the profile were RegistryStorage's children before this component
// existed: `aliases` carry them over, so a stack that had them keeps them (same names, no
// replacement) and the host keeps its profile.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { registryS3Policy } from "./registryStorage";

/** What Docker's awslogs driver does in a log group that exists (Docker's awslogs documentation, "Credentials"). */
export const APP_LOGS_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/**
 * The app-logs policy: the two actions on exactly these groups and their streams. CreateLogStream
 * is authorized on the log group, PutLogEvents on the log stream (Service Authorization
 * Reference, CloudWatch Logs), so each group is listed with and without `:log-stream:*`.
 */
export function appLogsWritePolicy(groupArns: readonly string[]): string {
  if (groupArns.length === 0) throw new Error("logs: the app-logs policy needs at least one log group");
  const groups = groupArns.map((a) => a.replace(/:\*$/, ""));
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "AppLogs", Effect: "Allow", Action: [...APP_LOGS_ACTIONS], Resource: groups.flatMap((g) => [g, `${g}:log-stream:*`]) }],
  });
}

/** What the CloudWatch agent does: write the deploy log and the host check's metric lines into groups that exist. */
export const MONITORING_LOGS_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"] as const;

/**
 * The monitoring policy: PutMetricData into the agent's namespace only (the `cloudwatch:namespace`
 * condition key; PutMetricData has no resource ARN), and the agent's log actions on the deploy
 * log's and the metric lines' groups only. Berth's own namespace needs no PutMetricData: CloudWatch
 * Logs extracts those metrics from the lines (embedded metric format).
 */
export function monitoringPolicy(namespace: string, groupArns: readonly string[]): string {
  if (groupArns.length === 0) throw new Error("logs: the monitoring policy needs its log groups");
  const groups = groupArns.map((a) => a.replace(/:\*$/, ""));
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AgentMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
      },
      { Sid: "AgentLogs", Effect: "Allow", Action: [...MONITORING_LOGS_ACTIONS], Resource: groups.flatMap((g) => [g, `${g}:log-stream:*`]) },
    ],
  });
}

/** EC2 may assume the role (the instance profile hands it to the host). */
export const EC2_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

export interface HostRoleArgs {
  /** The registry's bucket (storage: s3); unset = no S3 permission. */
  readonly registryBucket?: {
    /** The bucket's ARN. */
    readonly arn: pulumi.Input<string>;
    /** The RegistryStorage component, which made the role, its S3 policy and the profile before (aliases). */
    readonly previousParent: pulumi.Resource;
    /** That component's logical name: the old children were `<name>-host-role`, `-host-policy`, `-host-profile`. */
    readonly previousName: string;
  };
  /** ARNs of the apps' log groups (AppLogs.groupArns); empty = no logs permission. */
  readonly appLogGroupArns: readonly pulumi.Input<string>[];
  /** The CloudWatch agent's namespace and log groups (berth:alerts); unset = no monitoring permission. */
  readonly monitoring?: {
    /** The namespace the agent publishes disk and memory into. */
    readonly namespace: string;
    /** ARNs of the deploy log's and the metric lines' groups (MonitoringLogs.groupArns). */
    readonly logGroupArns: readonly pulumi.Input<string>[];
  };
  /** Project and stack: the Name tags. */
  readonly naming: Naming;
}

export class HostRole extends pulumi.ComponentResource {
  /** The instance profile the host is launched with. */
  public readonly instanceProfileName: pulumi.Output<string>;
  /** The role's name (the registry and Docker use it through the profile). */
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: HostRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:HostRole", name, {}, opts);
    const reg = args.registryBucket;
    const mon = args.monitoring;
    if (!reg && args.appLogGroupArns.length === 0 && !mon)
      throw new pulumi.ResourceError("HostRole needs a purpose: the registry bucket, app log groups or monitoring", this);
    /** The old child of RegistryStorage that a new child carries on, when there was one. */
    const formerly = (suffix: string): pulumi.CustomResourceOptions =>
      reg ? { parent: this, aliases: [{ name: `${reg.previousName}-${suffix}`, parent: reg.previousParent }] } : { parent: this };
    const purposes = [
      ...(reg ? ["the registry's S3 bucket"] : []),
      ...(args.appLogGroupArns.length ? ["the apps' CloudWatch Logs"] : []),
      ...(mon ? ["monitoring"] : []),
    ];

    // Role and profile names are left to Pulumi's auto-naming (logical name + suffix): IAM's
    // 38-character name prefixes would otherwise limit the project and stack names further.
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Berth host: ${purposes.join(" and ")}`,
        assumeRolePolicy: EC2_TRUST_POLICY,
        tags: nameTag(physical(args.naming, "host-role")),
      },
      formerly("host-role"),
    );
    if (reg) {
      new aws.iam.RolePolicy(
        `${name}-registry-bucket`,
        { role: role.id, name: "registry-bucket", policy: pulumi.output(reg.arn).apply(registryS3Policy) },
        formerly("host-policy"),
      );
    }
    if (args.appLogGroupArns.length) {
      new aws.iam.RolePolicy(
        `${name}-app-logs`,
        { role: role.id, name: "app-logs", policy: pulumi.all([...args.appLogGroupArns]).apply(appLogsWritePolicy) },
        { parent: this },
      );
    }
    if (mon) {
      new aws.iam.RolePolicy(
        `${name}-monitoring`,
        { role: role.id, name: "monitoring", policy: pulumi.all([...mon.logGroupArns]).apply((arns) => monitoringPolicy(mon.namespace, arns)) },
        { parent: this },
      );
    }
    const profile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: role.name, tags: nameTag(physical(args.naming, "host-profile")) },
      formerly("host-profile"),
    );

    this.roleName = role.name;
    this.instanceProfileName = profile.name;
    this.registerOutputs({ instanceProfileName: this.instanceProfileName });
  }
}
