// Firewall: the host security group (inbound rules from config, each described; all egress)
// and the database security group, which admits MySQL from exactly one source: the host's
// PRIVATE address as a /32. Traffic to a public address leaves through the internet gateway
// and arrives from outside the VPC, so a rule on the public IP would silently never match.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nameTag } from "../lib/tags";
import { physical, type Naming } from "../lib/naming";
import type { HostIngressRule } from "../lib/firewallRules";
import { ec2TextProblem } from "../lib/apiRules";
import { resourceBug, resourceProblem } from "./resourceErrors";

/**
 * `text` as an EC2 security-group description, or a ResourceError naming `what` when EC2 would
 * refuse it (the provider checks only the length, so a preview would pass and `pulumi up` fail).
 */
export function ec2Description(text: string, what: string, resource: pulumi.Resource): string {
  const problem = ec2TextProblem(text);
  if (problem) throw resourceProblem(`${what}: the description ${JSON.stringify(text)} ${problem}`, resource);
  return text;
}

export interface FirewallArgs {
  /** The VPC both security groups belong to. */
  readonly vpcId: pulumi.Input<string>;
  /** Resolved inbound rules of the host (see lib/firewallRules.ts). */
  readonly hostIngress: readonly HostIngressRule[];
  /** MySQL port of the database (TCP), the only port the database group admits. */
  readonly databasePort: number;
  /** Project and stack: the groups' name prefixes and Name tags. */
  readonly naming: Naming;
}

export class Firewall extends pulumi.ComponentResource {
  /** Id of the host's security group (sg-...): the inbound rules from `hostIngress`, all egress. */
  public readonly hostSecurityGroupId: pulumi.Output<string>;
  /** Id of the database's security group (sg-...): MySQL from the clients `admitDatabaseClient` admits, nothing else. */
  public readonly databaseSecurityGroupId: pulumi.Output<string>;
  private readonly databaseSg: aws.ec2.SecurityGroup;
  private readonly databasePort: number;
  private readonly baseName: string;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:firewall:Firewall", name, {}, opts);
    const parent = { parent: this };
    this.baseName = name;
    this.databasePort = args.databasePort;

    // Name prefixes, not fixed names: a description change replaces a group, and the replacement
    // is created (under a new generated name) before the old group is deleted.
    const hostSg = new aws.ec2.SecurityGroup(
      `${name}-host-sg`,
      {
        vpcId: args.vpcId,
        namePrefix: `${physical(args.naming, "host")}-`,
        description: ec2Description("Berth host: SSH and admin ports from admin networks, service ports as configured", "host security group", this),
        tags: nameTag(physical(args.naming, "host")),
      },
      parent,
    );
    for (const rule of args.hostIngress) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-host-in-${rule.key}`,
        {
          securityGroupId: hostSg.id,
          ipProtocol: rule.protocol,
          fromPort: rule.fromPort,
          toPort: rule.toPort,
          cidrIpv4: rule.cidr,
          description: ec2Description(rule.description, `host ingress rule ${rule.key}`, this),
        },
        parent,
      );
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-host-out-all`,
      {
        securityGroupId: hostSg.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: ec2Description("All outbound (package updates, image pulls, the database)", "host egress rule", this),
      },
      parent,
    );

    // No rules here: the only inbound rule is added by admitDatabaseClient once the host exists,
    // and the database needs no outbound traffic.
    this.databaseSg = new aws.ec2.SecurityGroup(
      `${name}-database-sg`,
      {
        vpcId: args.vpcId,
        namePrefix: `${physical(args.naming, "database")}-`,
        description: ec2Description("Berth database: MySQL from the host private IP only", "database security group", this),
        tags: nameTag(physical(args.naming, "database")),
      },
      parent,
    );

    this.hostSecurityGroupId = hostSg.id;
    this.databaseSecurityGroupId = this.databaseSg.id;
    this.registerOutputs({ hostSecurityGroupId: this.hostSecurityGroupId, databaseSecurityGroupId: this.databaseSecurityGroupId });
  }

  /**
   * Admits MySQL from one private address as a /32. Fed from the instance's privateIp output,
   * so when the host is replaced the rule follows the new address in the same update.
   */
  admitDatabaseClient(role: string, privateIp: pulumi.Input<string>, description: string): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
      `${this.baseName}-database-in-${role}`,
      {
        securityGroupId: this.databaseSg.id,
        ipProtocol: "tcp",
        fromPort: this.databasePort,
        toPort: this.databasePort,
        cidrIpv4: pulumi.output(privateIp).apply((ip) => {
          if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw resourceBug(`database client address "${ip}" is not an IPv4 address`, this);
          return `${ip}/32`;
        }),
        description: ec2Description(description, `database ingress rule ${role}`, this),
      },
      { parent: this },
    );
  }

  /**
   * Admits MySQL from one security group: the ECS apps' tasks, whose addresses change with every
   * task. Only that group, never a CIDR wider than the host's /32 (the policy pack checks both).
   */
  admitDatabaseGroup(role: string, securityGroupId: pulumi.Input<string>, description: string): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
      `${this.baseName}-database-in-${role}`,
      {
        securityGroupId: this.databaseSg.id,
        ipProtocol: "tcp",
        fromPort: this.databasePort,
        toPort: this.databasePort,
        referencedSecurityGroupId: securityGroupId,
        description: ec2Description(description, `database ingress rule ${role}`, this),
      },
      { parent: this },
    );
  }
}
