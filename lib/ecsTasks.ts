// What an ECS app part's task gets, as data: the ECR lifecycle policy, the container definition
// (the app contract: PORT, clear env, secrets and the database by SSM parameter ARN, awslogs to the
// app's log group) and the IAM policy documents of the task's execution role and of CI. Pure: the
// Cluster components feed resolved ARNs in and put the JSON text on resources.

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
  /** NAME -> SSM parameter ARN, for the app's secrets and database values. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly logGroup: string;
  readonly region: string;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
}

/**
 * The task definition's `containerDefinitions` JSON. Env and secrets sorted by name, so the text
 * (and so the task definition) changes only when a value or a parameter changes.
 */
export function containerDefinitions(c: ContainerInput): string {
  const env: Record<string, string> = { ...c.env, PORT: String(c.containerPort) };
  return JSON.stringify([
    {
      name: c.name,
      image: c.image,
      essential: true,
      portMappings: [{ containerPort: c.containerPort, protocol: "tcp" }],
      environment: Object.keys(env)
        .sort()
        .map((name) => ({ name, value: env[name] })),
      secrets: Object.keys(c.secrets)
        .sort()
        .map((name) => ({ name, valueFrom: c.secrets[name] })),
      stopTimeout: c.stopTimeoutSeconds,
      readonlyRootFilesystem: false,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": c.logGroup,
          "awslogs-region": c.region,
          "awslogs-stream-prefix": c.name,
          // As on the host: an unreachable CloudWatch must never stall the app.
          mode: "non-blocking",
          "max-buffer-size": "25m",
        },
      },
    },
  ]);
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

/** What CI may touch: the stack's repositories, services, task definition families and the roles tasks run as. */
export interface CiPolicyInput {
  readonly repositoryArns: readonly string[];
  readonly serviceArns: readonly string[];
  readonly roleArns: readonly string[];
  /** Task definition ARNs (any revision): CI may run new revisions of these families only. */
  readonly taskDefinitionArns: readonly string[];
  readonly clusterArn: string;
}

/** `arn:...:task-definition/family:3` -> `arn:...:task-definition/family:*` (every revision of the family). */
export function familyArn(taskDefinitionArn: string): string {
  return taskDefinitionArn.replace(/:\d+$/, ":*");
}

/** `arn:...:cluster/name` -> `arn:...:task/name/*` (the cluster's tasks). */
export function clusterTasksArn(clusterArn: string): string {
  return clusterArn.replace(/:cluster\/([^/]+)$/, ":task/$1/*");
}

/**
 * The CI role's policy (OIDC, as aws-actions/amazon-ecr-login expects): push to these repositories
 * and look a tag up in them (the deploy refuses an unknown tag before it registers anything),
 * register task definitions (with the tags the stack's revision carries: ECS authorizes tags given
 * on create as ecs:TagResource, allowed here for that action on these families only) and deploy
 * these services only, run the release task in the cluster, and pass the tasks' roles to ECS and
 * nothing else.
 */
export function ciPolicy(p: CiPolicyInput): string {
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
      Resource: [...new Set(p.taskDefinitionArns.map(familyArn))],
      Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
    },
    { Sid: "DeployServices", Effect: "Allow", Action: ["ecs:DescribeServices", "ecs:UpdateService"], Resource: [...p.serviceArns] },
    { Sid: "ReleaseTasks", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [...new Set(p.taskDefinitionArns.map(familyArn))] },
    { Sid: "WatchReleaseTasks", Effect: "Allow", Action: ["ecs:DescribeTasks", "ecs:StopTask"], Resource: clusterTasksArn(p.clusterArn) },
    { Sid: "PassTaskRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: [...p.roleArns] },
  ];
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
