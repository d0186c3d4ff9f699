// The deploy of one tag to an app on ECS, as AWS calls (SDK for JavaScript v3), with the clients,
// the clock and the log passed in, so tests drive it with stubbed clients and a fake clock
// (test/cli/ecsDeploy.test.ts). cli/deploy.ts is its command line; lib/ecsDeploy.ts holds the rules.
//
//   1. check, for every part: the tag exists in its repository (ECR DescribeImages), its service
//      exists and is not mid-deployment, and the revision it runs can be rewritten for the tag.
//      Nothing has changed when one of these refuses.
//   2. register a new revision per part in the part's family: the stack's revision (the shape, in the
//      family `<family>-shape`: `pulumi up` owns it) with the part's repository's images set to
//      <repository>:<tag>, its tags kept. Only deploys register in the part's family, so its latest
//      revision, which the part's jobs run, is always the last deploy's.
//   3. run each part's release (if it has one) as a one-off Fargate task of the new revision, in the
//      service's network, and wait until it stops (stopped at its releaseTimeoutSeconds): every
//      essential container must exit 0, or the deploy stops before any service moves.
//   4. per part, back end first: UpdateService to the new revision, and wait until its deployment
//      COMPLETED; a deployment the circuit breaker rolled back, or one still rolling at the timeout,
//      fails the deploy and leaves the later parts as they were.
import { DescribeImagesCommand, type ECRClient } from "@aws-sdk/client-ecr";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Tag,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import {
  awslogsStream,
  essentialContainers,
  imageRef,
  nextRevision,
  parseRepositoryUrl,
  partsInOrder,
  readRollout,
  releaseOutcome,
  revisionName,
  taskId,
  type EcsAppDeployTargets,
  type EcsDeployTarget,
  type EcsPartName,
  type RolloutTrack,
} from "../lib/ecsDeploy";
import { Refused } from "./entry";

/** The deploy ran and failed (a release, a rollout, an AWS call): exit 1. */
export class DeployFailed extends Error {}

/** What the deploy talks to. */
export interface DeployIo {
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  /** Milliseconds since some fixed point. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** One line of progress (no newline). */
  readonly log: (line: string) => void;
}

/** One deploy: an app's tag, its parts as the stack described them, and how long a service may take. */
export interface DeployRequest {
  readonly app: string;
  readonly tag: string;
  readonly targets: EcsAppDeployTargets;
  /** Seconds each service's deployment may take before the deploy gives up waiting (ECS carries on). */
  readonly waitSeconds: number;
}

/** How often the deploy asks: ECS's own waiters poll tasks every 6 s and services every 15 s. */
export const POLL_MS = { release: 6_000, service: 15_000 } as const;

/** A part after the checks: what it runs now and the revision it will register. */
interface Checked {
  readonly part: EcsPartName;
  readonly target: EcsDeployTarget;
  /** The revision the service runs. */
  readonly oldArn: string;
  /** The service's PRIMARY deployment now (to tell an early read from a rollback). */
  readonly previousPrimaryId?: string;
  /** RegisterTaskDefinition's input. */
  readonly input: ConstructorParameters<typeof RegisterTaskDefinitionCommand>[0];
  /** Containers whose image the tag replaces. */
  readonly replaced: readonly string[];
}

/** A part with its registered revision. */
interface Registered extends Checked {
  readonly newArn: string;
  readonly definition: TaskDefinition;
}

/** Deploys `req.tag` to every part of `req.app`; resolves when every service runs it, throws Refused or DeployFailed. */
export async function deployApp(req: DeployRequest, io: DeployIo): Promise<void> {
  const parts = partsInOrder(req.targets);
  if (parts.length === 0) throw new Refused(`deploy: app ${req.app} has no parts in ecsDeployTargets\n`);
  io.log(`deploy: ${req.app} ${req.tag} to ${parts.map((p) => p.part).join(", then ")} (cluster ${parts[0].target.cluster})`);
  const checked: Checked[] = [];
  for (const p of parts) await checkImage(p.part, p.target, req.tag, io);
  for (const p of parts) checked.push(await checkService(p.part, p.target, req.tag, io));
  const registered: Registered[] = [];
  for (const c of checked) registered.push(await register(c, req.tag, io));
  for (const r of registered) if (r.target.release.length > 0) await release(r, io);
  const moved: Registered[] = [];
  for (const r of registered) {
    try {
      await updateAndWait(r, req.waitSeconds, io);
    } catch (e) {
      if (e instanceof DeployFailed) reportPartial(moved, registered.slice(moved.length + 1), io);
      throw e;
    }
    moved.push(r);
  }
  io.log(`deploy: ${req.app} ${req.tag} is live: ${moved.map((r) => `${r.part} ${revisionName(r.newArn)}`).join(", ")}`);
}

/** After a part failed: which parts already run the new revision, and which were left as they were. */
function reportPartial(moved: readonly Registered[], untouched: readonly Registered[], io: DeployIo): void {
  for (const r of moved) io.log(`${r.part}: runs ${revisionName(r.newArn)} (moved before the failure; this deploy does not move it back)`);
  for (const r of untouched) io.log(`${r.part}: not updated, still ${revisionName(r.oldArn)} (${revisionName(r.newArn)} stays registered, unused)`);
}

/**
 * One AWS call: its answer, or DeployFailed naming the call and the AWS error (ThrottlingException,
 * AccessDeniedException, ...). The SDK has already retried what its retry strategy retries.
 */
async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    throw awsFailure(what, e);
  }
}

/** An AWS error as DeployFailed: `<call> failed: <error name>: <message>`. */
function awsFailure(what: string, e: unknown): unknown {
  return e instanceof Error ? new DeployFailed(`${what} failed: ${e.name}: ${e.message}`) : e;
}

/** Refuses a tag the part's repository does not have, before anything is registered. */
async function checkImage(part: EcsPartName, t: EcsDeployTarget, tag: string, io: DeployIo): Promise<void> {
  const repo = parseRepositoryUrl(t.repositoryUrl);
  if (!repo) throw new Refused(`deploy: ${part}: ${t.repositoryUrl} is not an ECR repository URL\n`);
  const ref = imageRef(t.repositoryUrl, tag);
  let out;
  try {
    out = await io.ecr.send(new DescribeImagesCommand({ registryId: repo.registryId, repositoryName: repo.repositoryName, imageIds: [{ imageTag: tag }] }));
  } catch (e) {
    const name = (e as Error).name;
    if (name === "ImageNotFoundException") throw new Refused(`deploy: ${part}: no image ${ref}: push it first (nothing was changed)\n`);
    if (name === "RepositoryNotFoundException")
      throw new Refused(`deploy: ${part}: the repository ${repo.repositoryName} does not exist: run \`pulumi up\` first (nothing was changed)\n`);
    throw awsFailure(`DescribeImages ${ref}`, e);
  }
  const image = out.imageDetails?.[0];
  if (!image) throw new Refused(`deploy: ${part}: no image ${ref}: push it first (nothing was changed)\n`);
  const pushed = image.imagePushedAt ? `, pushed ${image.imagePushedAt.toISOString()}` : "";
  io.log(`${part}: image ${ref} found (${image.imageDigest ?? "no digest"}${pushed})`);
}

/**
 * The part's service and the revision it runs, and the next revision: the stack's revision (the
 * shape) with the tag. Refused when the service is missing or mid-deployment, or the stack's revision
 * is not what the stack made.
 */
async function checkService(part: EcsPartName, t: EcsDeployTarget, tag: string, io: DeployIo): Promise<Checked> {
  const service = await describeService(t, io);
  const primary = service.deployments?.find((d) => d.status === "PRIMARY");
  const oldArn = service.taskDefinition ?? primary?.taskDefinition;
  if (!oldArn) throw new Refused(`deploy: ${part}: service ${t.service} names no task definition (nothing was changed)\n`);
  // Another deploy or a rollback moving the service now; a new service's first deployment (its
  // only one, perhaps failing to pull the tag `initial`) is no reason to wait.
  const deployments = service.deployments ?? [];
  const rolling = deployments.length > 1 ? deployments.find((d) => d.rolloutState === "IN_PROGRESS") : undefined;
  if (rolling)
    throw new Refused(
      `deploy: ${part}: service ${t.service} is in the middle of a deployment of ${revisionName(rolling.taskDefinition)}: wait until it ends (nothing was changed)\n`,
    );
  // The stack's revision, not the service's: a shape `pulumi up` changed since the last deploy moves with this one.
  const described = await call(`DescribeTaskDefinition ${revisionName(t.taskDefinition)}`, () =>
    io.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: t.taskDefinition, include: ["TAGS"] })),
  );
  const shape = described.taskDefinition;
  if (!shape || shape.family !== t.shapeFamily)
    throw new Refused(
      `deploy: ${part}: ${revisionName(t.taskDefinition)} is not a revision of the stack's shape family ${t.shapeFamily}: the outputs do not match the stack (nothing was changed)\n`,
    );
  const next = nextRevision(shape, t, tag);
  if ("problem" in next) throw new Refused(`deploy: ${part}: ${next.problem} (nothing was changed)\n`);
  // Tags under `aws:` are AWS's own (CloudFormation's, say); RegisterTaskDefinition refuses them.
  const tags: Tag[] = (described.tags ?? []).filter((x) => !x.key?.toLowerCase().startsWith("aws:"));
  io.log(`${part}: service ${t.service} runs ${revisionName(oldArn)}; the stack's shape is ${revisionName(t.taskDefinition)}`);
  return {
    part,
    target: t,
    oldArn,
    ...(primary?.id ? { previousPrimaryId: primary.id } : {}),
    input: { ...next.input, family: next.input.family, containerDefinitions: next.input.containerDefinitions, ...(tags.length > 0 ? { tags } : {}) },
    replaced: next.replaced,
  };
}

/** The part's service, or refused when ECS does not have it (MISSING) or it is being deleted. */
async function describeService(t: EcsDeployTarget, io: DeployIo): Promise<Service> {
  const out = await call(`DescribeServices ${t.service}`, () => io.ecs.send(new DescribeServicesCommand({ cluster: t.cluster, services: [t.service] })));
  const service = out.services?.[0];
  if (!service || service.status !== "ACTIVE") {
    const why = out.failures?.[0]?.reason ?? service?.status ?? "MISSING";
    throw new Refused(
      `deploy: service ${t.service} not found in cluster ${t.cluster} (${why}): is the stack up? Run \`pulumi up\` first (nothing was changed)\n`,
    );
  }
  return service;
}

/** Registers the part's new revision. */
async function register(c: Checked, tag: string, io: DeployIo): Promise<Registered> {
  const out = await call(`RegisterTaskDefinition ${c.target.family}`, () => io.ecs.send(new RegisterTaskDefinitionCommand(c.input)));
  const definition = out.taskDefinition;
  const newArn = definition?.taskDefinitionArn;
  if (!definition || !newArn) throw new DeployFailed(`RegisterTaskDefinition ${c.target.family} answered without a task definition`);
  io.log(`${c.part}: registered ${revisionName(newArn)} (${imageRef(c.target.repositoryUrl, tag)} in ${c.replaced.join(", ")})`);
  return { ...c, newArn, definition };
}

/** Runs the part's release in a one-off task of the new revision; DeployFailed unless every essential container exits 0 in time. */
async function release(r: Registered, io: DeployIo): Promise<void> {
  const t = r.target;
  const started = io.now();
  const out = await call(`RunTask (release of ${r.part})`, () =>
    io.ecs.send(
      new RunTaskCommand({
        cluster: t.cluster,
        taskDefinition: r.newArn,
        launchType: "FARGATE",
        count: 1,
        startedBy: "berth-deploy-release",
        networkConfiguration: {
          awsvpcConfiguration: { subnets: [...t.subnets], securityGroups: [...t.securityGroups], assignPublicIp: t.assignPublicIp ? "ENABLED" : "DISABLED" },
        },
        // RunTask overrides the command only: an image with an ENTRYPOINT gets the release as its arguments (README).
        overrides: { containerOverrides: [{ name: t.container, command: [...t.release] }] },
      }),
    ),
  );
  const arn = out.tasks?.[0]?.taskArn;
  if (!arn) {
    const why = out.failures?.map((f) => `${f.reason ?? "no reason"}${f.detail ? ` (${f.detail})` : ""}`).join("; ") || "no task and no reason";
    throw new DeployFailed(`${r.part}: the release task did not start: ${why}; no service was updated`);
  }
  io.log(`${r.part}: release ${JSON.stringify(t.release)} running as task ${taskId(arn)} (up to ${t.releaseTimeoutSeconds} s)`);
  const deadline = started + t.releaseTimeoutSeconds * 1000;
  for (;;) {
    const d = await call(`DescribeTasks (release of ${r.part})`, () => io.ecs.send(new DescribeTasksCommand({ cluster: t.cluster, tasks: [arn] })));
    const task = d.tasks?.[0];
    if (!task) throw new DeployFailed(`${r.part}: the release task ${taskId(arn)} is gone (${d.failures?.[0]?.reason ?? "MISSING"}); no service was updated`);
    if (task.lastStatus === "STOPPED") return releaseStopped(r, arn, task, Math.round((io.now() - started) / 1000), io);
    if (io.now() >= deadline) {
      await call(`StopTask (release of ${r.part})`, () =>
        io.ecs.send(new StopTaskCommand({ cluster: t.cluster, task: arn, reason: `Berth deploy: the release ran past ${t.releaseTimeoutSeconds} s` })),
      );
      throw new DeployFailed(
        `${r.part}: the release ran past its ${t.releaseTimeoutSeconds} s (releaseTimeoutSeconds) and was stopped${logHint(r, arn)}; no service was updated`,
      );
    }
    await io.sleep(Math.max(1, Math.min(POLL_MS.release, deadline - io.now())));
  }
}

/** A stopped release task: done, or DeployFailed with each essential container's exit code or reason. */
function releaseStopped(r: Registered, arn: string, task: Parameters<typeof releaseOutcome>[0], seconds: number, io: DeployIo): void {
  const outcome = releaseOutcome(task, essentialContainers(r.definition));
  if (!outcome.ok) throw new DeployFailed(`${r.part}: the release failed: ${outcome.reason}${logHint(r, arn)}; no service was updated`);
  io.log(`${r.part}: release done in ${seconds} s (exit 0)`);
}

/** Where the release task's output is, when the container logs with awslogs. */
function logHint(r: Registered, arn: string): string {
  const where = awslogsStream(r.definition, r.target.container, arn);
  return where ? ` (its output: log group ${where.group}, stream ${where.stream})` : "";
}

/** Moves the part's service to its new revision and waits until the deployment completed, failed, or ran out of time. */
async function updateAndWait(r: Registered, waitSeconds: number, io: DeployIo): Promise<void> {
  const t = r.target;
  const up = await call(`UpdateService ${t.service}`, () =>
    io.ecs.send(new UpdateServiceCommand({ cluster: t.cluster, service: t.service, taskDefinition: r.newArn })),
  );
  const deploymentId = up.service?.deployments?.find((d) => d.status === "PRIMARY" && d.taskDefinition === r.newArn)?.id;
  const track: RolloutTrack = {
    newArn: r.newArn,
    oldArn: r.oldArn,
    ...(deploymentId ? { deploymentId } : {}),
    ...(r.previousPrimaryId ? { previousPrimaryId: r.previousPrimaryId } : {}),
  };
  io.log(`${r.part}: service ${t.service} updated to ${revisionName(r.newArn)}; waiting for its deployment (up to ${waitSeconds} s)`);
  const deadline = io.now() + waitSeconds * 1000;
  let last = "";
  for (;;) {
    const rollout = readRollout(await describeService(t, io), track);
    switch (rollout.state) {
      case "completed":
        io.log(`${r.part}: deployment completed: ${rollout.running} task(s) run ${revisionName(r.newArn)}`);
        return;
      case "rolled-back":
        throw new DeployFailed(
          `${r.part}: ROLLED BACK: the deployment circuit breaker stopped ${revisionName(r.newArn)} (${rollout.reason}); service ${t.service} serves ${revisionName(rollout.serving)} again`,
        );
      case "replaced":
        throw new DeployFailed(`${r.part}: another deployment replaced this one: service ${t.service} now deploys ${revisionName(rollout.serving)}`);
      case "failed":
        throw new DeployFailed(`${r.part}: service ${t.service} failed during the deployment: ${rollout.reason}`);
      case "in-progress":
        if (rollout.summary !== last) io.log(`${r.part}: ${rollout.summary}`);
        last = rollout.summary;
    }
    if (io.now() >= deadline)
      throw new DeployFailed(
        `${r.part}: the deployment of ${revisionName(r.newArn)} is still in progress after ${waitSeconds} s (${last}); ECS carries on with it and rolls it back by itself if its tasks fail: aws ecs describe-services --cluster ${t.cluster} --services ${t.service}`,
      );
    await io.sleep(Math.max(1, Math.min(POLL_MS.service, deadline - io.now())));
  }
}
