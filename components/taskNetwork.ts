// TaskNetwork: private subnets for the apps on ECS Fargate (`berth:cluster.taskSubnets: private`).
//
// Two subnets of their own, one per AZ of the stack's network, with a route table that has no
// internet route (the VPC-local route only), so a task has no public IP and reaches nothing outside
// the VPC but the AWS services it cannot start without (lib/taskNetwork.ts says which and why):
// interface endpoints with private DNS for ECR's API and registry, CloudWatch Logs and SSM, in both
// subnets, and the S3 gateway endpoint on the route table for ECR's image layers, whose policy
// admits ECR's layer bucket only. The endpoints' security group admits HTTPS from the groups
// `admitClients` names (the tasks' group) and nothing else; it has no outbound rule.
//
// Why not the database subnets: their route table is explicitly empty and stays so (the S3 gateway
// endpoint adds a route to the table it is put on), the database keeps its own block of addresses
// (every task and every endpoint takes one), and switching tasks between public and private
// subnets then never touches anything of the database. Nothing here is a child of Network either:
// switching adds or removes this component and changes the ECS services' network settings, nothing else.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { s3GatewayPolicy, TASK_INTERFACE_ENDPOINTS } from "../lib/taskNetwork";
import { ec2TextProblem } from "../lib/apiRules";
import { resourceProblem } from "./resourceErrors";

export interface TaskNetworkArgs {
  /** The stack's VPC (DNS support and DNS hostnames on: private DNS of the endpoints needs both). */
  readonly vpcId: pulumi.Input<string>;
  /** The two task subnets' blocks, one per AZ, in `availabilityZones` order. */
  readonly subnetCidrs: readonly [string, string];
  /** The stack's two AZs (Network's). */
  readonly availabilityZones: pulumi.Input<string[]>;
  /** The stack's region: the S3 gateway endpoint's policy names ECR's layer bucket of this region. */
  readonly region: string;
  /** Project and stack: physical names and Name tags. */
  readonly naming: Naming;
}

export class TaskNetwork extends pulumi.ComponentResource {
  /**
   * Ids of the two task subnets, in `subnetCidrs` order. Each resolves only once every endpoint
   * exists, so an ECS service given them starts no task before its image, logs and secrets are reachable.
   */
  public readonly subnetIds: pulumi.Output<string>[];
  /** The endpoints' security group (HTTPS from the groups `admitClients` names). */
  public readonly endpointSecurityGroupId: pulumi.Output<string>;
  /** The route table of the task subnets: the VPC-local route and the S3 gateway endpoint's, nothing else. */
  public readonly routeTableId: pulumi.Output<string>;
  private readonly endpointSg: aws.ec2.SecurityGroup;
  private readonly baseName: string;

  constructor(name: string, args: TaskNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:network:TaskNetwork", name, {}, opts);
    this.baseName = name;
    const parent = { parent: this };
    // Explicitly empty, like the database's: no internet route, whatever the VPC's main table gets later.
    // The S3 gateway endpoint's prefix-list route on it is the endpoint's own: the provider leaves
    // routes to `vpce-` gateways out of `routes` (vpc_route_table.go, flattenRoutes), so the two never fight.
    const routes = new aws.ec2.RouteTable(`${name}-rt`, { vpcId: args.vpcId, routes: [], tags: nameTag(physical(args.naming, "tasks-rt")) }, parent);
    const subnets = args.subnetCidrs.map((cidr, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-tasks-${i + 1}`,
        {
          vpcId: args.vpcId,
          cidrBlock: cidr,
          availabilityZone: pulumi.output(args.availabilityZones).apply((z) => z[i]),
          mapPublicIpOnLaunch: false,
          tags: nameTag(physical(args.naming, `tasks-${i + 1}`), { Tier: "tasks" }),
        },
        parent,
      );
      new aws.ec2.RouteTableAssociation(`${name}-tasks-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
      return subnet;
    });
    const s3 = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: args.vpcId,
        serviceName: this.serviceName("s3", "Gateway"),
        vpcEndpointType: "Gateway",
        routeTableIds: [routes.id],
        policy: s3GatewayPolicy(args.region),
        tags: nameTag(physical(args.naming, "tasks-s3")),
      },
      parent,
    );
    this.endpointSg = new aws.ec2.SecurityGroup(
      `${name}-endpoints-sg`,
      {
        vpcId: args.vpcId,
        namePrefix: `${physical(args.naming, "endpoints")}-`,
        description: this.described("Berth VPC endpoints: HTTPS from the ECS tasks only", "endpoints security group"),
        tags: nameTag(physical(args.naming, "endpoints")),
      },
      parent,
    );
    const endpoints = TASK_INTERFACE_ENDPOINTS.map(
      ({ service }) =>
        new aws.ec2.VpcEndpoint(
          `${name}-${service.replace(/\./g, "-")}`,
          {
            vpcId: args.vpcId,
            serviceName: this.serviceName(service, "Interface"),
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: subnets.map((s) => s.id),
            securityGroupIds: [this.endpointSg.id],
            tags: nameTag(physical(args.naming, `tasks-${service.replace(/\./g, "-")}`)),
          },
          parent,
        ),
    );
    const ready = pulumi.all([s3.id, ...endpoints.map((e) => e.id)]);
    this.subnetIds = subnets.map((s) => pulumi.all([s.id, ready]).apply(([id]) => id));
    this.endpointSecurityGroupId = this.endpointSg.id;
    this.routeTableId = routes.id;
    this.registerOutputs({ subnetIds: this.subnetIds, endpointSecurityGroupId: this.endpointSecurityGroupId });
  }

  /**
   * Admits HTTPS to the endpoints from one security group (the ECS tasks'), never a CIDR: the
   * endpoints answer exactly the tasks, whatever addresses they get (the policy pack checks it).
   */
  admitClients(role: string, securityGroupId: pulumi.Input<string>, description: string): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
      `${this.baseName}-endpoints-in-${role}`,
      {
        securityGroupId: this.endpointSg.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: securityGroupId,
        description: this.described(description, `endpoints ingress rule ${role}`),
      },
      { parent: this },
    );
  }

  /** `text` when EC2 accepts it as a description; a problem tied to this component otherwise. */
  private described(text: string, what: string): string {
    const problem = ec2TextProblem(text);
    if (problem) throw resourceProblem(`${what}: the description ${JSON.stringify(text)} ${problem}`, this);
    return text;
  }

  /**
   * The region's endpoint service name of an AWS service as EC2 reports it, rather than assuming the
   * usual `com.amazonaws.<region>.<service>`; a service the region lacks fails here, at preview.
   */
  private serviceName(service: string, serviceType: "Gateway" | "Interface"): pulumi.Output<string> {
    return aws.ec2.getVpcEndpointServiceOutput({ service, serviceType }, { parent: this }).serviceName;
  }
}
