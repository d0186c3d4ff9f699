// Network: one VPC per stack, two public subnets in two AZs for the host (internet gateway,
// 0.0.0.0/0 route; VPC-local traffic stays on the implicit local route), and two private
// subnets for the database with a route table that has no internet route at all. The VPC's
// default security group is adopted and stripped of rules so nothing can use it by accident.
// With flow logs on, every accepted and rejected connection of the VPC goes to a CloudWatch Logs
// group with a retention, written by a role that only VPC Flow Logs of this account may assume.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nameTag } from "../lib/tags";
import { physical, type Naming } from "../lib/naming";
import { resourceProblem } from "./resourceErrors";
import { serviceTrustPolicy } from "../lib/iamTrust";

export interface NetworkArgs {
  /** VPC block, e.g. 10.20.0.0/16. */
  readonly vpcCidr: string;
  /** The two public (host) subnets, one per AZ. */
  readonly publicSubnetCidrs: readonly [string, string];
  /** The two private (database) subnets, one per AZ; no route to the internet. */
  readonly databaseSubnetCidrs: readonly [string, string];
  /**
   * Two distinct AZs of the provider's region, e.g. ["eu-west-1a", "eu-west-1b"]. Unset: the
   * component looks up the region's zones and takes the first two it reports as available.
   */
  readonly availabilityZones?: readonly [string, string];
  /** VPC flow logs to CloudWatch Logs; unset = no flow logs (no log group, role or flow log). */
  readonly flowLogs?: {
    /** Days CloudWatch Logs keeps the flow log records (a value CloudWatch Logs accepts as a retention). */
    readonly retentionDays: number;
  };
  /** Project and stack: physical names and Name tags, and the flow-log group's name. */
  readonly naming: Naming;
}

/** The CloudWatch Logs group of a stack's VPC flow logs. */
export function flowLogGroupName(n: Naming): string {
  return `/${n.project}/${n.stack}/vpc-flow-logs`;
}

/** Partition, account and region of an ARN (arn:partition:service:region:account:...). */
function arnParts(arn: string): { partition: string; region: string; account: string } {
  const [, partition, , region, account] = arn.split(":");
  return { partition, region, account };
}

/**
 * Trust policy of the flow-log role: only the VPC Flow Logs service, and only on behalf of this
 * account's flow logs (aws:SourceAccount / aws:SourceArn guard against the confused deputy).
 * The partition comes from the log group's ARN: `aws`, or `aws-cn` and `aws-us-gov` in the China
 * and GovCloud regions the region check accepts (the service principal is the same in all three).
 */
export function flowLogTrustPolicy(partition: string, account: string, region: string): string {
  return serviceTrustPolicy("vpc-flow-logs.amazonaws.com", {
    StringEquals: { "aws:SourceAccount": account },
    ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` },
  });
}

/**
 * What the flow-log role may do: write streams and events into its own log group, and list the
 * account's log groups, which the VPC guide's flow-log role policy includes ("IAM role for
 * publishing flow logs to CloudWatch Logs"). DescribeLogGroups has no resource-level permissions
 * (Service Authorization Reference, CloudWatch Logs), so it takes "*"; it reads names and
 * settings, never log events. The group is Berth's own, so logs:CreateLogGroup is left out.
 */
export function flowLogWritePolicy(logGroupArn: string): string {
  const group = logGroupArn.replace(/:\*$/, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [group, `${group}:log-stream:*`],
      },
      { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    ],
  });
}

export class Network extends pulumi.ComponentResource {
  /** The VPC's id (vpc-...). */
  public readonly vpcId: pulumi.Output<string>;
  /** The two AZs the subnets are in: the given ones, or the two the lookup picked. */
  public readonly availabilityZones: pulumi.Output<string[]>;
  /** Ids of the two public (host) subnets, in the order of `publicSubnetCidrs` (one per AZ). */
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /** Ids of the two private (database) subnets, in the order of `databaseSubnetCidrs` (one per AZ). */
  public readonly databaseSubnetIds: pulumi.Output<string>[];
  /** The flow logs' CloudWatch Logs group, or "" without flow logs. */
  public readonly flowLogGroup: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:network:Network", name, {}, opts);
    const parent = { parent: this };

    const zones = this.chooseZones(args);
    this.availabilityZones = zones;

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: nameTag(physical(args.naming, "vpc")),
      },
      parent,
    );
    this.vpcId = vpc.id;

    // Adopt the default SG and leave it with no rules (CIS 5.4): nothing should rely on it.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      {
        vpcId: vpc.id,
        ingress: [],
        egress: [],
        tags: nameTag(physical(args.naming, "default-sg-unused")),
      },
      parent,
    );

    const { publicRoutes, databaseRoutes } = this.routeTables(name, args, vpc.id);
    this.publicSubnetIds = this.subnets(name, args, { vpcId: vpc.id, zones, role: "public", cidrs: args.publicSubnetCidrs, table: publicRoutes });
    this.databaseSubnetIds = this.subnets(name, args, { vpcId: vpc.id, zones, role: "database", cidrs: args.databaseSubnetCidrs, table: databaseRoutes });

    if (args.flowLogs) {
      const group = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        {
          name: flowLogGroupName(args.naming),
          retentionInDays: args.flowLogs.retentionDays,
          tags: nameTag(physical(args.naming, "vpc-flow-logs")),
        },
        parent,
      );
      const role = new aws.iam.Role(
        `${name}-flow-logs-role`,
        {
          description: "Berth: VPC Flow Logs writes the VPC's flow logs to CloudWatch Logs",
          assumeRolePolicy: group.arn.apply((arn) => {
            const { partition, account, region } = arnParts(arn);
            return flowLogTrustPolicy(partition, account, region);
          }),
          tags: nameTag(physical(args.naming, "vpc-flow-logs")),
        },
        parent,
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-flow-logs-policy`,
        {
          role: role.id,
          name: "write-flow-logs",
          policy: group.arn.apply(flowLogWritePolicy),
        },
        parent,
      );
      new aws.ec2.FlowLog(
        `${name}-flow-log`,
        {
          vpcId: vpc.id,
          trafficType: "ALL",
          logDestinationType: "cloud-watch-logs",
          logDestination: group.arn,
          iamRoleArn: role.arn,
          maxAggregationInterval: 600,
          tags: nameTag(physical(args.naming, "vpc-flow-log")),
        },
        { parent: this, dependsOn: [policy] },
      );
      this.flowLogGroup = group.name;
    } else {
      this.flowLogGroup = pulumi.output("");
    }

    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, databaseSubnetIds: this.databaseSubnetIds });
  }

  /** The two availability zones: the configured ones, or the first two the region reports. */
  private chooseZones(args: NetworkArgs): pulumi.Output<string[]> {
    if (args.availabilityZones) return pulumi.output([...args.availabilityZones]);
    return aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names.apply((names) => {
      if (names.length < 2)
        throw resourceProblem(`the region offers ${names.length} availability zone(s); Berth needs two (set berth:network.availabilityZones)`, this);
      return names.slice(0, 2);
    });
  }

  /** The internet gateway with the public route table, and the database subnets' table with no route at all. */
  private routeTables(name: string, args: NetworkArgs, vpcId: pulumi.Output<string>): { publicRoutes: aws.ec2.RouteTable; databaseRoutes: aws.ec2.RouteTable } {
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId, tags: nameTag(physical(args.naming, "igw")) }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      {
        vpcId,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: nameTag(physical(args.naming, "public-rt")),
      },
      { parent: this },
    );
    // Explicitly empty: the database subnets must not reach or be reached from the internet,
    // even if someone later adds routes to the VPC's main route table.
    const databaseRoutes = new aws.ec2.RouteTable(
      `${name}-database-rt`,
      {
        vpcId,
        routes: [],
        tags: nameTag(physical(args.naming, "database-rt")),
      },
      { parent: this },
    );
    return { publicRoutes, databaseRoutes };
  }

  /** One subnet per zone for a role, each associated with the role's route table; their ids in order. */
  private subnets(
    name: string,
    args: NetworkArgs,
    where: {
      vpcId: pulumi.Output<string>;
      zones: pulumi.Output<string[]>;
      role: "public" | "database";
      cidrs: readonly [string, string];
      table: aws.ec2.RouteTable;
    },
  ): pulumi.Output<string>[] {
    const { vpcId, zones, role, cidrs, table } = where;
    return cidrs.map((cidr, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-${role}-${i + 1}`,
        {
          vpcId,
          cidrBlock: cidr,
          availabilityZone: zones.apply((z) => z[i]),
          // The host gets an Elastic IP; nothing should get a public address implicitly.
          mapPublicIpOnLaunch: false,
          tags: nameTag(physical(args.naming, `${role}-${i + 1}`), { Tier: role }),
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-${role}-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: table.id }, { parent: this });
      return subnet.id;
    });
  }
}
