// The pure rules of the ECS deploy: part order, the next revision made from the running one,
// a release task's outcome, and a service deployment read as done, rolling, rolled back or replaced.
import { describe, expect, it } from "vitest";
import {
  awslogsStream,
  essentialContainers,
  nextRevision,
  parseRepositoryUrl,
  partsInOrder,
  readRollout,
  releaseOutcome,
  revisionName,
  usesRepository,
  type EcsDeployTarget,
  type RolloutTrack,
} from "../../lib/ecsDeploy";

const REPO = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/scale/shop-backend";
const target = (over: Partial<EcsDeployTarget> = {}): EcsDeployTarget => ({
  region: "ap-northeast-2",
  cluster: "berth-scale-apps",
  service: "shop-backend",
  family: "berth-scale-shop-backend",
  shapeFamily: "berth-scale-shop-backend-shape",
  taskDefinition: "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend-shape:1",
  container: "backend",
  repositoryUrl: REPO,
  release: [],
  releaseTimeoutSeconds: 600,
  subnets: ["subnet-1"],
  securityGroups: ["sg-1"],
  assignPublicIp: true,
  ...over,
});

describe("parts and names", () => {
  it("moves the back end before the front end, and skips a part the app does not have", () => {
    const front = target({ container: "frontend" });
    const back = target();
    expect(partsInOrder({ frontend: front, backend: back }).map((p) => p.part)).toEqual(["backend", "frontend"]);
    expect(partsInOrder({ frontend: front }).map((p) => p.part)).toEqual(["frontend"]);
  });

  it.each<[string | undefined, boolean]>([
    [`${REPO}:v1`, true],
    [`${REPO}@sha256:${"a".repeat(64)}`, true],
    [REPO, true],
    [`${REPO}-worker:v1`, false],
    ["public.ecr.aws/docker/library/busybox:1", false],
    [undefined, false],
  ])("tells whether %s is the part's repository (%s)", (image, uses) => {
    expect(usesRepository(image, REPO)).toBe(uses);
  });

  it("reads an ECR repository URL, and refuses anything else", () => {
    expect(parseRepositoryUrl(REPO)).toEqual({ registryId: "123456789012", region: "ap-northeast-2", repositoryName: "scale/shop-backend" });
    expect(parseRepositoryUrl("docker.example.org/shop-backend")).toBeUndefined();
  });

  it("prints family:revision from a task definition ARN", () => {
    expect(revisionName("arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend:7")).toBe("berth-scale-shop-backend:7");
    expect(revisionName(undefined)).toBe("(unknown task definition)");
  });
});

describe("nextRevision", () => {
  const stackRevision = {
    taskDefinitionArn: "arn:aws:ecs:r:1:task-definition/berth-scale-shop-backend-shape:7",
    revision: 7,
    status: "ACTIVE",
    requiresAttributes: [{ name: "ecs.capability.execution-role-awslogs" }],
    compatibilities: ["EC2", "FARGATE"],
    registeredAt: new Date(0),
    registeredBy: "arn:aws:sts::1:assumed-role/pulumi",
    deregisteredAt: undefined,
    family: "berth-scale-shop-backend-shape",
    cpu: "512",
    memory: "1024",
    networkMode: "awsvpc",
    executionRoleArn: "arn:exec",
    taskRoleArn: "arn:task",
    requiresCompatibilities: ["FARGATE"],
    runtimePlatform: { operatingSystemFamily: "LINUX" },
    containerDefinitions: [
      { name: "migrate-init", image: `${REPO}:v1`, essential: false },
      { name: "backend", image: `${REPO}:v1`, essential: true, environment: [{ name: "PORT", value: "8080" }] },
      { name: "sidecar", image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0", essential: false },
    ],
  };

  it("copies every writable field into the part's family (not the shape's), drops the read-only ones, and points every container of the part's repository at the tag", () => {
    const r = nextRevision(stackRevision, target(), "v2");
    if ("problem" in r) throw new Error(r.problem);
    expect(Object.keys(r.input).sort()).toEqual(
      [
        "containerDefinitions",
        "cpu",
        "executionRoleArn",
        "family",
        "memory",
        "networkMode",
        "requiresCompatibilities",
        "runtimePlatform",
        "taskRoleArn",
      ].sort(),
    );
    expect(r.input.containerDefinitions.map((c) => c.image)).toEqual([
      `${REPO}:v2`,
      `${REPO}:v2`,
      "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0",
    ]);
    expect(r.input.containerDefinitions[1].environment).toEqual([{ name: "PORT", value: "8080" }]);
    expect(r.input.family).toBe("berth-scale-shop-backend");
    expect(r.replaced).toEqual(["migrate-init", "backend"]);
    // The stack's definition itself is left as it was.
    expect(stackRevision.containerDefinitions[1].image).toBe(`${REPO}:v1`);
  });

  it("replaces the stack's first image (`initial`) the same way", () => {
    const r = nextRevision({ family: "f", containerDefinitions: [{ name: "backend", image: `${REPO}:initial` }] }, target(), "v1");
    expect("input" in r && r.input.containerDefinitions[0].image).toBe(`${REPO}:v1`);
  });

  it.each<[string, { family: string; containerDefinitions: Array<{ name: string; image: string }> }, string]>([
    [
      "the target's container is missing",
      { family: "f", containerDefinitions: [{ name: "web", image: `${REPO}:v1` }] },
      "task definition f has no container named backend",
    ],
    [
      "no container runs the part's repository",
      { family: "f", containerDefinitions: [{ name: "backend", image: "nginx:1" }] },
      `no container of task definition f runs an image of ${REPO}`,
    ],
  ])("refuses when %s", (_w, td, problem) => {
    expect(nextRevision(td, target(), "v2")).toEqual({ problem });
  });
});

describe("the release task", () => {
  const td = {
    containerDefinitions: [
      {
        name: "backend",
        logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/berth/scale/apps/shop", "awslogs-stream-prefix": "backend" } },
      },
      { name: "sidecar", essential: false },
    ],
  };

  it("waits for the essential containers only, and knows where they log", () => {
    expect(essentialContainers(td)).toEqual(["backend"]);
    expect(awslogsStream(td, "backend", "arn:aws:ecs:r:1:task/berth-scale-apps/0abc")).toEqual({
      group: "/berth/scale/apps/shop",
      stream: "backend/backend/0abc",
    });
    expect(awslogsStream(td, "sidecar", "arn:t/1")).toBeUndefined();
  });

  it.each<[string, Parameters<typeof releaseOutcome>[0], string | undefined]>([
    [
      "exit 0",
      {
        containers: [
          { name: "backend", exitCode: 0 },
          { name: "sidecar", exitCode: 137 },
        ],
      },
      undefined,
    ],
    [
      "exit 1",
      { stoppedReason: "Essential container in task exited", stopCode: "EssentialContainerExited", containers: [{ name: "backend", exitCode: 1 }] },
      "container backend exited with 1; the task stopped: Essential container in task exited (EssentialContainerExited)",
    ],
    [
      "no exit code (the image could not be pulled)",
      {
        stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        containers: [{ name: "backend", reason: "CannotPullContainerError" }],
      },
      "container backend has no exit code (CannotPullContainerError); the task stopped: CannotPullContainerError: pull image manifest has been retried 5 time(s)",
    ],
    ["the container missing", { containers: [] }, "container backend did not run"],
  ])("reads %s", (_w, task, reason) => {
    expect(releaseOutcome(task, ["backend"])).toEqual(reason === undefined ? { ok: true } : { ok: false, reason });
  });
});

describe("readRollout", () => {
  const OLD = "arn:aws:ecs:r:1:task-definition/f:7";
  const NEW = "arn:aws:ecs:r:1:task-definition/f:8";
  const track: RolloutTrack = { newArn: NEW, oldArn: OLD, deploymentId: "ecs-svc/new", previousPrimaryId: "ecs-svc/old" };
  const dep = (id: string, status: string, taskDefinition: string, rolloutState: string, extra: Record<string, unknown> = {}) => ({
    id,
    status,
    taskDefinition,
    rolloutState,
    desiredCount: 2,
    runningCount: 1,
    ...extra,
  });

  it.each<[string, Parameters<typeof readRollout>[0], ReturnType<typeof readRollout>]>([
    [
      "completed",
      { status: "ACTIVE", deployments: [dep("ecs-svc/new", "PRIMARY", NEW, "COMPLETED", { runningCount: 2 })] },
      { state: "completed", running: 2 },
    ],
    [
      "rolling",
      {
        status: "ACTIVE",
        deployments: [dep("ecs-svc/new", "PRIMARY", NEW, "IN_PROGRESS", { failedTasks: 1 }), dep("ecs-svc/old", "ACTIVE", OLD, "COMPLETED")],
      },
      { state: "in-progress", summary: "1 of 2 tasks of f:8 running, 1 failed to start (IN_PROGRESS)" },
    ],
    [
      "an early read that still shows the old primary",
      { status: "ACTIVE", deployments: [dep("ecs-svc/old", "PRIMARY", OLD, "COMPLETED")] },
      { state: "in-progress", summary: "waiting for ECS to show the new deployment" },
    ],
    [
      "the circuit breaker failing it while it is still primary",
      {
        status: "ACTIVE",
        deployments: [dep("ecs-svc/new", "PRIMARY", NEW, "FAILED", { rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start." })],
      },
      { state: "rolled-back", serving: OLD, reason: "ECS deployment circuit breaker: tasks failed to start." },
    ],
    [
      "the rollback deployment (the old revision) as the new primary",
      {
        status: "ACTIVE",
        deployments: [
          dep("ecs-svc/rollback", "PRIMARY", OLD, "IN_PROGRESS"),
          dep("ecs-svc/new", "ACTIVE", NEW, "FAILED", { rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start." }),
        ],
      },
      { state: "rolled-back", serving: OLD, reason: "ECS deployment circuit breaker: tasks failed to start." },
    ],
    [
      "the rollback after the failed deployment is gone",
      { status: "ACTIVE", deployments: [dep("ecs-svc/rollback", "PRIMARY", OLD, "COMPLETED")] },
      { state: "rolled-back", serving: OLD, reason: "the deployment is no longer the service's primary one" },
    ],
    [
      "another deploy's revision as the new primary",
      { status: "ACTIVE", deployments: [dep("ecs-svc/other", "PRIMARY", "arn:aws:ecs:r:1:task-definition/f:9", "IN_PROGRESS")] },
      { state: "replaced", serving: "arn:aws:ecs:r:1:task-definition/f:9" },
    ],
    ["a deleted service", { status: "DRAINING", deployments: [] }, { state: "failed", reason: "the service is DRAINING" }],
  ])("reads %s", (_w, service, rollout) => {
    expect(readRollout(service, track)).toEqual(rollout);
  });

  it("finds the deploy's deployment by revision when UpdateService named no deployment id", () => {
    const service = { status: "ACTIVE", deployments: [dep("x", "PRIMARY", NEW, "COMPLETED")] };
    expect(readRollout(service, { newArn: NEW, oldArn: OLD })).toEqual({ state: "completed", running: 1 });
  });
});
