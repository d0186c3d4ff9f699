// The rules of a deploy to an ECS app part (`npm run deploy`, cli/deploy.ts), as data and pure
// functions: what the stack tells the deploy (the `ecsDeployTargets` output, built by the EcsApps
// component from the same type), the order of the parts, the next task definition revision made
// from the one the service runs, and how to read a release task and a service deployment. The AWS
// calls live in cli/ecsDeploy.ts; the shapes here are the few fields of the ECS API's objects that
// the rules read, so the SDK's own types fit them and nothing here imports the SDK.

/** What the deploy needs to know about one app part on ECS: one entry of the `ecsDeployTargets` output. */
export interface EcsDeployTarget {
  /** The stack's region (the ECS and ECR endpoints). */
  readonly region: string;
  /** The ECS cluster's name, `<project>-<stack>-apps`. */
  readonly cluster: string;
  /** The part's service, `<app>-<part>`. */
  readonly service: string;
  /**
   * The part's task definition family, `<project>-<stack>-<app>-<part>`: every deploy registers its
   * revision here, the service runs them, and the part's jobs run its latest ACTIVE revision, which
   * is so always the last deploy's.
   */
  readonly family: string;
  /** The family the stack registers the part's shape in, `<family>-shape` (lib/ecsRules.ts partFamilies). */
  readonly shapeFamily: string;
  /**
   * The stack's current revision of `shapeFamily` (its ARN): the shape every deploy copies. A
   * `pulumi up` that changes the shape registers a new one there, and the next deploy carries the
   * change to the service and the jobs.
   */
  readonly taskDefinition: string;
  /** The container the load balancer sends traffic to, and the one the release command runs in. */
  readonly container: string;
  /** The part's ECR repository, `<account>.dkr.ecr.<region>.amazonaws.com/<stack>/<app>-<part>`. */
  readonly repositoryUrl: string;
  /** The part's `release` argv, run once per deploy before the service moves; [] when it has none. */
  readonly release: readonly string[];
  /** Seconds the release task may run before it is stopped and the deploy fails. */
  readonly releaseTimeoutSeconds: number;
  /** Subnets the service's tasks (and so the release task) run in. */
  readonly subnets: readonly string[];
  /** Security groups of the service's tasks. */
  readonly securityGroups: readonly string[];
  /** Whether the tasks get a public IP (public subnets without a NAT gateway need one to pull images). */
  readonly assignPublicIp: boolean;
}

/** The parts of an ECS app. */
export type EcsPartName = "frontend" | "backend";

/** One app's parts in `ecsDeployTargets`: a front end always, a back end when the app has one. */
export type EcsAppDeployTargets = Readonly<Partial<Record<EcsPartName, EcsDeployTarget>>>;

/**
 * The order a deploy moves the parts in: the back end first, so a new front end never calls an old
 * back end (the old front end calls the new back end for a while instead: keep the API compatible
 * for one deploy, as on the host, where both switch at once).
 */
export const PART_ORDER: readonly EcsPartName[] = ["backend", "frontend"];

/** The app's parts in deploy order. */
export function partsInOrder(targets: EcsAppDeployTargets): Array<{ readonly part: EcsPartName; readonly target: EcsDeployTarget }> {
  return PART_ORDER.flatMap((part) => {
    const target = targets[part];
    return target ? [{ part, target }] : [];
  });
}

/** `<repository>:<tag>`. */
export function imageRef(repositoryUrl: string, tag: string): string {
  return `${repositoryUrl}:${tag}`;
}

/** Whether a container's image is from `repositoryUrl` (any tag or digest). */
export function usesRepository(image: string | undefined, repositoryUrl: string): boolean {
  return image !== undefined && (image === repositoryUrl || image.startsWith(`${repositoryUrl}:`) || image.startsWith(`${repositoryUrl}@`));
}

/** An ECR repository URL's parts: the registry (account) id, the region and the repository name. */
export interface RepositoryId {
  readonly registryId: string;
  readonly region: string;
  readonly repositoryName: string;
}

/** Reads `<account>.dkr.ecr.<region>.amazonaws.com/<name>`, or undefined when `url` is not an ECR repository URL. */
export function parseRepositoryUrl(url: string): RepositoryId | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)$/.exec(url);
  return m ? { registryId: m[1], region: m[2], repositoryName: m[3] } : undefined;
}

/** `arn:aws:ecs:...:task-definition/family:7` -> `family:7` (what people read in messages). */
export function revisionName(taskDefinitionArn: string | undefined): string {
  if (!taskDefinitionArn) return "(unknown task definition)";
  return taskDefinitionArn.replace(/^arn:[^:]+:ecs:[^:]*:\d*:task-definition\//, "");
}

/**
 * Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not take: ECS sets them.
 * Everything else is copied, so a field the stack sets later (or one this list does not know yet)
 * carries over to the deploy's revision.
 */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
  "deleteRequestedAt",
] as const;

type ReadOnlyField = (typeof READ_ONLY_TASK_DEFINITION_FIELDS)[number];

/** The container fields the rules read. */
export interface ContainerShape {
  readonly name?: string;
  readonly image?: string;
  readonly essential?: boolean;
  readonly logConfiguration?: { readonly logDriver?: string; readonly options?: Record<string, string> };
}

/** The task definition fields the rules read. */
export interface TaskDefinitionShape<C extends ContainerShape = ContainerShape> {
  readonly family?: string;
  readonly containerDefinitions?: C[];
}

/** The next revision's RegisterTaskDefinition input, or why there is none. */
export type NextRevision<T> = { readonly input: Omit<T, ReadOnlyField>; readonly replaced: string[] } | { readonly problem: string };

/**
 * The revision a deploy registers: the stack's revision's every field but the read-only ones, in the
 * part's family (not the shape's), with every container whose image is the part's repository (the
 * app's container, and any other container of the same image, e.g. an init step) set to
 * `<repository>:<tag>`. Refused when no container uses the repository, or the container the target
 * names is missing: the task definition is not the one the stack made.
 */
export function nextRevision<C extends ContainerShape, T extends TaskDefinitionShape<C>>(
  base: T,
  target: Pick<EcsDeployTarget, "family" | "repositoryUrl" | "container">,
  tag: string,
): NextRevision<T> {
  const containers = base.containerDefinitions ?? [];
  const name = base.family ?? "(no family)";
  if (!containers.some((c) => c.name === target.container)) return { problem: `task definition ${name} has no container named ${target.container}` };
  const replaced = containers.filter((c) => usesRepository(c.image, target.repositoryUrl)).map((c) => c.name ?? "(unnamed)");
  if (replaced.length === 0) return { problem: `no container of task definition ${name} runs an image of ${target.repositoryUrl}` };
  const copied = Object.fromEntries(
    Object.entries(base).filter(([k, v]) => v !== undefined && !(READ_ONLY_TASK_DEFINITION_FIELDS as readonly string[]).includes(k)),
  ) as Omit<T, ReadOnlyField>;
  const image = imageRef(target.repositoryUrl, tag);
  const containerDefinitions = containers.map((c) => (usesRepository(c.image, target.repositoryUrl) ? { ...c, image } : c));
  return { input: { ...copied, family: target.family, containerDefinitions }, replaced };
}

/** Names of the containers a task cannot do without (ECS's default: essential unless marked otherwise). */
export function essentialContainers(td: TaskDefinitionShape): string[] {
  return (td.containerDefinitions ?? []).filter((c) => c.essential !== false && c.name).map((c) => c.name!);
}

/** Where a container of a task logs with awslogs: `group`, `stream`; undefined without awslogs or a prefix. */
export function awslogsStream(td: TaskDefinitionShape, container: string, taskArn: string): { group: string; stream: string } | undefined {
  const options = td.containerDefinitions?.find((c) => c.name === container)?.logConfiguration;
  const group = options?.options?.["awslogs-group"];
  const prefix = options?.options?.["awslogs-stream-prefix"];
  if (options?.logDriver !== "awslogs" || !group || !prefix) return undefined;
  return { group, stream: `${prefix}/${container}/${taskId(taskArn)}` };
}

/** The task id at the end of a task ARN. */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}

/** The task fields the release check reads. */
export interface TaskShape {
  readonly lastStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers?: ReadonlyArray<{ readonly name?: string; readonly exitCode?: number; readonly reason?: string }>;
}

/**
 * A stopped release task's outcome: done when every essential container exited 0; otherwise each
 * one that did not, with its exit code or the reason it has none, and the task's stopped reason.
 */
export function releaseOutcome(task: TaskShape, essential: readonly string[]): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  const bad = essential.flatMap((name) => {
    const c = task.containers?.find((x) => x.name === name);
    if (!c) return [`container ${name} did not run`];
    if (c.exitCode === 0) return [];
    if (typeof c.exitCode === "number") return [`container ${name} exited with ${c.exitCode}`];
    return [`container ${name} has no exit code${c.reason ? ` (${c.reason})` : ""}`];
  });
  if (bad.length === 0) return { ok: true };
  const stopped = task.stoppedReason ? `; the task stopped: ${task.stoppedReason}${task.stopCode ? ` (${task.stopCode})` : ""}` : "";
  return { ok: false, reason: `${bad.join(", ")}${stopped}` };
}

/** The service deployment fields the rollout check reads. */
export interface DeploymentShape {
  readonly id?: string;
  readonly status?: string;
  readonly taskDefinition?: string;
  readonly rolloutState?: string;
  readonly rolloutStateReason?: string;
  readonly desiredCount?: number;
  readonly runningCount?: number;
  readonly failedTasks?: number;
}

/** The service fields the rollout check reads. */
export interface ServiceShape {
  readonly status?: string;
  readonly deployments?: readonly DeploymentShape[];
}

/** Which deployment is the deploy's, and what the service ran before it. */
export interface RolloutTrack {
  /** The revision the deploy registered. */
  readonly newArn: string;
  /** The revision the service ran before the update. */
  readonly oldArn: string;
  /** The id of the deployment UpdateService started (the PRIMARY one in its answer), when it said. */
  readonly deploymentId?: string;
  /** The id of the PRIMARY deployment before the update: seen again, it is a read from before the update. */
  readonly previousPrimaryId?: string;
}

/** Where a service deployment stands. */
export type Rollout =
  | { readonly state: "completed"; readonly running: number }
  | { readonly state: "in-progress"; readonly summary: string }
  | { readonly state: "rolled-back"; readonly serving: string; readonly reason: string }
  | { readonly state: "replaced"; readonly serving: string }
  | { readonly state: "failed"; readonly reason: string };

/**
 * Reads one DescribeServices answer: the deploy's deployment COMPLETED (done), still rolling, FAILED
 * (the circuit breaker stopped it; with rollback on, ECS goes back to the previous revision), or no
 * longer PRIMARY: replaced by a deployment of the old revision (the rollback) or of another one (a
 * second deploy). A PRIMARY deployment that is still the one from before the update is an early read
 * (ECS's reads are eventually consistent), not a rollback.
 */
export function readRollout(service: ServiceShape, track: RolloutTrack): Rollout {
  if (service.status !== "ACTIVE") return { state: "failed", reason: `the service is ${service.status ?? "gone"}` };
  const deployments = service.deployments ?? [];
  const ours = (d: DeploymentShape): boolean => (track.deploymentId ? d.id === track.deploymentId : d.taskDefinition === track.newArn);
  const primary = deployments.find((d) => d.status === "PRIMARY");
  const mine = deployments.find(ours);
  if (!primary || (track.previousPrimaryId !== undefined && primary.id === track.previousPrimaryId && !ours(primary)))
    return { state: "in-progress", summary: "waiting for ECS to show the new deployment" };
  if (ours(primary)) {
    const running = primary.runningCount ?? 0;
    if (primary.rolloutState === "COMPLETED") return { state: "completed", running };
    if (primary.rolloutState === "FAILED")
      return { state: "rolled-back", serving: track.oldArn, reason: primary.rolloutStateReason ?? "the deployment failed" };
    const failed = primary.failedTasks ? `, ${primary.failedTasks} failed to start` : "";
    return {
      state: "in-progress",
      summary: `${running} of ${primary.desiredCount ?? "?"} tasks of ${revisionName(track.newArn)} running${failed} (${primary.rolloutState ?? "IN_PROGRESS"})`,
    };
  }
  const serving = primary.taskDefinition ?? "(unknown)";
  if (serving === track.oldArn)
    return { state: "rolled-back", serving, reason: mine?.rolloutStateReason ?? "the deployment is no longer the service's primary one" };
  return { state: "replaced", serving };
}
