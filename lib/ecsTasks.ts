// What an ECS app part's task gets, as data: the ECR lifecycle policy, the container definitions
// (the app contract: PORT, clear env, secrets and the database by SSM parameter ARN, multi-line secrets
// as read-only files under /run/secrets, awslogs to the app's log group) and the IAM policy documents
// of the task's execution role and of CI. Pure: the Cluster components feed resolved ARNs in and put
// the JSON text on resources.
import { SECRETS_MOUNT } from "./appRuntime";

/** The ECR lifecycle policy: expire untagged images after a day, keep the newest `keep` images. */
export function ecrLifecyclePolicy(keep: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: "Expire untagged images (layers of failed or replaced pushes) after a day",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${keep} images (immutable tags: one tag each)`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  });
}

/** One container of a part's task. */
export interface ContainerInput {
  /** The container's name (the part: `frontend` or `backend`); the target group points at it. */
  readonly name: string;
  /** `<repository url>:<tag>`. */
  readonly image: string;
  readonly containerPort: number;
  /** Clear values (berth: env); PORT is added. */
  readonly env: Readonly<Record<string, string>>;
  /** NAME -> SSM parameter ARN, for the app's secrets and database values the container gets as env values. */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * NAME -> SSM parameter ARN, for the multi-line secrets (lib/appRuntime.ts secretIsFile): the app
   * container gets `<NAME>_FILE` and the file, never the value. None when unset.
   */
  readonly fileSecrets?: Readonly<Record<string, string>>;
  readonly logGroup: string;
  readonly region: string;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
}

/** The task-scoped volume (a Fargate bind mount, gone with the task) that carries the multi-line secrets. */
export const SECRETS_VOLUME = "berth-secrets";

/** Mode of each secret file: the host's (components/render/appEnv.ts), readable by the app whatever user its image runs as. */
export const SECRET_FILE_MODE = "0444";

/** The init container of a part whose multi-line secrets become files: `<part>-secrets`. */
export function secretsInitName(part: string): string {
  return `${part}-secrets`;
}

/**
 * The init container's shell script: each multi-line secret, from the env value ECS put in that
 * container only, written byte for byte (printf '%s' adds and drops nothing) to /run/secrets/<NAME> and
 * made read-only. Names are env names (A-Z, 0-9, _), so they need no quoting.
 */
export function secretsInitScript(names: readonly string[]): string {
  return [
    "set -eu",
    ...[...names].sort().flatMap((n) => [`printf '%s' "$${n}" > ${SECRETS_MOUNT}/${n}`, `chmod ${SECRET_FILE_MODE} ${SECRETS_MOUNT}/${n}`]),
  ].join("\n");
}

/** awslogs to the app's log group under `prefix` (one stream prefix per container). */
function awslogs(c: ContainerInput, prefix: string): Record<string, unknown> {
  return {
    logDriver: "awslogs",
    options: {
      "awslogs-group": c.logGroup,
      "awslogs-region": c.region,
      "awslogs-stream-prefix": prefix,
      // As on the host: an unreachable CloudWatch must never stall the app.
      mode: "non-blocking",
      "max-buffer-size": "25m",
    },
  };
}

const byName = (values: Readonly<Record<string, string>>, key: "value" | "valueFrom"): Array<Record<string, string>> =>
  Object.keys(values)
    .sort()
    .map((name) => ({ name, [key]: values[name] }));

/**
 * The task definition's `containerDefinitions` JSON. Env and secrets sorted by name, so the text
 * (and so the task definition) changes only when a value or a parameter changes. With multi-line
 * secrets a second, non-essential container of the same image (so a deploy that swaps the part's image
 * swaps both) writes them to the task's own volume first; the app container waits for it to exit 0,
 * mounts the volume read-only at /run/secrets and gets `<NAME>_FILE`, never the values themselves.
 * Without any, the text is what it always was.
 */
export function containerDefinitions(c: ContainerInput): string {
  const files = c.fileSecrets ?? {};
  const fileNames = Object.keys(files).sort();
  const clash = fileNames.find((n) => n in c.secrets || `${n}_FILE` in c.env || `${n}_FILE` in c.secrets);
  if (clash) throw new Error(`secret ${clash} is given twice (as a file and as an env value)`);
  const env: Record<string, string> = { ...c.env, PORT: String(c.containerPort) };
  for (const n of fileNames) env[`${n}_FILE`] = `${SECRETS_MOUNT}/${n}`;
  const app: Record<string, unknown> = {
    name: c.name,
    image: c.image,
    essential: true,
    portMappings: [{ containerPort: c.containerPort, protocol: "tcp" }],
    environment: byName(env, "value"),
    secrets: byName(c.secrets, "valueFrom"),
    stopTimeout: c.stopTimeoutSeconds,
    readonlyRootFilesystem: false,
    logConfiguration: awslogs(c, c.name),
  };
  if (fileNames.length === 0) return JSON.stringify([app]);
  const init = secretsInitName(c.name);
  app.mountPoints = [{ sourceVolume: SECRETS_VOLUME, containerPath: SECRETS_MOUNT, readOnly: true }];
  app.dependsOn = [{ containerName: init, condition: "SUCCESS" }];
  return JSON.stringify([
    app,
    {
      name: init,
      image: c.image,
      essential: false,
      // The bind mount is root's (mode 0755) whatever user the image runs as; only root may write it.
      user: "0",
      entryPoint: ["/bin/sh", "-c"],
      command: [secretsInitScript(fileNames)],
      secrets: byName(files, "valueFrom"),
      mountPoints: [{ sourceVolume: SECRETS_VOLUME, containerPath: SECRETS_MOUNT, readOnly: false }],
      readonlyRootFilesystem: false,
      logConfiguration: awslogs(c, init),
    },
  ]);
}

/** The task definition's `volumes`: the secrets volume when a part has multi-line secrets (by name), else none. */
export function taskVolumes(fileSecretNames: readonly string[]): Array<{ readonly name: string }> {
  return fileSecretNames.length > 0 ? [{ name: SECRETS_VOLUME }] : [];
}

/** An IAM policy document statement. */
export interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** What one app's task execution role reaches: its repositories, its log group, its parameters and the key. */
export interface ExecutionPolicyInput {
  readonly repositoryArns: readonly string[];
  readonly logGroupArn: string;
  readonly parameterArns: readonly string[];
  readonly kmsKeyArn: string;
}

/**
 * The execution role's policy (what ECS does for the task before it starts): pull the app's images,
 * write its log streams, read its parameters and decrypt them with the stack's key. Nothing else;
 * `ecr:GetAuthorizationToken` cannot be scoped below `*` (ECR's rule).
 */
export function executionRolePolicy(p: ExecutionPolicyInput): string {
  const statements: Statement[] = [
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "PullAppImages",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: [...p.repositoryArns],
    },
    { Sid: "WriteAppLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${p.logGroupArn}:log-stream:*` },
  ];
  if (p.parameterArns.length > 0) {
    statements.push({ Sid: "ReadAppParameters", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [...p.parameterArns] });
    statements.push({ Sid: "DecryptAppParameters", Effect: "Allow", Action: ["kms:Decrypt"], Resource: p.kmsKeyArn });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** The trust policy of roles ECS tasks assume. */
export const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** What CI may touch: the stack's repositories, services, the parts' task definition families and the roles tasks run as. */
export interface CiPolicyInput {
  readonly repositoryArns: readonly string[];
  readonly serviceArns: readonly string[];
  readonly roleArns: readonly string[];
  /**
   * The parts' families as ARNs without a revision (taskFamilyArn): the ones each deploy registers
   * its revision in and runs the release of. Never the stack's `-shape` families, which CI only reads.
   */
  readonly familyArns: readonly string[];
  readonly clusterArn: string;
}

/** `arn:...:cluster/name` and a family -> `arn:...:task-definition/<family>` (no revision), in the cluster's partition, region and account. */
export function taskFamilyArn(clusterArn: string, family: string): string {
  const m = /^(arn:[^:]+:ecs:[^:]+:\d{12}):cluster\/[^/]+$/.exec(clusterArn);
  if (!m) throw new Error(`${clusterArn} is not an ECS cluster ARN`);
  return `${m[1]}:task-definition/${family}`;
}

/** `arn:...:task-definition/family` -> `arn:...:task-definition/family:*` (every revision of the family). */
export function everyRevision(familyArn: string): string {
  return `${familyArn}:*`;
}

/** `arn:...:cluster/name` -> `arn:...:task/name/*` (the cluster's tasks). */
export function clusterTasksArn(clusterArn: string): string {
  return clusterArn.replace(/:cluster\/([^/]+)$/, ":task/$1/*");
}

/**
 * The CI role's policy (OIDC, as aws-actions/amazon-ecr-login expects): push to these repositories
 * and look a tag up in them (the deploy refuses an unknown tag before it registers anything), read
 * the stack's shape revision and register the deploy's revision in the part's family (with the tags
 * the shape carries: ECS authorizes tags given on create as ecs:TagResource, allowed here for that
 * action on the parts' families only), deploy these services only, run the release task (a
 * revision of those families) in the cluster, and pass the tasks' roles to ECS and nothing else.
 */
export function ciPolicy(p: CiPolicyInput): string {
  const families = [...new Set(p.familyArns)];
  const statements: Statement[] = [
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "PushAppImages",
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
      ],
      Resource: [...p.repositoryArns],
    },
    { Sid: "FindAppImages", Effect: "Allow", Action: ["ecr:DescribeImages"], Resource: [...p.repositoryArns] },
    // RegisterTaskDefinition and DescribeTaskDefinition take no resource-level permissions.
    { Sid: "TaskDefinitions", Effect: "Allow", Action: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], Resource: "*" },
    {
      Sid: "TagNewRevisions",
      Effect: "Allow",
      Action: ["ecs:TagResource"],
      Resource: families.map(everyRevision),
      Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
    },
    { Sid: "DeployServices", Effect: "Allow", Action: ["ecs:DescribeServices", "ecs:UpdateService"], Resource: [...p.serviceArns] },
    { Sid: "ReleaseTasks", Effect: "Allow", Action: ["ecs:RunTask"], Resource: families.map(everyRevision) },
    { Sid: "WatchReleaseTasks", Effect: "Allow", Action: ["ecs:DescribeTasks", "ecs:StopTask"], Resource: clusterTasksArn(p.clusterArn) },
    { Sid: "PassTaskRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: [...p.roleArns] },
  ];
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
