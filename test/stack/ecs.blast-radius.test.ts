// Small blast radius for apps on ECS: adding an ECS app (anywhere in berth:proxy.apps) or removing one
// never replaces or changes the host, the database, the load balancer or another app's service, rule,
// target group or task definition; changing an app's shape is a new task definition revision that the
// service does not take from `pulumi up` (the deploy owns the image); and the stack's revisions, in
// their own `-shape` families, reach nothing but the services' ignored taskDefinition, so moving them
// there (issue #20) replaced the two task definitions and nothing else.
import { beforeAll, describe, expect, it } from "vitest";
import { replaceReason } from "../../cli/replaceRules";
import { run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

type App = Record<string, unknown>;
const proxy = section("scale", "proxy") as { apps: App[] };
const blog: App = { name: "blog", runtime: "ecs", hostnames: ["blog.example.org"], frontend: { containerPort: 4000 } };

/** Logical names whose inputs differ, and those only one run has. */
function changed(a: RunResult, b: RunResult): { changed: string[]; added: string[]; removed: string[] } {
  const before = new Map(a.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const after = new Map(b.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const name = (u: string): string => u.split("::").pop()!;
  return {
    changed: [...before.keys()]
      .filter((u) => after.has(u) && after.get(u) !== before.get(u))
      .map(name)
      .sort(),
    added: [...after.keys()]
      .filter((u) => !before.has(u))
      .map(name)
      .sort(),
    removed: [...before.keys()]
      .filter((u) => !after.has(u))
      .map(name)
      .sort(),
  };
}

let scale: RunResult;
let withBlog: RunResult;
beforeAll(async () => {
  scale = await sharedRun("scale");
  // Inserted in the middle: between the host app and the existing ECS app.
  withBlog = await run(stackWith("scale", { proxy: { ...proxy, apps: [proxy.apps[0], blog, proxy.apps[1]] } }));
});

describe("adding or removing an ECS app", () => {
  // A new name is a new ACM certificate (its names cannot change in place); the HTTPS listener then takes
  // the new certificate's ARN in place (an update the fake cloud cannot show: it derives ARNs from names).
  // The dashboard (berth:alerts) graphs the new app's alarms too: an in-place update of its body.
  it("changes only the certificate's names, the CI policy and the dashboard; the rest is the new app's own", () => {
    const d = changed(scale, withBlog);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual(["alb-cert", "alb-cert-validation", "alerts-dashboard"]);
    expect(
      d.added.every((n) => n.includes("blog") || n === "ecs-tasks-in-4000"),
      d.added.join(", "),
    ).toBe(true);
    expect(withBlog.outputs.ciDeployPolicy).not.toEqual(scale.outputs.ciDeployPolicy);
  });

  it("never touches the host, the database, the load balancer or another app's service, rule, target group or task definition", () => {
    const d = changed(scale, withBlog);
    const untouched = [
      "host-instance",
      "host-eip",
      "database-instance",
      "network-vpc",
      "alb-alb",
      "alb-http",
      "ecs-cluster",
      "ecs-tasks-sg",
      ...["frontend", "backend"].flatMap((p) => ["service", "rule", "tg", "task-definition", "repo"].map((r) => `ecs-shop-${p}-${r}`)),
    ];
    for (const n of untouched) {
      expect(
        scale.resources.some((r) => r.name === n),
        n,
      ).toBe(true);
      expect(d.changed, n).not.toContain(n);
    }
    // Removing it again is the same comparison the other way round.
    expect(changed(withBlog, scale).removed.every((n) => n.includes("blog") || n === "ecs-tasks-in-4000")).toBe(true);
  });

  it("gives the host layer nothing new: nginx, the deploy program and the host's files stay as they were", () => {
    const d = changed(scale, withBlog);
    expect(d.changed.filter((n) => n.startsWith("services-") || n.startsWith("apps-") || n.startsWith("host-"))).toEqual([]);
  });
});

describe("changing an ECS app's shape", () => {
  it("is a new task definition revision; the service keeps the deploy's revision (taskDefinition is ignored after creation)", async () => {
    const apps = proxy.apps.map((a) => (a.name === "shop" ? { ...a, backend: { ...(a.backend as App), env: { LOG_LEVEL: "debug" } } } : a));
    const d = changed(scale, await run(stackWith("scale", { proxy: { ...proxy, apps } })));
    expect(d.changed).toEqual(["ecs-shop-backend-task-definition"]);
    const service = scale.resources.find((r) => r.name === "ecs-shop-backend-service")!;
    expect(service.options.ignoreChanges).toContain("taskDefinition");
  });
});

describe("the stack's shape in a family of its own (issue #20)", () => {
  const TD = "aws:ecs/taskDefinition:TaskDefinition";
  const FAMILY = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop";

  it("keeps the stack's revisions in the -shape families; family forces a new task definition, so the move replaced each once", () => {
    expect(scale.resources.filter((r) => r.type === TD).map((r) => r.inputs.family)).toEqual([
      "berth-scale-shop-frontend-shape",
      "berth-scale-shop-backend-shape",
    ]);
    expect(replaceReason(TD, "family", [])).toBe("provider schema");
  });

  it("lets nothing but the services' taskDefinition, which they ignore after creation, take a value from (or wait for) a task definition", () => {
    const tds = scale.resources.filter((r) => r.type === TD).map((r) => r.urn);
    const readers = scale.resources.flatMap((r) =>
      Object.entries(r.options.propertyDependencies)
        .filter(([, from]) => from.some((u) => tds.includes(u)))
        .map(([property]) => `${r.name}.${property}`),
    );
    expect(readers.sort()).toEqual(["ecs-shop-backend-service.taskDefinition", "ecs-shop-frontend-service.taskDefinition"]);
    const dependents = scale.resources.filter((r) => r.options.dependencies.some((u) => tds.includes(u)));
    expect(dependents.map((r) => r.name).sort()).toEqual(["ecs-shop-backend-service", "ecs-shop-frontend-service"]);
    for (const svc of dependents) expect(svc.options.ignoreChanges, svc.name).toContain("taskDefinition");
  });

  it("names the part's family, as before the split, wherever something runs or deploys it: the job's schedule and role, CI's policy", () => {
    // These were built from the task definition's ARN before; now from the cluster's. The same text, so no change.
    const schedule = scale.resources.find((r) => r.name === "ecs-shop-backend-job-nightly-report")!;
    expect(((schedule.inputs.target as App).ecsParameters as App).taskDefinitionArn).toBe(`${FAMILY}-backend`);
    const job = JSON.parse(String(scale.resources.find((r) => r.name === "ecs-shop-backend-job-nightly-report-policy")!.inputs.policy)) as {
      Statement: Array<{ Sid: string; Resource: unknown }>;
    };
    expect(job.Statement[0].Resource).toEqual([`${FAMILY}-backend`, `${FAMILY}-backend:*`]);
    const ci = JSON.parse(String(scale.outputs.ciDeployPolicy)) as { Statement: Array<{ Sid: string; Resource: unknown }> };
    const bySid = Object.fromEntries(ci.Statement.map((st) => [st.Sid, st.Resource]));
    expect([bySid.TagNewRevisions, bySid.ReleaseTasks]).toEqual([
      [`${FAMILY}-frontend:*`, `${FAMILY}-backend:*`],
      [`${FAMILY}-frontend:*`, `${FAMILY}-backend:*`],
    ]);
  });
});
