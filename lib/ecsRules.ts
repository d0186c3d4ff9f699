// Rules of the ECS, Elastic Load Balancing, ECR and SSM APIs for apps that run on ECS Fargate
// (`runtime: ecs`), and the names Berth derives for them. Config validation (config/validate/cluster.ts)
// reports them per key before any cloud call; the Cluster component builds its names with the same
// functions, so the two never disagree. Pure: no Pulumi, no I/O.
import { createHash } from "node:crypto";
import { physicalName } from "./naming";

/**
 * Fargate's task-level CPU units and the memory (MiB) each allows: a list, or a range with a step.
 * Source: Amazon ECS Developer Guide, "Task CPU and memory" (Linux on Fargate).
 */
export const FARGATE_SIZES: Readonly<Record<number, { readonly min: number; readonly max: number; readonly step: number; readonly list?: readonly number[] }>> =
  {
    256: { min: 512, max: 2048, step: 512, list: [512, 1024, 2048] },
    512: { min: 1024, max: 4096, step: 1024 },
    1024: { min: 2048, max: 8192, step: 1024 },
    2048: { min: 4096, max: 16384, step: 1024 },
    4096: { min: 8192, max: 30720, step: 1024 },
    8192: { min: 16384, max: 61440, step: 4096 },
    16384: { min: 32768, max: 122880, step: 8192 },
  };

/** The memory values Fargate accepts with `cpu` units, or [] when `cpu` is not a Fargate size. */
export function fargateMemoryFor(cpu: number): number[] {
  const size = FARGATE_SIZES[cpu];
  if (!size) return [];
  if (size.list) return [...size.list];
  const out: number[] = [];
  for (let m = size.min; m <= size.max; m += size.step) out.push(m);
  return out;
}

/** Why `cpu`/`memory` is not a Fargate task size, or undefined when it is. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const cpus = Object.keys(FARGATE_SIZES).map(Number);
  if (!cpus.includes(cpu)) return `cpu ${cpu} is not a Fargate size; allowed CPU units: ${cpus.join(", ")}`;
  const allowed = fargateMemoryFor(cpu);
  if (!allowed.includes(memory)) {
    const size = FARGATE_SIZES[cpu];
    const words = size.list ? allowed.join(", ") : `${size.min} to ${size.max} in steps of ${size.step}`;
    return `memory ${memory} MiB does not go with cpu ${cpu} on Fargate; allowed with ${cpu}: ${words} MiB`;
  }
  return undefined;
}

/** Load balancer and target group names: 1-32 letters, digits and hyphens, no hyphen at either end, not `internal-`. */
export const ELB_NAME_MAX = 32;
const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Why `name` cannot name a load balancer or target group, or undefined. Source: ELB API, CreateLoadBalancer/CreateTargetGroup Name. */
export function elbNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > ELB_NAME_MAX) return `is ${name.length} characters; load balancer and target group names are 1-${ELB_NAME_MAX}`;
  if (!ELB_NAME.test(name)) return "may hold only letters, digits and hyphens, and must not start or end with a hyphen";
  if (/^internal-/i.test(name)) return 'must not start with "internal-"';
  return undefined;
}

/** Eight hex characters of SHA-256 over `text`: a stable suffix that keeps shortened names apart. */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/**
 * A name of at most `max` characters for `full`: `full` itself when it fits, else its start, a
 * hyphen and a hash of the whole (so two long names that share a start stay different, the way the
 * security groups get a unique suffix). Lower case; no double or trailing hyphen.
 */
export function boundedName(full: string, max: number = ELB_NAME_MAX): string {
  const name = full.toLowerCase();
  if (name.length <= max) return name;
  const head = name.slice(0, max - 9).replace(/-+$/, "");
  return `${head}-${shortHash(name)}`;
}

/** The stack's load balancer: `<project>-<stack>-alb`, shortened with a hash past 32 characters. */
export function albName(project: string, stack: string): string {
  return boundedName(`${project}-${stack}-alb`);
}

/**
 * The target group of one app part: `<project>-<stack>-<app>-<part>-<port>`, shortened with a hash past
 * 32. The port is in the name because a new port replaces the target group, and the replacement is
 * created before the old one is deleted: under the same fixed name ELB would refuse it.
 */
export function targetGroupName(project: string, stack: string, app: string, part: string, port: number): string {
  return boundedName(`${project}-${stack}-${app}-${part}-${port}`);
}

/** Listener rule priorities are 1-50000 and unique per listener. Source: ELB API, CreateRule Priority. */
export const RULE_PRIORITY_MAX = 50000;
/** Priorities per app: its back-end path rule (more specific, so first), then its host rule. */
const SLOTS = 24999;

/** The two listener rule priorities of an app: back end (path + host) and front end (host). */
export interface AppRulePriorities {
  readonly backend: number;
  readonly frontend: number;
}

/**
 * Priorities from the app's name alone, so adding or removing another app (anywhere in the list)
 * never renumbers this one's rules, which would make ELB rewrite rules under live traffic. The
 * back end's rule comes first: ELB evaluates the lowest number first.
 */
export function appRulePriorities(app: string): AppRulePriorities {
  const slot = parseInt(shortHash(`rule:${app}`), 16) % SLOTS;
  return { backend: 2 * slot + 1, frontend: 2 * slot + 2 };
}

/** Pairs of apps whose priorities collide (a hash collision, rare): config refuses them. */
export function priorityCollisions(apps: readonly string[]): Array<[string, string]> {
  const seen = new Map<number, string>();
  const out: Array<[string, string]> = [];
  for (const app of apps) {
    const p = appRulePriorities(app).frontend;
    const other = seen.get(p);
    if (other !== undefined) out.push([other, app]);
    else seen.set(p, app);
  }
  return out;
}

/** Condition values per listener rule (host names plus paths). Source: ELB quotas, "Condition values per rule". */
export const RULE_CONDITION_VALUES_MAX = 5;

/**
 * ECR repository names: 2-256 characters, lower-case components of letters and digits joined by
 * `.`, `_` or `-`, separated by `/`. Source: ECR API, CreateRepository repositoryName.
 */
const ECR_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const ECR_NAME_MAX = 256;

export function ecrRepositoryNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > ECR_NAME_MAX) return `is ${name.length} characters; ECR repository names are 2-${ECR_NAME_MAX}`;
  if (!ECR_NAME.test(name)) return "must be lower-case letters and digits, joined by . _ or -, in components separated by / (ECR's rule)";
  return undefined;
}

/** An ECS app part's repository: `<stack>/<app>-<part>`. */
export function ecrRepositoryName(stack: string, app: string, part: string): string {
  return `${stack}/${app}-${part}`;
}

/** ECS task definition families: 1-255 letters, digits, hyphens and underscores. Source: ECS API, RegisterTaskDefinition family. */
export const TASK_FAMILY_MAX = 255;

/**
 * What the family the stack registers a part's shape in ends with. The stack's revisions (image tag
 * `initial`, a new one per shape change) live there; the deploys' revisions (the shape with the
 * deployed image) in the part's own family, so that family's latest ACTIVE revision, which the jobs
 * run, is always the last deploy's.
 */
export const SHAPE_FAMILY_SUFFIX = "-shape";

/** An ECS app part's two task definition families: the deploys' `<project>-<stack>-<app>-<part>` and the stack's `...-shape`. */
export interface PartFamilies {
  /** Where each deploy registers its revision: what the service runs after the first deploy, and what the jobs run. */
  readonly family: string;
  /** Where the stack registers the shape each deploy copies; nothing runs it but a new service until its first deploy. */
  readonly shapeFamily: string;
}

/** The two families of a part; throws (as physicalName does) when the longer one passes ECS's 255 characters. */
export function partFamilies(project: string, stack: string, app: string, part: string): PartFamilies {
  const shapeFamily = physicalName(project, stack, `${app}-${part}${SHAPE_FAMILY_SUFFIX}`, TASK_FAMILY_MAX);
  return { family: shapeFamily.slice(0, -SHAPE_FAMILY_SUFFIX.length), shapeFamily };
}

/**
 * The family whose revisions may run for a family (or a family's ARN without a revision): a shape
 * family's part family (`...-shape` -> `...`); any other family is its own.
 */
export function runnableFamily(family: string): string {
  return family.endsWith(SHAPE_FAMILY_SUFFIX) ? family.slice(0, -SHAPE_FAMILY_SUFFIX.length) : family;
}

/**
 * SSM Parameter Store names: letters, digits and `_.-/`, at most 1011 characters, at most 15 levels,
 * not starting with `aws` or `ssm` (any case, with or without a leading /). Source: Systems Manager
 * User Guide, "Requirements and constraints for parameter names".
 */
export const SSM_NAME_MAX = 1011;
export const SSM_LEVELS_MAX = 15;

export function ssmParameterNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > SSM_NAME_MAX) return `is ${name.length} characters; SSM parameter names are 1-${SSM_NAME_MAX}`;
  if (!/^[A-Za-z0-9_./-]+$/.test(name)) return "may hold only letters, digits and _ . - / (SSM's rule)";
  if (/^\/?(aws|ssm)/i.test(name)) return 'must not start with "aws" or "ssm" (reserved by AWS)';
  if (name.startsWith("/") && name.split("/").length - 1 > SSM_LEVELS_MAX) return `has more than ${SSM_LEVELS_MAX} levels`;
  return undefined;
}

/** Where an ECS app's values live: `/<project>/<stack>/<app>/` (the task's roles may read this path only). */
export function ssmParameterPath(project: string, stack: string, app: string): string {
  return `/${project}/${stack}/${app}/`;
}

/** One value's parameter: `/<project>/<stack>/<app>/<part>/<NAME>` (parts may get different values). */
export function ssmParameterName(project: string, stack: string, app: string, part: string, name: string): string {
  return `${ssmParameterPath(project, stack, app)}${part}/${name}`;
}

/** What target tracking follows: the service's average CPU, or requests per task from the load balancer. */
export type ScalingMetric = "cpu" | "requests";

/** Target tracking of an ECS part: which metric, and the value it keeps the metric at. */
export interface ScalingTarget {
  /** `cpu`: average CPU of the service's tasks, percent; `requests`: requests per task per minute. */
  readonly metric: ScalingMetric;
  /** The value to keep: a percentage for `cpu`, a request count per task and minute for `requests`. */
  readonly target: number;
}

/** Without berth:proxy.apps[].scaleOn: 60 % average CPU, what Berth did before requests could be chosen. */
export const DEFAULT_SCALING: ScalingTarget = { metric: "cpu", target: 60 };

/** Allowed targets per metric (whole numbers): CPU percent, requests per task and minute. */
export const SCALING_TARGET_RANGE: Readonly<Record<ScalingMetric, { readonly min: number; readonly max: number }>> = {
  cpu: { min: 1, max: 99 },
  requests: { min: 1, max: 100000 },
};

/**
 * Application Auto Scaling's predefined metric for a metric of Berth's: ECS's average CPU, or the
 * load balancer's request count per target. Source: Application Auto Scaling API, PredefinedMetricSpecification.
 */
export function predefinedMetricType(metric: ScalingMetric): string {
  return metric === "cpu" ? "ECSServiceAverageCPUUtilization" : "ALBRequestCountPerTarget";
}

const ALB_ARN_SUFFIX = /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const TG_ARN_SUFFIX = /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;

/**
 * Why `app/<lb-name>/<lb-id>` and `targetgroup/<tg-name>/<tg-id>` cannot make an ALBRequestCountPerTarget
 * resource label, or undefined. The label is the load balancer's ARN suffix and the target group's
 * joined by `/`, 1-1023 characters. Source: Application Auto Scaling API, PredefinedMetricSpecification ResourceLabel.
 */
export function requestCountLabelProblem(loadBalancerArnSuffix: string, targetGroupArnSuffix: string): string | undefined {
  if (!ALB_ARN_SUFFIX.test(loadBalancerArnSuffix)) return `the load balancer's ARN suffix "${loadBalancerArnSuffix}" is not app/<name>/<id>`;
  if (!TG_ARN_SUFFIX.test(targetGroupArnSuffix)) return `the target group's ARN suffix "${targetGroupArnSuffix}" is not targetgroup/<name>/<id>`;
  return undefined;
}

/** The resource label of ALBRequestCountPerTarget: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`. */
export function requestCountLabel(loadBalancerArnSuffix: string, targetGroupArnSuffix: string): string {
  return `${loadBalancerArnSuffix}/${targetGroupArnSuffix}`;
}
