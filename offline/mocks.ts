// The fake cloud behind the offline plan and the unit tests: for each resource type, the values
// its provider would assign (ids, ARNs, IPs, endpoints), derived deterministically from the
// resource's name so two runs print the same plan. Any invoke that is not listed here throws,
// so a new lookup in the program cannot pass silently.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { containsIp, hostAddress, parseCidr } from "../lib/cidr";
import { opensslAvailable, realCertRequest, realLocallySignedCert, realOriginCertificate, realPrivateKey, realSelfSignedCert } from "./fakePki";

/** Pulumi's marker for a secret value in serialized properties. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_SIG_VALUE;
}

export function secretValue(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG]: SECRET_SIG_VALUE, value };
}

/** Deterministic hex derived from the inputs (stands in for cloud-assigned ids). */
export function fakeHex(seed: string, length = 17): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  return out.slice(0, length);
}

export type State = Record<string, unknown>;
export type Inputs = Record<string, unknown>;
export type CallHandler = (inputs: Inputs, ctx: Ctx) => Record<string, unknown>;

export interface FakeCloudOptions {
  /** Region used for AZ names, ARNs and endpoints. */
  readonly region: string;
  readonly accountId?: string;
}

/** A resource handler: returns the id and the provider-assigned state merged over the inputs. */
export type Handler = (name: string, inputs: Inputs, ctx: Ctx) => { id: string; state?: State };

export interface Ctx {
  readonly region: string;
  readonly account: string;
  /** Subnet id -> CIDR, recorded as subnets are created so hosts get an address inside theirs. */
  readonly subnets: Map<string, string>;
  arn(service: string, resource: string, regional?: boolean): string;
}

/** A string input, or `fallback` when unset; any other type is a bug the fake cloud reports. */
function text(v: unknown, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string") throw new Error(`expected a string input, got ${JSON.stringify(v)}`);
  return v;
}

function unwrap(v: unknown): unknown {
  return isSecretValue(v) ? v.value : v;
}

/** A deterministic public IPv4 from the documentation range 203.0.113.0/24. */
export function fakePublicIp(seed: string): string {
  return `203.0.113.${10 + (parseInt(fakeHex(seed, 4), 16) % 240)}`;
}

/** Placeholder PEM text for providers whose material the plan does not need to be real. */
function fakePem(kind: string, seed: string): string {
  const body = Buffer.from(`berth offline plan ${kind} ${fakeHex(seed, 32)}`).toString("base64");
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

/** The hosted zone id of Application Load Balancers per region (ELB docs, "Service endpoints"), for alias records. */
const ALB_ZONE_IDS: Record<string, string> = { "ap-northeast-2": "ZWKZPGTI48KDX", "us-east-1": "Z35SXDOTRQ7X7K", "eu-west-1": "Z32O12XQLNTSW2" };

/** Apps on ECS: what ECR, ECS, ELB, ACM, KMS, SSM and Application Auto Scaling assign. */
const ECS_HANDLERS: Record<string, Handler> = {
  "aws:ecr/repository:Repository": (name, inputs, c) => {
    const repo = text(inputs.name, name);
    return {
      id: repo,
      state: { arn: c.arn("ecr", `repository/${repo}`), registryId: c.account, repositoryUrl: `${c.account}.dkr.ecr.${c.region}.amazonaws.com/${repo}` },
    };
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_name, inputs, c) => ({ id: String(inputs.repository), state: { registryId: c.account } }),
  "aws:kms/key:Key": (name, _i, c) => {
    const hex = fakeHex(`${name}-key`, 32);
    const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return { id: keyId, state: { keyId, arn: c.arn("kms", `key/${keyId}`) } };
  },
  "aws:kms/alias:Alias": (name, inputs, c) => ({ id: text(inputs.name, name), state: { arn: c.arn("kms", text(inputs.name, name)) } }),
  "aws:ssm/parameter:Parameter": (name, inputs, c) => {
    const param = text(inputs.name, name);
    return { id: param, state: { arn: c.arn("ssm", `parameter/${param.replace(/^\//, "")}`), version: 1, tier: "Standard" } };
  },
  "aws:ecs/cluster:Cluster": (name, inputs, c) => {
    const cluster = text(inputs.name, name);
    return { id: c.arn("ecs", `cluster/${cluster}`), state: { arn: c.arn("ecs", `cluster/${cluster}`), name: cluster } };
  },
  "aws:ecs/taskDefinition:TaskDefinition": (name, inputs, c) => {
    const family = text(inputs.family, name);
    return {
      id: family,
      state: { arn: c.arn("ecs", `task-definition/${family}:1`), arnWithoutRevision: c.arn("ecs", `task-definition/${family}`), revision: 1 },
    };
  },
  "aws:ecs/service:Service": (name, inputs, c) => {
    const service = text(inputs.name, name);
    const cluster = text(inputs.cluster, "default").split("/").pop() ?? "default";
    return { id: c.arn("ecs", `service/${cluster}/${service}`), state: { name: service } };
  },
  "aws:lb/loadBalancer:LoadBalancer": (name, inputs, c) => {
    const lb = text(inputs.name, name);
    const suffix = `app/${lb}/${fakeHex(`${name}-lb`, 16)}`;
    return {
      id: c.arn("elasticloadbalancing", `loadbalancer/${suffix}`),
      state: {
        arn: c.arn("elasticloadbalancing", `loadbalancer/${suffix}`),
        arnSuffix: suffix,
        dnsName: `${lb}-${parseInt(fakeHex(`${name}-dns`, 8), 16)}.${c.region}.elb.amazonaws.com`,
        zoneId: ALB_ZONE_IDS[c.region] ?? "ZWKZPGTI48KDX",
      },
    };
  },
  "aws:lb/targetGroup:TargetGroup": (name, inputs, c) => {
    const suffix = `targetgroup/${text(inputs.name, name)}/${fakeHex(`${name}-tg`, 16)}`;
    return { id: c.arn("elasticloadbalancing", suffix), state: { arn: c.arn("elasticloadbalancing", suffix), arnSuffix: suffix } };
  },
  "aws:lb/listener:Listener": (name, _i, c) => {
    const arn = c.arn("elasticloadbalancing", `listener/app/${fakeHex(`${name}-listener`, 16)}`);
    return { id: arn, state: { arn } };
  },
  "aws:lb/listenerRule:ListenerRule": (name, _i, c) => {
    const arn = c.arn("elasticloadbalancing", `listener-rule/app/${fakeHex(`${name}-rule`, 16)}`);
    return { id: arn, state: { arn } };
  },
  "aws:acm/certificate:Certificate": (name, inputs, c) => {
    const arn = c.arn("acm", `certificate/${fakeHex(`${name}-cert`, 32)}`);
    const names = [String(inputs.domainName), ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
    const domainValidationOptions = names.map((n) => ({
      domainName: n,
      resourceRecordName: `_${fakeHex(`${n}-validation`, 32)}.${n}.`,
      resourceRecordType: "CNAME",
      resourceRecordValue: `_${fakeHex(`${n}-value`, 32)}.acm-validations.aws.`,
    }));
    return { id: arn, state: { arn, domainValidationOptions, status: "ISSUED" } };
  },
  "aws:acm/certificateValidation:CertificateValidation": (_name, inputs) => ({ id: String(inputs.certificateArn), state: {} }),
  "aws:appautoscaling/target:Target": (_name, inputs, c) => ({
    id: String(inputs.resourceId),
    state: { arn: c.arn("application-autoscaling", `scalable-target/${fakeHex(String(inputs.resourceId), 20)}`) },
  }),
  "aws:appautoscaling/policy:Policy": (name, _i, c) => ({ id: name, state: { arn: c.arn("autoscaling", `scalingPolicy:${fakeHex(name, 20)}:resource/ecs`) } }),
};

const HANDLERS: Record<string, Handler> = {
  "aws:ec2/vpc:Vpc": (name, _i, c) => {
    const id = `vpc-${fakeHex(name)}`;
    return {
      id,
      state: {
        arn: c.arn("ec2", `vpc/${id}`),
        defaultSecurityGroupId: `sg-${fakeHex(`${name}-default`)}`,
        mainRouteTableId: `rtb-${fakeHex(`${name}-main`)}`,
        ownerId: c.account,
      },
    };
  },
  "aws:ec2/subnet:Subnet": (name, inputs, c) => {
    const id = `subnet-${fakeHex(name)}`;
    c.subnets.set(id, String(inputs.cidrBlock));
    return { id, state: { arn: c.arn("ec2", `subnet/${id}`) } };
  },
  "aws:ec2/internetGateway:InternetGateway": (name, _i, c) => {
    const id = `igw-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `internet-gateway/${id}`) } };
  },
  "aws:ec2/routeTable:RouteTable": (name, _i, c) => {
    const id = `rtb-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `route-table/${id}`) } };
  },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": (name) => ({ id: `rtbassoc-${fakeHex(name)}` }),
  "aws:ec2/vpcEndpoint:VpcEndpoint": (name, inputs, c) => {
    const id = `vpce-${fakeHex(name)}`;
    const service = text(inputs.serviceName, "").split(".").slice(3).join(".");
    const gateway = text(inputs.vpcEndpointType, "Gateway") === "Gateway";
    return {
      id,
      state: {
        arn: c.arn("ec2", `vpc-endpoint/${id}`),
        ownerId: c.account,
        state: "available",
        ...(gateway
          ? { prefixListId: `pl-${fakeHex(`${name}-pl`, 8)}` }
          : {
              networkInterfaceIds: ((inputs.subnetIds as string[] | undefined) ?? []).map((s) => `eni-${fakeHex(`${name}-${s}`)}`),
              dnsEntries: [
                {
                  dnsName: `${id}-${fakeHex(name, 8)}.${service}.${c.region}.vpce.amazonaws.com`,
                  hostedZoneId: `Z${fakeHex(`${name}-zone`, 13).toUpperCase()}`,
                },
              ],
            }),
      },
    };
  },
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (name, _i, c) => {
    const id = `sg-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `security-group/${id}`), name: "default" } };
  },
  "aws:ec2/securityGroup:SecurityGroup": (name, inputs, c) => {
    const id = `sg-${fakeHex(name)}`;
    // As the provider does: a name prefix gets a unique suffix, so a replacement has a new name.
    const groupName = text(inputs.name, `${text(inputs.namePrefix, "terraform-")}${fakeHex(`${name}:${text(inputs.description, "")}`, 26)}`);
    return { id, state: { arn: c.arn("ec2", `security-group/${id}`), name: groupName } };
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (name, _i, c) => {
    const id = `sgr-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `security-group-rule/${id}`), securityGroupRuleId: id } };
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (name, _i, c) => {
    const id = `sgr-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `security-group-rule/${id}`), securityGroupRuleId: id } };
  },
  "aws:ec2/keyPair:KeyPair": (name, inputs, c) => {
    const keyName = text(inputs.keyName, `${text(inputs.keyNamePrefix, "")}${fakeHex(name, 26)}`);
    return {
      id: keyName,
      state: { keyName, arn: c.arn("ec2", `key-pair/${keyName}`), keyPairId: `key-${fakeHex(name)}`, fingerprint: fakeHex(`${name}-fp`, 32) },
    };
  },
  "aws:ec2/instance:Instance": (name, inputs, c) => {
    const id = `i-${fakeHex(name)}`;
    const cidr = c.subnets.get(String(inputs.subnetId));
    const block = cidr ? parseCidr(cidr) : undefined;
    // AWS reserves the first four addresses of a subnet.
    const privateIp = block ? hostAddress(block, 4 + (parseInt(fakeHex(`${name}-ip`, 4), 16) % 200)) : "10.0.0.10";
    if (block && !containsIp(block, privateIp)) throw new Error(`fake cloud: ${privateIp} outside ${cidr}`);
    return {
      id,
      state: {
        arn: c.arn("ec2", `instance/${id}`),
        privateIp,
        privateDns: `ip-${privateIp.replace(/\./g, "-")}.${c.region}.compute.internal`,
        publicIp: fakePublicIp(`${name}-ephemeral`),
        primaryNetworkInterfaceId: `eni-${fakeHex(name)}`,
        instanceState: "running",
      },
    };
  },
  "aws:ec2/eip:Eip": (name, _i, c) => {
    const id = `eipalloc-${fakeHex(name)}`;
    const publicIp = fakePublicIp(name);
    return {
      id,
      state: {
        allocationId: id,
        publicIp,
        publicDns: `ec2-${publicIp.replace(/\./g, "-")}.${c.region}.compute.amazonaws.com`,
        arn: c.arn("ec2", `elastic-ip/${id}`),
      },
    };
  },
  // The data volume: EBS reports the size it was asked for; the attachment's id is the provider's own "vai-<hash>".
  "aws:ebs/volume:Volume": (name, inputs, c) => {
    const id = `vol-${fakeHex(name)}`;
    const type = text(inputs.type, "gp3");
    return {
      id,
      state: {
        arn: c.arn("ec2", `volume/${id}`),
        size: Number(inputs.size),
        type,
        iops: inputs.iops ?? (type === "gp3" ? 3000 : type === "gp2" ? Math.max(100, 3 * Number(inputs.size)) : undefined),
        throughput: inputs.throughput ?? (type === "gp3" ? 125 : undefined),
        kmsKeyId: c.arn(
          "kms",
          `key/${fakeHex(`${c.region}-aws-ebs`, 8)}-${fakeHex("ebs-key", 4)}-4${fakeHex("ebs-key-2", 3)}-8${fakeHex("ebs-key-3", 3)}-${fakeHex("ebs-key-4", 12)}`,
        ),
        createTime: "2026-01-01T00:00:00Z",
      },
    };
  },
  "aws:ec2/volumeAttachment:VolumeAttachment": (_name, inputs) => ({
    id: `vai-${parseInt(fakeHex(`${String(inputs.deviceName)}${String(inputs.instanceId)}${String(inputs.volumeId)}`, 8), 16)}`,
  }),
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": (name, _i, c) => {
    const id = `policy-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("dlm", `policy/${id}`) } };
  },
  "aws:rds/subnetGroup:SubnetGroup": (name, inputs, c) => {
    const n = text(inputs.name, name);
    return { id: n, state: { arn: c.arn("rds", `subgrp:${n}`), vpcId: `vpc-${fakeHex("vpc")}` } };
  },
  "aws:rds/parameterGroup:ParameterGroup": (name, inputs, c) => {
    const n = text(inputs.name, `${text(inputs.namePrefix, "")}${fakeHex(name, 26)}`);
    return { id: n, state: { name: n, arn: c.arn("rds", `pg:${n}`) } };
  },
  "aws:rds/instance:Instance": (name, inputs, c) => {
    const identifier = text(inputs.identifier, name);
    const port = Number(inputs.port ?? 3306);
    const address = `${identifier}.c${fakeHex(`${c.region}-rds`, 11)}.${c.region}.rds.amazonaws.com`;
    return {
      id: identifier,
      state: {
        arn: c.arn("rds", `db:${identifier}`),
        address,
        endpoint: `${address}:${port}`,
        port,
        resourceId: `db-${fakeHex(identifier, 26).toUpperCase()}`,
        hostedZoneId: "ZLA2NUCOLGUUR",
      },
    };
  },
  // Registry storage: S3 appends a unique suffix to the prefix (26 characters, as the provider does).
  "aws:s3/bucket:Bucket": (name, inputs, c) => {
    const bucket = text(inputs.bucket, `${text(inputs.bucketPrefix, "terraform-")}${fakeHex(`${name}-bucket`, 26)}`);
    return {
      id: bucket,
      state: {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${c.region}.amazonaws.com`,
      },
    };
  },
  "aws:iam/role:Role": (name, inputs, c) => {
    // Pulumi auto-names: the logical name and a random suffix.
    const roleName = text(inputs.name, `${name}-${fakeHex(`${name}-role`, 7)}`);
    return { id: roleName, state: { name: roleName, arn: c.arn("iam", `role/${roleName}`, false), uniqueId: `AROA${fakeHex(name, 17).toUpperCase()}` } };
  },
  "aws:iam/instanceProfile:InstanceProfile": (name, inputs, c) => {
    const profileName = text(inputs.name, `${name}-${fakeHex(`${name}-profile`, 7)}`);
    return {
      id: profileName,
      state: { name: profileName, arn: c.arn("iam", `instance-profile/${profileName}`, false), uniqueId: `AIPA${fakeHex(name, 17).toUpperCase()}` },
    };
  },
  "aws:iam/rolePolicy:RolePolicy": (name, inputs) => ({ id: `${String(inputs.role)}:${text(inputs.name, name)}` }),
  "aws:cloudwatch/logGroup:LogGroup": (name, inputs, c) => {
    const groupName = text(inputs.name, name);
    return { id: groupName, state: { name: groupName, arn: c.arn("logs", `log-group:${groupName}`) } };
  },
  "aws:ec2/flowLog:FlowLog": (name, _i, c) => {
    const id = `fl-${fakeHex(name)}`;
    return { id, state: { arn: c.arn("ec2", `vpc-flow-log/${id}`) } };
  },
  "aws:route53/zone:Zone": (name, inputs) => {
    const id = `Z${fakeHex(name, 20).toUpperCase()}`;
    const ns = [0, 1, 2, 3].map((i) => `ns-${parseInt(fakeHex(`${name}${i}`, 3), 16) % 2048}.awsdns-${10 + i}.${["com", "net", "org", "co.uk"][i]}`);
    return { id, state: { zoneId: id, nameServers: ns, arn: `arn:aws:route53:::hostedzone/${id}`, name: inputs.name } };
  },
  "aws:route53/record:Record": (_name, inputs) => ({
    id: `${String(inputs.zoneId)}_${String(inputs.name)}_${String(inputs.type)}`,
    state: { fqdn: String(inputs.name).replace(/\.$/, "") },
  }),
  // Alerts: the alarm topic (its KMS key is answered with the ECS handlers' above), subscriptions (pending until
  // the address confirms), alarms, RDS events, the dashboard.
  "aws:sns/topic:Topic": (name, inputs, c) => {
    const topicName = text(inputs.name, `${name}-${fakeHex(`${name}-topic`, 7)}`);
    const arn = c.arn("sns", topicName);
    return { id: arn, state: { name: topicName, arn, owner: c.account } };
  },
  "aws:sns/topicPolicy:TopicPolicy": (_name, inputs, c) => ({ id: String(inputs.arn), state: { owner: c.account } }),
  "aws:sns/topicSubscription:TopicSubscription": (name, inputs) => {
    const arn = `${String(inputs.topic)}:${[fakeHex(name, 8), fakeHex(`${name}1`, 4), fakeHex(`${name}2`, 4), fakeHex(`${name}3`, 4), fakeHex(`${name}4`, 12)].join("-")}`;
    return { id: arn, state: { arn, pendingConfirmation: true, confirmationWasAuthenticated: false } };
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs, c) => {
    const alarmName = text(inputs.name, name);
    return { id: alarmName, state: { arn: c.arn("cloudwatch", `alarm:${alarmName}`) } };
  },
  "aws:rds/eventSubscription:EventSubscription": (name, inputs, c) => {
    const n = text(inputs.name, name);
    return { id: n, state: { arn: c.arn("rds", `es:${n}`), customerAwsId: c.account } };
  },
  "aws:cloudwatch/dashboard:Dashboard": (name, inputs, c) => {
    const n = text(inputs.dashboardName, name);
    return { id: n, state: { dashboardArn: `arn:aws:cloudwatch::${c.account}:dashboard/${n}` } };
  },
  ...ECS_HANDLERS,
  // Host layer: what the Docker and command providers report after they ran.
  "docker:index/remoteImage:RemoteImage": (_name, inputs) => {
    const digest = fakeHex(`${String(inputs.name)}-digest`, 64);
    return {
      id: `sha256:${digest}${String(inputs.name)}`,
      state: { imageId: `sha256:${digest}`, repoDigest: `${String(inputs.name).split(":")[0]}@sha256:${digest}` },
    };
  },
  "docker:index/container:Container": (name) => ({ id: fakeHex(`${name}-container`, 64), state: { exitCode: null, network_data: [] } }),
  "command:remote:Command": (name) => ({ id: `${name}-${fakeHex(name, 8)}`, state: { stdout: "", stderr: "" } }),
  "random:index/randomPassword:RandomPassword": (name, inputs) => {
    const length = Number(inputs.length ?? 24);
    const result = fakeHex(`${name}-password`, length);
    return { id: "none", state: { result: secretValue(result), bcryptHash: secretValue(`$2a$10$${fakeHex(name, 53)}`) } };
  },
  // Keys are real (derived from the name and inputs, see fakePki.ts); the OpenSSH fields stay placeholders.
  "tls:index/privateKey:PrivateKey": (name, inputs) => {
    const key = realPrivateKey(name, inputs);
    return {
      id: fakeHex(name, 40),
      state: {
        privateKeyPem: secretValue(key.privateKeyPem),
        privateKeyOpenssh: secretValue(fakePem("OPENSSH PRIVATE KEY", name)),
        privateKeyPemPkcs8: secretValue(key.privateKeyPemPkcs8),
        publicKeyPem: key.publicKeyPem,
        publicKeyOpenssh: `${inputs.algorithm === "RSA" ? "ssh-rsa" : "ssh-ed25519"} AAAA${Buffer.from(fakeHex(name, 48)).toString("base64")}\n`,
        publicKeyFingerprintSha256: `SHA256:${Buffer.from(fakeHex(`${name}-fp`, 32)).toString("base64")}`,
      },
    };
  },
  // Certificates are real when openssl is installed (it honours the inputs, so tests can verify
  // the chain Berth asks for); placeholders otherwise, so the plan still runs anywhere.
  "tls:index/selfSignedCert:SelfSignedCert": (name, inputs) => ({
    id: fakeHex(name, 38),
    state: opensslAvailable()
      ? realSelfSignedCert(name, inputs)
      : { certPem: fakePem("CERTIFICATE", name), validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: fakeValidityEnd(inputs) },
  }),
  "tls:index/locallySignedCert:LocallySignedCert": (name, inputs) => ({
    id: fakeHex(name, 38),
    state: opensslAvailable()
      ? realLocallySignedCert(name, inputs)
      : { certPem: fakePem("CERTIFICATE", name), validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: fakeValidityEnd(inputs) },
  }),
  "tls:index/certRequest:CertRequest": (name, inputs) => ({
    id: fakeHex(name, 38),
    state: opensslAvailable() ? realCertRequest(name, inputs) : { certRequestPem: fakePem("CERTIFICATE REQUEST", name) },
  }),
  "cloudflare:index/dnsRecord:DnsRecord": (name, inputs) => ({
    id: fakeHex(`cf-record-${name}`, 32),
    state: { proxiable: true, createdOn: "2026-01-01T00:00:00Z", modifiedOn: "2026-01-01T00:00:00Z", meta: {}, settings: {}, tags: [], ttl: inputs.ttl },
  }),
  "cloudflare:index/originCaCertificate:OriginCaCertificate": (name, inputs) => ({
    id: fakeHex(`cf-origin-${name}`, 40),
    state: opensslAvailable() ? realOriginCertificate(name, inputs) : { certificate: fakePem("CERTIFICATE", name), expiresOn: "2041-01-01 00:00:00 +0000 UTC" },
  }),
};

function fakeValidityEnd(inputs: Inputs): string {
  const hours = Number(inputs.validityPeriodHours ?? 8760);
  return new Date(Date.UTC(2026, 0, 1) + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Invoke (data source) handlers. */
const CALLS: Record<string, CallHandler> = {
  // Cloudflare zone lookup by name (optionally within an account), or by id.
  "cloudflare:index/getZone:getZone": (inputs) => {
    const filter = (inputs.filter as { name?: string; account?: { id?: string } } | undefined) ?? {};
    const name = filter.name ?? "example.org";
    const id = text(inputs.zoneId, fakeHex(`cf-zone-${name}`, 32));
    const pick = (i: number): string => ["ada", "bob", "cruz", "dana", "eli", "fay"][parseInt(fakeHex(`${name}-ns${i}`, 2), 16) % 6];
    return {
      id,
      zoneId: id,
      name,
      status: "active",
      type: "full",
      paused: false,
      account: { id: filter.account?.id ?? fakeHex("cf-account", 32), name: "Berth offline plan" },
      nameServers: [`${pick(0)}.ns.cloudflare.com`, `${pick(1) === pick(0) ? "gus" : pick(1)}.ns.cloudflare.com`],
      originalNameServers: [],
      vanityNameServers: [],
      permissions: [],
    };
  },
  // Cloudflare's published ranges (as listed on 2026-11-01); the plan only needs plausible CIDRs.
  "cloudflare:index/getIpRanges:getIpRanges": () => ({
    etag: fakeHex("cf-ip-ranges", 32),
    ipv4Cidrs: [
      "173.245.48.0/20",
      "103.21.244.0/22",
      "103.22.200.0/22",
      "103.31.4.0/22",
      "141.101.64.0/18",
      "108.162.192.0/18",
      "190.93.240.0/20",
      "188.114.96.0/20",
      "197.234.240.0/22",
      "198.41.128.0/17",
      "162.158.0.0/15",
      "104.16.0.0/13",
      "104.24.0.0/14",
      "172.64.0.0/13",
      "131.0.72.0/22",
    ],
    ipv6Cidrs: ["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"],
    jdcloudCidrs: [],
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": (_i, c) => ({
    id: c.account,
    accountId: c.account,
    arn: `arn:aws:iam::${c.account}:user/berth-offline-plan`,
    userId: `AIDA${fakeHex("caller", 17).toUpperCase()}`,
  }),
  // The region's Elastic Load Balancing account, which writes access logs (ELB docs, "Enable access logs", regions before August 2022).
  "aws:elb/getServiceAccount:getServiceAccount": (_i, c) => {
    const accounts: Record<string, string> = {
      "ap-northeast-2": "600734575887",
      "ap-northeast-1": "582318560864",
      "us-east-1": "127311923021",
      "eu-west-1": "156460612806",
    };
    const id = accounts[c.region] ?? "127311923021";
    return { id, arn: `arn:aws:iam::${id}:root` };
  },
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, c) => {
    const letters = ["a", "b", "c", "d"];
    return {
      names: letters.map((l) => `${c.region}${l}`),
      zoneIds: letters.map((_, i) => `${c.region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
      id: c.region,
      state: "available",
    };
  },
  // Private task subnets (components/taskNetwork.ts): the region's endpoint service names, in the usual form.
  "aws:ec2/getVpcEndpointService:getVpcEndpointService": (inputs, c) => {
    const service = String(inputs.service);
    const serviceName = `com.amazonaws.${c.region}.${service}`;
    return {
      id: serviceName,
      service,
      serviceName,
      serviceType: inputs.serviceType === "Gateway" ? "Gateway" : "Interface",
      serviceId: `vpce-svc-${fakeHex(serviceName)}`,
      owner: "amazon",
      acceptanceRequired: false,
      availabilityZones: ["a", "b", "c", "d"].map((l) => `${c.region}${l}`),
      baseEndpointDnsNames: [`${service}.${c.region}.vpce.amazonaws.com`],
      privateDnsName: inputs.serviceType === "Gateway" ? "" : `${service}.${c.region}.amazonaws.com`,
      privateDnsNames: inputs.serviceType === "Gateway" ? [] : [`${service}.${c.region}.amazonaws.com`],
      vpcEndpointPolicySupported: true,
      supportedIpAddressTypes: ["ipv4"],
      region: c.region,
      serviceRegions: [c.region],
      tags: {},
    };
  },
  // The data volume's shrink check: a fresh account holds no volume of the stack (tests add one with RunOptions.customize).
  "aws:ebs/getEbsVolumes:getEbsVolumes": (inputs, c) => ({ id: c.region, ids: [], filters: inputs.filters, tags: inputs.tags }),
  "aws:ec2/getAmi:getAmi": (inputs) => {
    const filters = (inputs.filters as Array<{ name: string; values: string[] }> | undefined) ?? [];
    const pattern = filters.find((f) => f.name === "name")?.values[0] ?? "image-*";
    const amiName = pattern.replace("*", "20261101");
    return {
      id: `ami-${fakeHex(amiName)}`,
      imageId: `ami-${fakeHex(amiName)}`,
      name: amiName,
      architecture: "x86_64",
      ownerId: (inputs.owners as string[] | undefined)?.[0],
      rootDeviceName: "/dev/sda1",
    };
  },
};

export interface FakeCloud extends pulumi.runtime.Mocks {
  /** Registers an extra handler (used by components whose providers are mocked elsewhere). */
  readonly handlers: Record<string, Handler>;
  readonly calls: Record<string, CallHandler>;
  /** Errors the fake cloud raised during the run, in order (the runtime's wrappers lose them). */
  readonly failures: string[];
  /** Every invoke (data-source lookup) the program made, in order: what a real run would ask the cloud. */
  readonly invokes: RecordedInvoke[];
  /**
   * `type::name` -> the logical name a moved resource had before (from its aliases): the handlers
   * derive provider-assigned values from that one, as a real provider keeps them across a move.
   */
  readonly formerNames: Map<string, string>;
}

/** One invoke the program made, e.g. `cloudflare:index/getZone:getZone` with its filter. */
export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Inputs;
}

/** Builds the mocks for `pulumi.runtime.setMocks`. */
export function fakeCloud(options: FakeCloudOptions): FakeCloud {
  const account = options.accountId ?? "123456789012";
  const ctx: Ctx = {
    region: options.region,
    account,
    subnets: new Map(),
    arn: (service, resource, regional = true) => `arn:aws:${service}:${regional ? options.region : ""}:${account}:${resource}`,
  };
  const handlers: Record<string, Handler> = { ...HANDLERS };
  const calls: Record<string, CallHandler> = { ...CALLS };
  const failures: string[] = [];
  const invokes: RecordedInvoke[] = [];
  const formerNames = new Map<string, string>();
  const fail = (message: string): never => {
    failures.push(message);
    throw new Error(message);
  };
  return {
    handlers,
    calls,
    failures,
    invokes,
    formerNames,
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } {
      const inputs = args.inputs as Inputs;
      if (args.type.startsWith("pulumi:providers:")) return { id: `${args.name}-provider-id`, state: inputs };
      if (!args.custom) return { id: undefined, state: inputs };
      const handler = handlers[args.type];
      const name = formerNames.get(`${args.type}::${args.name}`) ?? args.name;
      let out: { id: string; state?: State };
      try {
        out = handler
          ? handler(name, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, unwrap(v)])), ctx)
          : { id: `${name}-${fakeHex(args.type, 8)}` };
      } catch (e) {
        return fail(`fake cloud: ${args.type} ${args.name}: ${(e as Error).message}`);
      }
      return { id: out.id, state: { ...inputs, ...(out.state ?? {}) } };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      invokes.push({ token: args.token, inputs: args.inputs as Inputs });
      const fn = calls[args.token];
      if (!fn) return fail(`unmocked invoke ${args.token}: add it to offline/mocks.ts so the plan and tests see a plausible answer`);
      return fn(args.inputs as Inputs, ctx);
    },
  };
}
