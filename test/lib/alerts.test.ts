// The alarm specs: thresholds from config, what each watches, how missing data counts.
import { describe, expect, it } from "vitest";
import {
  alarmSpecs,
  appLogFilters,
  dashboardBody,
  dashboardUrl,
  DEFAULT_APP_LOG_ERROR_PATTERN,
  isBurstable,
  logFilterPatternProblem,
  rdsClassMemoryGiB,
  rdsMaxConnections,
  type AlarmInput,
} from "../../lib/alerts";
import { watchedMounts } from "../../lib/hostMetrics";
import { ALERT_THRESHOLDS } from "../helpers/alerts";

const thresholds = ALERT_THRESHOLDS;
const input: AlarmInput<string> = {
  instanceId: "i-0abc",
  instanceType: "t3.xlarge",
  databaseId: "berth-dev-db",
  databaseInstanceClass: "db.t3.micro",
  databaseAllocatedGiB: 20,
  databaseMaxConnections: 85,
  stack: "dev",
  mounts: watchedMounts({ dataVolume: true }),
  services: ["docker", "nginx", "registry"],
  thresholds,
};

describe("rdsMaxConnections", () => {
  it.each([
    ["db.t3.micro", 1, 85],
    ["db.t4g.small", 2, 170],
    ["db.t3.medium", 4, 341],
    ["db.m6g.large", 8, 682],
    ["db.m6i.2xlarge", 32, 2730],
    ["db.r6g.large", 16, 1365],
    ["db.r7g.4xlarge", 128, 10922],
  ])("%s: %i GiB, max_connections %i", (cls, gib, max) => {
    expect(rdsClassMemoryGiB(cls)).toBe(gib);
    expect(rdsMaxConnections(cls)).toBe(max);
  });

  it("knows no memory for families and sizes outside the table", () => {
    expect(rdsMaxConnections("db.x2g.large")).toBeUndefined();
    expect(rdsMaxConnections("db.m5.micro")).toBeUndefined();
    expect(rdsMaxConnections("nonsense")).toBeUndefined();
  });
});

describe("alarmSpecs", () => {
  const specs = alarmSpecs(input);
  const byRole = Object.fromEntries(specs.map((s) => [s.role, s]));

  it("lists every alarm of the issue once", () => {
    expect(specs.map((s) => s.role)).toEqual([
      "host-system-status",
      "host-instance-status",
      "host-cpu-credits",
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
    ]);
  });

  it("recovers the instance on the system status check only", () => {
    expect(specs.filter((s) => s.recover).map((s) => s.role)).toEqual(["host-system-status"]);
  });

  it("turns thresholds into the metric's units", () => {
    expect(byRole["db-free-storage"].threshold).toBe(2 * 1024 ** 3);
    expect(byRole["db-free-storage-percent"].threshold).toBe(2 * 1024 ** 3); // 10 % of 20 GiB
    expect(byRole["db-memory"].threshold).toBe(64 * 1024 * 1024);
    expect(byRole["db-connections"].threshold).toBe(68); // 80 % of 85
    expect(byRole["tls-expiry"]).toMatchObject({ threshold: 14, comparison: "LessThanThreshold", treatMissingData: "breaching" });
  });

  it("gives every alarm a description that says what to do, and a reason for its missing-data choice", () => {
    for (const s of specs) {
      expect(s.description.length, s.role).toBeGreaterThan(40);
      expect(s.missingDataWhy.length, s.role).toBeGreaterThan(10);
    }
  });

  it("watches CPU credits on burstable types only, and only the services that run", () => {
    expect(isBurstable("t3.xlarge")).toBe(true);
    expect(isBurstable("t4g.small")).toBe(true);
    expect(isBurstable("m6i.xlarge")).toBe(false);
    const roles = alarmSpecs({ ...input, instanceType: "m6i.xlarge", services: ["docker"], mounts: watchedMounts({ dataVolume: false }) }).map((s) => s.role);
    expect(roles).not.toContain("host-cpu-credits");
    expect(roles).not.toContain("nginx-down");
    expect(roles).not.toContain("host-disk-srv-berth");
  });
});

interface Dashboard {
  widgets: Array<{ properties: { metrics: unknown[][]; annotations: { horizontal: Array<{ label: string; value: number }> } } }>;
}

describe("the dashboard", () => {
  it("graphs each alarm's metric with its threshold, and has a console address", () => {
    const body = JSON.parse(dashboardBody("ap-northeast-2", alarmSpecs(input))) as Dashboard;
    expect(body.widgets).toHaveLength(alarmSpecs(input).length);
    expect(body.widgets[3].properties.metrics[0]).toEqual(["CWAgent", "disk_used_percent", "InstanceId", "i-0abc", "path", "/", "fstype", "ext4"]);
    expect(body.widgets[3].properties.annotations.horizontal[0]).toEqual({ label: "diskUsedPercent", value: 85 });
    expect(dashboardUrl("ap-northeast-2", "berth-prod-dashboard")).toBe(
      "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#dashboards/dashboard/berth-prod-dashboard",
    );
  });
});

describe("apps on ECS", () => {
  const ecs = {
    loadBalancer: "app/berth-scale/0123456789abcdef",
    containerInsights: true,
    parts: [
      { key: "shop-frontend", targetGroup: "targetgroup/tg-f/aa", cluster: "berth-scale-apps", service: "shop-frontend", minCount: 2 },
      { key: "shop-backend", targetGroup: "targetgroup/tg-b/bb", cluster: "berth-scale-apps", service: "shop-backend", minCount: 2 },
    ],
  };
  const byRole = (specs: ReturnType<typeof alarmSpecs<string>>) => new Map(specs.map((s) => [s.role, s]));

  it("adds nothing without ECS apps", () => {
    expect(alarmSpecs(input).some((s) => s.metric.namespace === "AWS/ApplicationELB" || s.metric.namespace === "ECS/ContainerInsights")).toBe(false);
  });

  it("watches the load balancer's and each part's 5xx, unhealthy targets and services below their minimum", () => {
    const specs = byRole(alarmSpecs({ ...input, ecs }));
    expect(specs.get("alb-5xx")).toMatchObject({
      metric: { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: ecs.loadBalancer } },
      statistic: "Sum",
      period: 300,
      threshold: 10,
      thresholdKey: "http5xxCount",
      treatMissingData: "notBreaching",
    });
    expect(specs.get("shop-backend-5xx")?.metric).toEqual({
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_Target_5XX_Count",
      dimensions: { LoadBalancer: ecs.loadBalancer, TargetGroup: "targetgroup/tg-b/bb" },
    });
    expect(specs.get("shop-frontend-unhealthy")).toMatchObject({
      metric: { metricName: "UnHealthyHostCount", dimensions: { LoadBalancer: ecs.loadBalancer, TargetGroup: "targetgroup/tg-f/aa" } },
      statistic: "Maximum",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 3,
    });
    expect(specs.get("shop-frontend-running")).toMatchObject({
      metric: {
        namespace: "ECS/ContainerInsights",
        metricName: "RunningTaskCount",
        dimensions: { ClusterName: "berth-scale-apps", ServiceName: "shop-frontend" },
      },
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 2,
      treatMissingData: "breaching",
    });
  });

  it("has no running-task alarm without Container Insights (nothing publishes RunningTaskCount)", () => {
    const roles = alarmSpecs({ ...input, ecs: { ...ecs, containerInsights: false } }).map((s) => s.role);
    expect(roles.filter((r) => r.endsWith("-running"))).toEqual([]);
    expect(roles).toContain("shop-backend-unhealthy");
  });
});

describe("apps' error lines", () => {
  const withApps: AlarmInput<string> = {
    ...input,
    appLogs: {
      pattern: DEFAULT_APP_LOG_ERROR_PATTERN,
      apps: [
        { app: "web", logGroup: "/berth/dev/apps/web" },
        { app: "shop", logGroup: "/berth/dev/apps/shop" },
      ],
    },
  };

  it("counts each app's matching lines in a metric of its own, and alarms on the same metric", () => {
    const filters = appLogFilters(withApps);
    expect(filters.map((f) => [f.role, f.logGroup, f.pattern])).toEqual([
      ["web-log-errors", "/berth/dev/apps/web", "?ERROR ?FATAL ?Traceback ?panic"],
      ["shop-log-errors", "/berth/dev/apps/shop", "?ERROR ?FATAL ?Traceback ?panic"],
    ]);
    expect(filters[0].metric).toEqual({ namespace: "Berth", metricName: "AppLogErrors/dev/web", dimensions: {} });
    const specs = alarmSpecs(withApps);
    for (const f of filters) {
      const alarm = specs.find((s) => s.role === f.role)!;
      expect(alarm.metric).toEqual(f.metric);
      expect(alarm).toMatchObject({ statistic: "Sum", period: 300, threshold: 10, thresholdKey: "appLogErrors", treatMissingData: "notBreaching" });
      expect(alarm.description).toContain(`berth-deploy logs ${f.app}`);
    }
  });

  it("has no filter and no alarm without apps", () => {
    expect(appLogFilters(input)).toEqual([]);
    expect(alarmSpecs(input).filter((s) => s.role.endsWith("-log-errors"))).toEqual([]);
  });

  it("refuses patterns CloudWatch Logs would refuse", () => {
    expect(logFilterPatternProblem(DEFAULT_APP_LOG_ERROR_PATTERN)).toBeUndefined();
    expect(logFilterPatternProblem('?"level=error" ?%[Ee]rror%')).toBeUndefined();
    expect(logFilterPatternProblem("  ")).toMatch(/must not be empty/);
    expect(logFilterPatternProblem("x".repeat(1025))).toMatch(/1025 characters; CloudWatch Logs allows 1024/);
    expect(logFilterPatternProblem('?"level=error ?FATAL')).toMatch(/unclosed double quote/);
    expect(logFilterPatternProblem("%a% %b% %c%")).toMatch(/3 regular expressions/);
    expect(logFilterPatternProblem("%a")).toMatch(/unclosed %/);
  });
});
