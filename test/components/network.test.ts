// Network on its own (public mock API): the VPC, its subnets and routes, and flow logs only when asked.
import { beforeEach, describe, expect, it } from "vitest";
import { Network, flowLogGroupName, type NetworkArgs } from "../../components/network";
import { FAKE_ZONES, failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const minimal: NetworkArgs = {
  vpcCidr: "10.20.0.0/16",
  publicSubnetCidrs: ["10.20.1.0/24", "10.20.2.0/24"],
  databaseSubnetCidrs: ["10.20.11.0/24", "10.20.12.0/24"],
  naming,
};
const full: NetworkArgs = { ...minimal, availabilityZones: ["eu-west-1b", "eu-west-1c"], flowLogs: { retentionDays: 90 } };

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Network, minimal args", () => {
  it("builds the VPC, its subnets in the region's first two zones, and no flow logs", async () => {
    const net = new Network("net", minimal, m.opts);
    const [vpcId, zones, pub, db, flow] = await Promise.all([
      valueOf(net.vpcId),
      valueOf(net.availabilityZones),
      valueOf(net.publicSubnetIds),
      valueOf(net.databaseSubnetIds),
      valueOf(net.flowLogGroup),
    ]);
    await m.settle();

    expect(m.one("berth:network:Network", "net").parent).toBeUndefined();
    expect(m.one("aws:ec2/vpc:Vpc").inputs).toMatchObject({
      cidrBlock: "10.20.0.0/16",
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: "berth-test-vpc" },
    });
    expect(vpcId).toBe("net-vpc-id");
    // Zones come from the lookup (available ones only): the first two.
    expect(m.invokes).toEqual([{ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: { state: "available" } }]);
    expect(zones).toEqual(FAKE_ZONES.slice(0, 2));

    const subnets = m.ofType("aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => [s.name, s.inputs.cidrBlock, s.inputs.availabilityZone, (s.inputs.tags as Record<string, string>).Tier])).toEqual([
      ["net-public-1", "10.20.1.0/24", "us-east-1a", "public"],
      ["net-public-2", "10.20.2.0/24", "us-east-1b", "public"],
      ["net-database-1", "10.20.11.0/24", "us-east-1a", "database"],
      ["net-database-2", "10.20.12.0/24", "us-east-1b", "database"],
    ]);
    for (const s of subnets) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
    expect(pub).toEqual(["net-public-1-id", "net-public-2-id"]);
    expect(db).toEqual(["net-database-1-id", "net-database-2-id"]);

    expect(m.one("aws:ec2/routeTable:RouteTable", "net-public-rt").inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", gatewayId: "net-igw-id" }]);
    expect(m.one("aws:ec2/routeTable:RouteTable", "net-database-rt").inputs.routes).toEqual([]);
    const assoc = Object.fromEntries(m.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => [a.inputs.subnetId, a.inputs.routeTableId]));
    expect(assoc).toEqual({
      "net-public-1-id": "net-public-rt-id",
      "net-public-2-id": "net-public-rt-id",
      "net-database-1-id": "net-database-rt-id",
      "net-database-2-id": "net-database-rt-id",
    });
    expect(m.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs).toMatchObject({ vpcId: "net-vpc-id", ingress: [], egress: [] });

    // No flow logs unless asked.
    expect(flow).toBe("");
    for (const t of ["aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:ec2/flowLog:FlowLog"])
      expect(m.ofType(t), t).toEqual([]);
    // Every resource is the component's child.
    expect(m.resources.filter((r) => r.custom).every((r) => r.parent === "net")).toBe(true);
  });
});

describe("Network, full args", () => {
  it("uses the given zones without a lookup and sends flow logs to a group with the retention", async () => {
    const net = new Network("net", full, m.opts);
    const [zones, flow] = await Promise.all([valueOf(net.availabilityZones), valueOf(net.flowLogGroup)]);
    await m.settle();

    expect(m.invokes).toEqual([]);
    expect(zones).toEqual(["eu-west-1b", "eu-west-1c"]);
    expect(m.ofType("aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1b", "eu-west-1c", "eu-west-1b", "eu-west-1c"]);

    const group = m.one("aws:cloudwatch/logGroup:LogGroup");
    expect(group.inputs).toMatchObject({ name: "/berth/test/vpc-flow-logs", retentionInDays: 90 });
    expect(flow).toBe(flowLogGroupName(naming));
    const log = m.one("aws:ec2/flowLog:FlowLog").inputs;
    expect(log).toMatchObject({
      vpcId: "net-vpc-id",
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      iamRoleArn: "arn:aws:iam::123456789012:role/net-flow-logs-role-0001",
      maxAggregationInterval: 600,
    });
    expect(log.logDestination).toBe("arn:aws:logs:us-east-1:123456789012:log-group:/berth/test/vpc-flow-logs:*");
    // The role trusts VPC Flow Logs of this account only; its policy writes to this group only.
    const trust = JSON.parse(m.one("aws:iam/role:Role").inputs.assumeRolePolicy as string) as { Statement: Array<{ Principal: unknown; Condition: unknown }> };
    expect(trust.Statement[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*" },
    });
    const policy = m.one("aws:iam/rolePolicy:RolePolicy").inputs;
    expect(policy.role).toBe("net-flow-logs-role-id");
    expect((JSON.parse(policy.policy as string) as { Statement: unknown[] }).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [
          "arn:aws:logs:us-east-1:123456789012:log-group:/berth/test/vpc-flow-logs",
          "arn:aws:logs:us-east-1:123456789012:log-group:/berth/test/vpc-flow-logs:log-stream:*",
        ],
      },
      // The VPC guide's flow-log role lists it; it has no resource-level permissions.
      { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    ]);
  });

  it.each([
    ["aws-cn", "cn-north-1"],
    ["aws-us-gov", "us-gov-west-1"],
  ])("trusts flow logs under the partition of the log group's ARN (%s)", async (partition, region) => {
    const arn = (name: unknown): string => `arn:${partition}:logs:${region}:123456789012:log-group:${String(name)}:*`;
    const m1 = await mockComponents({ resources: { "aws:cloudwatch/logGroup:LogGroup": (_n, i) => ({ state: { arn: arn(i.name) } }) } });
    new Network("net", full, m1.opts);
    await m1.settle();
    const trust = JSON.parse(m1.one("aws:iam/role:Role").inputs.assumeRolePolicy as string) as { Statement: Array<{ Principal: unknown; Condition: unknown }> };
    expect(trust.Statement[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:123456789012:vpc-flow-log/*` },
    });
  });
});

describe("Network guards", () => {
  it("refuses a region with fewer than two zones", async () => {
    const m1 = await mockComponents({
      invokes: { "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: ["us-east-1a"], zoneIds: ["use1-az1"], id: "us-east-1" }) },
    });
    const err = await failure(() => new Network("net", minimal, m1.opts));
    expect(err.message).toContain("the region offers 1 availability zone(s); Berth needs two (set berth:network.availabilityZones)");
  });
});
