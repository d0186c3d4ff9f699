// The scale stack with its ECS tasks in private subnets (berth:cluster.taskSubnets: private) and its
// app scaling on requests per task, as planned: what switching from public subnets changes (the task
// network appears, the services' network settings change in place, nothing of the host, the database,
// the load balancer or the cluster), what the tasks reach, and the policy pack passing on it while
// still firing on anything wider. Pulumi.scale.yaml itself keeps the public subnets (the cheaper default).
import { beforeAll, describe, expect, it } from "vitest";
import { diffSnapshots, type PlanDiff } from "../../cli/planDiff";
import { toSnapshot } from "../../cli/snapshot";
import { policies, vpcEndpointsFromTasksOnly, databaseFromHostOnly } from "../../policy/policies";
import { evaluatePolicies, runPolicies } from "../helpers/policyHarness";
import { run, section, sharedRun, stackWith, type RecordedResource, type RunResult } from "../helpers/stack";

type App = Record<string, unknown>;
const cluster = section("scale", "cluster");
const proxy = section("scale", "proxy") as { apps: App[] };

let scale: RunResult;
let priv: RunResult;
let requests: RunResult;
beforeAll(async () => {
  scale = await sharedRun("scale");
  priv = await run(stackWith("scale", { cluster: { ...cluster, taskSubnets: "private" } }));
  const apps = proxy.apps.map((a) => (a.runtime === "ecs" ? { ...a, scaleOn: { metric: "requests", target: 1000 } } : a));
  requests = await run(stackWith("scale", { proxy: { ...proxy, apps } }));
});

const byName = (r: RunResult, name: string): RecordedResource => {
  const found = r.resources.find((x) => x.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const diff = (a: RunResult, b: RunResult): PlanDiff => diffSnapshots(toSnapshot(a), toSnapshot(b));
const names = (d: PlanDiff, action: string): string[] =>
  d.resources
    .filter((r) => r.action === action)
    .map((r) => r.name)
    .sort();

describe("switching the tasks from public to private subnets", () => {
  it("adds the task network and updates the two services and the job's schedule in place; nothing is replaced or removed", () => {
    const d = diff(scale, priv);
    expect(names(d, "replace")).toEqual([]);
    expect(names(d, "remove")).toEqual([]);
    expect(names(d, "update")).toEqual(["ecs-shop-backend-job-nightly-report", "ecs-shop-backend-service", "ecs-shop-frontend-service"]);
    expect(
      names(d, "add").every((n) => n === "task-network" || n.startsWith("task-network-")),
      names(d, "add").join(", "),
    ).toBe(true);
    // The services' network, and the same network in the job's RunTask target.
    for (const r of d.resources.filter((x) => x.action === "update"))
      expect(r.changes.every((c) => c.path.startsWith("networkConfiguration.") || c.path.startsWith("target.ecsParameters.networkConfiguration."))).toBe(true);
    expect(d.dangers).toEqual([]);
  });

  it("never touches the host, the database, the load balancer, the cluster or the public and database subnets", () => {
    const d = diff(scale, priv);
    const touched = new Set(d.resources.map((r) => r.name));
    for (const n of [
      "host-instance",
      "host-eip",
      "database-instance",
      "network-vpc",
      "network-public-1",
      "network-database-1",
      "network-database-rt",
      "alb-alb",
      "alb-sg",
      "ecs-cluster",
      "ecs-tasks-sg",
    ]) {
      expect(
        scale.resources.some((r) => r.name === n),
        n,
      ).toBe(true);
      expect(touched.has(n), n).toBe(false);
    }
  });

  it("goes back the same way: private to public removes the task network and updates the services, nothing else", () => {
    const d = diff(priv, scale);
    expect(names(d, "add")).toEqual([]);
    expect(names(d, "replace")).toEqual([]);
    expect(names(d, "update")).toEqual(["ecs-shop-backend-job-nightly-report", "ecs-shop-backend-service", "ecs-shop-frontend-service"]);
    expect(names(d, "remove").every((n) => n === "task-network" || n.startsWith("task-network-"))).toBe(true);
  });
});

describe("private task subnets", () => {
  it("run the tasks without a public IP in the two task subnets, started only once every endpoint exists", () => {
    const subnets = priv.resources.filter((r) => r.name.match(/^task-network-tasks-\d$/));
    expect(subnets.map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone, s.inputs.mapPublicIpOnLaunch])).toEqual([
      ["10.40.16.0/20", "ap-northeast-2a", false],
      ["10.40.32.0/20", "ap-northeast-2c", false],
    ]);
    const endpoints = priv.resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
    for (const part of ["frontend", "backend"]) {
      const svc = byName(priv, `ecs-shop-${part}-service`);
      expect(svc.inputs.networkConfiguration).toEqual({
        assignPublicIp: false,
        securityGroups: [byName(priv, "ecs-tasks-sg").id],
        subnets: subnets.map((s) => s.id),
      });
      for (const e of endpoints) expect(svc.options.propertyDependencies.networkConfiguration, e.name).toContain(e.urn);
    }
  });

  it("route nothing out: the task route table has no route, and only the task subnets use it", () => {
    expect(byName(priv, "task-network-rt").inputs.routes).toEqual([]);
    const associations = priv.resources.filter(
      (r) => r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && r.inputs.routeTableId === byName(priv, "task-network-rt").id,
    );
    expect(associations.map((a) => a.name)).toEqual(["task-network-tasks-1-rta", "task-network-tasks-2-rta"]);
    expect(
      priv.resources.filter((r) => r.type === "aws:ec2/natGateway:NatGateway" || r.type === "aws:ec2/internetGateway:InternetGateway").map((r) => r.name),
    ).toEqual(["network-igw"]);
  });

  it("reach ECR, CloudWatch Logs and SSM through endpoints with private DNS, and ECR's layers through the S3 gateway endpoint", () => {
    const endpoints = priv.resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
    expect(endpoints.map((e) => [e.inputs.serviceName, e.inputs.vpcEndpointType, e.inputs.privateDnsEnabled ?? null])).toEqual([
      ["com.amazonaws.ap-northeast-2.s3", "Gateway", null],
      ["com.amazonaws.ap-northeast-2.ecr.api", "Interface", true],
      ["com.amazonaws.ap-northeast-2.ecr.dkr", "Interface", true],
      ["com.amazonaws.ap-northeast-2.logs", "Interface", true],
      ["com.amazonaws.ap-northeast-2.ssm", "Interface", true],
    ]);
    expect(byName(priv, "task-network-s3").inputs.routeTableIds).toEqual([byName(priv, "task-network-rt").id]);
    expect(String(byName(priv, "task-network-s3").inputs.policy)).toContain('"Resource":"arn:aws:s3:::prod-ap-northeast-2-starport-layer-bucket/*"');
  });

  it("admit only HTTPS from the tasks' group at the endpoints", () => {
    const rules = priv.resources.filter(
      (r) =>
        r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.securityGroupId === byName(priv, "task-network-endpoints-sg").id,
    );
    expect(rules.map((r) => [r.name, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4])).toEqual([
      ["task-network-endpoints-in-ecs-tasks", "tcp", 443, 443, byName(priv, "ecs-tasks-sg").id, undefined],
    ]);
  });
});

describe("private task subnets: policy pack", () => {
  it("passes every Berth policy", async () => {
    const { violations } = await evaluatePolicies(policies, priv);
    expect(violations).toEqual([]);
  });

  /** The private run with the endpoints' rule patched; a referenced group is also what the value depends on. */
  const patched = (patch: Record<string, unknown>, from?: string): RunResult => ({
    ...priv,
    resources: priv.resources.map((x) => {
      if (x.name !== "task-network-endpoints-in-ecs-tasks") return x;
      const propertyDependencies = from
        ? { ...x.options.propertyDependencies, referencedSecurityGroupId: [byName(priv, from).urn] }
        : x.options.propertyDependencies;
      return { ...x, inputs: { ...x.inputs, ...patch }, state: { ...x.state, ...patch }, options: { ...x.options, propertyDependencies } };
    }),
  });

  it.each<[string, () => Record<string, unknown>, string | undefined, RegExp]>([
    ["all ports from the tasks' group", () => ({ fromPort: 0, toPort: 65535 }), undefined, /opens tcp 0-65535 on the VPC endpoints/],
    ["all traffic from the tasks' group", () => ({ ipProtocol: "-1" }), undefined, /opens all 0-65535 on the VPC endpoints/],
    [
      "the VPC's CIDR instead of the group",
      () => ({ referencedSecurityGroupId: undefined, cidrIpv4: "10.40.0.0/16" }),
      undefined,
      /admits 10\.40\.0\.0\/16 to the VPC endpoints/,
    ],
    [
      "the load balancer's group",
      () => ({ referencedSecurityGroupId: byName(priv, "alb-sg").id }),
      "alb-sg",
      /admits another security group or prefix list to the VPC endpoints/,
    ],
    ["the host's group", () => ({ referencedSecurityGroupId: byName(priv, "firewall-host-sg").id }), "firewall-host-sg", /admits another security group/],
  ])("still fires when the endpoints admit %s", async (_what, patch, from, fires) => {
    const violations = await runPolicies([vpcEndpointsFromTasksOnly], patched(patch(), from));
    expect(violations.map((v) => v.message).join("\n")).toMatch(fires);
  });

  it("keeps the database rule as it was: the tasks' group, wherever the tasks run", async () => {
    expect(await runPolicies([databaseFromHostOnly], priv)).toEqual([]);
  });
});

describe("scaling on requests per task", () => {
  it("labels each part's policy with the load balancer's and its target group's ARN suffixes", () => {
    const alb = byName(requests, "alb-alb").state.arnSuffix as string;
    expect(alb).toMatch(/^app\/berth-scale-alb\/[0-9a-f]{16}$/);
    for (const part of ["frontend", "backend"]) {
      const tg = byName(requests, `ecs-shop-${part}-tg`).state.arnSuffix as string;
      expect(tg).toMatch(new RegExp(`^targetgroup/berth-scale-shop-${part}-\\d+/[0-9a-f]{16}$`));
      expect(byName(requests, `ecs-shop-${part}-scaling-requests`).inputs.targetTrackingScalingPolicyConfiguration).toEqual({
        predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: `${alb}/${tg}` },
        targetValue: 1000,
        scaleInCooldown: 120,
        scaleOutCooldown: 60,
      });
    }
    expect(requests.resources.filter((r) => r.name.endsWith("-scaling-cpu"))).toEqual([]);
  });

  it("replaces the CPU policy by a requests policy and changes nothing else", () => {
    const d = diff(scale, requests);
    expect(names(d, "add")).toEqual(["ecs-shop-backend-scaling-requests", "ecs-shop-frontend-scaling-requests"]);
    expect(names(d, "remove")).toEqual(["ecs-shop-backend-scaling-cpu", "ecs-shop-frontend-scaling-cpu"]);
    expect(names(d, "update")).toEqual([]);
    expect(names(d, "replace")).toEqual([]);
  });
});
