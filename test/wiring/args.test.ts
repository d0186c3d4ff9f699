// The wiring layer's mappers (wiring/args.ts) on plain values: each mapper's exact args from the shipped
// dev and prod configs and from edge configs (registry off, proxy off, every TLS mode, a non-22 SSH
// port). The SSH dial policy: connection.test.ts; the output strings: outputs.test.ts.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../config";
import { realPrivateKey, realSelfSignedCert } from "../../offline/fakePki";
import { toRawConfigInput } from "../../offline/stackFile";
import type { ServedCertificate } from "../../components/tls";
import {
  alertMounts,
  alertsArgs,
  alertsEnabled,
  appLogsArgs,
  appLogsEnabled,
  awsProviderArgs,
  databaseArgs,
  dataVolumeArgs,
  dnsArgs,
  ecsAppsArgs,
  firewallArgs,
  checkedServices,
  hasDataVolume,
  hostArgs,
  hostMonitoringSettings,
  hostRoleArgs,
  hostRoleEnabled,
  hostServicesArgs,
  hostServicesSettings,
  monitoringLogsArgs,
  naming,
  networkArgs,
  originHostnames,
  realIpNames,
  registryCheckUrl,
  registryStorageArgs,
  registryStorageEnabled,
  taskNetworkArgs,
  taskNetworkEnabled,
  tlsArgs,
} from "../../wiring/args";
import { section, stackWith } from "../helpers/stack";

const config = (stack: string, edits: Record<string, unknown> = {}, secrets: Record<string, string> = {}): Config =>
  parseConfig(toRawConfigInput(stackWith(stack, edits, secrets)));
const dev = config("dev");
const prod = config("prod");
const PROD_NAMES = ["example.com", "www.example.com", "example.net", "www.example.net", "jenkins.example.com", "docker.example.com"];
const IP = "203.0.113.10";

const network = { vpcId: "vpc-1", publicSubnetIds: ["subnet-a", "subnet-b"], databaseSubnetIds: ["subnet-c", "subnet-d"] };
const firewall = { hostSecurityGroupId: "sg-host", databaseSecurityGroupId: "sg-db" };
const rule = (port: number, cidr: string, description: string) => ({
  key: `tcp-${port}-${cidr.replace(/[./]/g, "-")}`,
  protocol: "tcp",
  fromPort: port,
  toPort: port,
  cidr,
  description,
});

describe("naming and the AWS provider", () => {
  it("names every resource after project and stack, and tags them", () => {
    expect(naming(dev)).toEqual({ project: "berth", stack: "dev" });
    expect(awsProviderArgs(prod)).toEqual({ region: "ap-northeast-2", defaultTags: { tags: { Project: "berth", Stack: "prod", ManagedBy: "pulumi" } } });
  });
});

describe("networkArgs", () => {
  it("dev: the stack file's blocks and zones, no flow logs", () => {
    const args = networkArgs(dev);
    expect(args).toEqual({
      vpcCidr: "10.20.0.0/16",
      publicSubnetCidrs: ["10.20.0.0/24", "10.20.1.0/24"],
      databaseSubnetCidrs: ["10.20.10.0/24", "10.20.11.0/24"],
      availabilityZones: ["ap-northeast-2a", "ap-northeast-2c"],
      naming: { project: "berth", stack: "dev" },
    });
    expect(args).not.toHaveProperty("flowLogs");
  });
  it("prod: flow logs kept 90 days", () => {
    expect(networkArgs(prod)).toEqual({
      vpcCidr: "10.30.0.0/16",
      publicSubnetCidrs: ["10.30.0.0/24", "10.30.1.0/24"],
      databaseSubnetCidrs: ["10.30.10.0/24", "10.30.11.0/24"],
      availabilityZones: ["ap-northeast-2a", "ap-northeast-2b"],
      flowLogs: { retentionDays: 90 },
      naming: { project: "berth", stack: "prod" },
    });
  });
});

describe("registry storage", () => {
  it("exists for a registry that keeps its images in S3 only", () => {
    expect(registryStorageEnabled(prod)).toBe(true);
    expect(registryStorageEnabled(dev)).toBe(false);
    expect(registryStorageEnabled(config("prod", { registry: { ...section("prod", "registry"), enabled: false } }))).toBe(false);
    expect(registryStorageArgs(prod)).toEqual({ naming: { project: "berth", stack: "prod" } });
  });
});

describe("firewallArgs", () => {
  it("dev: SSH and Docker API from admin, the direct registry and the stack file's ports from anywhere", () => {
    expect(firewallArgs(dev, { network })).toEqual({
      vpcId: "vpc-1",
      hostIngress: [
        rule(22, "198.51.100.0/24", "SSH from admin networks"),
        rule(2376, "198.51.100.0/24", "Docker API (mutual TLS) from admin networks"),
        rule(5000, "0.0.0.0/0", "Docker registry (TLS + basic auth)"),
        rule(443, "0.0.0.0/0", "HTTPS to nginx (by IP, self-signed)"),
        rule(8000, "0.0.0.0/0", "API gateway (dev only)"),
      ],
      databasePort: 3306,
      naming: { project: "berth", stack: "dev" },
    });
  });
  it("prod: both admin networks, HTTP and HTTPS from anywhere, no registry port (behind nginx)", () => {
    expect(firewallArgs(prod, { network })).toEqual({
      vpcId: "vpc-1",
      hostIngress: [
        rule(22, "198.51.100.0/24", "SSH from admin networks"),
        rule(22, "192.0.2.10/32", "SSH from admin networks"),
        rule(2376, "198.51.100.0/24", "Docker API (mutual TLS) from admin networks"),
        rule(2376, "192.0.2.10/32", "Docker API (mutual TLS) from admin networks"),
        rule(80, "0.0.0.0/0", "HTTP: redirect to HTTPS and ACME challenges"),
        rule(443, "0.0.0.0/0", "HTTPS to nginx"),
      ],
      databasePort: 3306,
      naming: { project: "berth", stack: "prod" },
    });
  });
  it("opens no Docker API port when the registry is off", () => {
    const off = config("dev", { registry: { enabled: false } });
    expect(firewallArgs(off, { network }).hostIngress.map((r) => r.fromPort)).toEqual([22, 443, 8000]);
  });
});

describe("hostArgs", () => {
  const ubuntu = {
    amiOwner: "099720109477",
    amiNamePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
    sshUser: "ubuntu",
    deployUser: "deploy",
    sshKeyAlgorithm: "ED25519",
  };
  it("dev: the first public subnet, the host's group, no instance profile", () => {
    const args = hostArgs(dev, { network, firewall });
    expect(args).toEqual({
      subnetId: "subnet-a",
      securityGroupIds: ["sg-host"],
      instanceType: "t3.xlarge",
      rootVolumeGiB: 30,
      ...ubuntu,
      sshPort: 22,
      naming: { project: "berth", stack: "dev" },
    });
    expect(args).not.toHaveProperty("instanceProfileName");
  });
  it("prod: the host role's instance profile", () => {
    expect(hostArgs(prod, { network, firewall, hostRole: { instanceProfileName: "berth-prod-registry" } })).toEqual({
      subnetId: "subnet-a",
      securityGroupIds: ["sg-host"],
      instanceType: "m6i.xlarge",
      rootVolumeGiB: 100,
      ...ubuntu,
      sshPort: 22,
      instanceProfileName: "berth-prod-registry",
      naming: { project: "berth", stack: "prod" },
    });
  });
  it("a pinned AMI and a non-22 SSH port", () => {
    const cfg = config("dev", { host: { amiId: "ami-0123456789abcdef0" }, firewall: { ...section("dev", "firewall"), sshPort: 2222 } });
    expect(hostArgs(cfg, { network, firewall })).toMatchObject({ amiId: "ami-0123456789abcdef0", sshPort: 2222 });
  });
});

describe("dataVolumeArgs", () => {
  const zones = { availabilityZones: pulumi.output(["ap-northeast-2a", "ap-northeast-2b"]) };
  it("prod: the stack file's size, gp3, protected, two weeks of snapshots, in the host subnet's AZ (the network's first)", async () => {
    expect(hasDataVolume(prod)).toBe(true);
    const { availabilityZone, ...rest } = dataVolumeArgs(prod, { network: zones });
    expect(rest).toEqual({
      sizeGiB: 50,
      type: "gp3",
      protect: true,
      snapshots: { retainDays: 14, time: "03:00" },
      naming: { project: "berth", stack: "prod" },
    });
    expect(await new Promise((resolve) => pulumi.output(availabilityZone).apply(resolve))).toBe("ap-northeast-2a");
  });
  it("iops and throughput when set; no snapshots unless asked", () => {
    const cfg = config("dev", { host: { ...section("dev", "host"), dataVolume: { sizeGiB: 100, iops: 6000, throughput: 300 } } });
    const args = dataVolumeArgs(cfg, { network: zones });
    expect(args).toMatchObject({ sizeGiB: 100, iops: 6000, throughput: 300, protect: true });
    expect(args).not.toHaveProperty("snapshots");
  });
  it("dev: none, and the mapper refuses to be called without one", () => {
    expect(hasDataVolume(dev)).toBe(false);
    expect(() => dataVolumeArgs(dev, { network: zones })).toThrow(/berth:host\.dataVolume is not set/);
  });
  it("the host gets the volume id for cloud-init only when there is one", () => {
    expect(hostArgs(prod, { network, firewall, dataVolume: { volumeId: "vol-1" } })).toMatchObject({ dataVolumeId: "vol-1" });
    expect(hostArgs(dev, { network, firewall })).not.toHaveProperty("dataVolumeId");
  });
});

describe("dnsArgs", () => {
  it("hands the zones over as validated, with the host's IP", () => {
    expect(dnsArgs(dev, { host: { publicIp: IP } })).toEqual({ zones: [], hostIp: IP, naming: { project: "berth", stack: "dev" } });
    const args = dnsArgs(prod, { host: { publicIp: IP } });
    expect(args.zones).toBe(prod.dns.zones);
    expect(args.hostIp).toBe(IP);
  });
});

describe("tlsArgs", () => {
  const common = { validityDays: 365, minRemainingDays: 30, originRequestType: "origin-ecc", originValidityDays: 5475, staging: false };
  it("self-signed (dev): no names, the host's IP in the certificate", () => {
    expect(tlsArgs(dev, { host: { publicIp: IP } })).toEqual({
      mode: "self-signed",
      names: [],
      ipAddresses: [IP],
      originHostnames: [],
      ...common,
      naming: { project: "berth", stack: "dev" },
    });
  });
  it("letsencrypt (prod): every served name, the account e-mail, no IP", () => {
    expect(tlsArgs(prod, { host: { publicIp: IP } })).toEqual({
      mode: "letsencrypt",
      names: PROD_NAMES,
      ipAddresses: [],
      originHostnames: ["example.net", "www.example.net"],
      ...common,
      email: "ops@example.com",
      naming: { project: "berth", stack: "prod" },
    });
  });
  it("cloudflare-origin: the proxied Cloudflare names and extra names in Cloudflare zones", () => {
    const prodProxy = section("prod", "proxy") as { apps: unknown[] };
    const cfg = config("prod", {
      registry: { enabled: false },
      proxy: { enabled: true, apps: [prodProxy.apps[1]] },
      tls: { mode: "cloudflare-origin", extraNames: ["*.example.net"], originRequestType: "origin-rsa", originValidityDays: 365 },
    });
    expect(originHostnames(cfg)).toEqual(["example.net", "www.example.net", "*.example.net"]);
    expect(tlsArgs(cfg, { host: { publicIp: IP } })).toEqual({
      ...common,
      mode: "cloudflare-origin",
      names: ["example.net", "www.example.net", "*.example.net"],
      ipAddresses: [],
      originHostnames: ["example.net", "www.example.net", "*.example.net"],
      originRequestType: "origin-rsa",
      originValidityDays: 365,
      naming: { project: "berth", stack: "prod" },
    });
  });
  it("provided: the certificate and key from the secrets", () => {
    const key = realPrivateKey("wiring-test-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem;
    const cert = String(
      realSelfSignedCert("wiring-test-cert", {
        privateKeyPem: key,
        subject: { commonName: "berth dev" },
        allowedUses: ["server_auth", "digital_signature"],
        validityPeriodHours: 24 * 90,
      }).certPem,
    );
    const cfg = config("dev", { tls: { mode: "provided" } }, { tlsCertificate: cert, tlsPrivateKey: key });
    expect(tlsArgs(cfg, { host: { publicIp: IP } })).toEqual({
      mode: "provided",
      names: [],
      ipAddresses: [],
      originHostnames: [],
      ...common,
      providedCertificate: cert,
      providedPrivateKey: key,
      naming: { project: "berth", stack: "dev" },
    });
  });
  it("serves only the extra names when the proxy is off", () => {
    const cfg = config("dev", { proxy: { enabled: false }, tls: { mode: "self-signed", extraNames: ["host.example.com"] } });
    expect(tlsArgs(cfg, { host: { publicIp: IP } })).toMatchObject({ mode: "self-signed", names: ["host.example.com"], ipAddresses: [IP] });
  });
});

describe("realIpNames", () => {
  it("lists the served names on proxied Cloudflare records, none without the proxy", () => {
    expect(realIpNames(prod)).toEqual(["example.net", "www.example.net"]);
    expect(realIpNames(dev)).toEqual([]);
    const direct = { ...section("prod", "registry"), expose: "direct", hostname: undefined };
    expect(realIpNames(config("prod", { proxy: { enabled: false }, registry: direct, tls: { mode: "self-signed" } }))).toEqual([]);
  });
});

describe("hostServicesArgs", () => {
  const host = {
    publicIp: pulumi.output(IP),
    instanceId: pulumi.output("i-1"),
    sshPrivateKey: "ADMIN KEY",
    hostPublicKey: "ssh-ed25519 AAAA host",
    deployPublicKey: "ssh-ed25519 AAAA deploy",
  };
  const files: ServedCertificate = { kind: "files", certPem: pulumi.output("CERT"), keyPem: pulumi.secret("KEY") };
  const certbot: ServedCertificate = {
    kind: "certbot",
    plan: { command: "certbot certonly", deployHook: "#!/bin/sh", hookPath: "/etc/letsencrypt/renewal-hooks/x.sh", names: PROD_NAMES },
  };
  const dns = {} as pulumi.Resource;

  it("dev: the config sections, the admin connection, the certificate files, no bucket, no proxied names", () => {
    const args = hostServicesArgs(dev, { host, tls: { served: files }, dns });
    expect(args).toEqual({
      config: { registry: dev.registry, proxy: dev.proxy, tls: dev.tls, host: dev.host },
      naming: { project: "berth", stack: "dev" },
      connection: {
        host: host.publicIp,
        user: "ubuntu",
        port: 22,
        privateKey: "ADMIN KEY",
        hostKey: "ssh-ed25519 AAAA host",
        dialErrorLimit: 30,
        perDialTimeout: 15,
      },
      hostId: host.instanceId,
      deployPublicKey: "ssh-ed25519 AAAA deploy",
      publicIp: host.publicIp,
      dockerApiPort: 2376,
      certificate: files,
      certbotDependsOn: [dns],
    });
    expect(args).not.toHaveProperty("registryBucket");
    expect(args).not.toHaveProperty("realIp");
    expect(args.config.registry).toBe(dev.registry);
  });

  it("prod: certbot's plan, the registry bucket in the stack's region, Cloudflare's ranges for the proxied names", () => {
    const ranges = pulumi.output(["173.245.48.0/20"]);
    const args = hostServicesArgs(prod, {
      host,
      tls: { served: certbot },
      registryStorage: { bucketName: "berth-prod-registry-1" },
      cloudflareRanges: ranges,
      dns,
    });
    expect(args.certificate).toBe(certbot);
    expect(args.registryBucket).toEqual({ bucket: "berth-prod-registry-1", region: "ap-northeast-2" });
    expect(args.realIp).toEqual({ names: ["example.net", "www.example.net"], ranges });
    expect(args.config).toEqual(hostServicesSettings(prod));
  });

  it("passes the registry password secret when set, and a non-22 SSH port to the connection", () => {
    const cfg = config("dev", { firewall: { ...section("dev", "firewall"), sshPort: 2222 } }, { registryPassword: "s3cret-registry-pass" });
    const args = hostServicesArgs(cfg, { host, tls: { served: files }, dns });
    expect(args.registryPassword).toBe("s3cret-registry-pass");
    expect(args.connection).toMatchObject({ port: 2222 });
  });

  it("with the registry off, hands over the disabled section and no bucket", () => {
    const cfg = config("prod", { registry: { enabled: false } });
    const args = hostServicesArgs(cfg, { host, tls: { served: certbot }, dns });
    expect(args.config.registry.enabled).toBe(false);
    expect(args).not.toHaveProperty("registryBucket");
  });
});

describe("databaseArgs", () => {
  it("dev: the cheap, disposable instance", () => {
    expect(databaseArgs(dev, { network, firewall })).toEqual({
      subnetIds: ["subnet-c", "subnet-d"],
      securityGroupId: "sg-db",
      engineVersion: "8.4",
      engineLifecycleSupport: "open-source-rds-extended-support-disabled",
      instanceClass: "db.t3.micro",
      allocatedStorageGiB: 20,
      dbName: "berth",
      username: "berth",
      port: 3306,
      backupRetentionDays: 1,
      deletionProtection: false,
      skipFinalSnapshot: true,
      multiAz: false,
      applyImmediately: true,
      logExports: [],
      logRetentionDays: 30,
      slowQuerySeconds: 2,
      naming: { project: "berth", stack: "dev" },
    });
  });
  it("prod: protected, autoscaling storage, logs exported; the password secret when set", () => {
    const cfg = config("prod", {}, { databasePassword: "a-long-database-password-1" });
    expect(databaseArgs(cfg, { network, firewall })).toEqual({
      subnetIds: ["subnet-c", "subnet-d"],
      securityGroupId: "sg-db",
      engineVersion: "8.4",
      engineLifecycleSupport: "open-source-rds-extended-support-disabled",
      instanceClass: "db.m6g.large",
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 200,
      dbName: "berth",
      username: "berth",
      password: "a-long-database-password-1",
      port: 3306,
      backupRetentionDays: 14,
      deletionProtection: true,
      skipFinalSnapshot: false,
      multiAz: false,
      applyImmediately: false,
      logExports: ["error", "slowquery"],
      logRetentionDays: 30,
      slowQuerySeconds: 2,
      naming: { project: "berth", stack: "prod" },
    });
  });
});

describe("app logs and the host role", () => {
  it("one log group per app with the stack's retention; a role whenever the host needs AWS access", () => {
    expect(appLogsArgs(dev)).toEqual({ apps: ["web"], retentionDays: 7, naming: { project: "berth", stack: "dev" } });
    expect(appLogsArgs(prod)).toMatchObject({ apps: ["shop", "landing"], retentionDays: 30 });
    const bare = config("dev", { proxy: { enabled: false, apps: [] } });
    expect([appLogsEnabled(dev), hostRoleEnabled(dev), appLogsEnabled(bare), hostRoleEnabled(bare)]).toEqual([true, true, false, false]);
    expect(hostRoleEnabled(config("dev", { proxy: { enabled: false, apps: [] }, registry: { ...section("dev", "registry"), storage: "s3" } }))).toBe(true);
  });
  it("hostRoleArgs: the bucket with RegistryStorage as the former parent, and the log groups", () => {
    // A stand-in, not a resource: constructing one (even with a urn) would ask the engine to read it.
    const storage = { bucketArn: "arn:aws:s3:::b", logicalName: "registry-storage" } as unknown as Parameters<typeof hostRoleArgs>[1]["registryStorage"] &
      object;
    expect(hostRoleArgs(dev, { appLogs: { groupArns: ["arn:g"] } })).toEqual({ appLogGroupArns: ["arn:g"], naming: { project: "berth", stack: "dev" } });
    expect(hostRoleArgs(prod, { registryStorage: storage })).toEqual({
      registryBucket: { arn: "arn:aws:s3:::b", previousParent: storage, previousName: "registry-storage" },
      appLogGroupArns: [],
      naming: { project: "berth", stack: "prod" },
    });
  });
});

describe("alerts", () => {
  it("are off in dev and on in prod; the host role serves them", () => {
    expect([alertsEnabled(dev), alertsEnabled(prod)]).toEqual([false, true]);
    expect(hostRoleEnabled(config("dev", { proxy: { enabled: false }, alerts: { enabled: true, email: ["a@corp.invalid"] } }))).toBe(true);
    expect(monitoringLogsArgs(prod)).toEqual({ retentionDays: 30, naming: { project: "berth", stack: "prod" } });
  });

  it("prod: its topic's addresses, the class's max_connections, `/` and the data volume, and every service the host runs", () => {
    const a = alertsArgs(prod, { host: { instanceId: "i-1" }, database: { identifier: "berth-prod-db" } });
    expect(a).toMatchObject({ region: "ap-northeast-2", emails: ["ops@example.com"], naming: { project: "berth", stack: "prod" } });
    expect(a.existingTopicArn).toBeUndefined();
    expect(a.alarms).toMatchObject({
      instanceId: "i-1",
      instanceType: "m6i.xlarge",
      databaseId: "berth-prod-db",
      databaseInstanceClass: "db.m6g.large",
      databaseAllocatedGiB: 50,
      databaseMaxConnections: 682,
      stack: "prod",
      mounts: [
        { path: "/", fstype: "ext4" },
        { path: "/srv/berth", fstype: "ext4" },
      ],
      services: ["docker", "nginx", "registry"],
    });
    expect(alertMounts(dev)).toEqual([{ path: "/", fstype: "ext4" }]);
  });

  it("an existing topic and a given max_connections", () => {
    const c = config("dev", { alerts: { enabled: true, snsTopicArn: "arn:aws:sns:ap-northeast-2:123456789012:ops", databaseMaxConnections: 40 } });
    const a = alertsArgs(c, { host: { instanceId: "i-1" }, database: { identifier: "db" } });
    expect(a.existingTopicArn).toBe("arn:aws:sns:ap-northeast-2:123456789012:ops");
    expect(a.alarms.databaseMaxConnections).toBe(40);
  });

  it("probes the registry where it listens (TLS direct, plain behind nginx), nginx only with the proxy", () => {
    expect(registryCheckUrl(dev)).toBe("https://127.0.0.1:5000/v2/");
    expect(registryCheckUrl(prod)).toBe("http://127.0.0.1:5000/v2/");
    expect(registryCheckUrl(config("dev", { registry: { enabled: false } }))).toBeUndefined();
    expect(checkedServices(config("dev", { proxy: { enabled: false }, registry: { enabled: false } }))).toEqual(["docker"]);
    expect(hostMonitoringSettings(prod)).toEqual({
      stack: "prod",
      mounts: [
        { path: "/", fstype: "ext4" },
        { path: "/srv/berth", fstype: "ext4" },
      ],
      intervalSeconds: 60,
      nginx: true,
      registryUrl: "http://127.0.0.1:5000/v2/",
    });
  });
});

describe("the ECS apps' subnets", () => {
  const scale = config("scale");
  const priv = config("scale", { cluster: { ...section("scale", "cluster"), taskSubnets: "private" } });
  const deps = {
    network: { ...network, availabilityZones: ["ap-northeast-2a", "ap-northeast-2c"] },
    loadBalancer: { securityGroupId: "sg-alb", httpsListenerArn: "arn:listener", arnSuffix: "app/berth-scale-alb/0123456789abcdef" },
    appLogs: { groupNames: { site: "/berth/scale/apps/site", shop: "/berth/scale/apps/shop" }, groupArns: ["arn:site", "arn:shop"] },
    databaseEnv: {},
  };

  it("public (the default): the public subnets with a public IP per task, and no task network", () => {
    expect(taskNetworkEnabled(scale)).toBe(false);
    expect(() => taskNetworkArgs(scale, deps)).toThrow(/not private/);
    expect(ecsAppsArgs(scale, deps)).toMatchObject({ subnetIds: ["subnet-a", "subnet-b"], assignPublicIp: true, loadBalancer: deps.loadBalancer });
    expect(dev.cluster).toBeUndefined();
    expect(taskNetworkEnabled(dev)).toBe(false);
  });

  it("private: the task network's two blocks in the network's AZs, and its subnets without public IPs", () => {
    expect(taskNetworkEnabled(priv)).toBe(true);
    expect(taskNetworkArgs(priv, deps)).toEqual({
      vpcId: "vpc-1",
      subnetCidrs: ["10.40.16.0/20", "10.40.32.0/20"],
      availabilityZones: ["ap-northeast-2a", "ap-northeast-2c"],
      region: "ap-northeast-2",
      naming: { project: "berth", stack: "scale" },
    });
    expect(ecsAppsArgs(priv, { ...deps, taskNetwork: { subnetIds: ["subnet-t1", "subnet-t2"] } })).toMatchObject({
      subnetIds: ["subnet-t1", "subnet-t2"],
      assignPublicIp: false,
    });
  });

  it("hands each app its scaling, 60 % CPU unless it says otherwise", () => {
    expect(ecsAppsArgs(scale, deps).apps.map((a) => a.scaleOn)).toEqual([{ metric: "cpu", target: 60 }]);
  });
});
