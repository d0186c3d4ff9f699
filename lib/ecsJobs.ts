// An ECS part's scheduled jobs, as data: the EventBridge Scheduler schedule's name, its RunTask input
// (the job's command as a container override), its retry policy, and the IAM documents of the role
// Scheduler assumes to start a run. Config validation (config/validate/cluster.ts) and the EcsApps
// component read the same functions. Pure: no Pulumi, no I/O.
import { boundedName } from "./ecsRules";
import type { Statement } from "./ecsTasks";
import { serviceTrustPolicy } from "./iamTrust";

/** Scheduler's schedule and schedule group names: 1-64 of `[0-9a-zA-Z-_.]`. Source: Scheduler API, CreateSchedule Name. */
export const SCHEDULE_NAME_MAX = 64;

/** The schedule of one job in the stack's group: `<app>-<job>`, shortened with a hash past 64 characters. */
export function jobScheduleName(app: string, job: string): string {
  return boundedName(`${app}-${job}`, SCHEDULE_NAME_MAX);
}

/** RunTask takes at most 8192 characters of overrides, JSON punctuation included. Source: ECS API, RunTask overrides. */
export const RUN_TASK_OVERRIDES_MAX = 8192;

/** The schedule's `input`: RunTask's overrides, the job's argv as the part container's command. */
export function jobTaskInput(container: string, command: readonly string[]): string {
  return JSON.stringify({ containerOverrides: [{ name: container, command: [...command] }] });
}

/** Why a job's command cannot be a RunTask override, or undefined. */
export function jobCommandProblem(container: string, command: readonly string[]): string | undefined {
  const length = jobTaskInput(container, command).length;
  return length > RUN_TASK_OVERRIDES_MAX
    ? `makes RunTask overrides of ${length} characters; ECS takes ${RUN_TASK_OVERRIDES_MAX}: shorten the arguments (or move them into the image)`
    : undefined;
}

/**
 * What Scheduler does when it cannot start a run (RunTask refused: throttling, no Fargate capacity, a
 * transient error): try again a few times with backoff, and give the run up five minutes after its
 * time. Scheduler's default (185 tries over 24 hours) would start a 03:00 run in the afternoon, or on
 * top of the next run of a frequent job; a given-up run shows in the schedule's metrics
 * (InvocationDroppedCount) and the next one starts on time. A run that started and then failed is not
 * retried: Scheduler sees only the RunTask call.
 */
export const JOB_RETRY_POLICY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 } as const;

/** The account of an ARN (`arn:aws:ecs:<region>:<account>:...`). */
export function accountOfArn(arn: string): string {
  const account = arn.split(":")[4];
  if (!account || !/^\d{12}$/.test(account)) throw new Error(`no account in ARN ${arn}`);
  return account;
}

/**
 * The trust policy of a job's role: only EventBridge Scheduler, and only on behalf of a schedule in
 * the stack's own account (aws:SourceAccount), so no other account's schedule can use the role.
 */
export function schedulerTrust(account: string): string {
  return serviceTrustPolicy("scheduler.amazonaws.com", { StringEquals: { "aws:SourceAccount": account } });
}

/** What one job's role may do: its part's task family, in its cluster, with its part's roles. */
export interface JobPolicyInput {
  /**
   * The part's family as an ARN without a revision (lib/ecsTasks.ts taskFamilyArn): the deploys'
   * family, never the stack's `-shape` one.
   */
  readonly familyArn: string;
  readonly clusterArn: string;
  /** The part's execution and task roles, which RunTask passes to ECS. */
  readonly roleArns: readonly string[];
}

/**
 * The job role's policy: RunTask of the part's family only (its revisions, and the family ARN without
 * one, which RunTask resolves to the latest ACTIVE revision: the last deploy's), only in the stack's
 * cluster; and passing the part's two roles to ECS tasks, nothing else.
 */
export function jobRolePolicy(p: JobPolicyInput): string {
  const statements: Array<Statement & { readonly Condition: Record<string, Record<string, string>> }> = [
    {
      Sid: "RunJobTask",
      Effect: "Allow",
      Action: ["ecs:RunTask"],
      Resource: [p.familyArn, `${p.familyArn}:*`],
      Condition: { ArnEquals: { "ecs:cluster": p.clusterArn } },
    },
    {
      Sid: "PassTaskRoles",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [...p.roleArns],
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
  ];
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
