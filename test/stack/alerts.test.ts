// Alerts in the shipped stacks: prod has every alarm with the right metric, namespace, dimensions
// and actions, the host's agent config and check publish exactly what the alarms read, and
// changing the agent's config never touches the host or the database. dev ships without alerts.
import { beforeAll, describe, expect, it } from "vitest";
import { REPLACE_RULES } from "../../cli/replaceRules";
import type { AgentConfig } from "../../components/render/monitoring";
import { bundleFiles } from "../../lib/hostBundle";
import { AGENT_NAMESPACE, BERTH_NAMESPACE } from "../../lib/hostMetrics";
import { ofType, one, run, section, sharedRun, stackWith, type RecordedResource, type RunResult, changedNames } from "../helpers/stack";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC_ARN = "arn:aws:sns:ap-northeast-2:123456789012:berth-prod-alerts";
const NEVER = ["host-instance", "host-eip", "host-key-pair", "database-instance", "database-params", "database-subnets", "network-vpc"];

let prod: RunResult;
let dev: RunResult;
beforeAll(async () => {
  prod = await sharedRun("prod");
  dev = await sharedRun("dev");
});

interface PolicyDoc {
  Statement: Array<Record<string, unknown> & { Principal: { Service: string[] }; Resource: unknown }>;
}
const doc = (text: unknown): PolicyDoc => JSON.parse(String(text)) as PolicyDoc;

const alarm = (r: RunResult, role: string): RecordedResource => one(r, ALARM, `alerts-${role}`);
const delivered = (r: RunResult, path: string): string =>
  bundleFiles(String(one(r, "command:remote:Command", "monitoring-files-apply").inputs.stdin)).find((f) => f.path === path)!.content;

const changed = changedNames;

describe("prod", () => {
  it("has every alarm of the issue, named after the stack, on the stack's topic, with OK actions", () => {
    const names = ofType(prod, ALARM).map((a) => String(a.inputs.name));
    expect(names.sort()).toEqual(
      [
        "host-system-status",
        "host-instance-status",
        "host-disk-root",
        "host-disk-srv-berth",
        "host-memory",
        "db-free-storage",
        "db-free-storage-percent",
        "db-cpu",
        "db-memory",
        "db-connections",
        "docker-down",
        "nginx-down",
        "registry-down",
        "tls-expiry",
        "container-restarts",
        "deploy-failures",
        "shop-log-errors",
        "landing-log-errors",
      ]
        .map((r) => `berth-prod-alarm-${r}`)
        .sort(),
    );
    for (const a of ofType(prod, ALARM)) {
      expect(a.inputs.alarmActions, a.name).toContain(TOPIC_ARN);
      expect(a.inputs.okActions, a.name).toEqual([TOPIC_ARN]);
      expect(["missing", "breaching", "notBreaching"]).toContain(a.inputs.treatMissingData);
      expect(String(a.inputs.alarmDescription).length).toBeLessThanOrEqual(1024);
    }
  });

  it("counts each app's error lines in its own log group, in the metric its alarm reads", () => {
    const groups = ofType(prod, "aws:cloudwatch/logGroup:LogGroup").map((g) => String(g.inputs.name));
    const filters = ofType(prod, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
    expect(filters.map((f) => String(f.inputs.logGroupName)).sort()).toEqual(groups.filter((g) => g.startsWith("/berth/prod/apps/")).sort());
    for (const f of filters) {
      const app = String(f.inputs.logGroupName).split("/").pop()!;
      expect(f.inputs).toMatchObject({ name: `${app}-log-errors`, pattern: "?ERROR ?FATAL ?Traceback ?panic" });
      const transform = f.inputs.metricTransformation as Record<string, unknown>;
      expect(transform).toEqual({ namespace: BERTH_NAMESPACE, name: `AppLogErrors/prod/${app}`, value: "1", unit: "Count" });
      expect(alarm(prod, `${app}-log-errors`).inputs).toMatchObject({
        namespace: transform.namespace,
        metricName: transform.name,
        statistic: "Sum",
        period: 300,
        threshold: 10,
        treatMissingData: "notBreaching",
      });
      expect(alarm(prod, `${app}-log-errors`).inputs.dimensions ?? {}).toEqual({});
    }
    expect(filters).toHaveLength(2);
  });

  it("recovers the instance on a failed system status check (EC2's recover action), and only there", () => {
    const hostId = one(prod, "aws:ec2/instance:Instance").id;
    expect(alarm(prod, "host-system-status").inputs).toMatchObject({
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed_System",
      dimensions: { InstanceId: hostId },
      alarmActions: [TOPIC_ARN, "arn:aws:automate:ap-northeast-2:ec2:recover"],
    });
    const recovering = ofType(prod, ALARM).filter((a) => JSON.stringify(a.inputs.alarmActions).includes(":ec2:recover"));
    expect(recovering.map((a) => a.name)).toEqual(["alerts-host-system-status"]);
  });

  it("reads disk and memory with the dimensions the agent's delivered config publishes", () => {
    const hostId = one(prod, "aws:ec2/instance:Instance").id;
    const config = JSON.parse(delivered(prod, "/etc/berth/cloudwatch-agent.json")) as AgentConfig;
    expect(config.metrics.namespace).toBe(AGENT_NAMESPACE);
    // prod has a data volume (berth:host.dataVolume): its mount is watched beside `/`.
    expect(config.metrics.metrics_collected.disk).toMatchObject({ resources: ["/", "/srv/berth"], measurement: ["used_percent"], drop_device: true });
    expect(alarm(prod, "host-disk-root").inputs).toMatchObject({
      namespace: AGENT_NAMESPACE,
      metricName: "disk_used_percent",
      dimensions: { InstanceId: hostId, path: "/", fstype: "ext4" },
      threshold: 85,
    });
    expect(alarm(prod, "host-disk-srv-berth").inputs).toMatchObject({
      namespace: AGENT_NAMESPACE,
      metricName: "disk_used_percent",
      dimensions: { InstanceId: hostId, path: "/srv/berth", fstype: "ext4" },
    });
    expect(alarm(prod, "host-memory").inputs).toMatchObject({ namespace: AGENT_NAMESPACE, metricName: "mem_used_percent", dimensions: { InstanceId: hostId } });
    // The deploy log goes to the stack's group.
    expect(config.logs.logs_collected.files.collect_list).toEqual([
      { file_path: "/var/log/berth/deploy.log", log_group_name: "/berth/prod/deploy", log_stream_name: "{instance_id}" },
    ]);
  });

  it("reads Berth's own metrics as the host check sends them", () => {
    const check = delivered(prod, "/usr/local/lib/berth/berth-host-check");
    expect(check).toContain(`NAMESPACE='${BERTH_NAMESPACE}'`);
    expect(check).toContain("STACK=${BERTH_CHECK_STACK:-'prod'}");
    expect(check).toContain("REGISTRY_URL=${BERTH_CHECK_REGISTRY_URL:-'http://127.0.0.1:5000/v2/'}");
    for (const service of ["docker", "nginx", "registry"]) {
      expect(alarm(prod, `${service}-down`).inputs).toMatchObject({
        namespace: BERTH_NAMESPACE,
        metricName: "ServiceUp",
        dimensions: { Stack: "prod", Service: service },
        treatMissingData: "breaching",
      });
      expect(check).toContain(`metric_ServiceUp "$`);
    }
    expect(alarm(prod, "tls-expiry").inputs).toMatchObject({
      metricName: "CertificateDaysToExpiry",
      dimensions: { Stack: "prod", Certificate: "served" },
      threshold: 14,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    });
  });

  it("watches the database with the class's max_connections and subscribes the topic to its events", () => {
    const db = one(prod, "aws:rds/instance:Instance");
    // db.m6g.large: 8 GiB, RDS's default max_connections 682; 80 % of it.
    expect(alarm(prod, "db-connections").inputs).toMatchObject({ dimensions: { DBInstanceIdentifier: db.id }, threshold: 545 });
    // 10 % of 50 GiB.
    expect(alarm(prod, "db-free-storage-percent").inputs.threshold).toBe(5 * 1024 ** 3);
    expect(one(prod, "aws:rds/eventSubscription:EventSubscription").inputs).toMatchObject({
      snsTopic: TOPIC_ARN,
      sourceType: "db-instance",
      sourceIds: [db.id],
      eventCategories: ["failover", "failure", "low storage", "maintenance"],
    });
  });

  it("encrypts its topic with a key of its own that CloudWatch, EventBridge and RDS may use, and lets them publish", () => {
    const key = one(prod, "aws:kms/key:Key");
    const topic = one(prod, "aws:sns/topic:Topic");
    expect(topic.inputs.kmsMasterKeyId).toBe(key.state.arn);
    const services = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"];
    expect(doc(key.inputs.policy).Statement[1].Principal.Service).toEqual(services);
    const policy = doc(one(prod, "aws:sns/topicPolicy:TopicPolicy").inputs.policy);
    expect(policy.Statement[1]).toMatchObject({ Principal: { Service: services }, Action: "sns:Publish", Resource: TOPIC_ARN });
    expect(one(prod, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({ protocol: "email", endpoint: "ops@example.com" });
  });

  it("lets the host role put agent metrics into CWAgent only, and write the deploy log's and the check's groups only", () => {
    const policy = doc(ofType(prod, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.name === "monitoring")!.inputs.policy);
    expect(policy.Statement[0]).toEqual({
      Sid: "AgentMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "CWAgent" } },
    });
    const groups = ["/berth/prod/deploy", "/berth/prod/host-metrics"].map((g) => `arn:aws:logs:ap-northeast-2:123456789012:log-group:${g}`);
    expect(policy.Statement[1].Resource).toEqual(groups.flatMap((g) => [g, `${g}:log-stream:*`]));
    const logGroups = ofType(prod, "aws:cloudwatch/logGroup:LogGroup").filter((g) =>
      ["/berth/prod/deploy", "/berth/prod/host-metrics"].includes(String(g.inputs.name)),
    );
    expect(logGroups.map((g) => g.inputs.retentionInDays)).toEqual([30, 30]);
  });

  it("exports the topic, the dashboard's address and the deploy log's group", () => {
    expect(prod.outputs.alertsTopicArn).toBe(TOPIC_ARN);
    expect(prod.outputs.alertsDashboardUrl).toBe(
      "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#dashboards/dashboard/berth-prod-dashboard",
    );
    expect(prod.outputs.deployLogGroup).toBe("/berth/prod/deploy");
    const body = JSON.parse(String(one(prod, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody)) as { widgets: unknown[] };
    expect(body.widgets).toHaveLength(ofType(prod, ALARM).length);
  });
});

describe("dev (alerts off by default)", () => {
  it("has no alarm, topic or dashboard, but ships its deploy log to CloudWatch Logs (it runs apps): the agent is there", () => {
    expect(ofType(dev, ALARM)).toEqual([]);
    expect(ofType(dev, "aws:sns/topic:Topic")).toEqual([]);
    expect(ofType(dev, "aws:cloudwatch/dashboard:Dashboard")).toEqual([]);
    expect(dev.outputs.alertsTopicArn).toBe("");
    expect(dev.outputs.alertsDashboardUrl).toBe("");
    expect(dev.outputs.deployLogGroup).toBe("/berth/dev/deploy");
    const agent = JSON.parse(delivered(dev, "/etc/berth/cloudwatch-agent.json")) as AgentConfig;
    const files = agent.logs?.logs_collected?.files?.collect_list ?? [];
    expect(files).toContainEqual(expect.objectContaining({ file_path: "/var/log/berth/deploy.log", log_group_name: "/berth/dev/deploy" }));
  });

  it("without apps and without alerts: no agent and no deploy log group", async () => {
    const proxy = section("dev", "proxy");
    const r = await run(stackWith("dev", { proxy: { ...proxy, apps: [] } }));
    expect(r.resources.find((x) => x.name === "monitoring-files-apply")).toBeUndefined();
    expect(r.outputs.deployLogGroup).toBe("");
  });

  it("with an existing topic: no topic or key of its own; alarms and subscriptions use the given one; CPU credits on its t3 host", async () => {
    const existing = "arn:aws:sns:ap-northeast-2:123456789012:ops-alerts";
    const r = await run(stackWith("dev", { alerts: { enabled: true, snsTopicArn: existing, email: ["dev@corp.invalid"] } }));
    expect(ofType(r, "aws:sns/topic:Topic")).toEqual([]);
    expect(ofType(r, "aws:kms/key:Key")).toEqual([]);
    expect(one(r, "aws:sns/topicSubscription:TopicSubscription").inputs.topic).toBe(existing);
    for (const a of ofType(r, ALARM)) expect(a.inputs.okActions).toEqual([existing]);
    expect(alarm(r, "host-cpu-credits").inputs).toMatchObject({ metricName: "CPUCreditBalance", threshold: 20 });
    // Direct registry: the check probes its TLS port.
    const check = bundleFiles(String(one(r, "command:remote:Command", "monitoring-files-apply").inputs.stdin)).find((f) =>
      f.path.endsWith("berth-host-check"),
    )!;
    expect(check.content).toContain("https://127.0.0.1:5000/v2/");
    expect(r.outputs.alertsTopicArn).toBe(existing);
  });
});

describe("blast radius", () => {
  it("a new agent interval re-delivers the agent's config only", async () => {
    const alerts = { ...section("prod", "alerts"), agentIntervalSeconds: 30 };
    expect(changed(prod, await run(stackWith("prod", { alerts })))).toEqual(["monitoring-files-apply"]);
  });

  it("a threshold changes its alarms (and the dashboard's lines) only, nothing on the host", async () => {
    // diskUsedPercent serves both watched disks.
    const alerts = { ...section("prod", "alerts"), diskUsedPercent: 70 };
    expect(changed(prod, await run(stackWith("prod", { alerts })))).toEqual(["alerts-dashboard", "alerts-host-disk-root", "alerts-host-disk-srv-berth"]);
  });

  it("turning alerts on for dev never replaces the host or the database (the instance keeps every force-new input)", async () => {
    const on = await run(stackWith("dev", { alerts: { enabled: true, email: ["ops@corp.invalid"] } }));
    const diff = changed(dev, on);
    for (const n of NEVER) expect(diff).not.toContain(n);
    // The agent and the deploy log were there already (dev runs apps): alerts add the alarms and the topic.
    expect(diff).toContain("alerts-host-memory");
    expect(diff).not.toContain("monitoring-files-apply");
    const before = one(dev, "aws:ec2/instance:Instance").inputs;
    const after = one(on, "aws:ec2/instance:Instance").inputs;
    for (const k of REPLACE_RULES["aws:ec2/instance:Instance"].replace) expect(JSON.stringify(after[k]), k).toBe(JSON.stringify(before[k]));
  });
});

describe("scale (apps on ECS)", () => {
  let scale: RunResult;
  beforeAll(async () => {
    scale = await sharedRun("scale");
  });

  it("reads the load balancer's and target groups' metrics by their ARN suffixes, and the services' task counts", () => {
    const lb = one(scale, "aws:lb/loadBalancer:LoadBalancer", "alb-alb");
    expect(alarm(scale, "alb-5xx").inputs).toMatchObject({ namespace: "AWS/ApplicationELB", dimensions: { LoadBalancer: lb.state.arnSuffix } });
    const groups = ofType(scale, "aws:lb/targetGroup:TargetGroup");
    expect(groups.length).toBe(2);
    for (const part of ["shop-frontend", "shop-backend"]) {
      const tg = groups.find((g) => g.name.includes(part))!;
      expect(alarm(scale, `${part}-5xx`).inputs.dimensions).toEqual({ LoadBalancer: lb.state.arnSuffix, TargetGroup: tg.state.arnSuffix });
      expect(alarm(scale, `${part}-unhealthy`).inputs.dimensions).toEqual({ LoadBalancer: lb.state.arnSuffix, TargetGroup: tg.state.arnSuffix });
      const service = ofType(scale, "aws:ecs/service:Service").find((s) => s.inputs.name === part)!;
      const running = alarm(scale, `${part}-running`).inputs;
      expect(running).toMatchObject({ namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", comparisonOperator: "LessThanThreshold" });
      expect(running.dimensions).toEqual({ ClusterName: one(scale, "aws:ecs/cluster:Cluster").state.name, ServiceName: service.state.name });
      expect(running.threshold).toBe(2);
    }
  });
});
