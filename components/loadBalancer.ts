// LoadBalancer: the stack's Application Load Balancer for apps on ECS, in the two public subnets
// (this is what the second AZ is for). HTTPS with an ACM certificate for the ECS apps' hostnames,
// validated by DNS records made here in Route53 or Cloudflare (never proxied: ACM must see them);
// HTTP answers with a redirect to HTTPS; TLS 1.2 and 1.3 only; invalid header fields dropped and
// the strictest HTTP desync mitigation. Requests for a name no rule knows get a 404. Each ECS app's
// hostnames point here: a Route53 alias A record, or a Cloudflare CNAME. The app rules themselves are
// EcsApps' (components/ecsApps.ts), so adding an app never touches anything of this component.
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { ec2TextProblem } from "../lib/apiRules";
import { recordComment, recordRole } from "../lib/dnsPlan";
import { albName } from "../lib/ecsRules";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { resourceProblem } from "./resourceErrors";

/** TLS 1.3 and 1.2 with forward secrecy and AEAD ciphers only. Source: ELB docs, "Security policies for your Application Load Balancer". */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/** A served name and the zone that holds its records. */
export interface ServedName {
  /** The name, e.g. `shop.example.org`. */
  readonly hostname: string;
  /** The zone's domain (berth:dns.zones[].domain). */
  readonly zone: string;
  /** Who serves the zone. */
  readonly provider: "route53" | "cloudflare";
}

export interface LoadBalancerArgs {
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's CIDR: the load balancer sends only to the app tasks inside it. */
  readonly vpcCidr: string;
  /** The two public subnets, one per AZ. */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /** Every ECS app's hostname, in config order: the certificate's names and the records pointing here. */
  readonly names: readonly ServedName[];
  /** Zone id by domain (the Dns component's). */
  readonly zoneIds: pulumi.Input<Record<string, string>>;
  /** Seconds an idle connection stays open (below the apps' keep-alive timeout). */
  readonly idleTimeoutSeconds: number;
  /** Access logs: the bucket they go to and its policy (the load balancer waits for it); none when unset. */
  readonly accessLogs?: {
    /** Bucket name. */
    readonly bucket: pulumi.Input<string>;
    /** Key prefix ELB writes under. */
    readonly prefix: string;
    /** The bucket policy that lets ELB write. */
    readonly policy: pulumi.Resource;
  };
  /** Project and stack: names and Name tags. */
  readonly naming: Naming;
}

export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's security group: the tasks admit only it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** The HTTPS listener, where the apps' rules go. */
  public readonly httpsListenerArn: pulumi.Output<string>;
  /** The load balancer's ARN. */
  public readonly arn: pulumi.Output<string>;
  /** Its DNS name, where the apps' records point. */
  public readonly dnsName: pulumi.Output<string>;
  /** Its ARN suffix (`app/<name>/<id>`): the LoadBalancer dimension of its CloudWatch metrics. */
  public readonly arnSuffix: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:cluster:LoadBalancer", name, {}, opts);
    if (args.names.length === 0) throw resourceProblem("the load balancer needs at least one hostname (an app with runtime: ecs)", this);
    const parent = { parent: this };
    const described = (text: string): string => {
      const problem = ec2TextProblem(text);
      if (problem) throw resourceProblem(`load balancer group description ${problem}`, this);
      return text;
    };
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        namePrefix: `${physical(args.naming, "alb")}-`,
        description: described("Berth load balancer: HTTP and HTTPS from anywhere, to the app tasks"),
        tags: nameTag(physical(args.naming, "alb")),
      },
      parent,
    );
    for (const port of [80, 443])
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: "0.0.0.0/0",
          description: described(port === 80 ? "HTTP (redirected to HTTPS)" : "HTTPS to the apps"),
        },
        parent,
      );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-vpc`,
      { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 1, toPort: 65535, cidrIpv4: args.vpcCidr, description: described("To the app tasks in the VPC") },
      parent,
    );
    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: albName(args.naming.project, args.naming.stack),
        loadBalancerType: "application",
        internal: false,
        securityGroups: [sg.id],
        subnets: [...args.subnetIds],
        idleTimeout: args.idleTimeoutSeconds,
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "strictest",
        ...(args.accessLogs ? { accessLogs: { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true } } : {}),
        tags: nameTag(physical(args.naming, "alb")),
      },
      { parent: this, ...(args.accessLogs ? { dependsOn: [args.accessLogs.policy] } : {}) },
    );
    const certificateArn = this.certificate(name, args);
    const https = this.listeners(name, alb, certificateArn);
    this.records(name, args, alb);
    this.securityGroupId = sg.id;
    this.httpsListenerArn = https.arn;
    this.arn = alb.arn;
    this.dnsName = alb.dnsName;
    this.arnSuffix = alb.arnSuffix;
    this.registerOutputs({ dnsName: this.dnsName });
  }

  /** The ACM certificate of every ECS hostname, and its DNS validation records. */
  private certificate(name: string, args: LoadBalancerArgs): pulumi.Output<string> {
    const [first, ...rest] = args.names.map((n) => n.hostname);
    const cert = new aws.acm.Certificate(
      `${name}-cert`,
      { domainName: first, subjectAlternativeNames: rest, validationMethod: "DNS", tags: nameTag(physical(args.naming, "alb-cert")) },
      { parent: this },
    );
    const comment = recordComment(args.naming.project, args.naming.stack);
    const fqdns = args.names.map((n) => {
      const option = cert.domainValidationOptions.apply((opts) => {
        const found = opts.find((o) => o.domainName === n.hostname);
        if (!found) throw resourceProblem(`ACM gave no validation record for ${n.hostname}`, this);
        return found;
      });
      const zoneId = pulumi.output(args.zoneIds).apply((ids) => ids[n.zone]);
      const logical = `${name}-validation-${recordRole(n.hostname)}`;
      if (n.provider === "route53") {
        const record = new aws.route53.Record(
          logical,
          { zoneId, name: option.resourceRecordName, type: option.resourceRecordType, ttl: 300, records: [option.resourceRecordValue], allowOverwrite: true },
          { parent: this },
        );
        return record.fqdn;
      }
      new cloudflare.DnsRecord(
        logical,
        { zoneId, name: option.resourceRecordName, type: option.resourceRecordType, content: option.resourceRecordValue, ttl: 300, proxied: false, comment },
        { parent: this },
      );
      return option.resourceRecordName.apply((r) => r.replace(/\.$/, ""));
    });
    const validation = new aws.acm.CertificateValidation(
      `${name}-cert-validation`,
      { certificateArn: cert.arn, validationRecordFqdns: fqdns },
      { parent: this },
    );
    return validation.certificateArn;
  }

  /** HTTPS (a 404 for unknown names; the apps add their rules) and HTTP redirecting to HTTPS. */
  private listeners(name: string, alb: aws.lb.LoadBalancer, certificateArn: pulumi.Output<string>): aws.lb.Listener {
    const https = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: ALB_TLS_POLICY,
        certificateArn,
        defaultActions: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", messageBody: "Not found", statusCode: "404" } }],
      },
      { parent: this },
    );
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
      },
      { parent: this },
    );
    return https;
  }

  /** Each hostname to the load balancer: a Route53 alias A record, or a Cloudflare CNAME (not proxied). */
  private records(name: string, args: LoadBalancerArgs, alb: aws.lb.LoadBalancer): void {
    const comment = recordComment(args.naming.project, args.naming.stack);
    for (const n of args.names) {
      const zoneId = pulumi.output(args.zoneIds).apply((ids) => ids[n.zone]);
      const logical = `${name}-record-${recordRole(n.hostname)}`;
      if (n.provider === "route53")
        new aws.route53.Record(
          logical,
          { zoneId, name: n.hostname, type: "A", aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }] },
          { parent: this, deleteBeforeReplace: true },
        );
      else
        new cloudflare.DnsRecord(
          logical,
          { zoneId, name: n.hostname, type: "CNAME", content: alb.dnsName, ttl: 1, proxied: false, comment },
          { parent: this, deleteBeforeReplace: true },
        );
    }
  }
}
