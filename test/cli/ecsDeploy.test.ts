// The ECS deploy against stubbed AWS clients (aws-sdk-client-mock) and a fake clock: the exact call
// sequence of a good deploy with and without a release step, and every way it stops: an unknown
// tag, a missing service, a service mid-deployment, a release that exits 1, fails to start or runs
// out of time (and is stopped), a deployment the circuit breaker rolls back, one still rolling at the
// timeout, and an AWS error surfaced with its name.
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from "@aws-sdk/client-ecr";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type Deployment,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { deployApp, DeployFailed, POLL_MS, type DeployIo, type DeployRequest } from "../../cli/ecsDeploy";
import { Refused } from "../../cli/entry";
import type { EcsDeployTarget } from "../../lib/ecsDeploy";

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
afterAll(() => {
  ecs.restore();
  ecr.restore();
});

const REGION = "ap-northeast-2";
const REGISTRY = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;
const TD = `arn:aws:ecs:${REGION}:123456789012:task-definition`;
const CLUSTER = "berth-scale-apps";

/**
 * Revisions: the stack registered :1 of each shape family (`-shape`); in the part's own family, the deploys'
 * one, the backend runs :7 and gets :8, the frontend runs :4 and gets :5.
 */
const STACK = { backend: `${TD}/berth-scale-shop-backend-shape:1`, frontend: `${TD}/berth-scale-shop-frontend-shape:1` };
const OLD = { backend: `${TD}/berth-scale-shop-backend:7`, frontend: `${TD}/berth-scale-shop-frontend:4` };
const NEW = { backend: `${TD}/berth-scale-shop-backend:8`, frontend: `${TD}/berth-scale-shop-frontend:5` };
const target = (part: "frontend" | "backend", over: Partial<EcsDeployTarget> = {}): EcsDeployTarget => ({
  region: REGION,
  cluster: CLUSTER,
  service: `shop-${part}`,
  family: `berth-scale-shop-${part}`,
  shapeFamily: `berth-scale-shop-${part}-shape`,
  taskDefinition: STACK[part],
  container: part,
  repositoryUrl: `${REGISTRY}/scale/shop-${part}`,
  release: [],
  releaseTimeoutSeconds: 600,
  subnets: ["subnet-0a", "subnet-0b"],
  securityGroups: ["sg-0tasks"],
  assignPublicIp: true,
  ...over,
});
const BACKEND = target("backend", { release: ["bin/migrate", "--up"], releaseTimeoutSeconds: 60 });
const FRONTEND = target("frontend");

const RELEASE_TASK = `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/0123abcd`;

const deployment = (id: string, status: string, taskDefinition: string, rolloutState: string, extra: Partial<Deployment> = {}): Deployment =>
  ({ id, status, taskDefinition, rolloutState, desiredCount: 2, runningCount: 2, ...extra }) as Deployment;
const service = (part: "frontend" | "backend", deployments: Deployment[]): { services: Service[] } => ({
  services: [{ serviceName: `shop-${part}`, status: "ACTIVE", taskDefinition: deployments.find((d) => d.status === "PRIMARY")?.taskDefinition, deployments }],
});
/** Before the update: one completed deployment of the old revision. */
const steady = (part: "frontend" | "backend") => service(part, [deployment(`ecs-svc/${part}-old`, "PRIMARY", OLD[part], "COMPLETED")]);
const rolling = (part: "frontend" | "backend", running = 1) =>
  service(part, [
    deployment(`ecs-svc/${part}-new`, "PRIMARY", NEW[part], "IN_PROGRESS", { runningCount: running }),
    deployment(`ecs-svc/${part}-old`, "ACTIVE", OLD[part], "COMPLETED"),
  ]);
const done = (part: "frontend" | "backend") => service(part, [deployment(`ecs-svc/${part}-new`, "PRIMARY", NEW[part], "COMPLETED")]);

/**
 * The stack's revision (what `pulumi up` registered, image tag `initial`): the app's container, an
 * init step of the same image, a sidecar, and the read-only fields DescribeTaskDefinition adds.
 */
const stackRevision = (part: "frontend" | "backend") => ({
  taskDefinitionArn: STACK[part],
  revision: 1,
  status: "ACTIVE" as const,
  family: `berth-scale-shop-${part}-shape`,
  requiresAttributes: [{ name: "com.amazonaws.ecs.capability.logging-driver.awslogs" }],
  compatibilities: ["EC2" as const, "FARGATE" as const],
  registeredAt: new Date("2026-11-01T00:00:00Z"),
  registeredBy: "arn:aws:sts::123456789012:assumed-role/pulumi/ci",
  requiresCompatibilities: ["FARGATE" as const],
  networkMode: "awsvpc" as const,
  cpu: "512",
  memory: "1024",
  executionRoleArn: `arn:aws:iam::123456789012:role/${part}-execution`,
  taskRoleArn: `arn:aws:iam::123456789012:role/${part}-task`,
  containerDefinitions: [
    { name: "init", image: `${REGISTRY}/scale/shop-${part}:initial`, essential: false, command: ["true"] },
    {
      name: part,
      image: `${REGISTRY}/scale/shop-${part}:initial`,
      environment: [{ name: "LOG_LEVEL", value: "info" }],
      essential: true,
      logConfiguration: { logDriver: "awslogs" as const, options: { "awslogs-group": "/berth/scale/apps/shop", "awslogs-stream-prefix": part } },
    },
    { name: "sidecar", image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0", essential: false },
  ],
});
const TAGS = [
  { key: "Project", value: "berth" },
  { key: "Name", value: "berth-scale-shop" },
];

interface FakeIo extends DeployIo {
  readonly lines: string[];
  /** Milliseconds slept in all. */
  slept(): number;
}

function fakeIo(): FakeIo {
  let t = 0;
  const lines: string[] = [];
  return {
    ecs: new ECSClient({ region: REGION }),
    ecr: new ECRClient({ region: REGION }),
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
    log: (l) => lines.push(l),
    lines,
    slept: () => t,
  };
}

const request = (over: Partial<DeployRequest> = {}): DeployRequest => ({
  app: "shop",
  tag: "v2",
  targets: { frontend: FRONTEND, backend: BACKEND },
  waitSeconds: 900,
  ...over,
});

/** Every call of both clients in the order they were made, as one short line each. */
function sequence(): string[] {
  const calls = [...ecs.calls(), ...ecr.calls()].sort((a, b) => (a.calledBefore(b) ? -1 : 1));
  return calls.map((c) => {
    const cmd = c.args[0];
    const i = cmd.input as Record<string, unknown>;
    const name = cmd.constructor.name.replace(/Command$/, "");
    const rev = (arn: unknown) => String(arn).replace(`${TD}/`, "");
    switch (name) {
      case "DescribeImages":
        return `${name} ${String(i.repositoryName)}:${(i.imageIds as Array<{ imageTag: string }>)[0].imageTag}`;
      case "DescribeServices":
        return `${name} ${(i.services as string[]).join(",")}`;
      case "DescribeTaskDefinition":
      case "RunTask":
        return `${name} ${rev(i.taskDefinition)}`;
      case "RegisterTaskDefinition":
        return `${name} ${String(i.family)}`;
      case "UpdateService":
        return `${name} ${String(i.service)} ${rev(i.taskDefinition)}`;
      default:
        return name;
    }
  });
}

/** The stubs of a deploy that goes well; each test then breaks one step. */
function goodDeploy(): void {
  ecr.on(DescribeImagesCommand).callsFake((input: { imageIds: Array<{ imageTag: string }> }) => ({
    imageDetails: [{ imageDigest: `sha256:${"ab".repeat(32)}`, imageTags: [input.imageIds[0].imageTag], imagePushedAt: new Date("2026-12-01T10:00:00Z") }],
  }));
  for (const part of ["frontend", "backend"] as const) {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: STACK[part] })
      .resolves({ taskDefinition: stackRevision(part), tags: [...TAGS, { key: "aws:cloudformation:stack-name", value: "x" }] });
    ecs
      .on(DescribeServicesCommand, { services: [`shop-${part}`] })
      .resolvesOnce(steady(part))
      .resolvesOnce(rolling(part, 1))
      .resolvesOnce(rolling(part, 2))
      .resolves(done(part));
    // UpdateService answers with the service, its new deployment PRIMARY.
    ecs.on(UpdateServiceCommand, { service: `shop-${part}` }).resolves({ service: rolling(part, 0).services[0] });
  }
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => ({
    taskDefinition: { ...input, taskDefinitionArn: input.family!.endsWith("backend") ? NEW.backend : NEW.frontend },
  }));
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: RELEASE_TASK, lastStatus: "PROVISIONING" }], failures: [] });
  ecs
    .on(DescribeTasksCommand)
    .resolvesOnce({ tasks: [{ taskArn: RELEASE_TASK, lastStatus: "RUNNING" }] })
    .resolves({
      tasks: [
        {
          taskArn: RELEASE_TASK,
          lastStatus: "STOPPED",
          stopCode: "EssentialContainerExited",
          stoppedReason: "Essential container in task exited",
          containers: [
            { name: "init", exitCode: 0 },
            { name: "backend", exitCode: 0 },
            { name: "sidecar", exitCode: 143 },
          ],
        },
      ],
    });
}

beforeEach(() => {
  ecs.reset();
  ecr.reset();
});

/** The deploy's error, which must be one of the two the CLI turns into an exit code. */
async function failure(req: DeployRequest, io: FakeIo): Promise<Error> {
  try {
    await deployApp(req, io);
  } catch (e) {
    expect(e instanceof Refused || e instanceof DeployFailed, String(e)).toBe(true);
    return e as Error;
  }
  throw new Error("the deploy did not fail");
}

const CHECKS = [
  "DescribeImages scale/shop-backend:v2",
  "DescribeImages scale/shop-frontend:v2",
  "DescribeServices shop-backend",
  "DescribeTaskDefinition berth-scale-shop-backend-shape:1",
  "DescribeServices shop-frontend",
  "DescribeTaskDefinition berth-scale-shop-frontend-shape:1",
];
const REGISTERS = ["RegisterTaskDefinition berth-scale-shop-backend", "RegisterTaskDefinition berth-scale-shop-frontend"];
const RELEASE = ["RunTask berth-scale-shop-backend:8", "DescribeTasks", "DescribeTasks"];
const MOVE = (part: "frontend" | "backend") => [
  `UpdateService shop-${part} berth-scale-shop-${part}:${part === "backend" ? 8 : 5}`,
  `DescribeServices shop-${part}`,
  `DescribeServices shop-${part}`,
  `DescribeServices shop-${part}`,
];

describe("a good deploy", () => {
  it("checks every part, registers, releases, then moves the back end and the front end, in exactly this order", async () => {
    goodDeploy();
    const io = fakeIo();
    await deployApp(request(), io);
    expect(sequence()).toEqual([...CHECKS, ...REGISTERS, ...RELEASE, ...MOVE("backend"), ...MOVE("frontend")]);
    expect(io.lines).toEqual([
      "deploy: shop v2 to backend, then frontend (cluster berth-scale-apps)",
      `backend: image ${REGISTRY}/scale/shop-backend:v2 found (sha256:${"ab".repeat(32)}, pushed 2026-12-01T10:00:00.000Z)`,
      `frontend: image ${REGISTRY}/scale/shop-frontend:v2 found (sha256:${"ab".repeat(32)}, pushed 2026-12-01T10:00:00.000Z)`,
      "backend: service shop-backend runs berth-scale-shop-backend:7; the stack's shape is berth-scale-shop-backend-shape:1",
      "frontend: service shop-frontend runs berth-scale-shop-frontend:4; the stack's shape is berth-scale-shop-frontend-shape:1",
      `backend: registered berth-scale-shop-backend:8 (${REGISTRY}/scale/shop-backend:v2 in init, backend)`,
      `frontend: registered berth-scale-shop-frontend:5 (${REGISTRY}/scale/shop-frontend:v2 in init, frontend)`,
      'backend: release ["bin/migrate","--up"] running as task 0123abcd (up to 60 s)',
      "backend: release done in 6 s (exit 0)",
      "backend: service shop-backend updated to berth-scale-shop-backend:8; waiting for its deployment (up to 900 s)",
      "backend: 1 of 2 tasks of berth-scale-shop-backend:8 running (IN_PROGRESS)",
      "backend: 2 of 2 tasks of berth-scale-shop-backend:8 running (IN_PROGRESS)",
      "backend: deployment completed: 2 task(s) run berth-scale-shop-backend:8",
      "frontend: service shop-frontend updated to berth-scale-shop-frontend:5; waiting for its deployment (up to 900 s)",
      "frontend: 1 of 2 tasks of berth-scale-shop-frontend:5 running (IN_PROGRESS)",
      "frontend: 2 of 2 tasks of berth-scale-shop-frontend:5 running (IN_PROGRESS)",
      "frontend: deployment completed: 2 task(s) run berth-scale-shop-frontend:5",
      "deploy: shop v2 is live: backend berth-scale-shop-backend:8, frontend berth-scale-shop-frontend:5",
    ]);
    // Polls at ECS's own waiters' pace: one release poll, two polls per service.
    expect(io.slept()).toBe(POLL_MS.release + 4 * POLL_MS.service);
  });

  it("registers the stack's revision's fields and tags (not the running revision's) in the part's family (not the shape's), every container of the part's image on the new tag, no read-only field", async () => {
    goodDeploy();
    await deployApp(request(), fakeIo());
    // The shape is the stack's: a `pulumi up` since the last deploy (here LOG_LEVEL) moves with this one; the running :7 is never read.
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      { taskDefinition: STACK.backend, include: ["TAGS"] },
      { taskDefinition: STACK.frontend, include: ["TAGS"] },
    ]);
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    const { taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, ...writable } = stackRevision("backend");
    expect([taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy].every((v) => v !== undefined)).toBe(true);
    expect(writable.family).toBe("berth-scale-shop-backend-shape");
    // The part's family: its latest revision is what the part's jobs run, so only a deploy may register there.
    expect(input).toEqual({
      ...writable,
      family: "berth-scale-shop-backend",
      containerDefinitions: [
        { ...writable.containerDefinitions[0], image: `${REGISTRY}/scale/shop-backend:v2` },
        { ...writable.containerDefinitions[1], image: `${REGISTRY}/scale/shop-backend:v2` },
        writable.containerDefinitions[2],
      ],
      tags: TAGS, // AWS's own `aws:` tags left out: RegisterTaskDefinition refuses them
    });
  });

  it("runs the release as a one-off Fargate task of the new revision, in the service's network, with the release as the command", async () => {
    goodDeploy();
    await deployApp(request(), fakeIo());
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        cluster: CLUSTER,
        taskDefinition: NEW.backend,
        launchType: "FARGATE",
        count: 1,
        startedBy: "berth-deploy-release",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0a", "subnet-0b"], securityGroups: ["sg-0tasks"], assignPublicIp: "ENABLED" } },
        overrides: { containerOverrides: [{ name: "backend", command: ["bin/migrate", "--up"] }] },
      },
    ]);
    expect(ecs.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({ cluster: CLUSTER, tasks: [RELEASE_TASK] });
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, service: "shop-backend", taskDefinition: NEW.backend },
      { cluster: CLUSTER, service: "shop-frontend", taskDefinition: NEW.frontend },
    ]);
  });

  it("without a release step, runs no task: checks, registers and moves only (an app with a front end only)", async () => {
    goodDeploy();
    await deployApp(request({ targets: { frontend: FRONTEND } }), fakeIo());
    expect(sequence()).toEqual([
      "DescribeImages scale/shop-frontend:v2",
      "DescribeServices shop-frontend",
      "DescribeTaskDefinition berth-scale-shop-frontend-shape:1",
      "RegisterTaskDefinition berth-scale-shop-frontend",
      ...MOVE("frontend"),
    ]);
  });

  it("deploys over a new service's only deployment (the stack's shape revision, still trying the `initial` tag) without waiting for it", async () => {
    goodDeploy();
    ecs
      .on(DescribeServicesCommand, { services: ["shop-frontend"] })
      .resolvesOnce(service("frontend", [deployment("ecs-svc/first", "PRIMARY", STACK.frontend, "IN_PROGRESS", { runningCount: 0, failedTasks: 3 })]))
      .resolves(done("frontend"));
    const io = fakeIo();
    await deployApp(request({ targets: { frontend: FRONTEND } }), io);
    // From the shape family to the first revision of the part's own family.
    expect(io.lines).toContain(
      "frontend: service shop-frontend runs berth-scale-shop-frontend-shape:1; the stack's shape is berth-scale-shop-frontend-shape:1",
    );
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([NEW.frontend]);
  });
});

describe("refused before anything changes (exit 2)", () => {
  it("an unknown tag: ECR has no such image, and nothing of ECS is even read", async () => {
    goodDeploy();
    ecr
      .on(DescribeImagesCommand, { repositoryName: "scale/shop-frontend" })
      .rejects(new ImageNotFoundException({ message: "Requested image not found", $metadata: {} }));
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(Refused);
    expect(e.message).toBe(`deploy: frontend: no image ${REGISTRY}/scale/shop-frontend:v2: push it first (nothing was changed)\n`);
    expect(sequence()).toEqual(["DescribeImages scale/shop-backend:v2", "DescribeImages scale/shop-frontend:v2"]);
  });

  it("a service ECS does not have (MISSING): nothing registered", async () => {
    goodDeploy();
    ecs
      .on(DescribeServicesCommand, { services: ["shop-frontend"] })
      .resolves({ services: [], failures: [{ arn: "arn:...:service/shop-frontend", reason: "MISSING" }] });
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(Refused);
    expect(e.message).toContain("deploy: service shop-frontend not found in cluster berth-scale-apps (MISSING): is the stack up?");
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toEqual([]);
  });

  it("a service in the middle of another deployment (or a rollback): nothing registered", async () => {
    goodDeploy();
    ecs.on(DescribeServicesCommand, { services: ["shop-backend"] }).resolves(rolling("backend"));
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(Refused);
    expect(e.message).toContain("service shop-backend is in the middle of a deployment of berth-scale-shop-backend:8: wait until it ends");
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toEqual([]);
  });

  it.each([
    ["another family", "other"],
    // A deploy's own revision (the part's family) is never the shape: copying it would copy a deployed image's revision.
    ["the part's own family, not the shape's", "berth-scale-shop-backend"],
  ])("outputs that name a revision of %s: nothing registered", async (_what, family) => {
    goodDeploy();
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: STACK.backend }).resolves({ taskDefinition: { ...stackRevision("backend"), family } });
    const e = await failure(request(), fakeIo());
    expect(e.message).toBe(
      "deploy: backend: berth-scale-shop-backend-shape:1 is not a revision of the stack's shape family berth-scale-shop-backend-shape: the outputs do not match the stack (nothing was changed)\n",
    );
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toEqual([]);
  });

  it("a stack revision the part's repository is not in: nothing registered", async () => {
    goodDeploy();
    const other = { ...stackRevision("backend"), containerDefinitions: [{ name: "backend", image: "nginx:1.27" }] };
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: STACK.backend }).resolves({ taskDefinition: other });
    const e = await failure(request(), fakeIo());
    expect(e.message).toBe(
      `deploy: backend: no container of task definition berth-scale-shop-backend-shape runs an image of ${REGISTRY}/scale/shop-backend (nothing was changed)\n`,
    );
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toEqual([]);
  });
});

describe("failed (exit 1)", () => {
  it("a release that exits 1: its exit code, the stopped reason and where its output is; no service updated", async () => {
    goodDeploy();
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: RELEASE_TASK,
          lastStatus: "STOPPED",
          stopCode: "EssentialContainerExited",
          stoppedReason: "Essential container in task exited",
          containers: [{ name: "backend", exitCode: 1 }],
        },
      ],
    });
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(DeployFailed);
    expect(e.message).toBe(
      "backend: the release failed: container backend exited with 1; the task stopped: Essential container in task exited (EssentialContainerExited) (its output: log group /berth/scale/apps/shop, stream backend/backend/0123abcd); no service was updated",
    );
    expect(sequence()).toEqual([...CHECKS, ...REGISTERS, "RunTask berth-scale-shop-backend:8", "DescribeTasks"]);
  });

  it("a release task that cannot start (no capacity): no service updated", async () => {
    goodDeploy();
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: "Capacity is unavailable at this time", detail: "FARGATE" }] });
    const e = await failure(request(), fakeIo());
    expect(e.message).toBe("backend: the release task did not start: Capacity is unavailable at this time (FARGATE); no service was updated");
    expect(ecs.commandCalls(UpdateServiceCommand)).toEqual([]);
  });

  it("a release that runs past releaseTimeoutSeconds: stopped with StopTask, no service updated", async () => {
    goodDeploy();
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: RELEASE_TASK, lastStatus: "RUNNING" }] });
    const io = fakeIo();
    const e = await failure(request(), io);
    expect(e.message).toBe(
      "backend: the release ran past its 60 s (releaseTimeoutSeconds) and was stopped (its output: log group /berth/scale/apps/shop, stream backend/backend/0123abcd); no service was updated",
    );
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: RELEASE_TASK, reason: "Berth deploy: the release ran past 60 s" },
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toEqual([]);
    expect(io.slept()).toBe(60_000);
  });

  it("a deployment the circuit breaker rolls back: which revision serves now; the front end is never moved", async () => {
    goodDeploy();
    ecs
      .on(DescribeServicesCommand, { services: ["shop-backend"] })
      .resolvesOnce(steady("backend"))
      .resolvesOnce(rolling("backend", 0))
      .resolves(
        service("backend", [
          deployment("ecs-svc/rollback", "PRIMARY", OLD.backend, "IN_PROGRESS"),
          deployment("ecs-svc/backend-new", "ACTIVE", NEW.backend, "FAILED", { rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start." }),
        ]),
      );
    ecs.on(UpdateServiceCommand, { service: "shop-backend" }).resolves({ service: rolling("backend", 0).services[0] });
    const io = fakeIo();
    const e = await failure(request(), io);
    expect(e).toBeInstanceOf(DeployFailed);
    expect(e.message).toBe(
      "backend: ROLLED BACK: the deployment circuit breaker stopped berth-scale-shop-backend:8 (ECS deployment circuit breaker: tasks failed to start.); service shop-backend serves berth-scale-shop-backend:7 again",
    );
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.service)).toEqual(["shop-backend"]);
    expect(io.lines.at(-1)).toBe("frontend: not updated, still berth-scale-shop-frontend:4 (berth-scale-shop-frontend:5 stays registered, unused)");
  });

  it("a front end rolled back after the back end moved: says the back end keeps its new revision", async () => {
    goodDeploy();
    ecs
      .on(DescribeServicesCommand, { services: ["shop-frontend"] })
      .resolvesOnce(steady("frontend"))
      .resolves(service("frontend", [deployment("ecs-svc/frontend-new", "PRIMARY", NEW.frontend, "FAILED", { rolloutStateReason: "tasks failed to start" })]));
    const io = fakeIo();
    const e = await failure(request(), io);
    expect(e.message).toContain("frontend: ROLLED BACK");
    expect(io.lines.at(-1)).toBe("backend: runs berth-scale-shop-backend:8 (moved before the failure; this deploy does not move it back)");
  });

  it("a deployment still rolling at --timeout: says so, and how to follow it", async () => {
    goodDeploy();
    ecs
      .on(DescribeServicesCommand, { services: ["shop-backend"] })
      .resolvesOnce(steady("backend"))
      .resolves(rolling("backend", 1));
    const io = fakeIo();
    const e = await failure(request({ waitSeconds: 60 }), io);
    expect(e.message).toBe(
      "backend: the deployment of berth-scale-shop-backend:8 is still in progress after 60 s (1 of 2 tasks of berth-scale-shop-backend:8 running (IN_PROGRESS)); ECS carries on with it and rolls it back by itself if its tasks fail: aws ecs describe-services --cluster berth-scale-apps --services shop-backend",
    );
    // Release polls, then the wait: bounded by the timeout, not by the poll interval.
    expect(io.slept()).toBe(POLL_MS.release + 60_000);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  it("an AWS error (throttling) with its name and the call it stopped", async () => {
    goodDeploy();
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(new ECSServiceException({ name: "ThrottlingException", $fault: "client", message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }));
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(DeployFailed);
    expect(e.message).toBe("RegisterTaskDefinition berth-scale-shop-backend failed: ThrottlingException: Rate exceeded");
    expect(ecs.commandCalls(RunTaskCommand)).toEqual([]);
  });

  it("an ECR error other than a missing image (access denied) with its name", async () => {
    ecr.on(DescribeImagesCommand).rejects(Object.assign(new Error("User is not authorized to perform: ecr:DescribeImages"), { name: "AccessDeniedException" }));
    const e = await failure(request(), fakeIo());
    expect(e).toBeInstanceOf(DeployFailed);
    expect(e.message).toBe(
      `DescribeImages ${REGISTRY}/scale/shop-backend:v2 failed: AccessDeniedException: User is not authorized to perform: ecr:DescribeImages`,
    );
    expect(ecs.calls()).toEqual([]);
  });
});
