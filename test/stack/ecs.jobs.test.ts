// Jobs and multi-line secrets of ECS apps, over the whole scale stack: what the schedule runs, what
// adding a job or a multi-line secret changes (only its own resources: never the service, the task
// definition, the load balancer or the host), and the least-privilege rule still firing on the job's
// role when it is widened.
import { beforeAll, describe, expect, it } from "vitest";
import { runTaskLeastPrivilege } from "../../policy/policies";
import { runPolicies } from "../helpers/policyHarness";
import { changedNames, one, run, section, sharedRun, stackWith, type RecordedResource, type RunResult } from "../helpers/stack";

type App = Record<string, unknown>;
const proxy = section("scale", "proxy") as { apps: App[] };
const shop = proxy.apps.find((a) => a.name === "shop")!;
const withShop = (edit: (shop: App) => App): ReturnType<typeof stackWith> =>
  stackWith("scale", { proxy: { ...proxy, apps: proxy.apps.map((a) => (a === shop ? edit(a) : a)) } });
const part = (a: App, role: "frontend" | "backend"): App => a[role] as App;

let scale: RunResult;
beforeAll(async () => {
  scale = await sharedRun("scale");
});

/** Resources untouched by any job or secret file: the service, task definition, rule and target group of every part, the ALB, the host. */
const UNTOUCHED = [
  "host-instance",
  "host-eip",
  "database-instance",
  "alb-alb",
  "alb-https",
  "ecs-cluster",
  "ecs-tasks-sg",
  ...["frontend", "backend"].flatMap((p) => ["service", "task-definition", "rule", "tg", "execution", "task"].map((r) => `ecs-shop-${p}-${r}`)),
];

describe("scale: the example job", () => {
  it("is a Scheduler schedule of RunTask on the back end's family without a revision (not the stack's -shape family), at 03:00 UTC, on the minute", () => {
    const td = one(scale, "aws:ecs/taskDefinition:TaskDefinition", "ecs-shop-backend-task-definition");
    // The stack's revision is in the shape family; the schedule runs the deploys' family, whose latest revision is the last deploy's.
    expect(td.state.arn).toBe("arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend-shape:1");
    const family = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend";
    expect((scale.outputs.ecsDeployTargets as Record<string, Record<string, { family: string }>>).shop.backend.family).toBe("berth-scale-shop-backend");
    const schedule = one(scale, "aws:scheduler/schedule:Schedule", "ecs-shop-backend-job-nightly-report");
    expect(schedule.inputs).toMatchObject({
      name: "shop-nightly-report",
      groupName: "berth-scale-jobs",
      scheduleExpression: "cron(0 3 * * ? *)",
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: one(scale, "aws:ecs/cluster:Cluster").state.arn,
        roleArn: one(scale, "aws:iam/role:Role", "ecs-shop-backend-job-nightly-report-role").state.arn,
        ecsParameters: { taskDefinitionArn: family, launchType: "FARGATE", taskCount: 1 },
      },
    });
    const policy = JSON.parse(String(one(scale, "aws:iam/rolePolicy:RolePolicy", "ecs-shop-backend-job-nightly-report-policy").inputs.policy)) as {
      Statement: Array<{ Sid: string; Resource: string[] }>;
    };
    expect(policy.Statement.find((st) => st.Sid === "RunJobTask")!.Resource).toEqual([family, `${family}:*`]);
    const network = ((schedule.inputs.target as App).ecsParameters as App).networkConfiguration;
    expect(network).toEqual({
      subnets: (one(scale, "aws:ecs/service:Service", "ecs-shop-backend-service").inputs.networkConfiguration as App).subnets,
      securityGroups: [one(scale, "aws:ec2/securityGroup:SecurityGroup", "ecs-tasks-sg").id],
      assignPublicIp: true,
    });
    expect(JSON.parse(String((schedule.inputs.target as App).input))).toEqual({
      containerOverrides: [{ name: "backend", command: ["bin/report", "--since", "24h"] }],
    });
  });

  it("gives the schedule one group per stack", () => {
    expect(scale.resources.filter((r) => r.type === "aws:scheduler/scheduleGroup:ScheduleGroup").map((r) => r.inputs.name)).toEqual(["berth-scale-jobs"]);
  });
});

describe("adding a job", () => {
  const job = { name: "cleanup", schedule: "hourly", command: ["node", "cleanup.js"] };

  it("adds only that job's role, policy and schedule, and changes nothing that exists", async () => {
    const after = await run(withShop((a) => ({ ...a, frontend: { ...part(a, "frontend"), jobs: [job] } })));
    const changed = changedNames(scale, after);
    expect(changed).toEqual(["ecs-shop-frontend-job-cleanup", "ecs-shop-frontend-job-cleanup-policy", "ecs-shop-frontend-job-cleanup-role"]);
    expect(scale.outputs).toEqual(after.outputs);
  });

  it("adds the stack's schedule group with the first one, and never touches the service, task definition, load balancer or host", async () => {
    const none = await run(withShop((a) => ({ ...a, backend: { ...part(a, "backend"), jobs: [] } })));
    const changed = changedNames(none, scale);
    expect(changed).toEqual([
      "ecs-jobs",
      "ecs-shop-backend-job-nightly-report",
      "ecs-shop-backend-job-nightly-report-policy",
      "ecs-shop-backend-job-nightly-report-role",
    ]);
    for (const n of UNTOUCHED) {
      expect(
        scale.resources.some((r) => r.name === n),
        n,
      ).toBe(true);
      expect(changed, n).not.toContain(n);
    }
    expect(none.resources.filter((r) => r.type.startsWith("aws:scheduler/"))).toEqual([]);
  });

  it("changing a job's schedule changes that schedule only", async () => {
    const after = await run(
      withShop((a) => ({ ...a, backend: { ...part(a, "backend"), jobs: [{ name: "nightly-report", schedule: "Mon..Fri 02:15", command: ["bin/report"] }] } })),
    );
    expect(changedNames(scale, after)).toEqual(["ecs-shop-backend-job-nightly-report"]);
    expect(one(after, "aws:scheduler/schedule:Schedule").inputs.scheduleExpression).toBe("cron(15 2 ? * MON-FRI *)");
  });
});

describe("a multi-line secret on ECS", () => {
  const PEM = "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
  let withKey: RunResult;
  beforeAll(async () => {
    const apps = proxy.apps.map((a) => (a === shop ? { ...a, frontend: { ...part(a, "frontend"), secrets: ["SIGNING_KEY", "API_TOKEN"] } } : a));
    withKey = await run(
      stackWith("scale", { proxy: { ...proxy, apps } }, { appSecrets: JSON.stringify({ shop: { SIGNING_KEY: PEM, API_TOKEN: "tok-123" } }) }),
    );
  });

  const containers = (r: RunResult, name: string): Array<Record<string, unknown>> =>
    JSON.parse(String(one(r, "aws:ecs/taskDefinition:TaskDefinition", name).inputs.containerDefinitions)) as Array<Record<string, unknown>>;

  it("reaches the app container as <NAME>_FILE and a read-only file, never as a value; the single-line one stays an env value", () => {
    const [app, init] = containers(withKey, "ecs-shop-frontend-task-definition");
    const names = (app.secrets as Array<{ name: string }>).map((x) => x.name);
    // The database values (database: true) and the single-line secret stay env values.
    expect(names).toEqual(["API_TOKEN", "DATABASE_URL", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER"]);
    expect(app.environment).toContainEqual({ name: "SIGNING_KEY_FILE", value: "/run/secrets/SIGNING_KEY" });
    // Neither the name as an env value nor its parameter: only the init container reads it.
    expect(JSON.stringify(app)).not.toContain('"name":"SIGNING_KEY"');
    expect(JSON.stringify(app)).not.toContain("frontend/SIGNING_KEY");
    expect(JSON.stringify(containers(withKey, "ecs-shop-frontend-task-definition"))).not.toContain("BEGIN PRIVATE KEY");
    expect(init).toMatchObject({ name: "frontend-secrets", image: app.image, essential: false });
    expect(one(withKey, "aws:ecs/taskDefinition:TaskDefinition", "ecs-shop-frontend-task-definition").inputs.volumes).toEqual([{ name: "berth-secrets" }]);
  });

  it("changes only that part's task definition and execution policy (its new parameters); the service, the back end and the host stay", () => {
    const changed = changedNames(scale, withKey);
    expect(changed).toEqual([
      "ecs-shop-frontend-execution-policy",
      "ecs-shop-frontend-param-API_TOKEN",
      "ecs-shop-frontend-param-SIGNING_KEY",
      "ecs-shop-frontend-task-definition",
    ]);
    expect(containers(withKey, "ecs-shop-backend-task-definition")).toEqual(containers(scale, "ecs-shop-backend-task-definition"));
  });
});

describe("scale: the job role's least privilege", () => {
  const patched = (name: string, edit: (doc: { Statement: Array<Record<string, unknown>> }) => void, field = "policy"): RunResult => ({
    ...scale,
    resources: scale.resources.map((x: RecordedResource) => {
      if (x.name !== name) return x;
      const doc = JSON.parse(String(x.inputs[field])) as { Statement: Array<Record<string, unknown>> };
      edit(doc);
      return { ...x, inputs: { ...x.inputs, [field]: JSON.stringify(doc) }, state: { ...x.state, [field]: JSON.stringify(doc) } };
    }),
  });
  const POLICY = "ecs-shop-backend-job-nightly-report-policy";

  it("passes as built", async () => expect(await runPolicies([runTaskLeastPrivilege], scale)).toEqual([]));

  it.each<[string, (d: { Statement: Array<Record<string, unknown>> }) => void, string, RegExp]>([
    [
      "RunTask of another family",
      (d) => (d.Statement[0].Resource = ["arn:aws:ecs:ap-northeast-2:123456789012:task-definition/other"]),
      POLICY,
      /grants ecs:RunTask on .*task-definition\/other/,
    ],
    [
      // The stack's own task definitions, whose image is the `initial` placeholder: nothing of Berth runs them.
      "RunTask of the stack's -shape family",
      (d) => (d.Statement[0].Resource = ["arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend-shape:*"]),
      POLICY,
      /grants ecs:RunTask on .*task-definition\/berth-scale-shop-backend-shape:\*; limit it/,
    ],
    ["PassRole of any role", (d) => (d.Statement[1].Resource = "*"), POLICY, /grants iam:PassRole on \*/],
    ["PassRole to any service", (d) => delete d.Statement[1].Condition, POLICY, /add an iam:PassedToService condition/],
    ["a trust without aws:SourceAccount", (d) => delete d.Statement[0].Condition, "ecs-shop-backend-job-nightly-report-role", /aws:SourceAccount/],
  ])("fires on %s", async (_what, edit, name, fires) => {
    const field = name.endsWith("-role") ? "assumeRolePolicy" : "policy";
    const found = await runPolicies([runTaskLeastPrivilege], patched(name, edit, field));
    expect(found.map((v) => v.message).join("\n")).toMatch(fires);
  });
});
