// The stack's alarms as data: which metric, which threshold key, what to do when it fires, and how
// missing data counts. components/alerts.ts turns each spec into an aws.cloudwatch.MetricAlarm;
// the README's Alerts table and the tests read the same list. Pure: no Pulumi, no I/O.
import {
  appLogErrorsMetric,
  BERTH_NAMESPACE,
  berthMetric,
  CERTIFICATE_DAYS_TO_EXPIRY,
  CONTAINER_RESTARTS,
  DEPLOY_FAILURES,
  diskUsedMetric,
  memUsedMetric,
  SERVED_CERTIFICATE,
  SERVICE_UP,
  type CheckedService,
  type DiskMount,
  type MetricId,
} from "./hostMetrics";

/** Thresholds, as berth:alerts holds them (validated there). */
export interface AlertThresholds {
  readonly diskUsedPercent: number;
  readonly memoryUsedPercent: number;
  readonly cpuCreditBalance: number;
  readonly databaseFreeStoragePercent: number;
  readonly databaseFreeStorageGiB: number;
  readonly databaseCpuPercent: number;
  readonly databaseFreeableMemoryMiB: number;
  readonly databaseConnectionsPercent: number;
  readonly certificateDaysToExpiry: number;
  readonly containerRestarts: number;
  readonly deployFailures: number;
  readonly http5xxCount: number;
  readonly appLogErrors: number;
}

/**
 * How an alarm counts a period without data (CloudWatch's treatMissingData):
 * - missing: keep the current state (the metric stops only when its source stops on purpose);
 * - breaching: no data is itself the problem (a check that stops reporting is a host or agent down);
 * - notBreaching: no data means nothing happened (a count published only when something did).
 */
export type MissingData = "missing" | "breaching" | "notBreaching";

export interface AlarmSpec<T> {
  /** Physical name suffix: the alarm is `<project>-<stack>-alarm-<role>`. */
  readonly role: string;
  /** The metric, its namespace and every dimension. */
  readonly metric: MetricId<T | string>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum";
  /** Seconds per datapoint. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly comparison: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
  readonly threshold: number;
  /** The berth:alerts key the threshold comes from (fixed alarms: none). */
  readonly thresholdKey?: keyof AlertThresholds;
  readonly treatMissingData: MissingData;
  /** Why that choice of treatMissingData (README). */
  readonly missingDataWhy: string;
  /** What it means and what to do: the alarm's description (what the e-mail shows). */
  readonly description: string;
  /** Also recover the instance (EC2's recover action) when it fires. */
  readonly recover?: boolean;
}

/** What the alarms are about: the resources' ids (plain or Pulumi outputs) and the settings that shape them. */
export interface AlarmInput<T> {
  readonly instanceId: T;
  readonly instanceType: string;
  readonly databaseId: T;
  readonly databaseInstanceClass: string;
  readonly databaseAllocatedGiB: number;
  /** max_connections of the database (rdsMaxConnections, or berth:alerts.databaseMaxConnections). */
  readonly databaseMaxConnections: number;
  readonly stack: string;
  /** The mounts whose used space is watched (lib/hostMetrics watchedMounts). */
  readonly mounts: readonly DiskMount[];
  /** The services the host check probes (docker always; nginx and the registry when enabled). */
  readonly services: readonly CheckedService[];
  readonly thresholds: AlertThresholds;
  /** Apps on ECS, when there are any: the load balancer and each app part's target group and service. */
  readonly ecs?: EcsAlarmInput<T>;
  /** Apps with a log group (host and ECS), when there are any: whose error lines are counted. */
  readonly appLogs?: AppLogInput<T>;
}

/** What the per-app error-line filters watch. */
export interface AppLogInput<T> {
  /** The CloudWatch Logs filter pattern of an error line (berth:alerts.appLogErrorPattern). */
  readonly pattern: string;
  /** Each app's name and its log group's name. */
  readonly apps: ReadonlyArray<{ readonly app: string; readonly logGroup: T }>;
}

/** A CloudWatch Logs metric filter: lines of a group that match the pattern count 1 each in the metric. */
export interface LogFilterSpec<T> {
  /** The app whose lines are counted. */
  readonly app: string;
  /** The filter's name in its group, and the role of its alarm. */
  readonly role: string;
  readonly logGroup: T;
  readonly pattern: string;
  /** Where the count goes: the same id the alarm watches. */
  readonly metric: MetricId<never>;
}

/**
 * Error lines by default: the level words most loggers print in capitals, Python's traceback header
 * and Go's panic. Terms are case-sensitive and `?` makes any one of them enough.
 */
export const DEFAULT_APP_LOG_ERROR_PATTERN = "?ERROR ?FATAL ?Traceback ?panic";

/**
 * What CloudWatch Logs would refuse in a filter pattern, checked before any call: empty, over
 * 1,024 characters, an unclosed double quote, or more than two regular expressions (`%...%`). Not a
 * full parser: a pattern that passes may still be refused by PutMetricFilter, which names it.
 */
export function logFilterPatternProblem(pattern: string): string | undefined {
  if (pattern.trim() === "") return "must not be empty (a filter pattern such as ?ERROR ?FATAL)";
  if (pattern.length > 1024) return `has ${pattern.length} characters; CloudWatch Logs allows 1024`;
  if ((pattern.match(/(?<!\\)"/g) ?? []).length % 2 !== 0) return `has an unclosed double quote: ${pattern}`;
  const regexes = (pattern.match(/%/g) ?? []).length;
  if (regexes % 2 !== 0) return `has an unclosed %...% regular expression: ${pattern}`;
  if (regexes / 2 > 2) return `has ${regexes / 2} regular expressions (%...%); CloudWatch Logs allows 2 in one pattern`;
  return undefined;
}

/** One metric filter per app with a log group: its error lines, as the app's alarm counts them. */
export function appLogFilters<T>(input: AlarmInput<T>): LogFilterSpec<T>[] {
  const logs = input.appLogs;
  if (!logs) return [];
  return logs.apps.map(({ app, logGroup }) => ({
    app,
    role: `${app}-log-errors`,
    logGroup,
    pattern: logs.pattern,
    metric: appLogErrorsMetric(input.stack, app),
  }));
}

/** One alarm per app filter: that many error lines in 5 minutes. */
function appLogAlarms<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  const t = input.thresholds;
  return appLogFilters(input).map((f) => ({
    role: f.role,
    metric: f.metric,
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: t.appLogErrors,
    thresholdKey: "appLogErrors",
    treatMissingData: "notBreaching",
    missingDataWhy: "a metric filter publishes only when a line matches: no data is no error line",
    description: `${f.app} wrote ${t.appLogErrors} or more error lines (berth:alerts.appLogErrorPattern) in 5 minutes. Read its log group (appLogGroups output; on the host also \`berth-deploy logs ${f.app}\`); if a deploy caused it, roll back (host) or deploy the previous tag (ECS).`,
  }));
}

/** What the ECS alarms watch (CloudWatch dimensions: the ARN suffixes of the load balancer and target groups). */
export interface EcsAlarmInput<T> {
  /** The load balancer's ARN suffix (`app/<name>/<id>`), its LoadBalancer dimension. */
  readonly loadBalancer: T;
  /** Container Insights is on for the cluster: only then is RunningTaskCount published. */
  readonly containerInsights: boolean;
  readonly parts: ReadonlyArray<{
    /** `<app>-<part>`: the alarms' role names. */
    readonly key: string;
    /** The target group's ARN suffix (`targetgroup/<name>/<id>`). */
    readonly targetGroup: T;
    readonly cluster: T;
    readonly service: T;
    /** The fewest tasks the service should run (berth:proxy.apps[].minCount). */
    readonly minCount: number;
  }>;
}

/** Burstable families earn CPU credits (t2, t3, t3a, t4g): their balance is worth an alarm. */
export function isBurstable(instanceType: string): boolean {
  return /^t\d[a-z]*\./.test(instanceType);
}

const GIB = 1024 ** 3;

/**
 * RDS for MySQL's default max_connections, `{DBInstanceClassMemory/12582880}`, from the class's
 * memory (RDS instance class table). DBInstanceClassMemory is a little below the nominal memory
 * (RDS keeps some for itself), so this is an upper bound; the alarm fires at a share of it.
 * undefined for a class whose memory Berth does not know (set berth:alerts.databaseMaxConnections).
 */
export function rdsMaxConnections(instanceClass: string): number | undefined {
  const gib = rdsClassMemoryGiB(instanceClass);
  return gib === undefined ? undefined : Math.floor((gib * GIB) / 12582880);
}

/** Nominal memory of an RDS class in GiB: t and m families 4 GiB per vCPU pair from large up, r twice that. */
export function rdsClassMemoryGiB(instanceClass: string): number | undefined {
  const m = /^db\.([a-z]+)(\d+)([a-z0-9-]*)\.(micro|small|medium|large|(\d*)xlarge)$/.exec(instanceClass);
  if (!m) return undefined;
  const [, family, , , size, times] = m;
  const small: Record<string, number> = { micro: 1, small: 2, medium: 4 };
  const factor = family === "r" ? 2 : family === "t" || family === "m" ? 1 : undefined;
  if (factor === undefined) return undefined;
  if (size in small) return family === "t" ? small[size] : undefined;
  const large = 8 * factor;
  if (size === "large") return large;
  return large * 2 * (times ? Number(times) : 1);
}

/** One "service down" alarm per probed service. */
function serviceDown<T>(input: AlarmInput<T>, service: CheckedService): AlarmSpec<T> {
  const fix: Record<CheckedService, string> = {
    docker:
      "Docker does not answer on the host: no app or registry container can start. ssh in, `systemctl status docker`, `journalctl -u docker`, then `systemctl restart docker`.",
    nginx: "nginx is not running: every public name is down. ssh in, `nginx -t` (a bad file?), `systemctl status nginx`, then `systemctl restart nginx`.",
    registry:
      "The registry does not answer /v2/: CI cannot push and deploys cannot pull. ssh in, `docker ps -a --filter name=berth-registry`, `docker logs berth-registry`, then `docker start berth-registry` (or `pulumi up`).",
  };
  return {
    role: `${service}-down`,
    metric: berthMetric(SERVICE_UP, { Stack: input.stack, Service: service }),
    statistic: "Minimum",
    period: 60,
    evaluationPeriods: 3,
    comparison: "LessThanThreshold",
    threshold: 1,
    treatMissingData: "breaching",
    missingDataWhy: "the host check reports every minute: silence means the host, the agent or the check itself is down",
    description: `${fix[service]} (Berth host check, ${BERTH_NAMESPACE}/${SERVICE_UP.name}, down 3 minutes in a row.)`,
  };
}

/** The host's alarms: status checks (recover), CPU credits on burstable types, disks and memory. */
function hostAlarms<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  const t = input.thresholds;
  const ec2 = (metricName: string): MetricId<T> => ({ namespace: "AWS/EC2", metricName, dimensions: { InstanceId: input.instanceId } });
  const specs: AlarmSpec<T>[] = [
    {
      role: "host-system-status",
      metric: ec2("StatusCheckFailed_System"),
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "missing",
      missingDataWhy: "a stopped instance sends no status checks; that is not a hardware fault",
      description:
        "AWS's hardware or network under the host failed. EC2 recovers the instance onto other hardware (same id, IP, volumes); if it does not come back within 15 minutes, stop and start it from the console.",
      recover: true,
    },
    {
      role: "host-instance-status",
      metric: ec2("StatusCheckFailed_Instance"),
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 3,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "missing",
      missingDataWhy: "a stopped instance sends no status checks",
      description:
        "The host's operating system does not answer (out of memory, full disk, kernel panic). Look at the console screenshot and system log in EC2, then reboot the instance.",
    },
  ];
  if (isBurstable(input.instanceType))
    specs.push({
      role: "host-cpu-credits",
      metric: ec2("CPUCreditBalance"),
      statistic: "Minimum",
      period: 300,
      evaluationPeriods: 3,
      comparison: "LessThanThreshold",
      threshold: t.cpuCreditBalance,
      thresholdKey: "cpuCreditBalance",
      treatMissingData: "missing",
      missingDataWhy: "credits are reported every 5 minutes while the instance runs",
      description: `The host's CPU credits are nearly spent: it is throttled to its baseline (standard mode) or billed for surplus credits (unlimited). Find what burns CPU (\`top\`), or move berth:host.instanceType to a larger or non-burstable type.`,
    });
  for (const mount of input.mounts)
    specs.push({
      role: `host-disk-${mount.path === "/" ? "root" : mount.path.replace(/^\//, "").replace(/\//g, "-")}`,
      metric: diskUsedMetric(input.instanceId, mount),
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 2,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: t.diskUsedPercent,
      thresholdKey: "diskUsedPercent",
      treatMissingData: "breaching",
      missingDataWhy: "the agent reports every interval: silence means the agent or the host is down",
      description: `${mount.path} is filling up. ssh in, \`df -h ${mount.path}\` and \`du -xh ${mount.path} | sort -h | tail\`; old images: \`docker image prune\`; registry: lower berth:registry.retention.keep. Or grow the volume.`,
    });
  specs.push({
    role: "host-memory",
    metric: memUsedMetric(input.instanceId),
    statistic: "Average",
    period: 300,
    evaluationPeriods: 3,
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: t.memoryUsedPercent,
    thresholdKey: "memoryUsedPercent",
    treatMissingData: "breaching",
    missingDataWhy: "the agent reports every interval: silence means the agent or the host is down",
    description:
      "The host's memory is nearly used up; the kernel will kill containers next. ssh in, `docker stats --no-stream`, find the container that grows, restart it (`berth-deploy restart <app>`) or move to a larger instance type.",
  });
  return specs;
}

/** The database's alarms: free storage (bytes and share of allocated), CPU, freeable memory, connections. */
function databaseAlarms<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  const t = input.thresholds;
  const rds = (metricName: string): MetricId<T> => ({ namespace: "AWS/RDS", metricName, dimensions: { DBInstanceIdentifier: input.databaseId } });
  const storageFix =
    "RDS refuses writes when storage runs out. Raise berth:database.allocatedStorageGiB (or set maxAllocatedStorageGiB for autoscaling) and `pulumi up`; look for a runaway table or the general log.";
  const common = {
    period: 300,
    treatMissingData: "missing" as const,
    missingDataWhy: "RDS reports every minute while the instance exists; a deleted or stopped database is not a fault",
  };
  return [
    {
      ...common,
      role: "db-free-storage",
      metric: rds("FreeStorageSpace"),
      statistic: "Minimum",
      evaluationPeriods: 1,
      comparison: "LessThanThreshold",
      threshold: t.databaseFreeStorageGiB * GIB,
      thresholdKey: "databaseFreeStorageGiB",
      description: `Less than ${t.databaseFreeStorageGiB} GiB free on the database. ${storageFix}`,
    },
    {
      ...common,
      role: "db-free-storage-percent",
      metric: rds("FreeStorageSpace"),
      statistic: "Minimum",
      evaluationPeriods: 1,
      comparison: "LessThanThreshold",
      threshold: Math.round(((input.databaseAllocatedGiB * t.databaseFreeStoragePercent) / 100) * GIB),
      thresholdKey: "databaseFreeStoragePercent",
      description: `Less than ${t.databaseFreeStoragePercent}% of the ${input.databaseAllocatedGiB} GiB allocated is free. ${storageFix}`,
    },
    {
      ...common,
      role: "db-cpu",
      metric: rds("CPUUtilization"),
      statistic: "Average",
      evaluationPeriods: 3,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: t.databaseCpuPercent,
      thresholdKey: "databaseCpuPercent",
      description:
        "The database's CPU has been high for 15 minutes. Look at the slow query log (auditLogGroups) and Performance Insights for the query; add an index, or raise berth:database.instanceClass.",
    },
    {
      ...common,
      role: "db-memory",
      metric: rds("FreeableMemory"),
      statistic: "Minimum",
      evaluationPeriods: 3,
      comparison: "LessThanThreshold",
      threshold: t.databaseFreeableMemoryMiB * 1024 * 1024,
      thresholdKey: "databaseFreeableMemoryMiB",
      description: `The database has less than ${t.databaseFreeableMemoryMiB} MiB freeable memory; it will swap and slow down. Fewer connections, or a larger berth:database.instanceClass.`,
    },
    {
      ...common,
      role: "db-connections",
      metric: rds("DatabaseConnections"),
      statistic: "Maximum",
      evaluationPeriods: 2,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: Math.max(1, Math.floor((input.databaseMaxConnections * t.databaseConnectionsPercent) / 100)),
      thresholdKey: "databaseConnectionsPercent",
      description: `Connections are near ${input.databaseInstanceClass}'s max_connections (${input.databaseMaxConnections}); new ones will be refused. Look for a connection leak or oversized pools in the apps, or raise the instance class.`,
    },
  ];
}

/** Berth's own platform alarms: services down, certificate expiry, container restarts, deploy failures. */
function platformAlarms<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  const t = input.thresholds;
  return [
    ...input.services.map((s) => serviceDown(input, s)),
    {
      role: "tls-expiry",
      metric: berthMetric(CERTIFICATE_DAYS_TO_EXPIRY, { Stack: input.stack, Certificate: SERVED_CERTIFICATE }),
      statistic: "Minimum",
      period: 3600,
      evaluationPeriods: 1,
      comparison: "LessThanThreshold",
      threshold: t.certificateDaysToExpiry,
      thresholdKey: "certificateDaysToExpiry",
      treatMissingData: "breaching",
      missingDataWhy: "an unreadable or missing certificate reports nothing, and that must not look fine",
      description: `The served certificate expires in fewer than ${t.certificateDaysToExpiry} days (or cannot be read). letsencrypt: \`journalctl -u certbot\`, \`certbot renew\`; self-signed: \`pulumi up\` renews it; provided: set new berth:tlsCertificate/berth:tlsPrivateKey and \`pulumi up\`.`,
    },
    {
      role: "container-restarts",
      metric: berthMetric(CONTAINER_RESTARTS, { Stack: input.stack }),
      statistic: "Sum",
      period: 600,
      evaluationPeriods: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: t.containerRestarts,
      thresholdKey: "containerRestarts",
      treatMissingData: "notBreaching",
      missingDataWhy: "silence here is covered by the service-down alarms, which treat it as breaching",
      description: `Containers restarted ${t.containerRestarts} or more times in 10 minutes (a crash loop). \`berth-deploy status <app>\`, \`berth-deploy logs <app>\`; roll back with \`berth-deploy rollback <app>\` if a deploy caused it.`,
    },
    {
      role: "deploy-failures",
      metric: berthMetric(DEPLOY_FAILURES, { Stack: input.stack }),
      statistic: "Sum",
      period: 600,
      evaluationPeriods: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: t.deployFailures,
      thresholdKey: "deployFailures",
      treatMissingData: "notBreaching",
      missingDataWhy: "no failed deploy reported is no failed deploy (the service-down alarms catch a silent host)",
      description:
        "A deploy, rollback or restart failed (the old color kept serving). Read the deploy log (CloudWatch Logs, the deployLogGroup output) for the reason: a failed health check, release step or pull.",
    },
  ];
}

/** Apps on ECS: 5xx from the load balancer and from each part's targets, unhealthy targets, services below their minimum. */
function ecsAlarms<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  const ecs = input.ecs;
  if (!ecs) return [];
  const t = input.thresholds;
  const alb = (metricName: string, extra: Readonly<Record<string, T>> = {}): MetricId<T> => ({
    namespace: "AWS/ApplicationELB",
    metricName,
    dimensions: { LoadBalancer: ecs.loadBalancer, ...extra },
  });
  const fiveXx = { statistic: "Sum", period: 300, evaluationPeriods: 1, comparison: "GreaterThanOrEqualToThreshold", threshold: t.http5xxCount } as const;
  const counted = "the load balancer publishes a count only when there is something to count: no data is no error";
  return [
    {
      role: "alb-5xx",
      metric: alb("HTTPCode_ELB_5XX_Count"),
      ...fiveXx,
      thresholdKey: "http5xxCount",
      treatMissingData: "notBreaching",
      missingDataWhy: counted,
      description: `The load balancer itself answered ${t.http5xxCount} or more 5xx in 5 minutes (502/503/504: no healthy target, or targets closing connections). Check the ECS services' events and the target groups' health in the console; \`aws ecs describe-services\`.`,
    },
    ...ecs.parts.flatMap((p): AlarmSpec<T>[] => [
      {
        role: `${p.key}-5xx`,
        metric: alb("HTTPCode_Target_5XX_Count", { TargetGroup: p.targetGroup }),
        ...fiveXx,
        thresholdKey: "http5xxCount",
        treatMissingData: "notBreaching",
        missingDataWhy: counted,
        description: `${p.key} answered ${t.http5xxCount} or more 5xx in 5 minutes. Read its log group (appLogGroups output); if a deploy caused it, deploy the previous tag.`,
      },
      {
        role: `${p.key}-unhealthy`,
        metric: alb("UnHealthyHostCount", { TargetGroup: p.targetGroup }),
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 3,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        treatMissingData: "missing",
        missingDataWhy: "published every minute while the target group has targets; a pause in data says nothing new",
        description: `${p.key} has had a target failing its health check for 3 minutes. The service replaces failing tasks; read the task's stopped reason and the app's logs.`,
      },
      ...(ecs.containerInsights
        ? [
            {
              role: `${p.key}-running`,
              metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: { ClusterName: p.cluster, ServiceName: p.service } },
              statistic: "Minimum",
              period: 60,
              evaluationPeriods: 3,
              comparison: "LessThanThreshold",
              threshold: p.minCount,
              treatMissingData: "breaching",
              missingDataWhy: "Container Insights reports every minute while the service runs: silence means it stopped reporting, which must not look fine",
              description: `${p.key} has run fewer than its minimum of ${p.minCount} tasks for 3 minutes (tasks failing to start, or the circuit breaker rolled a deploy back). Read the service's events: \`aws ecs describe-services\`.`,
            } satisfies AlarmSpec<T>,
          ]
        : []),
    ]),
  ];
}

/** Every alarm of a stack with alerts on, in a stable order. */
export function alarmSpecs<T>(input: AlarmInput<T>): AlarmSpec<T>[] {
  return [...hostAlarms(input), ...databaseAlarms(input), ...platformAlarms(input), ...ecsAlarms(input), ...appLogAlarms(input)];
}

/** RDS event categories sent to the topic (RDS event subscriptions). */
export const RDS_EVENT_CATEGORIES = ["failover", "failure", "low storage", "maintenance"] as const;

/** The console address of a CloudWatch dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}

/** A CloudWatch dashboard body: one graph per alarm's metric with its threshold line, two per row. */
export function dashboardBody(region: string, specs: readonly AlarmSpec<string>[]): string {
  const widgets = specs.map((s, i) => ({
    type: "metric",
    x: (i % 2) * 12,
    y: Math.floor(i / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title: s.role,
      region,
      stat: s.statistic,
      period: s.period,
      metrics: [[s.metric.namespace, s.metric.metricName, ...Object.entries(s.metric.dimensions).flat()]],
      annotations: { horizontal: [{ label: s.thresholdKey ?? "threshold", value: s.threshold }] },
    },
  }));
  return JSON.stringify({ widgets });
}
