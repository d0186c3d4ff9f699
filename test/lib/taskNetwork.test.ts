// Private task subnets' pure parts (lib/taskNetwork.ts): which endpoints, the S3 gateway policy, the
// default blocks and how many addresses a task subnet needs.
import { describe, expect, it } from "vitest";
import {
  defaultTaskSubnetCidrs,
  ecrLayerBucketArn,
  partitionOf,
  s3GatewayPolicy,
  subnetAddresses,
  TASK_INTERFACE_ENDPOINTS,
  taskSubnetDemand,
} from "../../lib/taskNetwork";

describe("endpoints", () => {
  it("are ECR's API and registry, CloudWatch Logs and SSM: nothing for ECS itself, Secrets Manager or KMS", () => {
    expect(TASK_INTERFACE_ENDPOINTS.map((e) => e.service)).toEqual(["ecr.api", "ecr.dkr", "logs", "ssm"]);
    for (const e of TASK_INTERFACE_ENDPOINTS) expect(e.why.length).toBeGreaterThan(10);
  });

  it.each([
    ["ap-northeast-2", "aws"],
    ["us-east-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("puts %s in the %s partition", (region, partition) => expect(partitionOf(region)).toBe(partition));

  it("lets the S3 gateway endpoint read ECR's layer bucket of the region, nothing else", () => {
    expect(ecrLayerBucketArn("ap-northeast-2")).toBe("arn:aws:s3:::prod-ap-northeast-2-starport-layer-bucket");
    expect(JSON.parse(s3GatewayPolicy("ap-northeast-2"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EcrImageLayers",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::prod-ap-northeast-2-starport-layer-bucket/*",
        },
      ],
    });
    expect(s3GatewayPolicy("us-gov-west-1")).toContain("arn:aws-us-gov:s3:::prod-us-gov-west-1-starport-layer-bucket/*");
  });
});

describe("default task subnet blocks", () => {
  it.each<[string, string[], [string, string] | undefined]>([
    // Berth's own defaults take the first four /(vpc+4) blocks: the tasks get the next two.
    ["10.0.0.0/16", ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"], ["10.0.64.0/20", "10.0.80.0/20"]],
    // Small custom subnets: the first blocks that overlap none of them.
    ["10.40.0.0/16", ["10.40.0.0/24", "10.40.1.0/24", "10.40.10.0/24", "10.40.11.0/24"], ["10.40.16.0/20", "10.40.32.0/20"]],
    ["10.9.0.0/24", ["10.9.0.0/28", "10.9.0.16/28", "10.9.0.32/28", "10.9.0.48/28"], ["10.9.0.64/28", "10.9.0.80/28"]],
    // No two blocks left.
    ["10.9.0.0/24", ["10.9.0.0/25", "10.9.0.128/26", "10.9.0.192/27", "10.9.0.224/28"], undefined],
  ])("in %s beside %j: %j", (vpc, taken, expected) => expect(defaultTaskSubnetCidrs(vpc, taken)).toEqual(expected));
});

describe("addresses", () => {
  it("leaves 11 of a /28 and 251 of a /24 (AWS keeps 5 per subnet)", () => {
    expect(subnetAddresses(28)).toBe(11);
    expect(subnetAddresses(24)).toBe(251);
  });

  it("needs half of every part at maxCount, doubled during a deploy, plus one interface per endpoint", () => {
    expect(taskSubnetDemand([])).toBe(4);
    expect(taskSubnetDemand([6, 6])).toBe(12 + 4);
    expect(taskSubnetDemand([1])).toBe(1 + 4);
    expect(taskSubnetDemand([3], 100)).toBe(2 + 4);
  });
});
