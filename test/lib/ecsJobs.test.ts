// An ECS job's schedule pieces and IAM documents (lib/ecsJobs.ts): exact documents, one row per rule.
import { describe, expect, it } from "vitest";
import { accountOfArn, JOB_RETRY_POLICY, jobCommandProblem, jobRolePolicy, jobScheduleName, jobTaskInput, schedulerTrust } from "../../lib/ecsJobs";

const FAMILY = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend";
const CLUSTER = "arn:aws:ecs:ap-northeast-2:123456789012:cluster/berth-scale-apps";

describe("ecsJobs", () => {
  it("names a schedule <app>-<job>, shortened with a hash past Scheduler's 64", () => {
    expect(jobScheduleName("shop", "nightly-report")).toBe("shop-nightly-report");
    const long = jobScheduleName("a".repeat(31), "b".repeat(63));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[0-9a-z-]+-[0-9a-f]{8}$/);
    expect(jobScheduleName("a".repeat(31), `${"b".repeat(62)}c`)).not.toBe(long);
  });

  it("runs the job's argv as the part container's command, and refuses overrides RunTask cannot take", () => {
    expect(JSON.parse(jobTaskInput("backend", ["node", "report.js", "--since", "1 day"]))).toEqual({
      containerOverrides: [{ name: "backend", command: ["node", "report.js", "--since", "1 day"] }],
    });
    expect(jobCommandProblem("backend", ["node", "report.js"])).toBeUndefined();
    expect(jobCommandProblem("backend", ["x".repeat(8200)])).toMatch(/overrides of 82\d\d characters; ECS takes 8192/);
  });

  it("gives a run that cannot start five minutes and three retries, never Scheduler's 24 hours", () => {
    expect(JOB_RETRY_POLICY).toEqual({ maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 });
  });

  it("reads the account of an ARN", () => {
    expect(accountOfArn(CLUSTER)).toBe("123456789012");
    expect(() => accountOfArn("arn:aws:ecs:r::cluster/x")).toThrow(/no account/);
  });

  it("lets only EventBridge Scheduler of the stack's own account assume a job's role", () => {
    expect(JSON.parse(schedulerTrust("123456789012"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
      ],
    });
  });

  it("allows a job's role RunTask of its part's family in the stack's cluster and passing the part's two roles to ECS, nothing else", () => {
    const doc = JSON.parse(jobRolePolicy({ familyArn: FAMILY, clusterArn: CLUSTER, roleArns: ["arn:role/exec", "arn:role/task"] })) as {
      Statement: Array<Record<string, unknown>>;
    };
    expect(doc.Statement).toEqual([
      {
        Sid: "RunJobTask",
        Effect: "Allow",
        Action: ["ecs:RunTask"],
        // The family without a revision (RunTask then runs its latest ACTIVE one, the last deploy's) and each of its revisions.
        Resource: [FAMILY, `${FAMILY}:*`],
        Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
      },
      {
        Sid: "PassTaskRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: ["arn:role/exec", "arn:role/task"],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
  });
});
