// Apps on ECS Fargate in config (config/validate/cluster.ts and the ecs keys of config/schema.ts):
// the split by runtime, and every bad input refused before any cloud call, naming the key as written.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

type App = Record<string, unknown>;
const scaleProxy = section("scale", "proxy") as { apps: App[] };
const [site, shop] = scaleProxy.apps;

/** The scale stack with its apps replaced (and other sections edited). */
function scaleWith(apps: App[], edits: Record<string, unknown> = {}) {
  return stackWith("scale", { proxy: { ...scaleProxy, apps }, ...edits });
}
const parses = (apps: App[], edits?: Record<string, unknown>) => parseConfig(toRawConfigInput(scaleWith(apps, edits)));
const problems = (apps: App[], edits?: Record<string, unknown>): string => rejection(toRawConfigInput(scaleWith(apps, edits))).message;
const shopWith = (fields: App, part: App = {}): App => ({ ...shop, ...fields, frontend: { ...(shop.frontend as App), ...part } });

describe("runtime split", () => {
  it("gives the host the host apps only, and the cluster the ECS apps with their index and counts", () => {
    const cfg = parses(scaleProxy.apps);
    expect(cfg.proxy.apps.map((a) => a.name)).toEqual(["site"]);
    expect(cfg.proxy.apps[0].runtime).toBe("host");
    expect(cfg.cluster?.apps.map((a) => [a.name, a.index, a.desiredCount, a.minCount, a.maxCount])).toEqual([["shop", 1, 2, 2, 6]]);
    expect(cfg.cluster?.settings).toEqual({
      containerInsights: true,
      deregistrationDelaySeconds: 5,
      idleTimeoutSeconds: 60,
      accessLogs: true,
      accessLogRetentionDays: 90,
      stopTimeoutSeconds: 30,
      taskSubnets: "public",
    });
  });

  it("defaults min and max to desiredCount, and makes no cluster without an ECS app", () => {
    const cfg = parses([site, { name: "shop", runtime: "ecs", hostnames: ["shop.example.org"], frontend: {} }]);
    const app = cfg.cluster!.apps[0];
    expect([app.desiredCount, app.minCount, app.maxCount, app.frontend.cpu, app.frontend.memory, app.frontend.containerPort]).toEqual([2, 2, 2, 256, 512, 80]);
    expect(parses([site]).cluster).toBeUndefined();
    expect(parseConfig(toRawConfigInput(stackWith("dev"))).cluster).toBeUndefined();
  });

  it("names host apps' keys by their place in berth:proxy.apps as written", () => {
    const badSite = { ...site, frontend: { livePort: 3000, bluePort: 3000, greenPort: 3002 } };
    expect(problems([shop, badSite])).toContain("berth:proxy.apps[1].frontend");
    expect(problems([shop, badSite])).not.toContain("berth:proxy.apps[0].frontend");
  });
});

describe("ECS app rules", () => {
  it.each<[string, App, App, string, string]>([
    ["a Fargate size", {}, { cpu: 256, memory: 4096 }, "berth:proxy.apps[1].frontend.memory", "allowed with 256: 512, 1024, 2048 MiB"],
    ["a CPU size", {}, { cpu: 300, memory: 512 }, "berth:proxy.apps[1].frontend.memory", "cpu 300 is not a Fargate size"],
    ["min above desired", { minCount: 3 }, {}, "berth:proxy.apps[1].minCount", "must be at most desiredCount (2)"],
    ["max below desired", { maxCount: 1 }, {}, "berth:proxy.apps[1].maxCount", "must be at least desiredCount (2)"],
    ["ports of the host", {}, { bluePort: 4001 }, "berth:proxy.apps[1].frontend", "bluePort"],
    ["host-only keys", { initialColor: "green" }, {}, "berth:proxy.apps[1]", "initialColor"],
    ["a health interval ELB refuses", {}, { health: { intervalSeconds: 0.5 } }, "berth:proxy.apps[1].frontend.health.intervalSeconds = 0.5", "5"],
    ["a host-only health key", {}, { health: { deadlineSeconds: 30 } }, "berth:proxy.apps[1].frontend.health", "deadlineSeconds"],
    [
      "a timeout not under the interval",
      {},
      { health: { intervalSeconds: 5, timeoutSeconds: 5 } },
      "berth:proxy.apps[1].frontend.health.timeoutSeconds",
      "less than",
    ],
    [
      "too many hostnames for one rule",
      { hostnames: ["a.example.org", "b.example.org", "c.example.org", "d.example.org"] },
      {},
      "berth:proxy.apps[1].hostnames",
      "5 condition values",
    ],
    ["a name in no zone", { hostnames: ["shop.example.com"] }, {}, "berth:proxy.apps[1].hostnames[0]", "is in no zone of berth:dns"],
    [
      "a name berth:dns has a record for",
      { hostnames: ["www.example.org"] },
      {},
      "berth:proxy.apps[1].hostnames[0]",
      "berth:dns also has a record for www.example.org",
    ],
    ["no hostnames", { hostnames: [] }, {}, "berth:proxy.apps[1].hostnames", "at least"],
    ["an unknown runtime", { runtime: "k8s" }, {}, "berth:proxy.apps[1].runtime", 'runtime must be "host" (the default) or "ecs"'],
  ])("refuses %s", (_what, fields, part, key, why) => {
    const message = problems([site, shopWith(fields, part)]);
    expect(message).toContain(key);
    expect(message).toContain(why);
  });

  it("lists an ECS app's own keys when it holds one of a host app's", () => {
    expect(problems([site, shopWith({ initialColor: "green" })])).toContain(
      `berth:proxy.apps[1].initialColor = "green": unknown key; allowed here: name, runtime, hostnames, frontend, backend, backendPath, database, desiredCount, minCount, maxCount`,
    );
  });

  it("refuses a name a host app serves, and a name used by both runtimes", () => {
    expect(problems([site, shopWith({ hostnames: ["example.org"] })])).toMatch(/apps\[1\]\.hostnames\[0\].*example\.org is already served by host app site/s);
    expect(problems([site, shopWith({ name: "site" })])).toContain("app names must be unique (across both runtimes)");
  });

  it("refuses a stack whose ECR repository name breaks ECR's rule", () => {
    const file = { ...scaleWith([site, shop]), stack: "Scale" };
    expect(rejection(toRawConfigInput(file)).message).toContain('the ECR repository "Scale/shop-frontend"');
  });

  it("refuses reserved example names for a real preview or update, and accepts them offline", () => {
    const input = { ...toRawConfigInput(scaleWith([site, shop])), target: "cloud" as const };
    expect(rejection(input).message).toMatch(/berth:proxy\.apps\[1\]\.hostnames\[0\] = "?shop\.example\.org"?: is a reserved example name/);
    expect(parses([site, shop]).cluster?.apps).toHaveLength(1);
  });

  it("checks secrets of ECS apps like those of host apps (declared and set)", () => {
    const withSecret = shopWith({}, { secrets: ["API_TOKEN"] });
    expect(problems([site, withSecret])).toContain("berth:appSecrets.shop.API_TOKEN");
    const cfg = parseConfig(
      toRawConfigInput(
        stackWith("scale", { proxy: { ...scaleProxy, apps: [site, withSecret] } }, { appSecrets: JSON.stringify({ shop: { API_TOKEN: "x" } }) }),
      ),
    );
    expect(cfg.cluster?.apps[0].frontend.secrets).toEqual(["API_TOKEN"]);
  });
});

describe("ECS jobs", () => {
  const job = { name: "report", schedule: "Mon..Fri 07:30", command: ["node", "report.js"] };
  const withJobs = (jobs: App[], backendJobs: App[] = []): App => ({
    ...shopWith({}, { jobs }),
    backend: { ...((shop.backend ?? {}) as App), jobs: backendJobs },
  });

  it("accepts a job like a host part's, with its schedule kept as written", () => {
    const cfg = parses([site, withJobs([job])]);
    expect(cfg.cluster?.apps[0].frontend.jobs).toEqual([job]);
    expect(cfg.cluster?.apps[0].backend?.jobs).toEqual([]);
  });

  it.each<[string, App, string, string]>([
    ["seconds", { schedule: "*-*-* 03:00:30" }, "jobs[0].schedule", "second other than :00"],
    ["a weekday and a day", { schedule: "Mon *-*-01 00:00" }, "jobs[0].schedule", "weekdays and days of the month"],
    ["a last-day form other than ~01", { schedule: "*-*~03 00:00" }, "jobs[0].schedule", "only ~01"],
    ["what systemd itself refuses", { schedule: "*-*-* */15:00" }, "jobs[0].schedule", "systemd refuses */15"],
    ["an unknown time zone", { schedule: "*-*-* 03:00 Mars/Olympus" }, "jobs[0].schedule", "not a time zone"],
    ["a timeout (ECS has no time limit for a task)", { timeoutSeconds: 60 }, "jobs[0].timeoutSeconds", "unknown key; allowed here: name, schedule, command"],
    ["a command as one string", { command: "node report.js" }, "jobs[0].command", "must be a list of arguments"],
    ["a command RunTask cannot take", { command: ["node", "x".repeat(4000), "y".repeat(4000), "z".repeat(500)] }, "jobs[0].command", "ECS takes 8192"],
  ])("refuses %s, naming the key and saying what is allowed", (_what, edit, key, why) => {
    const message = problems([site, withJobs([{ ...job, ...edit }])]);
    expect(message).toContain(`berth:proxy.apps[1].frontend.${key}`);
    expect(message).toContain(why);
  });

  it("says what an ECS schedule may be", () => {
    expect(problems([site, withJobs([{ ...job, schedule: "Mon *-*-01 00:00" }])])).toMatch(
      /has no exact EventBridge Scheduler form: .*; on ECS a schedule must have/,
    );
  });

  it("refuses one name twice in an app, across its parts", () => {
    expect(problems([site, withJobs([job], [job])])).toMatch(
      /berth:proxy\.apps\[1\]\.backend\.jobs\[0\]\.name.*is also the name of berth:proxy\.apps\[1\]\.frontend\.jobs\[0\]/s,
    );
  });
});

describe("scaleOn", () => {
  it("defaults to 60 % CPU and takes requests per task with a target", () => {
    expect(parses([site, shop]).cluster?.apps[0].scaleOn).toEqual({ metric: "cpu", target: 60 });
    expect(parses([site, shopWith({ scaleOn: { metric: "cpu" } })]).cluster?.apps[0].scaleOn).toEqual({ metric: "cpu", target: 60 });
    expect(parses([site, shopWith({ scaleOn: { metric: "requests", target: 800 } })]).cluster?.apps[0].scaleOn).toEqual({ metric: "requests", target: 800 });
  });

  it.each<[string, unknown, App, string, string]>([
    ["requests without a target", { metric: "requests" }, {}, "berth:proxy.apps[1].scaleOn.target = (not set)", "is required"],
    ["a CPU target over 99 %", { metric: "cpu", target: 150 }, {}, "berth:proxy.apps[1].scaleOn.target = 150", "must be <= 99"],
    ["a request target of 0", { metric: "requests", target: 0 }, {}, "berth:proxy.apps[1].scaleOn.target = 0", "must be >= 1"],
    ["another metric", { metric: "memory", target: 70 }, {}, 'berth:proxy.apps[1].scaleOn.metric = "memory"', 'metric must be "cpu" or "requests"'],
    ["an unknown key", { metric: "cpu", target: 50, cooldown: 60 }, {}, "berth:proxy.apps[1].scaleOn.cooldown", "unknown key"],
    [
      "scaling with nothing to scale",
      { metric: "requests", target: 500 },
      { maxCount: 2 },
      'berth:proxy.apps[1].scaleOn = {"metric":"requests","target":500}',
      "nothing scales: maxCount (2) is not above minCount (2); raise maxCount, or remove scaleOn",
    ],
  ])("refuses %s", (_what, scaleOn, fields, key, why) => {
    const message = problems([site, shopWith({ ...fields, scaleOn })]);
    expect(message).toContain(key);
    expect(message).toContain(why);
  });
});

describe("taskSubnets", () => {
  const cluster = section("scale", "cluster");
  const clusterWith = (fields: App) => ({ cluster: { ...cluster, ...fields } });

  it("keeps tasks in the public subnets by default, and picks two free /(vpc+4) blocks for private ones", () => {
    expect(parses([site, shop]).cluster?.taskSubnetCidrs).toBeUndefined();
    expect(parses([site, shop], clusterWith({ taskSubnets: "private" })).cluster?.taskSubnetCidrs).toEqual(["10.40.16.0/20", "10.40.32.0/20"]);
    expect(parses([site, shop], clusterWith({ taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/24", "10.40.21.0/24"] })).cluster?.taskSubnetCidrs).toEqual(
      ["10.40.20.0/24", "10.40.21.0/24"],
    );
  });

  it.each<[string, App, string, string]>([
    [
      "blocks without private subnets",
      { taskSubnetCidrs: ["10.40.20.0/24", "10.40.21.0/24"] },
      "berth:cluster.taskSubnetCidrs",
      "only with berth:cluster.taskSubnets: private",
    ],
    ["another placement", { taskSubnets: "nat" }, 'berth:cluster.taskSubnets = "nat"', '"public"|"private"'],
    ["one block", { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/24"] }, "berth:cluster.taskSubnetCidrs", "exactly 2"],
    [
      "a block outside the VPC",
      { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/24", "10.41.0.0/24"] },
      "berth:cluster.taskSubnetCidrs[1]",
      "inside the VPC 10.40.0.0/16",
    ],
    [
      "a block over a public subnet",
      { taskSubnets: "private", taskSubnetCidrs: ["10.40.0.0/23", "10.40.21.0/24"] },
      "berth:cluster.taskSubnetCidrs[0]",
      "overlaps berth:network.publicSubnetCidrs[0] (10.40.0.0/24)",
    ],
    [
      "a block over the database's",
      { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/24", "10.40.11.0/24"] },
      "berth:cluster.taskSubnetCidrs[1]",
      "overlaps berth:network.databaseSubnetCidrs[1]",
    ],
    [
      "the same block twice",
      { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/24", "10.40.20.0/25"] },
      "berth:cluster.taskSubnetCidrs[1]",
      "overlaps berth:cluster.taskSubnetCidrs[0]",
    ],
    ["a block under /28", { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/29", "10.40.21.0/24"] }, "berth:cluster.taskSubnetCidrs[0]", "/28 or larger"],
    // shop: two parts, at most 6 tasks each, 12 more while a deploy starts new ones: 12 per AZ, plus 4 endpoint interfaces.
    [
      "blocks too small for the tasks at their largest",
      { taskSubnets: "private", taskSubnetCidrs: ["10.40.20.0/28", "10.40.21.0/28"] },
      "berth:cluster.taskSubnetCidrs[0]",
      "has 11 usable addresses; one AZ may need 16",
    ],
  ])("refuses %s", (_what, fields, key, why) => {
    const message = problems([site, shop], clusterWith(fields));
    expect(message).toContain(key);
    expect(message).toContain(why);
  });

  it("says when the VPC has no two blocks left, and names the key to set", () => {
    const network = {
      ...section("scale", "network"),
      vpcCidr: "10.40.0.0/24",
      publicSubnetCidrs: ["10.40.0.0/25", "10.40.0.128/26"],
      databaseSubnetCidrs: ["10.40.0.192/27", "10.40.0.224/28"],
    };
    expect(problems([site, shop], { network, ...clusterWith({ taskSubnets: "private" }) })).toContain(
      "berth:cluster.taskSubnetCidrs = (not set): the VPC 10.40.0.0/24 has no two /28 blocks left beside the public and database subnets; give two free blocks",
    );
  });

  it("marks a default block it refuses as the default", () => {
    const network = {
      ...section("scale", "network"),
      vpcCidr: "10.40.0.0/24",
      publicSubnetCidrs: ["10.40.0.0/28", "10.40.0.16/28"],
      databaseSubnetCidrs: ["10.40.0.32/28", "10.40.0.48/28"],
    };
    expect(problems([site, shop], { network, ...clusterWith({ taskSubnets: "private" }) })).toContain(
      'berth:cluster.taskSubnetCidrs[0] = "10.40.0.64/28 (the default)": has 11 usable addresses',
    );
  });
});
