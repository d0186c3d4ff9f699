// EcsApps on its own (public mock API): minimal and full args, and what it refuses.
import { beforeEach, describe, expect, it } from "vitest";
import { EcsApps, type EcsAppSettings, type EcsAppsArgs } from "../../components/ecsApps";
import { ACCOUNT, REGION, failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const health = { path: "/", intervalSeconds: 10, timeoutSeconds: 5, successes: 2, failures: 3 };
const part = { containerPort: 3000, cpu: 256, memory: 512, health, env: {}, secrets: [] };
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
