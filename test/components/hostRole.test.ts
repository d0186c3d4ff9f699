// HostRole on its own (public mock API): one role for the host, one inline policy per purpose, the
// instance profile. The app-logs policy grants the two actions Docker's awslogs driver uses, on
// exactly the given groups and their streams.
import { beforeEach, describe, expect, it } from "vitest";
import { APP_LOGS_ACTIONS, appLogsWritePolicy, HostRole } from "../../components/hostRole";
import { REGISTRY_S3_BUCKET_ACTIONS, REGISTRY_S3_OBJECT_ACTIONS, RegistryStorage } from "../../components/registryStorage";
import { failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/berth/test/apps/web";
const OTHER = "arn:aws:logs:us-east-1:123456789012:log-group:/berth/test/apps/api";

interface Policy {
  Statement: Array<{ Sid?: string; Effect: string; Action: string[]; Resource: string | string[] }>;
}
const statements = (text: unknown): Policy["Statement"] => (JSON.parse(String(text)) as Policy).Statement;

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("appLogsWritePolicy", () => {
  it("allows only CreateLogStream and PutLogEvents, on each group and its streams, nothing else", () => {
    expect(APP_LOGS_ACTIONS).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(JSON.parse(appLogsWritePolicy([GROUP, `${OTHER}:*`]))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AppLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [GROUP, `${GROUP}:log-stream:*`, OTHER, `${OTHER}:log-stream:*`],
        },
      ],
    });
  });
  it("refuses an empty list (a policy with no resource would be invalid)", () => {
    expect(() => appLogsWritePolicy([])).toThrow(/at least one log group/);
  });
});

describe("HostRole", () => {
  it("minimal args (app logs only): an EC2 role, the app-logs policy and the profile", async () => {
    const role = new HostRole("host-iam", { appLogGroupArns: [GROUP], naming }, m.opts);
    const profile = await valueOf(role.instanceProfileName);
    await m.settle();
    const r = m.one("aws:iam/role:Role");
    expect([r.name, r.inputs.description, r.inputs.tags]).toEqual(["host-iam-role", "Berth host: the apps' CloudWatch Logs", { Name: "berth-test-host-role" }]);
    expect(statements(r.inputs.assumeRolePolicy)).toEqual([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const policies = m.ofType("aws:iam/rolePolicy:RolePolicy");
    expect(policies.map((p) => [p.name, p.inputs.name, p.inputs.role])).toEqual([["host-iam-app-logs", "app-logs", "host-iam-role-id"]]);
    expect(statements(policies[0].inputs.policy)).toEqual([
      { Sid: "AppLogs", Effect: "Allow", Action: [...APP_LOGS_ACTIONS], Resource: [GROUP, `${GROUP}:log-stream:*`] },
    ]);
    expect(m.one("aws:iam/instanceProfile:InstanceProfile").inputs).toEqual({ role: "host-iam-role-0001", tags: { Name: "berth-test-host-profile" } });
    expect(profile).toBe("host-iam-profile-0001");
    expect(m.resources.filter((x) => x.custom).every((x) => x.parent === "host-iam")).toBe(true);
  });

  it("full args (registry bucket and app logs): both policies on the one role", async () => {
    const storage = new RegistryStorage("registry-storage", { naming }, m.opts);
    new HostRole(
      "host-iam",
      { registryBucket: { arn: storage.bucketArn, previousParent: storage, previousName: storage.logicalName }, appLogGroupArns: [GROUP, OTHER], naming },
      m.opts,
    );
    const arn = await valueOf(storage.bucketArn);
    await m.settle();
    expect(m.ofType("aws:iam/role:Role").map((r) => r.inputs.description)).toEqual(["Berth host: the registry's S3 bucket and the apps' CloudWatch Logs"]);
    const byName = Object.fromEntries(m.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => [p.inputs.name as string, statements(p.inputs.policy)]));
    expect(byName).toEqual({
      "registry-bucket": [
        { Sid: "RegistryBucket", Effect: "Allow", Action: [...REGISTRY_S3_BUCKET_ACTIONS], Resource: arn },
        { Sid: "RegistryObjects", Effect: "Allow", Action: [...REGISTRY_S3_OBJECT_ACTIONS], Resource: `${arn}/*` },
      ],
      "app-logs": [
        { Sid: "AppLogs", Effect: "Allow", Action: [...APP_LOGS_ACTIONS], Resource: [GROUP, `${GROUP}:log-stream:*`, OTHER, `${OTHER}:log-stream:*`] },
      ],
    });
    expect(m.ofType("aws:iam/instanceProfile:InstanceProfile")).toHaveLength(1);
  });

  it("refuses a role without a purpose", async () => {
    const err = await failure(() => new HostRole("host-iam", { appLogGroupArns: [], naming }, m.opts));
    expect(err.message).toMatch(/HostRole needs a purpose/);
  });
});
