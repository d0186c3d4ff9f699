// AlbAccessLogs on its own (public mock API): a private, TLS-only, expiring bucket that the region's ELB account writes to.
import { beforeEach, describe, expect, it } from "vitest";
import { ALB_LOG_PREFIX, AlbAccessLogs, albLogBucketPolicy } from "../../components/albAccessLogs";
import { mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents({
    invokes: { "aws:elb/getServiceAccount:getServiceAccount": () => ({ id: "127311923021", arn: "arn:aws:iam::127311923021:root" }) },
  });
});

describe("AlbAccessLogs", () => {
  it("makes the bucket with its guards, the expiry and the ELB delivery policy", async () => {
    const logs = new AlbAccessLogs("alb-logs", { retentionDays: 30, naming: { project: "berth", stack: "test" } }, m.opts);
    expect(await valueOf(logs.bucketName)).toBe("berth-test-alb-logs-0001");
    await m.settle();
    expect(m.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({ blockPublicPolicy: true, restrictPublicBuckets: true });
    expect(m.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const rules = m.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Array<Record<string, unknown>>;
    expect(rules[0]).toMatchObject({ id: "expire-logs", expiration: { days: 30 } });
    const policy = m.one("aws:s3/bucketPolicy:BucketPolicy");
    expect(policy.dependsOn).toEqual(["alb-logs-public-access", "alb-logs-ownership"]);
    expect(JSON.parse(String(policy.inputs.policy))).toEqual(
      JSON.parse(albLogBucketPolicy("arn:aws:s3:::berth-test-alb-logs-0001", "arn:aws:iam::127311923021:root")),
    );
  });

  it("lets ELB put objects under its prefix only, and nothing over plain HTTP", () => {
    const doc = JSON.parse(albLogBucketPolicy("arn:aws:s3:::b", "arn:aws:iam::1:root")) as { Statement: Array<Record<string, unknown>> };
    expect(doc.Statement[0]).toEqual({
      Sid: "ElbLogDelivery",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::1:root" },
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::b/${ALB_LOG_PREFIX}/AWSLogs/*`,
    });
    expect(doc.Statement[1]).toMatchObject({ Sid: "DenyPlainHttp", Effect: "Deny" });
  });
});
