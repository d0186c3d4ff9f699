// What an ECS task gets, as data (lib/ecsTasks.ts): exact documents, one row per rule.
import { describe, expect, it } from "vitest";
import { secretIsFile } from "../../lib/appRuntime";
import {
  ciPolicy,
  clusterTasksArn,
  containerDefinitions,
  ecrLifecyclePolicy,
  everyRevision,
  executionRolePolicy,
  secretsInitScript,
  taskFamilyArn,
  taskVolumes,
  type ContainerInput,
} from "../../lib/ecsTasks";

type Container = Record<string, unknown> & {
  name: string;
  secrets: Array<{ name: string; valueFrom: string }>;
  environment: Array<{ name: string; value: string }>;
};
const base: ContainerInput = {
  name: "backend",
  image: "1.dkr.ecr.r.amazonaws.com/x/web-backend:initial",
  containerPort: 8080,
  env: { LOG_LEVEL: "info" },
  secrets: { API_TOKEN: "arn:token", DATABASE_URL: "arn:db" },
  logGroup: "/berth/x/apps/web",
  region: "ap-northeast-2",
  stopTimeoutSeconds: 30,
};
const parse = (c: ContainerInput): Container[] => JSON.parse(containerDefinitions(c)) as Container[];

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

  it("scopes CI to the parts' families (never the shape families) and the cluster's tasks", () => {
    expect(taskFamilyArn("arn:aws:ecs:r-1:123456789012:cluster/berth-x-apps", "berth-x-web-frontend")).toBe(
      "arn:aws:ecs:r-1:123456789012:task-definition/berth-x-web-frontend",
    );
    expect(taskFamilyArn("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c", "f")).toBe("arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/f");
    expect(() => taskFamilyArn("arn:aws:ecs:r-1:123456789012:service/c/s", "f")).toThrow(/is not an ECS cluster ARN/);
    expect(everyRevision("arn:aws:ecs:r:1:task-definition/berth-x-web-frontend")).toBe("arn:aws:ecs:r:1:task-definition/berth-x-web-frontend:*");
    expect(clusterTasksArn("arn:aws:ecs:r:1:cluster/berth-x-apps")).toBe("arn:aws:ecs:r:1:task/berth-x-apps/*");
    const doc = JSON.parse(
      ciPolicy({
        repositoryArns: ["arn:r"],
        serviceArns: ["arn:s"],
        roleArns: ["arn:e", "arn:t"],
        familyArns: ["a:task-definition/f", "a:task-definition/g", "a:task-definition/f"],
        clusterArn: "a:cluster/c",
      }),
    ) as { Statement: Array<{ Sid: string; Action: string[]; Resource: unknown; Condition?: unknown }> };
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s.Resource]));
    expect(bySid).toEqual({
      EcrLogin: "*",
      PushAppImages: ["arn:r"],
      FindAppImages: ["arn:r"],
      TaskDefinitions: "*",
      TagNewRevisions: ["a:task-definition/f:*", "a:task-definition/g:*"],
      DeployServices: ["arn:s"],
      ReleaseTasks: ["a:task-definition/f:*", "a:task-definition/g:*"],
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

describe("multi-line secrets as files (the host's /run/secrets contract)", () => {
  const withFiles: ContainerInput = { ...base, fileSecrets: { SIGNING_KEY: "arn:key", TLS_CERT: "arn:cert" } };

  it("decides file or env value by the host's own rule: a line break", () => {
    expect([secretIsFile("tok-123"), secretIsFile("-----BEGIN-----\nx\n"), secretIsFile("a\rb")]).toEqual([false, true, true]);
  });

  it("leaves a part without any exactly as it was: one container, no volume", () => {
    const containers = parse(base);
    expect(containers.map((c) => c.name)).toEqual(["backend"]);
    expect(Object.keys(containers[0])).toEqual([
      "name",
      "image",
      "essential",
      "portMappings",
      "environment",
      "secrets",
      "stopTimeout",
      "readonlyRootFilesystem",
      "logConfiguration",
    ]);
    expect(taskVolumes([])).toEqual([]);
    expect(containerDefinitions({ ...base, fileSecrets: {} })).toBe(containerDefinitions(base));
  });

  it("never gives the app container a file secret's value: it gets <NAME>_FILE and the volume read-only", () => {
    const [app] = parse(withFiles);
    expect(app.secrets.map((s) => s.name)).toEqual(["API_TOKEN", "DATABASE_URL"]);
    expect(app.secrets.map((s) => s.valueFrom)).not.toContain("arn:key");
    expect(app.environment.filter((e) => e.name.endsWith("_FILE"))).toEqual([
      { name: "SIGNING_KEY_FILE", value: "/run/secrets/SIGNING_KEY" },
      { name: "TLS_CERT_FILE", value: "/run/secrets/TLS_CERT" },
    ]);
    expect(app.environment.map((e) => e.name)).not.toContain("SIGNING_KEY");
    expect(app.mountPoints).toEqual([{ sourceVolume: "berth-secrets", containerPath: "/run/secrets", readOnly: true }]);
    expect(app.dependsOn).toEqual([{ containerName: "backend-secrets", condition: "SUCCESS" }]);
    expect(app.essential).toBe(true);
    expect(taskVolumes(["SIGNING_KEY", "TLS_CERT"])).toEqual([{ name: "berth-secrets" }]);
  });

  it("has a non-essential init container of the same image write them, 0444 like the host's files, then exit", () => {
    const [app, init] = parse(withFiles);
    expect(init).toMatchObject({
      name: "backend-secrets",
      image: app.image,
      essential: false,
      user: "0",
      entryPoint: ["/bin/sh", "-c"],
      mountPoints: [{ sourceVolume: "berth-secrets", containerPath: "/run/secrets", readOnly: false }],
    });
    expect(init.secrets).toEqual([
      { name: "SIGNING_KEY", valueFrom: "arn:key" },
      { name: "TLS_CERT", valueFrom: "arn:cert" },
    ]);
    expect(init.command).toEqual([secretsInitScript(["TLS_CERT", "SIGNING_KEY"])]);
    expect(init).not.toHaveProperty("portMappings");
    expect((init.logConfiguration as { options: Record<string, string> }).options["awslogs-stream-prefix"]).toBe("backend-secrets");
  });

  it("writes each value byte for byte and makes it read-only, nothing else", () => {
    expect(secretsInitScript(["TLS_CERT", "SIGNING_KEY"]).split("\n")).toEqual([
      "set -eu",
      `printf '%s' "$SIGNING_KEY" > /run/secrets/SIGNING_KEY`,
      "chmod 0444 /run/secrets/SIGNING_KEY",
      `printf '%s' "$TLS_CERT" > /run/secrets/TLS_CERT`,
      "chmod 0444 /run/secrets/TLS_CERT",
    ]);
  });

  it("refuses a secret given both ways, or whose _FILE name is taken", () => {
    expect(() => containerDefinitions({ ...withFiles, secrets: { SIGNING_KEY: "arn:x" } })).toThrow(/SIGNING_KEY is given twice/);
    expect(() => containerDefinitions({ ...withFiles, env: { TLS_CERT_FILE: "/x" } })).toThrow(/TLS_CERT is given twice/);
  });
});
