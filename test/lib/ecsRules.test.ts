// The ECS, ELB, ECR and SSM rules and derived names (lib/ecsRules.ts): one row per rule and edge.
import { describe, expect, it } from "vitest";
import {
  albName,
  appRulePriorities,
  boundedName,
  DEFAULT_SCALING,
  ecrRepositoryName,
  ecrRepositoryNameProblem,
  elbNameProblem,
  fargateMemoryFor,
  fargateSizeProblem,
  partFamilies,
  predefinedMetricType,
  priorityCollisions,
  requestCountLabel,
  requestCountLabelProblem,
  RULE_PRIORITY_MAX,
  runnableFamily,
  SCALING_TARGET_RANGE,
  ssmParameterName,
  ssmParameterNameProblem,
  targetGroupName,
  TASK_FAMILY_MAX,
} from "../../lib/ecsRules";

describe("Fargate task sizes", () => {
  it.each([
    [256, 512],
    [256, 2048],
    [512, 4096],
    [1024, 8192],
    [4096, 30720],
    [8192, 61440],
    [16384, 122880],
  ])("accepts cpu %i with %i MiB", (cpu, memory) => expect(fargateSizeProblem(cpu, memory)).toBeUndefined());

  it.each([
    [256, 1536, "allowed with 256: 512, 1024, 2048 MiB"],
    [512, 512, "allowed with 512: 1024 to 4096 in steps of 1024 MiB"],
    [8192, 18432, "16384 to 61440 in steps of 4096"],
    [300, 512, "cpu 300 is not a Fargate size; allowed CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384"],
  ])("refuses cpu %i with %i MiB", (cpu, memory, why) => expect(fargateSizeProblem(cpu, memory)).toContain(why));

  it("lists the memory of a size", () => {
    expect(fargateMemoryFor(2048)).toHaveLength(13);
    expect(fargateMemoryFor(3)).toEqual([]);
  });
});

describe("load balancer and target group names", () => {
  it("keeps short names and shortens long ones to 32 with a stable hash of the whole", () => {
    expect(albName("berth", "scale")).toBe("berth-scale-alb");
    expect(targetGroupName("berth", "scale", "shop", "frontend", 3000)).toBe("berth-scale-shop-frontend-3000");
    const long = targetGroupName("berth", "production-eu", "storefront-checkout", "frontend", 3000);
    expect(long).toHaveLength(32);
    expect(long).toMatch(/^berth-production-eu-sto-[0-9a-f]{8}$/);
    expect(targetGroupName("berth", "production-eu", "storefront-checkout", "frontend", 3000)).toBe(long);
    expect(targetGroupName("berth", "production-eu", "storefront-checkout", "backend", 3000)).not.toBe(long);
    // A new port is a new name, so the replacement target group can exist beside the old one.
    expect(targetGroupName("berth", "production-eu", "storefront-checkout", "frontend", 3001)).not.toBe(long);
    expect(elbNameProblem(long)).toBeUndefined();
  });

  it("never leaves a hyphen before the hash", () => expect(boundedName(`${"a".repeat(22)}-${"b".repeat(20)}`)).not.toContain("--"));

  it.each([
    ["", "1-32"],
    ["a".repeat(33), "is 33 characters"],
    ["-alb", "must not start or end with a hyphen"],
    ["alb_1", "letters, digits and hyphens"],
    ["internal-alb", 'must not start with "internal-"'],
  ])("refuses %j", (name, why) => expect(elbNameProblem(name)).toContain(why));
});

describe("listener rule priorities", () => {
  it("are in range, back end before front end, from the name alone", () => {
    const p = appRulePriorities("shop");
    expect(p.backend).toBeGreaterThanOrEqual(1);
    expect(p.frontend).toBe(p.backend + 1);
    expect(p.frontend).toBeLessThanOrEqual(RULE_PRIORITY_MAX);
  });

  it("stay the same for every app when an app is inserted in the middle", () => {
    const before = ["alpha", "shop", "zeta"].map((a) => [a, appRulePriorities(a)]);
    const after = new Map(["alpha", "inserted", "shop", "zeta"].map((a) => [a, appRulePriorities(a)]));
    for (const [app, p] of before) expect(after.get(app as string)).toEqual(p);
    expect(priorityCollisions(["alpha", "inserted", "shop", "zeta"])).toEqual([]);
  });

  it("are unique over many apps, and a collision is reported", () => {
    const apps = Array.from({ length: 200 }, (_, i) => `app-${i}`);
    const priorities = apps.flatMap((a): number[] => {
      const p = appRulePriorities(a);
      return [p.backend, p.frontend];
    });
    expect(new Set(priorities).size).toBe(priorities.length);
    expect(priorityCollisions(["shop", "shop"])).toEqual([["shop", "shop"]]);
  });
});

describe("ECR repository names", () => {
  it("builds <stack>/<app>-<part>", () => expect(ecrRepositoryName("scale", "shop", "frontend")).toBe("scale/shop-frontend"));
  it.each(["scale/shop-frontend", "a/b/c.d_e"])("accepts %s", (n) => expect(ecrRepositoryNameProblem(n)).toBeUndefined());
  it.each([
    ["a", "2-256"],
    ["Scale/shop", "lower-case"],
    ["scale//shop", "lower-case"],
    ["scale/shop-", "lower-case"],
    ["x".repeat(257), "is 257 characters"],
  ])("refuses %j", (n, why) => expect(ecrRepositoryNameProblem(n)).toContain(why));
});

describe("task definition families", () => {
  it("gives a part the deploys' family <project>-<stack>-<app>-<part> and the stack's <family>-shape", () => {
    expect(partFamilies("berth", "scale", "shop", "backend")).toEqual({ family: "berth-scale-shop-backend", shapeFamily: "berth-scale-shop-backend-shape" });
  });

  it("refuses a shape family past ECS's 255 characters, and takes one of exactly 255", () => {
    const app = "a".repeat(TASK_FAMILY_MAX - "berth-scale--backend-shape".length);
    expect(partFamilies("berth", "scale", app, "backend").shapeFamily).toHaveLength(TASK_FAMILY_MAX);
    expect(() => partFamilies("berth", "scale", `${app}a`, "backend")).toThrow(/is 256 characters; the limit for this resource is 255/);
  });

  it("runs a shape family's part family; any other family is its own", () => {
    expect(runnableFamily("berth-scale-shop-backend-shape")).toBe("berth-scale-shop-backend");
    expect(runnableFamily("arn:aws:ecs:r:1:task-definition/berth-scale-shop-backend-shape")).toBe("arn:aws:ecs:r:1:task-definition/berth-scale-shop-backend");
    expect(runnableFamily("berth-scale-shop-backend")).toBe("berth-scale-shop-backend");
    expect(runnableFamily("shape")).toBe("shape");
  });
});

describe("SSM parameter names", () => {
  it("builds /<project>/<stack>/<app>/<part>/<NAME>", () =>
    expect(ssmParameterName("berth", "scale", "shop", "backend", "API_TOKEN")).toBe("/berth/scale/shop/backend/API_TOKEN"));
  it.each([
    ["/berth/scale/shop/backend/x y", "may hold only"],
    ["/aws/x", 'must not start with "aws"'],
    ["ssm-x", 'must not start with "aws" or "ssm"'],
    [`/${"a/".repeat(16)}x`, "more than 15 levels"],
    [`/${"a".repeat(1011)}`, "is 1012 characters"],
  ])("refuses %j", (n, why) => expect(ssmParameterNameProblem(n)).toContain(why));
});

describe("target tracking", () => {
  it("keeps 60 % CPU as the default and maps each metric to Application Auto Scaling's predefined one", () => {
    expect(DEFAULT_SCALING).toEqual({ metric: "cpu", target: 60 });
    expect(predefinedMetricType("cpu")).toBe("ECSServiceAverageCPUUtilization");
    expect(predefinedMetricType("requests")).toBe("ALBRequestCountPerTarget");
    expect(SCALING_TARGET_RANGE).toEqual({ cpu: { min: 1, max: 99 }, requests: { min: 1, max: 100000 } });
  });

  // The format of Application Auto Scaling's PredefinedMetricSpecification ResourceLabel, with the API reference's own example.
  it("labels requests per target app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>", () => {
    const lb = "app/my-alb/778d41231b141a0f";
    const tg = "targetgroup/my-alb-target-group/943f017f100becff";
    expect(requestCountLabelProblem(lb, tg)).toBeUndefined();
    expect(requestCountLabel(lb, tg)).toBe("app/my-alb/778d41231b141a0f/targetgroup/my-alb-target-group/943f017f100becff");
    expect(
      requestCountLabel(
        `app/${albName("berth", "scale")}/0123456789abcdef`,
        `targetgroup/${targetGroupName("berth", "scale", "shop", "backend", 8080)}/fedcba9876543210`,
      ),
    ).toBe("app/berth-scale-alb/0123456789abcdef/targetgroup/berth-scale-shop-backend-8080/fedcba9876543210");
  });

  it.each<[string, string, RegExp]>([
    [
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/778d41231b141a0f",
      "targetgroup/tg/943f017f100becff",
      /load balancer's ARN suffix .* is not app\/<name>\/<id>/,
    ],
    ["net/my-nlb/778d41231b141a0f", "targetgroup/tg/943f017f100becff", /is not app\/<name>\/<id>/],
    [
      "app/my-alb/778d41231b141a0f",
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/943f017f100becff",
      /target group's ARN suffix .* is not targetgroup/,
    ],
    ["app/my-alb/778d41231b141a0f", "targetgroup/tg", /is not targetgroup\/<name>\/<id>/],
  ])("refuses %s with %s (a full ARN, another kind of load balancer, a missing id)", (lb, tg, why) => expect(requestCountLabelProblem(lb, tg)).toMatch(why));
});
