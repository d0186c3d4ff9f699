// What an ECS task gets, as data (lib/ecsTasks.ts): exact documents, one row per rule.
import { describe, expect, it } from "vitest";
import { ciPolicy, clusterTasksArn, containerDefinitions, ecrLifecyclePolicy, executionRolePolicy, familyArn } from "../../lib/ecsTasks";

describe("ecsTasks", () => {
  it("expires untagged images after a day and keeps the newest N", () => {
    const rules = (JSON.parse(ecrLifecyclePolicy(7)) as { rules: Array<{ rulePriority: number; selection: Record<string, unknown> }> }).rules;
    expect(rules.map((r) => [r.rulePriority, r.selection])).toEqual([
      [1, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }],
      [2, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 7 }],
    ]);
  });

  it("gives the container PORT, sorted env and secrets by ARN, non-blocking awslogs", () => {
    const [c] = JSON.parse(
      containerDefinitions({
        name: "backend",
        image: "r/x:1",
        containerPort: 8080,
        env: { Z: "1", A: "2" },
        secrets: { TOKEN: "arn:t", DATABASE_URL: "arn:d" },
        logGroup: "/berth/x/apps/a",
        region: "ap-northeast-2",
        stopTimeoutSeconds: 20,
      }),
    ) as Array<Record<string, unknown>>;
    expect(c.environment).toEqual([
      { name: "A", value: "2" },
      { name: "PORT", value: "8080" },
      { name: "Z", value: "1" },
    ]);
    expect(c.secrets).toEqual([
      { name: "DATABASE_URL", valueFrom: "arn:d" },
      { name: "TOKEN", valueFrom: "arn:t" },
    ]);
    expect((c.logConfiguration as { options: Record<string, string> }).options.mode).toBe("non-blocking");
    expect(c.stopTimeout).toBe(20);
  });

  it("gives the execution role no parameter or key access when the part has no values", () => {
    const doc = JSON.parse(executionRolePolicy({ repositoryArns: ["arn:r"], logGroupArn: "arn:g", parameterArns: [], kmsKeyArn: "arn:k" })) as {
      Statement: Array<{ Sid: string }>;
    };
    expect(doc.Statement.map((s) => s.Sid)).toEqual(["EcrLogin", "PullAppImages", "WriteAppLogs"]);
  });

  it("scopes CI to the families' revisions and the cluster's tasks", () => {
    expect(familyArn("arn:aws:ecs:r:1:task-definition/berth-x-web-frontend:12")).toBe("arn:aws:ecs:r:1:task-definition/berth-x-web-frontend:*");
    expect(clusterTasksArn("arn:aws:ecs:r:1:cluster/berth-x-apps")).toBe("arn:aws:ecs:r:1:task/berth-x-apps/*");
    const doc = JSON.parse(
      ciPolicy({
        repositoryArns: ["arn:r"],
        serviceArns: ["arn:s"],
        roleArns: ["arn:e", "arn:t"],
        taskDefinitionArns: ["a:task-definition/f:1", "a:task-definition/f:2"],
        clusterArn: "a:cluster/c",
      }),
    ) as { Statement: Array<{ Sid: string; Action: string[]; Resource: unknown; Condition?: unknown }> };
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s.Resource]));
    expect(bySid).toEqual({
      EcrLogin: "*",
      PushAppImages: ["arn:r"],
      FindAppImages: ["arn:r"],
      TaskDefinitions: "*",
      TagNewRevisions: ["a:task-definition/f:*"],
      DeployServices: ["arn:s"],
      ReleaseTasks: ["a:task-definition/f:*"],
      WatchReleaseTasks: "a:task/c/*",
      PassTaskRoles: ["arn:e", "arn:t"],
    });
    // The deploy looks a tag up before it registers anything; tags ride on new revisions only, never on existing resources.
    expect(doc.Statement.find((s) => s.Sid === "FindAppImages")!.Action).toEqual(["ecr:DescribeImages"]);
    const tagging = doc.Statement.find((s) => s.Sid === "TagNewRevisions")!;
    expect(tagging.Action).toEqual(["ecs:TagResource"]);
    expect(tagging.Condition).toEqual({ StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } });
  });
});
