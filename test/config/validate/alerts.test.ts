// berth:alerts validation: each bad input names the key, shows the value and says what is allowed,
// before any resource exists; the shipped stacks' alerts pass.
import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigProblem, type RawConfigInput } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

function devWith(alerts: Record<string, unknown>, database?: Record<string, unknown>): RawConfigInput {
  return toRawConfigInput(stackWith("dev", { alerts, ...(database ? { database: { ...section("dev", "database"), ...database } } : {}) }));
}
const problems = (input: RawConfigInput): ConfigProblem[] => [...rejection(input).problems];
const on = { enabled: true, email: ["ops@corp.invalid"] };

describe("berth:alerts validation: key, value and message", () => {
  it.each<[string, Record<string, unknown>, { key: string; value?: unknown; message: RegExp }]>([
    ["a percentage of 100", { ...on, diskUsedPercent: 100 }, { key: "berth:alerts.diskUsedPercent", value: 100, message: /99/ }],
    ["a percentage of 0", { ...on, memoryUsedPercent: 0 }, { key: "berth:alerts.memoryUsedPercent", value: 0, message: /1/ }],
    ["a fractional day count", { ...on, certificateDaysToExpiry: 1.5 }, { key: "berth:alerts.certificateDaysToExpiry", value: 1.5, message: /expected int/ }],
    ["an agent interval the agent has no use for", { ...on, agentIntervalSeconds: 45 }, { key: "berth:alerts.agentIntervalSeconds", value: 45, message: /./ }],
    [
      "a retention CloudWatch refuses",
      { ...on, deployLogRetentionDays: 10 },
      { key: "berth:alerts.deployLogRetentionDays", value: 10, message: /CloudWatch Logs keeps logs for one of/ },
    ],
    ["not an e-mail address", { enabled: true, email: ["ops"] }, { key: "berth:alerts.email[0]", value: "ops", message: /email/i }],
    [
      "not a topic ARN",
      { enabled: true, snsTopicArn: "ops-alerts" },
      { key: "berth:alerts.snsTopicArn", value: "ops-alerts", message: /must be an SNS topic ARN/ },
    ],
    ["nowhere to send alarms", { enabled: true }, { key: "berth:alerts.email", value: [], message: /notify nobody/ }],
    ["the same address twice", { enabled: true, email: ["a@corp.invalid", "A@corp.invalid"] }, { key: "berth:alerts.email", message: /twice/ }],
    [
      "a topic in another region",
      { enabled: true, snsTopicArn: "arn:aws:sns:us-east-1:123456789012:ops" },
      {
        key: "berth:alerts.snsTopicArn",
        value: "arn:aws:sns:us-east-1:123456789012:ops",
        message: /notify topics of their own region only \(ap-northeast-2\)/,
      },
    ],
    ["addresses while off", { email: ["ops@corp.invalid"] }, { key: "berth:alerts.email", message: /berth:alerts.enabled is false/ }],
    ["an app error count of 0", { ...on, appLogErrors: 0 }, { key: "berth:alerts.appLogErrors", value: 0, message: /1/ }],
    [
      "an error pattern with an unclosed quote",
      { ...on, appLogErrorPattern: '?"level=error' },
      { key: "berth:alerts.appLogErrorPattern", value: '?"level=error', message: /unclosed double quote/ },
    ],
    ["an empty error pattern", { ...on, appLogErrorPattern: "" }, { key: "berth:alerts.appLogErrorPattern", value: "", message: /must not be empty/ }],
    ["an unknown key", { ...on, diskPercent: 80 }, { key: "berth:alerts.diskPercent", value: 80, message: /unknown key.*diskUsedPercent/ }],
  ])("%s", (_case, alerts, want) => {
    const found = problems(devWith(alerts)).find((p) => p.key === want.key);
    expect(found, JSON.stringify(problems(devWith(alerts)))).toBeDefined();
    if ("value" in want) expect(found!.value).toEqual(want.value);
    expect(found!.message).toMatch(want.message);
  });

  it("asks for max_connections when the database class's memory is unknown, and takes it when given", () => {
    const found = problems(devWith(on, { instanceClass: "db.x2g.large" })).find((p) => p.key === "berth:alerts.databaseMaxConnections");
    expect(found?.message).toMatch(/db\.x2g\.large/);
    expect(() => parseConfig(devWith({ ...on, databaseMaxConnections: 2000 }, { instanceClass: "db.x2g.large" }))).not.toThrow();
  });

  it("resolves the defaults: off, and the thresholds of the README", () => {
    const dev = parseConfig(toRawConfigInput(stackWith("dev"))).alerts;
    expect(dev).toMatchObject({
      enabled: false,
      email: [],
      diskUsedPercent: 85,
      memoryUsedPercent: 90,
      cpuCreditBalance: 20,
      databaseFreeStoragePercent: 10,
      databaseFreeStorageGiB: 2,
      databaseCpuPercent: 80,
      databaseFreeableMemoryMiB: 64,
      databaseConnectionsPercent: 80,
      certificateDaysToExpiry: 14,
      containerRestarts: 3,
      deployFailures: 1,
      appLogErrors: 10,
      appLogErrorPattern: "?ERROR ?FATAL ?Traceback ?panic",
      agentIntervalSeconds: 60,
      deployLogRetentionDays: 30,
    });
    expect(parseConfig(toRawConfigInput(stackWith("prod"))).alerts).toMatchObject({ enabled: true, email: ["ops@example.com"] });
  });
});
