// Alerts: what tells a team the platform is failing before its users do.
//
// MonitoringLogs (made before the host, because the host role is scoped to them): the deploy log's
// CloudWatch Logs group `/<project>/<stack>/deploy`, and the group that keeps the host check's
// embedded-metric lines, both with the stack's retention.
//
// Alerts (made once the host and the database exist): an SNS topic of the stack's own, encrypted
// with a key of its own whose policy lets CloudWatch, EventBridge and RDS events use it (AWS's
// managed SNS key admits no service principal, so alarms could not publish), a topic policy for the
// same three, e-mail subscriptions; or an existing topic. Then one CloudWatch alarm per spec of
// lib/alerts.ts (OK actions too; the system status check also recovers the instance), a metric
// filter on each app's log group counting its error lines, RDS event subscriptions, and a dashboard
// of every alarm's metric.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  alarmSpecs,
  appLogFilters,
  dashboardBody,
  dashboardUrl,
  RDS_EVENT_CATEGORIES,
  type AlarmInput,
  type AlarmSpec,
  type LogFilterSpec,
} from "../lib/alerts";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { withoutWildcard } from "./appLogs";

/** The services that may publish to the alarm topic and use its key. */
export const TOPIC_PUBLISHERS = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"] as const;

/** The deploy log's group, `/<project>/<stack>/deploy` (beside the apps' `/<project>/<stack>/apps/<app>`). */
export function deployLogGroupName(n: Naming): string {
  return `/${n.project}/${n.stack}/deploy`;
}

/** The group of the host check's embedded-metric lines. */
export function hostMetricsLogGroupName(n: Naming): string {
  return `/${n.project}/${n.stack}/host-metrics`;
}

export interface MonitoringLogsArgs {
  /** Days CloudWatch Logs keeps both groups. */
  readonly retentionDays: number;
  /** Project and stack: the groups' names and Name tags. */
  readonly naming: Naming;
}

export class MonitoringLogs extends pulumi.ComponentResource {
  /** The deploy log's group name. */
  public readonly deployGroupName: pulumi.Output<string>;
  /** The host check's metric lines' group name. */
  public readonly metricsGroupName: pulumi.Output<string>;
  /** Both groups' ARNs (without `:*`): what the host role may write to. */
  public readonly groupArns: pulumi.Output<string>[];

  constructor(name: string, args: MonitoringLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:alerts:MonitoringLogs", name, {}, opts);
    const group = (role: string, groupName: string): aws.cloudwatch.LogGroup =>
      new aws.cloudwatch.LogGroup(
        `${name}-${role}`,
        { name: groupName, retentionInDays: args.retentionDays, tags: nameTag(physical(args.naming, `${role}-logs`, 256)) },
        { parent: this },
      );
    const deploy = group("deploy", deployLogGroupName(args.naming));
    const metrics = group("host-metrics", hostMetricsLogGroupName(args.naming));
    this.deployGroupName = deploy.name;
    this.metricsGroupName = metrics.name;
    this.groupArns = [deploy.arn.apply(withoutWildcard), metrics.arn.apply(withoutWildcard)];
    this.registerOutputs({ deployGroupName: this.deployGroupName });
  }
}

/** The key policy: the account administers it; the publishing services may encrypt with it. */
export function topicKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Account", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "AlarmPublishers",
        Effect: "Allow",
        Principal: { Service: [...TOPIC_PUBLISHERS] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

/** The topic policy: the account manages the topic; the publishing services may publish, for this account only. */
export function topicPolicy(topicArn: string): string {
  const accountId = topicArn.split(":")[4];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Account",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
        Resource: topicArn,
      },
      {
        Sid: "AlarmPublishers",
        Effect: "Allow",
        Principal: { Service: [...TOPIC_PUBLISHERS] },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

export interface AlertsArgs {
  /** The stack's region (the recover action's ARN, the dashboard's address). */
  readonly region: string;
  /** Addresses subscribed to the topic (each must confirm). */
  readonly emails: readonly string[];
  /** An existing topic to notify instead of a topic of the stack's own. */
  readonly existingTopicArn?: string;
  /** What the alarms watch, and their thresholds. */
  readonly alarms: AlarmInput<pulumi.Input<string>>;
  /** Project and stack: every physical name. */
  readonly naming: Naming;
}

export class Alerts extends pulumi.ComponentResource {
  /** The topic the alarms notify. */
  public readonly topicArn: pulumi.Output<string>;
  /** The dashboard's console address. */
  public readonly dashboardUrl: string;
  /** The alarms' names, in spec order. */
  public readonly alarmNames: string[];

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:alerts:Alerts", name, {}, opts);
    const parent = { parent: this };
    this.topicArn = args.existingTopicArn !== undefined ? pulumi.output(args.existingTopicArn) : this.ownTopic(name, args);
    for (const [i, email] of args.emails.entries()) {
      new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: this.topicArn, protocol: "email", endpoint: email }, parent);
    }

    for (const f of appLogFilters(args.alarms)) this.logFilter(name, f);
    const specs = alarmSpecs(args.alarms);
    this.alarmNames = specs.map((s) => this.alarm(name, args, s).name);

    new aws.rds.EventSubscription(
      `${name}-db-events`,
      {
        name: physical(args.naming, "db-events", 255),
        snsTopic: this.topicArn,
        sourceType: "db-instance",
        sourceIds: [args.alarms.databaseId],
        eventCategories: [...RDS_EVENT_CATEGORIES],
        tags: nameTag(physical(args.naming, "db-events", 256)),
      },
      parent,
    );

    const dashboardName = physical(args.naming, "dashboard", 255);
    new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName,
        dashboardBody: pulumi
          .all([args.alarms.instanceId, args.alarms.databaseId, pulumi.output(args.alarms.ecs ?? null), pulumi.output(args.alarms.appLogs ?? null)])
          .apply(([instanceId, databaseId, ecs, appLogs]) =>
            dashboardBody(args.region, alarmSpecs<string>({ ...args.alarms, instanceId, databaseId, ecs: ecs ?? undefined, appLogs: appLogs ?? undefined })),
          ),
      },
      parent,
    );
    this.dashboardUrl = dashboardUrl(args.region, dashboardName);
    this.registerOutputs({ topicArn: this.topicArn, dashboardUrl: this.dashboardUrl });
  }

  /** A topic of the stack's own: its key, the topic, the topic policy. */
  private ownTopic(name: string, args: AlertsArgs): pulumi.Output<string> {
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const key = new aws.kms.Key(
      `${name}-topic-key`,
      {
        description: `Berth ${args.naming.stack}: encrypts the alarm topic`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: account.apply(topicKeyPolicy),
        tags: nameTag(physical(args.naming, "alerts-key", 256)),
      },
      parent,
    );
    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: physical(args.naming, "alerts", 256), kmsMasterKeyId: key.arn, tags: nameTag(physical(args.naming, "alerts", 256)) },
      parent,
    );
    new aws.sns.TopicPolicy(`${name}-topic-policy`, { arn: topic.arn, policy: topic.arn.apply(topicPolicy) }, parent);
    return topic.arn;
  }

  /** A metric filter on an app's log group: each matching line adds 1 to the metric its alarm watches. */
  private logFilter(name: string, f: LogFilterSpec<pulumi.Input<string>>): void {
    new aws.cloudwatch.LogMetricFilter(
      `${name}-${f.role}`,
      {
        name: f.role,
        logGroupName: f.logGroup,
        pattern: f.pattern,
        metricTransformation: { namespace: f.metric.namespace, name: f.metric.metricName, value: "1", unit: "Count" },
      },
      { parent: this },
    );
  }

  /** One alarm: the spec's metric and threshold, the topic on alarm and on OK (and EC2's recover where the spec asks). */
  private alarm(name: string, args: AlertsArgs, s: AlarmSpec<pulumi.Input<string>>): { name: string } {
    const alarmName = physical(args.naming, `alarm-${s.role}`, 255);
    new aws.cloudwatch.MetricAlarm(
      `${name}-${s.role}`,
      {
        name: alarmName,
        alarmDescription: s.description,
        namespace: s.metric.namespace,
        metricName: s.metric.metricName,
        dimensions: s.metric.dimensions,
        statistic: s.statistic,
        period: s.period,
        evaluationPeriods: s.evaluationPeriods,
        comparisonOperator: s.comparison,
        threshold: s.threshold,
        treatMissingData: s.treatMissingData,
        alarmActions: s.recover ? [this.topicArn, recoverAction(args.region)] : [this.topicArn],
        okActions: [this.topicArn],
        tags: nameTag(alarmName),
      },
      { parent: this },
    );
    return { name: alarmName };
  }
}

/** EC2's recover action: the instance moves to healthy hardware, keeping its id, addresses and volumes. */
export function recoverAction(region: string): string {
  return `arn:aws:automate:${region}:ec2:recover`;
}
