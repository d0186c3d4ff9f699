// TaskNetwork on its own (public mock API): the private task subnets, their route table, the
// endpoints and their security group, and what it refuses.
import { beforeEach, describe, expect, it } from "vitest";
import { TaskNetwork, type TaskNetworkArgs } from "../../components/taskNetwork";
import { REGION, failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const args: TaskNetworkArgs = {
  vpcId: "vpc-1",
  subnetCidrs: ["10.20.64.0/20", "10.20.80.0/20"],
  availabilityZones: ["us-east-1a", "us-east-1b"],
  region: REGION,
  naming: { project: "berth", stack: "test" },
};

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("TaskNetwork", () => {
  it("makes two subnets, one per AZ, without public IPs, on a route table with no route at all", async () => {
    const net = new TaskNetwork("task-network", args, m.opts);
    expect(await Promise.all(net.subnetIds.map((id) => valueOf(id)))).toEqual(["task-network-tasks-1-id", "task-network-tasks-2-id"]);
    await m.settle();
    const subnets = m.ofType("aws:ec2/subnet:Subnet");
    expect(
      subnets.map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone, s.inputs.mapPublicIpOnLaunch, (s.inputs.tags as Record<string, string>).Tier]),
    ).toEqual([
      ["10.20.64.0/20", "us-east-1a", false, "tasks"],
      ["10.20.80.0/20", "us-east-1b", false, "tasks"],
    ]);
    expect(m.one("aws:ec2/routeTable:RouteTable").inputs.routes).toEqual([]);
    expect(m.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => [a.inputs.subnetId, a.inputs.routeTableId])).toEqual([
      ["task-network-tasks-1-id", "task-network-rt-id"],
      ["task-network-tasks-2-id", "task-network-rt-id"],
    ]);
    expect(m.ofType("aws:ec2/internetGateway:InternetGateway")).toEqual([]);
    expect(m.resources.filter((r) => r.custom).every((r) => r.parent === "task-network")).toBe(true);
  });

  it("reaches ECR, CloudWatch Logs and SSM through interface endpoints with private DNS, and S3 through the gateway endpoint on its table", async () => {
    new TaskNetwork("task-network", args, m.opts);
    await m.settle();
    const endpoints = m.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
    const interfaces = endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface");
    expect(interfaces.map((e) => e.inputs.serviceName)).toEqual(["ecr.api", "ecr.dkr", "logs", "ssm"].map((s) => `com.amazonaws.${REGION}.${s}`));
    for (const e of interfaces)
      expect(e.inputs).toMatchObject({
        privateDnsEnabled: true,
        subnetIds: ["task-network-tasks-1-id", "task-network-tasks-2-id"],
        securityGroupIds: ["task-network-endpoints-sg-id"],
      });
    const s3 = m.one("aws:ec2/vpcEndpoint:VpcEndpoint", "task-network-s3");
    expect(s3.inputs).toMatchObject({ vpcEndpointType: "Gateway", serviceName: `com.amazonaws.${REGION}.s3`, routeTableIds: ["task-network-rt-id"] });
    expect((JSON.parse(String(s3.inputs.policy)) as { Statement: unknown[] }).Statement).toEqual([
      { Sid: "EcrImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::prod-${REGION}-starport-layer-bucket/*` },
    ]);
    // The endpoint service names come from EC2's own lookup, one per endpoint.
    expect(
      m.invokes.filter((i) => i.token === "aws:ec2/getVpcEndpointService:getVpcEndpointService").map((i) => [i.inputs.service, i.inputs.serviceType]),
    ).toEqual([
      ["s3", "Gateway"],
      ["ecr.api", "Interface"],
      ["ecr.dkr", "Interface"],
      ["logs", "Interface"],
      ["ssm", "Interface"],
    ]);
  });

  it("admits HTTPS to the endpoints from the groups it is told of, and nothing without them", async () => {
    const net = new TaskNetwork("task-network", args, m.opts);
    await m.settle();
    expect(m.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).toEqual([]);
    expect(m.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).toEqual([]);
    expect(m.one("aws:ec2/securityGroup:SecurityGroup").inputs).toMatchObject({ namePrefix: "berth-test-endpoints-", vpcId: "vpc-1" });
    net.admitClients("ecs-tasks", "sg-tasks", "HTTPS from the tasks");
    await m.settle();
    expect(m.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs).toEqual({
      securityGroupId: "task-network-endpoints-sg-id",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: "sg-tasks",
      description: "HTTPS from the tasks",
    });
  });

  it("refuses a rule description EC2 would refuse", async () => {
    const net = new TaskNetwork("task-network", args, m.opts);
    expect((await failure(() => net.admitClients("ecs-tasks", "sg-tasks", "tasks ünïcode"))).message).toMatch(
      /endpoints ingress rule ecs-tasks: the description/,
    );
  });
});
