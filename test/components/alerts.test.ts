// Alerts and MonitoringLogs on their own (public mock API): the stack's topic with its key and
// policy, or an existing topic; one alarm per spec with OK actions and the recover action where
// the spec asks; RDS events; the dashboard. MonitoringLogs: the deploy log's and the metric lines' groups.
import { beforeEach, describe, expect, it } from "vitest";
import { Alerts, MonitoringLogs, recoverAction, topicKeyPolicy, topicPolicy, type AlertsArgs } from "../../components/alerts";
import { alarmSpecs } from "../../lib/alerts";
import { watchedMounts } from "../../lib/hostMetrics";
import { ACCOUNT, REGION, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";
import { ALERT_THRESHOLDS } from "../helpers/alerts";

const naming = { project: "berth", stack: "test" };
const thresholds = ALERT_THRESHOLDS;
const alarms: AlertsArgs["alarms"] = {
  instanceId: "i-0host",
  instanceType: "t3.large",
  databaseId: "berth-test-db",
  databaseInstanceClass: "db.t3.micro",
  databaseAllocatedGiB: 20,
  databaseMaxConnections: 85,
  stack: "test",
  mounts: watchedMounts({ dataVolume: false }),
  services: ["docker"],
  thresholds,
};
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:berth-test-alerts`;

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents({
    invokes: { "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/t`, userId: "AIDA" }) },
    resources: {
      "aws:sns/topic:Topic": (_n, inputs) => ({ id: TOPIC, state: { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${String(inputs.name)}` } }),
      "aws:kms/key:Key": () => ({ id: "key-1", state: { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-1` } }),
    },
  });
});

describe("Alerts", () => {
  it("minimal args (own topic, one address): key, topic, policy, subscription, one alarm per spec, RDS events, dashboard", async () => {
    const a = new Alerts("alerts", { region: REGION, emails: ["ops@corp.invalid"], alarms, naming }, m.opts);
    expect(await valueOf(a.topicArn)).toBe(TOPIC);
    await m.settle();
    expect(m.ofType("aws:kms/key:Key")[0].inputs).toMatchObject({ enableKeyRotation: true, policy: topicKeyPolicy(ACCOUNT) });
    expect(m.ofType("aws:sns/topic:Topic")[0].inputs).toMatchObject({
      name: "berth-test-alerts",
      kmsMasterKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-1`,
    });
    expect(m.ofType("aws:sns/topicPolicy:TopicPolicy")[0].inputs).toEqual({ arn: TOPIC, policy: topicPolicy(TOPIC) });
    expect(m.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => s.inputs)).toEqual([
      { topic: TOPIC, protocol: "email", endpoint: "ops@corp.invalid" },
    ]);
    const made = m.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    // Registration order follows the outputs each alarm waits for; the names are the specs'.
    expect(made.map((x) => x.inputs.name).sort()).toEqual(
      alarmSpecs(alarms)
        .map((s) => `berth-test-alarm-${s.role}`)
        .sort(),
    );
    expect(a.alarmNames).toEqual(alarmSpecs(alarms).map((s) => `berth-test-alarm-${s.role}`));
    for (const x of made) expect(x.inputs.okActions).toEqual([TOPIC]);
    expect(made.find((x) => x.name === "alerts-host-system-status")!.inputs.alarmActions).toEqual([TOPIC, recoverAction(REGION)]);
    expect(made.find((x) => x.name === "alerts-host-cpu-credits")!.inputs).toMatchObject({
      metricName: "CPUCreditBalance",
      dimensions: { InstanceId: "i-0host" },
    });
    expect(m.ofType("aws:rds/eventSubscription:EventSubscription")[0].inputs).toMatchObject({
      name: "berth-test-db-events",
      snsTopic: TOPIC,
      sourceIds: ["berth-test-db"],
    });
    expect(m.ofType("aws:cloudwatch/dashboard:Dashboard")[0].inputs.dashboardName).toBe("berth-test-dashboard");
    expect(a.dashboardUrl).toBe(`https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/berth-test-dashboard`);
  });

  it("full args (an existing topic, two addresses): no topic, key or policy of its own; everything notifies the given topic", async () => {
    const existing = `arn:aws:sns:${REGION}:${ACCOUNT}:ops`;
    const a = new Alerts("alerts", { region: REGION, emails: ["a@corp.invalid", "b@corp.invalid"], existingTopicArn: existing, alarms, naming }, m.opts);
    expect(await valueOf(a.topicArn)).toBe(existing);
    await m.settle();
    expect(m.ofType("aws:sns/topic:Topic")).toEqual([]);
    expect(m.ofType("aws:kms/key:Key")).toEqual([]);
    expect(m.ofType("aws:sns/topicPolicy:TopicPolicy")).toEqual([]);
    expect(m.invokes).toEqual([]);
    expect(m.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => s.inputs.topic)).toEqual([existing, existing]);
    for (const x of m.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) expect(x.inputs.okActions).toEqual([existing]);
  });

  it("lets the three publishers use the key and the topic for this account only", () => {
    const key = JSON.parse(topicKeyPolicy(ACCOUNT)) as { Statement: unknown[] };
    expect(key.Statement[1]).toMatchObject({
      Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    const topic = JSON.parse(topicPolicy(TOPIC)) as { Statement: Array<{ Principal: unknown }> };
    expect(topic.Statement[0].Principal).toEqual({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
    expect(topic.Statement[1]).toMatchObject({ Action: "sns:Publish", Resource: TOPIC, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } });
  });
});

describe("MonitoringLogs", () => {
  it("makes the deploy log's and the metric lines' groups with the retention, and hands out their ARNs", async () => {
    const logs = new MonitoringLogs("monitoring-logs", { retentionDays: 14, naming }, m.opts);
    expect(await valueOf(logs.deployGroupName)).toBe("/berth/test/deploy");
    expect(await valueOf(logs.metricsGroupName)).toBe("/berth/test/host-metrics");
    await m.settle();
    expect(m.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual([
      ["/berth/test/deploy", 14],
      ["/berth/test/host-metrics", 14],
    ]);
    expect(logs.groupArns).toHaveLength(2);
  });
});
