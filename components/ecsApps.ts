// EcsApps: the apps with `runtime: ecs`, on ECS Fargate behind the stack's load balancer.
//
// Per stack: an ECS cluster, a customer-managed KMS key for the apps' parameters, and one security
// group for every task, which admits only the load balancer's group on the apps' ports (the
// database's group admits this one: berth.ts). Per app part: an ECR repository
// (`<stack>/<app>-<part>`, immutable tags, scan on push, KMS encryption, a lifecycle policy), SSM
// SecureString parameters under `/<project>/<stack>/<app>/` for its secrets and database values, an
// execution role that reaches exactly those (lib/ecsTasks.ts), a task role with no permissions, a
// Fargate task definition of the part's shape (the same env/secrets/DATABASE_URL contract as the host;
// awslogs to the app's log group) in the family `<project>-<stack>-<app>-<part>-shape`, a target group,
// a listener rule whose priority comes from the app's name, a service (rolling, minimum 100 %, circuit
// breaker with rollback) and, when maxCount > minCount, target-tracking autoscaling on the tasks'
// average CPU or the load balancer's requests per task. A part's multi-line secrets reach its task as
// files under /run/secrets, written by an init container of the same image (lib/ecsTasks.ts). Per job:
// an EventBridge Scheduler schedule (in one group per stack) that runs a one-off task of the latest
// revision of the part's family `<project>-<stack>-<app>-<part>` with the job's command, and a role
// only Scheduler may assume that may run exactly that family in this cluster and pass the part's two
// roles (lib/ecsJobs.ts).
//
// The stack owns the shape, the deploy owns the image, each in a family of its own (lib/ecsRules.ts
// partFamilies). The service starts on the stack's shape revision and ignores changes to its task
// definition after that, so a deploy (`npm run deploy`: the shape with the new image, registered in
// the part's family, then UpdateService) is never undone by a later `pulumi up`. A changed shape (env,
// size) registers a new revision in the shape family, which the next deploy copies with its image:
// `deployTargets` names it, and what else the deploy moves, per part. Only deploys register in the
// part's family, so its latest revision, which the jobs run, always has the deployed image.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ec2TextProblem } from "../lib/apiRules";
import { secretIsFile } from "../lib/appRuntime";
import { calendarToCron } from "../lib/calendarCron";
import type { EcsAppDeployTargets, EcsDeployTarget, EcsPartName } from "../lib/ecsDeploy";
import { accountOfArn, JOB_RETRY_POLICY, jobRolePolicy, jobScheduleName, jobTaskInput, schedulerTrust } from "../lib/ecsJobs";
import {
  appRulePriorities,
  DEFAULT_SCALING,
  ecrRepositoryName,
  partFamilies,
  predefinedMetricType,
  requestCountLabel,
  requestCountLabelProblem,
  ssmParameterName,
  targetGroupName,
  type ScalingTarget,
} from "../lib/ecsRules";
import { containerDefinitions, ECS_TASKS_TRUST, ecrLifecyclePolicy, executionRolePolicy, taskFamilyArn, taskVolumes } from "../lib/ecsTasks";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { resourceProblem } from "./resourceErrors";

/** The load balancer's health check of a part. */
export interface EcsHealthSettings {
  /** Path the load balancer probes; any 2xx or 3xx counts. */
  readonly path: string;
  /** Seconds between two checks (5-300). */
  readonly intervalSeconds: number;
  /** Seconds one check may take (below the interval). */
  readonly timeoutSeconds: number;
  /** Healthy answers in a row before a task gets traffic. */
  readonly successes: number;
  /** Failed answers in a row before a task is taken out. */
  readonly failures: number;
}

/** A scheduled job of a part (berth:proxy.apps[].frontend|backend.jobs[] with runtime ecs). */
export interface EcsJobSettings {
  /** Unique per app: the schedule `<app>-<name>`. */
  readonly name: string;
  /** systemd OnCalendar expression with an exact Scheduler cron form (config checked it). */
  readonly schedule: string;
  /** argv of the run: the part container's command. */
  readonly command: readonly string[];
}

/** One part of an ECS app (berth:proxy.apps[].frontend|backend with runtime ecs). */
export interface EcsPartSettings {
  /** Port the app listens on in its container (PORT). */
  readonly containerPort: number;
  /** Fargate CPU units of the task. */
  readonly cpu: number;
  /** MiB of the task (a Fargate size with `cpu`). */
  readonly memory: number;
  /** The load balancer's health check. */
  readonly health: EcsHealthSettings;
  /** Clear values the container gets. */
  readonly env: Readonly<Record<string, string>>;
  /** Names whose values come from berth:appSecrets (SSM SecureString parameters); a value with a line break becomes a file. */
  readonly secrets: readonly string[];
  /** Command (argv) the deploy runs once in a one-off task of the new revision before the service moves; none without it. */
  readonly release?: readonly string[];
  /** Seconds the release task may run before the deploy stops it and fails. */
  readonly releaseTimeoutSeconds: number;
  /** Scheduled jobs; none when unset. */
  readonly jobs?: readonly EcsJobSettings[];
}

/** An ECS app as config validated it. */
export interface EcsAppSettings {
  /** The app's name (repositories, services, parameters). */
  readonly name: string;
  /** Names the load balancer serves for it (at least one). */
  readonly hostnames: readonly string[];
  /** Serves `/`. */
  readonly frontend: EcsPartSettings;
  /** Serves `backendPath`; none without it. */
  readonly backend?: EcsPartSettings;
  /** Path prefix of the back end, e.g. `/api`. */
  readonly backendPath: string;
  /** Tasks per part the service keeps running. */
  readonly desiredCount: number;
  /** Fewest tasks per part autoscaling may leave. */
  readonly minCount: number;
  /** Most tasks per part autoscaling may start. */
  readonly maxCount: number;
  /**
   * What target tracking follows when maxCount > minCount: average CPU percent, or requests per task
   * and minute (needs `loadBalancer.arnSuffix`). Unset: 60 % average CPU (DEFAULT_SCALING).
   */
  readonly scaleOn?: ScalingTarget;
}

/** berth:cluster. */
export interface ClusterSettings {
  /** ECS Container Insights on the cluster. */
  readonly containerInsights: boolean;
  /** Seconds the load balancer drains a stopping task. */
  readonly deregistrationDelaySeconds: number;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
}

export interface EcsAppsArgs {
  /** The apps with `runtime: ecs`, in config order; at least one. */
  readonly apps: readonly EcsAppSettings[];
  /** berth:cluster. */
  readonly settings: ClusterSettings;
  /** Per app: its secret values (berth:appSecrets.<app>). */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Per app with `database: true`: DATABASE_URL and DB_* (secret), from the database step. */
  readonly databaseEnv: Readonly<Record<string, pulumi.Input<Record<string, string>>>>;
  /** Per app: its log group's name and ARN (AppLogs). */
  readonly logGroups: Readonly<
    Record<
      string,
      {
        /** The group's name. */
        readonly name: pulumi.Input<string>;
        /** Its ARN (without `:*`). */
        readonly arn: pulumi.Input<string>;
      }
    >
  >;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The subnets the tasks run in: the public ones, or TaskNetwork's private ones (berth:cluster.taskSubnets). */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /**
   * Whether each task gets a public IP: in public subnets its way to ECR, CloudWatch Logs and SSM
   * (no NAT gateway to pay for); false in private subnets, which reach them through VPC endpoints.
   * @default true
   */
  readonly assignPublicIp?: boolean;
  /** The load balancer: its group (the only one the tasks admit) and its HTTPS listener. */
  readonly loadBalancer: {
    /** Its security group. */
    readonly securityGroupId: pulumi.Input<string>;
    /** Its HTTPS listener. */
    readonly httpsListenerArn: pulumi.Input<string>;
    /** Its ARN suffix, `app/<name>/<id>`: the request-count metric's label (required by `scaleOn.metric: requests`). */
    readonly arnSuffix?: pulumi.Input<string>;
  };
  /** Images ECR keeps per repository (berth:registry.retention.keep). */
  readonly keepImages: number;
  /** The stack's region (awslogs). */
  readonly region: string;
  /** Project and stack: physical names and Name tags. */
  readonly naming: Naming;
}

/** What one part made, for outputs and CI. */
export interface EcsPart {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<stack>/<app>-<part>`. */
  readonly repositoryUrl: pulumi.Output<string>;
  /** The repository's ARN. */
  readonly repositoryArn: pulumi.Output<string>;
  /** The ECS service's ARN. */
  readonly serviceArn: pulumi.Output<string>;
  /**
   * The part's family as an ARN without a revision, `arn:...:task-definition/<project>-<stack>-<app>-<part>`:
   * where the deploys register, what the jobs run (CI's and the jobs' policies name it).
   */
  readonly familyArn: pulumi.Output<string>;
  /** The execution and task roles (CI passes them to ECS). */
  readonly roleArns: pulumi.Output<string>[];
  /** The service's name (the ServiceName dimension of Container Insights). */
  readonly serviceName: pulumi.Output<string>;
  /** The target group's ARN suffix (the TargetGroup dimension of the load balancer's metrics). */
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  /** The fewest tasks the service runs (berth:proxy.apps[].minCount). */
  readonly minCount: number;
  /** What `npm run deploy` needs for this part (cluster, service, family, container, repository, release, network). */
  readonly deployTarget: pulumi.Output<EcsDeployTarget>;
  /** Its jobs' schedule ARNs, by job name. */
  readonly scheduleArns: Readonly<Record<string, pulumi.Output<string>>>;
}

const ROLES = ["frontend", "backend"] as const;
/**
 * Whether tasks (the services', the release tasks and the jobs') get a public IP: yes in the public
 * subnets, with no NAT gateway to pay for; no in private task subnets (berth:cluster.taskSubnets).
 */
function publicIp(args: Pick<EcsAppsArgs, "assignPublicIp">): boolean {
  return args.assignPublicIp ?? true;
}

export class EcsApps extends pulumi.ComponentResource {
  /** The cluster's name, `<project>-<stack>-apps`. */
  public readonly clusterName: pulumi.Output<string>;
  /** The cluster's ARN. */
  public readonly clusterArn: pulumi.Output<string>;
  /** The tasks' security group: what the database admits besides the host. */
  public readonly taskSecurityGroupId: pulumi.Output<string>;
  /** What each part made, by `<app>-<part>`. */
  public readonly parts: Readonly<Record<string, EcsPart>>;
  /** What `npm run deploy` needs, by app and part (the `ecsDeployTargets` output). */
  public readonly deployTargets: pulumi.Output<Record<string, EcsAppDeployTargets>>;

  constructor(name: string, args: EcsAppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:cluster:EcsApps", name, {}, opts);
    if (args.apps.length === 0) throw resourceProblem("EcsApps needs at least one app with runtime: ecs", this);
    const parent = { parent: this };
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        name: physical(args.naming, "apps"),
        settings: [{ name: "containerInsights", value: args.settings.containerInsights ? "enabled" : "disabled" }],
        tags: nameTag(physical(args.naming, "apps")),
      },
      parent,
    );
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Berth ${args.naming.stack}: the ECS apps' parameters and images`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: nameTag(physical(args.naming, "apps-key")),
      },
      parent,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${physical(args.naming, "apps")}`, targetKeyId: key.keyId }, parent);
    const taskSg = this.taskSecurityGroup(name, args);
    // One schedule group per stack, made with the first job: its schedules are the stack's and nobody else's.
    const hasJobs = args.apps.some((a) => ROLES.some((r) => (a[r]?.jobs ?? []).length > 0));
    const jobGroup = hasJobs
      ? new aws.scheduler.ScheduleGroup(`${name}-jobs`, { name: physical(args.naming, "jobs", 64), tags: nameTag(physical(args.naming, "jobs")) }, parent)
      : undefined;
    const parts: Record<string, EcsPart> = {};
    const targets: Array<pulumi.Output<[string, EcsPartName, EcsDeployTarget]>> = [];
    for (const app of args.apps)
      for (const role of ROLES) {
        const part = app[role];
        if (!part) continue;
        parts[`${app.name}-${role}`] = this.part(name, args, { app, role, part, cluster, key, taskSg, jobGroup });
        targets.push(parts[`${app.name}-${role}`].deployTarget.apply((t) => [app.name, role, t] as [string, EcsPartName, EcsDeployTarget]));
      }
    this.clusterName = cluster.name;
    this.clusterArn = cluster.arn;
    this.taskSecurityGroupId = taskSg.id;
    this.parts = parts;
    this.deployTargets = pulumi.all(targets).apply((list) => {
      const byApp: Record<string, Partial<Record<EcsPartName, EcsDeployTarget>>> = {};
      for (const [app, role, target] of list) byApp[app] = { ...byApp[app], [role]: target };
      return byApp;
    });
    this.registerOutputs({ clusterName: this.clusterName });
  }

  /** One group for every task: the apps' ports from the load balancer's group only; out to anywhere (ECR, the database, APIs). */
  private taskSecurityGroup(name: string, args: EcsAppsArgs): aws.ec2.SecurityGroup {
    const sg = new aws.ec2.SecurityGroup(
      `${name}-tasks-sg`,
      {
        vpcId: args.vpcId,
        namePrefix: `${physical(args.naming, "tasks")}-`,
        description: this.described("Berth ECS tasks: app ports from the load balancer only"),
        tags: nameTag(physical(args.naming, "tasks")),
      },
      { parent: this },
    );
    const ports = [...new Set(args.apps.flatMap((a) => ROLES.flatMap((r) => (a[r] ? [a[r].containerPort] : []))))].sort((a, b) => a - b);
    for (const port of ports)
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-tasks-in-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: args.loadBalancer.securityGroupId,
          description: this.described(`App port ${port} from the load balancer`),
        },
        { parent: this },
      );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-out-all`,
      { securityGroupId: sg.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: this.described("All outbound (image pulls, the database, APIs)") },
      { parent: this },
    );
    return sg;
  }

  private described(text: string): string {
    const problem = ec2TextProblem(text);
    if (problem) throw resourceProblem(`ECS tasks group description ${problem}`, this);
    return text;
  }

  /** One app part: repository, parameters, roles, task definition, target group, rule, service, autoscaling. */
  private part(name: string, args: EcsAppsArgs, p: PartInput): EcsPart {
    const id = `${name}-${p.app.name}-${p.role}`;
    const parent = { parent: this };
    const repo = new aws.ecr.Repository(
      `${id}-repo`,
      {
        name: ecrRepositoryName(args.naming.stack, p.app.name, p.role),
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: p.key.arn }],
        tags: nameTag(physical(args.naming, `${p.app.name}-${p.role}`)),
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(`${id}-repo-lifecycle`, { repository: repo.name, policy: ecrLifecyclePolicy(args.keepImages) }, parent);
    const params = this.parameters(id, args, p);
    // The host's rule (lib/appRuntime.ts): a value with a line break is a file under /run/secrets.
    const given = args.secrets[p.app.name] ?? {};
    const fileNames = p.part.secrets.filter((n) => secretIsFile(given[n] ?? ""));
    const logGroup = args.logGroups[p.app.name];
    if (!logGroup) throw resourceProblem(`app ${p.app.name} has no log group`, this);
    const execution = new aws.iam.Role(
      `${id}-execution`,
      { assumeRolePolicy: ECS_TASKS_TRUST, tags: nameTag(physical(args.naming, `${p.app.name}-${p.role}-execution`, 256)) },
      parent,
    );
    new aws.iam.RolePolicy(
      `${id}-execution-policy`,
      {
        role: execution.id,
        policy: pulumi
          .all([repo.arn, pulumi.output(logGroup.arn), pulumi.all(Object.values(params)), p.key.arn])
          .apply(([repositoryArn, logGroupArn, parameterArns, kmsKeyArn]) =>
            executionRolePolicy({ repositoryArns: [repositoryArn], logGroupArn, parameterArns, kmsKeyArn }),
          ),
      },
      parent,
    );
    // The app's own AWS permissions: none yet (a later key may grant some); the role exists so one can be added without a new task shape.
    const task = new aws.iam.Role(
      `${id}-task`,
      { assumeRolePolicy: ECS_TASKS_TRUST, tags: nameTag(physical(args.naming, `${p.app.name}-${p.role}-task`, 256)) },
      parent,
    );
    const families = partFamilies(args.naming.project, args.naming.stack, p.app.name, p.role);
    // The shape, in a family of its own: the deploys' revisions (and so the jobs) never see this one's `initial` image.
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${id}-task-definition`,
      {
        family: families.shapeFamily,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(p.part.cpu),
        memory: String(p.part.memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: execution.arn,
        taskRoleArn: task.arn,
        containerDefinitions: pulumi.all([repo.repositoryUrl, pulumi.output(logGroup.name), pulumi.all(params)]).apply(([url, group, arns]) =>
          containerDefinitions({
            name: p.role,
            // Until the first deploy registers a revision with a pushed tag, the service runs this one.
            image: `${url}:initial`,
            containerPort: p.part.containerPort,
            env: p.part.env,
            secrets: Object.fromEntries(Object.entries(arns).filter(([n]) => !fileNames.includes(n))),
            fileSecrets: Object.fromEntries(Object.entries(arns).filter(([n]) => fileNames.includes(n))),
            logGroup: group,
            region: args.region,
            stopTimeoutSeconds: args.settings.stopTimeoutSeconds,
          }),
        ),
        // Only with multi-line secrets, so a part without any keeps the very inputs it had.
        ...(fileNames.length > 0 ? { volumes: taskVolumes(fileNames) } : {}),
        tags: nameTag(physical(args.naming, `${p.app.name}-${p.role}`, 256)),
      },
      parent,
    );
    const { service, targetGroup } = this.service(id, args, p, taskDefinition);
    const deployTarget = pulumi
      .all([p.cluster.name, service.name, taskDefinition.family, taskDefinition.arn, repo.repositoryUrl, pulumi.all([...args.subnetIds]), p.taskSg.id])
      .apply(([cluster, serviceName, shapeFamily, taskDefinitionArn, repositoryUrl, subnets, sg]) => ({
        region: args.region,
        cluster,
        service: serviceName,
        family: families.family,
        shapeFamily,
        taskDefinition: taskDefinitionArn,
        container: p.role,
        repositoryUrl,
        release: [...(p.part.release ?? [])],
        releaseTimeoutSeconds: p.part.releaseTimeoutSeconds,
        subnets,
        securityGroups: [sg],
        assignPublicIp: publicIp(args),
      }));
    // From the cluster, not the task definition: a new shape revision changes neither the jobs nor CI's policy.
    const familyArn = p.cluster.arn.apply((arn) => taskFamilyArn(arn, families.family));
    const scheduleArns = this.jobs(id, args, p, { familyArn, roleArns: [execution.arn, task.arn] });
    return {
      repositoryUrl: repo.repositoryUrl,
      repositoryArn: repo.arn,
      serviceArn: service.id,
      familyArn,
      roleArns: [execution.arn, task.arn],
      serviceName: service.name,
      targetGroupArnSuffix: targetGroup.arnSuffix,
      minCount: p.app.minCount,
      deployTarget,
      scheduleArns,
    };
  }

  /**
   * The part's jobs. Each runs the part family's latest ACTIVE revision (its ARN without a revision).
   * Only deploys register in that family (the stack's shape has its own), so that is always the last
   * deploy's revision with the deployed image: a deploy never has to touch a schedule, a new shape
   * from `pulumi up` never changes one, and no run gets the shape's `initial` image. Before the first
   * deploy the family has no revision and a run fails to start.
   */
  private jobs(
    id: string,
    args: EcsAppsArgs,
    p: PartInput,
    t: { readonly familyArn: pulumi.Output<string>; readonly roleArns: pulumi.Output<string>[] },
  ): Record<string, pulumi.Output<string>> {
    const out: Record<string, pulumi.Output<string>> = {};
    for (const job of p.part.jobs ?? []) {
      if (!p.jobGroup) throw resourceProblem("a job needs the stack's schedule group", this);
      const cron = calendarToCron(job.schedule);
      if (!cron.cron) throw resourceProblem(`job ${p.app.name}/${job.name}: schedule ${job.schedule} ${cron.problem}`, this);
      const jobId = `${id}-job-${job.name}`;
      const role = new aws.iam.Role(
        `${jobId}-role`,
        {
          assumeRolePolicy: p.cluster.arn.apply((arn) => schedulerTrust(accountOfArn(arn))),
          tags: nameTag(physical(args.naming, `${p.app.name}-${job.name}-job`, 256)),
        },
        { parent: this },
      );
      const policy = new aws.iam.RolePolicy(
        `${jobId}-policy`,
        {
          role: role.id,
          policy: pulumi
            .all([t.familyArn, p.cluster.arn, pulumi.all(t.roleArns)])
            .apply(([familyArn, clusterArn, roleArns]) => jobRolePolicy({ familyArn, clusterArn, roleArns })),
        },
        { parent: this },
      );
      const schedule = new aws.scheduler.Schedule(
        jobId,
        {
          name: jobScheduleName(p.app.name, job.name),
          groupName: p.jobGroup.name,
          description: `Berth job ${p.app.name}/${job.name} (${p.role}): ${job.schedule}`,
          scheduleExpression: cron.cron.expression,
          scheduleExpressionTimezone: cron.cron.timezone,
          // Runs start at their minute, as the host's timer starts them.
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            arn: p.cluster.arn,
            roleArn: role.arn,
            input: jobTaskInput(p.role, job.command),
            retryPolicy: { ...JOB_RETRY_POLICY },
            ecsParameters: {
              taskDefinitionArn: t.familyArn,
              launchType: "FARGATE",
              taskCount: 1,
              group: `job:${job.name}`,
              networkConfiguration: { subnets: [...args.subnetIds], securityGroups: [p.taskSg.id], assignPublicIp: publicIp(args) },
            },
          },
        },
        { parent: this, dependsOn: [policy] },
      );
      out[job.name] = schedule.arn;
    }
    return out;
  }

  /** SecureString parameters of a part: its declared secrets and its app's database values, by env name. */
  private parameters(id: string, args: EcsAppsArgs, p: PartInput): Record<string, pulumi.Output<string>> {
    const values: Record<string, pulumi.Output<string>> = {};
    const given = args.secrets[p.app.name] ?? {};
    for (const secret of p.part.secrets) {
      const value = given[secret];
      if (value === undefined) throw resourceProblem(`app ${p.app.name} declares the secret ${secret} but no value was passed`, this);
      values[secret] = pulumi.secret(value);
    }
    const db = args.databaseEnv[p.app.name];
    const names = db ? ["DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"] : [];
    for (const envName of names) values[envName] = pulumi.secret(pulumi.output(db).apply((env) => env[envName]));
    const arns: Record<string, pulumi.Output<string>> = {};
    for (const [envName, value] of Object.entries(values)) {
      const param = new aws.ssm.Parameter(
        `${id}-param-${envName}`,
        { name: ssmParameterName(args.naming.project, args.naming.stack, p.app.name, p.role, envName), type: "SecureString", keyId: p.key.arn, value },
        { parent: this },
      );
      arns[envName] = param.arn;
    }
    return arns;
  }

  /** Target group, listener rule, service and (when the counts allow) autoscaling of one part. */
  private service(
    id: string,
    args: EcsAppsArgs,
    p: PartInput,
    taskDefinition: aws.ecs.TaskDefinition,
  ): { service: aws.ecs.Service; targetGroup: aws.lb.TargetGroup } {
    const parent = { parent: this };
    const h = p.part.health;
    const targetGroup = new aws.lb.TargetGroup(
      `${id}-tg`,
      {
        name: targetGroupName(args.naming.project, args.naming.stack, p.app.name, p.role, p.part.containerPort),
        port: p.part.containerPort,
        protocol: "HTTP",
        targetType: "ip",
        vpcId: args.vpcId,
        deregistrationDelay: args.settings.deregistrationDelaySeconds,
        healthCheck: {
          path: h.path,
          interval: h.intervalSeconds,
          timeout: h.timeoutSeconds,
          healthyThreshold: h.successes,
          unhealthyThreshold: h.failures,
          matcher: "200-399",
        },
      },
      parent,
    );
    const priorities = appRulePriorities(p.app.name);
    const conditions: aws.types.input.lb.ListenerRuleCondition[] = [{ hostHeader: { values: [...p.app.hostnames] } }];
    if (p.role === "backend") conditions.push({ pathPattern: { values: [p.app.backendPath, `${p.app.backendPath}/*`] } });
    const rule = new aws.lb.ListenerRule(
      `${id}-rule`,
      {
        listenerArn: args.loadBalancer.httpsListenerArn,
        priority: priorities[p.role],
        actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        conditions,
      },
      parent,
    );
    const scales = p.app.maxCount > p.app.minCount;
    const service = new aws.ecs.Service(
      `${id}-service`,
      {
        name: `${p.app.name}-${p.role}`,
        cluster: p.cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount: p.app.desiredCount,
        launchType: "FARGATE",
        networkConfiguration: { subnets: [...args.subnetIds], securityGroups: [p.taskSg.id], assignPublicIp: publicIp(args) },
        loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: p.role, containerPort: p.part.containerPort }],
        // Capacity never drops during a deploy; a deploy whose tasks never turn healthy rolls back by itself.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        healthCheckGracePeriodSeconds: Math.max(30, h.intervalSeconds * h.successes),
        propagateTags: "SERVICE",
        tags: nameTag(physical(args.naming, `${p.app.name}-${p.role}`, 256)),
      },
      // The deploy owns the image (a new revision per deploy) and autoscaling owns the count.
      { parent: this, dependsOn: [rule], ignoreChanges: scales ? ["taskDefinition", "desiredCount"] : ["taskDefinition"] },
    );
    if (scales) this.autoscaling(id, args, p, service, targetGroup);
    return { service, targetGroup };
  }

  /** Target tracking between minCount and maxCount tasks: on the service's average CPU, or on requests per task. */
  private autoscaling(id: string, args: EcsAppsArgs, p: PartInput, service: aws.ecs.Service, targetGroup: aws.lb.TargetGroup): void {
    const target = new aws.appautoscaling.Target(
      `${id}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${p.cluster.name}/${service.name}`,
        minCapacity: p.app.minCount,
        maxCapacity: p.app.maxCount,
      },
      { parent: this },
    );
    const scaleOn = p.app.scaleOn ?? DEFAULT_SCALING;
    new aws.appautoscaling.Policy(
      `${id}-scaling-${scaleOn.metric}`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: predefinedMetricType(scaleOn.metric),
            ...(scaleOn.metric === "requests" ? { resourceLabel: this.requestCountLabel(args, p, targetGroup) } : {}),
          },
          targetValue: scaleOn.target,
          scaleInCooldown: 120,
          scaleOutCooldown: 60,
        },
      },
      { parent: this },
    );
  }

  /** ALBRequestCountPerTarget's label of a part's target group: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`. */
  private requestCountLabel(args: EcsAppsArgs, p: PartInput, targetGroup: aws.lb.TargetGroup): pulumi.Output<string> {
    const lb = args.loadBalancer.arnSuffix;
    if (lb === undefined) throw resourceProblem(`app ${p.app.name} scales on requests, but the load balancer's ARN suffix was not passed`, this);
    return pulumi.all([lb, targetGroup.arnSuffix]).apply(([lbSuffix, tgSuffix]) => {
      const problem = requestCountLabelProblem(lbSuffix, tgSuffix);
      if (problem) throw resourceProblem(`app ${p.app.name}: ${problem}`, this);
      return requestCountLabel(lbSuffix, tgSuffix);
    });
  }
}

interface PartInput {
  /** The app. */
  readonly app: EcsAppSettings;
  /** Which part. */
  readonly role: (typeof ROLES)[number];
  /** Its settings. */
  readonly part: EcsPartSettings;
  /** The stack's cluster. */
  readonly cluster: aws.ecs.Cluster;
  /** The stack's key for parameters and images. */
  readonly key: aws.kms.Key;
  /** The tasks' security group. */
  readonly taskSg: aws.ec2.SecurityGroup;
  /** The stack's schedule group; only when some part has jobs. */
  readonly jobGroup?: aws.scheduler.ScheduleGroup;
}
