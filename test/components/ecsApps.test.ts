// EcsApps on its own (public mock API): minimal and full args, and what it refuses.
import { beforeEach, describe, expect, it } from "vitest";
import { EcsApps, type EcsAppSettings, type EcsAppsArgs } from "../../components/ecsApps";
import { ACCOUNT, REGION, failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const health = { path: "/", intervalSeconds: 10, timeoutSeconds: 5, successes: 2, failures: 3 };
const part = { containerPort: 3000, cpu: 256, memory: 512, health, env: {}, secrets: [], releaseTimeoutSeconds: 600 };
const web: EcsAppSettings = { name: "web", hostnames: ["web.example.org"], frontend: part, backendPath: "/api", desiredCount: 1, minCount: 1, maxCount: 1 };

function args(over: Partial<EcsAppsArgs> = {}): EcsAppsArgs {
  return {
    apps: [web],
    settings: { containerInsights: false, deregistrationDelaySeconds: 5, stopTimeoutSeconds: 30 },
    secrets: {},
    databaseEnv: {},
    logGroups: { web: { name: "/berth/test/apps/web", arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/berth/test/apps/web` } },
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b"],
    loadBalancer: { securityGroupId: "sg-alb", httpsListenerArn: "arn:listener" },
    keepImages: 5,
    region: REGION,
    naming,
    ...over,
  };
}

const resources = {
  "aws:lb/targetGroup:TargetGroup": (_n: string, i: Record<string, unknown>) => ({
    state: {
      arn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${String(i.name)}/6d0b3d8c5e3a1f20`,
      arnSuffix: `targetgroup/${String(i.name)}/6d0b3d8c5e3a1f20`,
    },
  }),
  "aws:ecr/repository:Repository": (_n: string, i: Record<string, unknown>) => ({
    state: {
      arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${String(i.name)}`,
      repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${String(i.name)}`,
    },
  }),
  "aws:ssm/parameter:Parameter": (_n: string, i: Record<string, unknown>) => ({
    state: { arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${String(i.name)}` },
  }),
  "aws:kms/key:Key": () => ({ state: { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-1`, keyId: "k-1" } }),
  "aws:ecs/cluster:Cluster": (_n: string, i: Record<string, unknown>) => ({ state: { arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${String(i.name)}` } }),
  "aws:ecs/taskDefinition:TaskDefinition": (_n: string, i: Record<string, unknown>) => ({
    state: { arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${String(i.family)}:1` },
  }),
};

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents({ resources });
});

describe("EcsApps", () => {
  it("minimal args (one front end, fixed count): cluster, key, repository, task, target group, rule, service; no parameters, no autoscaling", async () => {
    const apps = new EcsApps("ecs", args(), m.opts);
    expect(await valueOf(apps.clusterName)).toBe("berth-test-apps");
    await m.settle();
    expect(m.one("aws:ecr/repository:Repository").inputs).toMatchObject({ name: "test/web-frontend", imageTagMutability: "IMMUTABLE" });
    expect(m.ofType("aws:ssm/parameter:Parameter")).toEqual([]);
    expect(m.ofType("aws:appautoscaling/target:Target")).toEqual([]);
    expect(m.one("aws:lb/targetGroup:TargetGroup").inputs).toMatchObject({ name: "berth-test-web-frontend-3000", port: 3000, targetType: "ip" });
    expect(m.one("aws:lb/listenerRule:ListenerRule").inputs.conditions).toEqual([{ hostHeader: { values: ["web.example.org"] } }]);
    expect(m.one("aws:ecs/service:Service").inputs).toMatchObject({ name: "web-frontend", desiredCount: 1, deploymentMinimumHealthyPercent: 100 });
    expect(m.one("aws:ecs/cluster:Cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "disabled" }]);
    const [container] = JSON.parse(String(m.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions)) as Array<Record<string, unknown>>;
    expect(container.secrets).toEqual([]);
    expect(container.environment).toEqual([{ name: "PORT", value: "3000" }]);
  });

  it("full args (back end, secrets, database, autoscaling): parameters by ARN, the /api rule first, CPU target tracking", async () => {
    const full: EcsAppSettings = { ...web, backend: { ...part, containerPort: 8080, secrets: ["API_TOKEN"] }, desiredCount: 2, minCount: 2, maxCount: 4 };
    const db = { DATABASE_URL: "mysql://web:pw@db:3306/web", DB_HOST: "db", DB_PORT: "3306", DB_NAME: "web", DB_USER: "web", DB_PASSWORD: "pw" };
    const apps = new EcsApps("ecs", args({ apps: [full], secrets: { web: { API_TOKEN: "t0ken" } }, databaseEnv: { web: db } }), m.opts);
    expect(Object.keys(apps.parts)).toEqual(["web-frontend", "web-backend"]);
    await m.settle();
    const params = m.ofType("aws:ssm/parameter:Parameter").map((p) => String(p.inputs.name));
    expect(params.filter((n) => n.startsWith("/berth/test/web/backend/")).sort()).toEqual(
      ["API_TOKEN", "DATABASE_URL", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER"].map((n) => `/berth/test/web/backend/${n}`),
    );
    const rules = m.ofType("aws:lb/listenerRule:ListenerRule");
    const backRule = rules.find((r) => r.name.includes("backend"))!;
    const frontRule = rules.find((r) => r.name.includes("frontend"))!;
    expect(Number(backRule.inputs.priority)).toBeLessThan(Number(frontRule.inputs.priority));
    expect(m.ofType("aws:appautoscaling/target:Target").map((t) => [t.inputs.minCapacity, t.inputs.maxCapacity])).toEqual([
      [2, 4],
      [2, 4],
    ]);
    expect(m.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId])).toEqual([
      [3000, "sg-alb"],
      [8080, "sg-alb"],
    ]);
  });

  it("tells the deploy, per app and part, the cluster, service, family, the stack's shape family and revision, container, repository, release and network of the service", async () => {
    const full: EcsAppSettings = { ...web, backend: { ...part, containerPort: 8080, release: ["bin/migrate", "--up"], releaseTimeoutSeconds: 120 } };
    const apps = new EcsApps("ecs", args({ apps: [full] }), m.opts);
    const targets = await valueOf(apps.deployTargets);
    await m.settle();
    const sg = "ecs-tasks-sg-id"; // the mocks' id of ecs-tasks-sg
    const common = { region: REGION, cluster: "berth-test-apps", subnets: ["subnet-a", "subnet-b"], securityGroups: [sg], assignPublicIp: true };
    expect(targets).toEqual({
      web: {
        frontend: {
          ...common,
          service: "web-frontend",
          family: "berth-test-web-frontend",
          shapeFamily: "berth-test-web-frontend-shape",
          taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-test-web-frontend-shape:1`,
          container: "frontend",
          repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/test/web-frontend`,
          release: [],
          releaseTimeoutSeconds: 600,
        },
        backend: {
          ...common,
          service: "web-backend",
          family: "berth-test-web-backend",
          shapeFamily: "berth-test-web-backend-shape",
          taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-test-web-backend-shape:1`,
          container: "backend",
          repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/test/web-backend`,
          release: ["bin/migrate", "--up"],
          releaseTimeoutSeconds: 120,
        },
      },
    });
    // The stack registers the shape in its own family, and the service starts on that revision.
    expect(m.ofType("aws:ecs/taskDefinition:TaskDefinition").map((td) => td.inputs.family)).toEqual([
      "berth-test-web-frontend-shape",
      "berth-test-web-backend-shape",
    ]);
    expect(m.ofType("aws:ecs/service:Service").map((svc) => svc.inputs.taskDefinition)).toEqual([
      targets.web.frontend!.taskDefinition,
      targets.web.backend!.taskDefinition,
    ]);
    // The same network the service's tasks get, and the container its load balancer targets.
    const services = m.ofType("aws:ecs/service:Service");
    for (const svc of services) {
      const role = String(svc.inputs.name).replace("web-", "") as "frontend" | "backend";
      expect(svc.inputs.networkConfiguration).toEqual({ subnets: common.subnets, securityGroups: [sg], assignPublicIp: true });
      expect((svc.inputs.loadBalancers as Array<{ containerName: string }>)[0].containerName).toBe(targets.web[role]!.container);
    }
  });

  it("runs tasks without a public IP when told to (private subnets behind VPC endpoints)", async () => {
    new EcsApps("ecs", args({ subnetIds: ["subnet-p1", "subnet-p2"], assignPublicIp: false }), m.opts);
    await m.settle();
    expect(m.one("aws:ecs/service:Service").inputs.networkConfiguration).toEqual({
      subnets: ["subnet-p1", "subnet-p2"],
      securityGroups: ["ecs-tasks-sg-id"],
      assignPublicIp: false,
    });
  });

  it("tracks requests per target with the label app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>", async () => {
    const scaling: EcsAppSettings = { ...web, desiredCount: 2, minCount: 2, maxCount: 5, scaleOn: { metric: "requests", target: 750 } };
    const lb = { securityGroupId: "sg-alb", httpsListenerArn: "arn:listener", arnSuffix: "app/berth-test-alb/50dc6c495c0c9188" };
    new EcsApps("ecs", args({ apps: [scaling], loadBalancer: lb }), m.opts);
    await m.settle();
    const policy = m.one("aws:appautoscaling/policy:Policy");
    expect(policy.name).toBe("ecs-web-frontend-scaling-requests");
    expect(policy.inputs.targetTrackingScalingPolicyConfiguration).toEqual({
      predefinedMetricSpecification: {
        predefinedMetricType: "ALBRequestCountPerTarget",
        resourceLabel: "app/berth-test-alb/50dc6c495c0c9188/targetgroup/berth-test-web-frontend-3000/6d0b3d8c5e3a1f20",
      },
      targetValue: 750,
      scaleInCooldown: 120,
      scaleOutCooldown: 60,
    });
  });

  it("keeps 60 % CPU without scaleOn, under the policy's old name", async () => {
    new EcsApps("ecs", args({ apps: [{ ...web, desiredCount: 2, minCount: 2, maxCount: 3 }] }), m.opts);
    await m.settle();
    const policy = m.one("aws:appautoscaling/policy:Policy");
    expect(policy.name).toBe("ecs-web-frontend-scaling-cpu");
    expect(policy.inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
      predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
      targetValue: 60,
    });
  });

  it("refuses requests scaling without the load balancer's ARN suffix, or with one that is no ALB's", async () => {
    const scaling: EcsAppSettings = { ...web, desiredCount: 2, minCount: 2, maxCount: 5, scaleOn: { metric: "requests", target: 750 } };
    expect((await failure(() => new EcsApps("ecs", args({ apps: [scaling] }), m.opts))).message).toMatch(
      /scales on requests, but the load balancer's ARN suffix/,
    );
    const nlb = { securityGroupId: "sg-alb", httpsListenerArn: "arn:listener", arnSuffix: "net/berth-test-nlb/50dc6c495c0c9188" };
    expect((await failure(() => new EcsApps("ecs2", args({ apps: [scaling], loadBalancer: nlb }), m.opts))).message).toMatch(
      /app web: the load balancer's ARN suffix "net\/berth-test-nlb\/50dc6c495c0c9188" is not app\/<name>\/<id>/,
    );
  });

  it("refuses no apps, a declared secret without a value, and an app without a log group", async () => {
    expect((await failure(() => new EcsApps("ecs", args({ apps: [] }), m.opts))).message).toMatch(/at least one app with runtime: ecs/);
    const withSecret = { ...web, frontend: { ...part, secrets: ["API_TOKEN"] } };
    expect((await failure(() => new EcsApps("ecs2", args({ apps: [withSecret] }), m.opts))).message).toMatch(/declares the secret API_TOKEN but no value/);
    expect((await failure(() => new EcsApps("ecs3", args({ logGroups: {} }), m.opts))).message).toMatch(/app web has no log group/);
  });
});

describe("EcsApps: multi-line secrets", () => {
  it("writes a multi-line secret to a file by an init container; a single-line one stays an env value", async () => {
    const withSecrets: EcsAppSettings = { ...web, frontend: { ...part, secrets: ["API_TOKEN", "SIGNING_KEY"] } };
    new EcsApps(
      "ecs",
      args({ apps: [withSecrets], secrets: { web: { API_TOKEN: "t0ken", SIGNING_KEY: "-----BEGIN KEY-----\nabc\n-----END KEY-----\n" } } }),
      m.opts,
    );
    await m.settle();
    const td = m.one("aws:ecs/taskDefinition:TaskDefinition").inputs;
    expect(td.volumes).toEqual([{ name: "berth-secrets" }]);
    const [app, init] = JSON.parse(String(td.containerDefinitions)) as Array<Record<string, unknown>>;
    const arn = (n: string): string => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/berth/test/web/frontend/${n}`;
    expect(app.secrets).toEqual([{ name: "API_TOKEN", valueFrom: arn("API_TOKEN") }]);
    expect(app.environment).toContainEqual({ name: "SIGNING_KEY_FILE", value: "/run/secrets/SIGNING_KEY" });
    expect(app.dependsOn).toEqual([{ containerName: "frontend-secrets", condition: "SUCCESS" }]);
    expect(init).toMatchObject({
      name: "frontend-secrets",
      image: app.image,
      essential: false,
      secrets: [{ name: "SIGNING_KEY", valueFrom: arn("SIGNING_KEY") }],
    });
    // Both values are SecureString parameters the execution role reads; the multi-line one reaches the init container only.
    expect(m.ofType("aws:ssm/parameter:Parameter").map((x) => x.inputs.type)).toEqual(["SecureString", "SecureString"]);
  });

  it("gives a part with single-line secrets only no volume and no second container", async () => {
    new EcsApps("ecs", args({ apps: [{ ...web, frontend: { ...part, secrets: ["API_TOKEN"] } }], secrets: { web: { API_TOKEN: "t0ken" } } }), m.opts);
    await m.settle();
    const td = m.one("aws:ecs/taskDefinition:TaskDefinition").inputs;
    expect(td).not.toHaveProperty("volumes");
    expect((JSON.parse(String(td.containerDefinitions)) as unknown[]).length).toBe(1);
  });
});

describe("EcsApps: jobs", () => {
  const report = { name: "report", schedule: "Mon..Fri 07:30", command: ["node", "report.js"] };
  const withJobs: EcsAppSettings = {
    ...web,
    backend: { ...part, containerPort: 8080, jobs: [report, { ...report, name: "digest", schedule: "Sun *-*-* 04:00 Europe/Berlin" }] },
  };

  it("makes nothing of Scheduler without a job", async () => {
    new EcsApps("ecs", args(), m.opts);
    await m.settle();
    expect(m.resources.filter((r) => r.type.startsWith("aws:scheduler/"))).toEqual([]);
  });

  it("runs each job as a Scheduler schedule of RunTask: the part family's latest revision (never the shape family's), its network, the job's command, on the minute", async () => {
    const apps = new EcsApps("ecs", args({ apps: [withJobs] }), m.opts);
    await m.settle();
    expect(m.one("aws:scheduler/scheduleGroup:ScheduleGroup").inputs.name).toBe("berth-test-jobs");
    const schedule = m.one("aws:scheduler/schedule:Schedule", "ecs-web-backend-job-report");
    expect(schedule.inputs).toMatchObject({
      name: "web-report",
      groupName: "berth-test-jobs",
      scheduleExpression: "cron(30 7 ? * MON-FRI *)",
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
    });
    const target = schedule.inputs.target as Record<string, unknown>;
    expect(target).toMatchObject({
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/berth-test-apps`,
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 },
      ecsParameters: {
        // No revision: RunTask takes the family's latest ACTIVE revision. Only deploys register in this family
        // (the stack's revision is in berth-test-web-backend-shape), so that is the last deploy's, never `initial`.
        taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-test-web-backend`,
        launchType: "FARGATE",
        taskCount: 1,
        networkConfiguration: { subnets: ["subnet-a", "subnet-b"], assignPublicIp: true },
      },
    });
    expect(JSON.parse(String(target.input))).toEqual({ containerOverrides: [{ name: "backend", command: ["node", "report.js"] }] });
    const shape = m.ofType("aws:ecs/taskDefinition:TaskDefinition").find((td) => String(td.inputs.family).includes("backend"))!;
    expect(shape.inputs.family).toBe("berth-test-web-backend-shape");
    expect(m.one("aws:scheduler/schedule:Schedule", "ecs-web-backend-job-digest").inputs).toMatchObject({
      scheduleExpression: "cron(0 4 ? * SUN *)",
      scheduleExpressionTimezone: "Europe/Berlin",
    });
    expect(Object.keys(apps.parts["web-backend"].scheduleArns)).toEqual(["report", "digest"]);
    expect(apps.parts["web-frontend"].scheduleArns).toEqual({});
  });

  it("gives each job a role only the stack's account's Scheduler assumes, allowed RunTask of its family and its part's roles", async () => {
    new EcsApps("ecs", args({ apps: [withJobs] }), m.opts);
    await m.settle();
    const role = m.one("aws:iam/role:Role", "ecs-web-backend-job-report-role");
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: Array<Record<string, unknown>> };
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
    const policy = JSON.parse(String(m.one("aws:iam/rolePolicy:RolePolicy", "ecs-web-backend-job-report-policy").inputs.policy)) as {
      Statement: Array<{ Sid: string; Action: string[]; Resource: string[] }>;
    };
    const family = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-test-web-backend`;
    expect(policy.Statement.map((st) => [st.Sid, st.Action, st.Resource])).toEqual([
      ["RunJobTask", ["ecs:RunTask"], [family, `${family}:*`]],
      ["PassTaskRoles", ["iam:PassRole"], ["execution", "task"].map((r) => `arn:aws:iam::${ACCOUNT}:role/ecs-web-backend-${r}-0001`)],
    ]);
    expect(m.one("aws:scheduler/schedule:Schedule", "ecs-web-backend-job-report").dependsOn).toEqual(["ecs-web-backend-job-report-policy"]);
  });

  it("refuses a schedule without a Scheduler form (config refuses it first, naming the key)", async () => {
    const bad: EcsAppSettings = { ...web, frontend: { ...part, jobs: [{ ...report, schedule: "Mon *-*-01 00:00" }] } };
    expect((await failure(() => new EcsApps("ecs", args({ apps: [bad] }), m.opts))).message).toMatch(
      /job web\/report: schedule Mon \*-\*-01 00:00 it names weekdays/,
    );
  });
});
