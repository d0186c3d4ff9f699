// Composition root: validated config in, providers and components wired together, stack
// outputs out. No logic lives here: each decision belongs to config/ or a component.
// (index.ts is only the entry point Pulumi loads; it exports this function.)
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { Database } from "./components/database";
import { createCloudflareProvider, Dns } from "./components/dns";
import { Firewall } from "./components/firewall";
import { hostIngressRules } from "./lib/firewallRules";
import { Host } from "./components/host";
import { HostServices } from "./components/hostServices";
import { Network } from "./components/network";
import { RegistryStorage } from "./components/registryStorage";
import { proxiedServedNames } from "./lib/dnsPlan";
import { defaultTags } from "./lib/tags";
import { Tls, tlsArgs } from "./components/tls";

/** Every stack output. Names are an interface: test/unit/outputs.test.ts pins them. */
export interface BerthOutputs {
  vpcId: pulumi.Output<string>;
  availabilityZones: pulumi.Output<string[]>;
  publicSubnetIds: pulumi.Output<string[]>;
  databaseSubnetIds: pulumi.Output<string[]>;
  hostSecurityGroupId: pulumi.Output<string>;
  databaseSecurityGroupId: pulumi.Output<string>;
  hostInstanceId: pulumi.Output<string>;
  hostAmiId: pulumi.Output<string>;
  hostPublicIp: pulumi.Output<string>;
  hostPrivateIp: pulumi.Output<string>;
  hostSshUser: string;
  hostDeployUser: string;
  hostSshPrivateKey: pulumi.Output<string>;
  hostSshPublicKey: pulumi.Output<string>;
  /** Private key of the deploy user, for CI (secret): it runs the deploy program only. */
  hostDeployPrivateKey: pulumi.Output<string>;
  sshCommand: pulumi.Output<string>;
  databaseEndpoint: pulumi.Output<string>;
  databasePort: pulumi.Output<number>;
  databaseName: pulumi.Output<string>;
  databaseUser: pulumi.Output<string>;
  databasePassword: pulumi.Output<string>;
  /** Name servers per domain to enter at the registrar (created Route53 zones, Cloudflare zones looked up by name). */
  dnsNameServers: pulumi.Output<Record<string, string[]>>;
  /** FQDN of every DNS record Berth manages. */
  dnsRecords: string[];
  tlsMode: string;
  /** Names the certificate covers. */
  tlsNames: string[];
  /** PEM of the self-signed CA clients must trust; "" in the other modes. */
  tlsCaCertificate: pulumi.Output<string>;
  /** ISO 8601 UTC expiry of the served certificate, or "" where none exists at deploy time (letsencrypt). */
  tlsCertificateExpiry: pulumi.Output<string>;
  /** Who renews the served certificate: "pulumi-up", "certbot" or "manual". */
  tlsRenewal: string;
  /** Where images are pushed: `<ip>:<port>` (direct) or the registry hostname (proxy). */
  registryHost: pulumi.Output<string>;
  registryUrl: pulumi.Output<string>;
  registryUsername: string;
  registryPassword: pulumi.Output<string>;
  registryLoginCommand: pulumi.Output<string>;
  /** Basic-auth logins of proxied extra hosts, by hostname (secret). */
  proxyBasicAuth: pulumi.Output<Record<string, { username: string; password: string }>>;
  /** The registry's S3 bucket (storage s3), or "" when images live on the host. */
  registryBucket: pulumi.Output<string>;
  /** CloudWatch Logs groups of the audit trail: VPC flow logs and the database's exported logs. */
  auditLogGroups: pulumi.Output<string[]>;
}

/** How the program runs: against the real cloud (`pulumi up`), or under the offline engine. */
export interface BerthOptions {
  /** "offline" accepts the shipped example domains (see RawConfigInput.target). @default "cloud" */
  readonly target?: "cloud" | "offline";
}

export function berth(options: BerthOptions = {}): BerthOutputs {
  // Validate everything first: a bad key fails here, before any resource is registered.
  const cfg = loadConfig(options.target ?? "cloud");
  const naming = { project: cfg.project, stack: cfg.stack };

  const awsProvider = new aws.Provider("aws", {
    region: cfg.region as aws.Region,
    defaultTags: { tags: defaultTags(cfg) },
  });
  const opts = { providers: [awsProvider] };

  const network = new Network("network", {
    vpcCidr: cfg.network.vpcCidr,
    publicSubnetCidrs: cfg.network.publicSubnetCidrs,
    databaseSubnetCidrs: cfg.network.databaseSubnetCidrs,
    availabilityZones: cfg.network.availabilityZones,
    ...(cfg.network.flowLogs ? { flowLogs: { retentionDays: cfg.network.flowLogRetentionDays } } : {}),
    naming,
  }, opts);

  // Image data that outlives the host: created apart from it, so replacing the host never touches it.
  const registryStorage = cfg.registry.enabled && cfg.registry.storage === "s3" ? new RegistryStorage("registry-storage", { naming }, opts) : undefined;

  const firewall = new Firewall("firewall", {
    vpcId: network.vpcId,
    hostIngress: hostIngressRules(cfg),
    databasePort: cfg.database.port,
    naming,
  }, opts);

  const host = new Host("host", {
    subnetId: network.publicSubnetIds[0],
    securityGroupIds: [firewall.hostSecurityGroupId],
    instanceType: cfg.host.instanceType,
    rootVolumeGiB: cfg.host.rootVolumeGiB,
    amiId: cfg.host.amiId,
    amiOwner: cfg.host.amiOwner,
    amiNamePattern: cfg.host.amiNamePattern,
    sshUser: cfg.host.sshUser,
    deployUser: cfg.host.deployUser,
    sshPort: cfg.firewall.sshPort,
    sshKeyAlgorithm: cfg.host.sshKeyAlgorithm,
    ...(registryStorage ? { instanceProfileName: registryStorage.instanceProfileName } : {}),
    naming,
  }, opts);
  firewall.admitDatabaseClient("host", host.privateIp, "MySQL from the Berth host private IP");

  const cloudflareProvider = createCloudflareProvider("cloudflare", cfg.dns.zones);
  const dnsTlsOpts = { providers: cloudflareProvider ? [awsProvider, cloudflareProvider] : [awsProvider] };
  const dns = new Dns("dns", { zones: cfg.dns.zones, hostIp: host.publicIp, naming }, dnsTlsOpts);
  const tls = new Tls("tls", tlsArgs(cfg, host.publicIp), dnsTlsOpts);
  // Names behind Cloudflare's proxy: nginx restores the client address only from Cloudflare's ranges.
  const proxiedNames = cfg.proxy.enabled ? proxiedServedNames(cfg) : [];
  const cloudflareRanges = cloudflareProvider && proxiedNames.length > 0
    ? cloudflare.getIpRangesOutput({}, { provider: cloudflareProvider }).apply((r) => [...r.ipv4Cidrs, ...r.ipv6Cidrs])
    : undefined;

  // The host layer: services on the host, delivered over SSH and the Docker API.
  const services = new HostServices("services", {
    config: cfg,
    naming,
    // A new host takes a minute to boot: keep dialling (30 tries, 15 s each) rather than fail.
    connection: { host: host.publicIp, user: cfg.host.sshUser, port: cfg.firewall.sshPort, privateKey: host.sshPrivateKey, dialErrorLimit: 30, perDialTimeout: 15 },
    hostId: host.instanceId,
    deployPublicKey: host.deployPublicKey,
    publicIp: host.publicIp,
    dockerApiPort: cfg.host.dockerApiPort,
    certificate: tls.certPem && tls.keyPem ? { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caPem } : undefined,
    certbot: tls.certbotCommand && tls.certbotDeployHook && tls.letsEncrypt
      ? { command: tls.certbotCommand, deployHook: tls.certbotDeployHook, hookPath: tls.letsEncrypt.deployHookPath, names: tls.names }
      : undefined,
    registryPassword: cfg.secrets.registryPassword,
    ...(registryStorage ? { registryBucket: { bucket: registryStorage.bucketName, region: cfg.region } } : {}),
    ...(cloudflareRanges ? { realIp: { names: proxiedNames, ranges: cloudflareRanges } } : {}),
    certbotDependsOn: [dns],
  }, opts);

  const database = new Database("database", {
    subnetIds: network.databaseSubnetIds,
    securityGroupId: firewall.databaseSecurityGroupId,
    engineVersion: cfg.database.engineVersion,
    engineLifecycleSupport: cfg.database.engineLifecycleSupport,
    instanceClass: cfg.database.instanceClass,
    allocatedStorageGiB: cfg.database.allocatedStorageGiB,
    maxAllocatedStorageGiB: cfg.database.maxAllocatedStorageGiB,
    dbName: cfg.database.name,
    username: cfg.database.username,
    password: cfg.secrets.databasePassword,
    port: cfg.database.port,
    backupRetentionDays: cfg.database.backupRetentionDays,
    backupWindow: cfg.database.backupWindow,
    deletionProtection: cfg.database.deletionProtection,
    skipFinalSnapshot: cfg.database.skipFinalSnapshot,
    multiAz: cfg.database.multiAz,
    applyImmediately: cfg.database.applyImmediately,
    logExports: cfg.database.logExports,
    logRetentionDays: cfg.database.logRetentionDays,
    slowQuerySeconds: cfg.database.slowQuerySeconds,
    naming,
  }, opts);

  const keyFile = `${cfg.project}-${cfg.stack}.pem`;
  const sshPortFlag = cfg.firewall.sshPort === 22 ? "" : ` -p ${cfg.firewall.sshPort}`;
  return {
    vpcId: network.vpcId,
    availabilityZones: network.availabilityZones,
    publicSubnetIds: pulumi.all(network.publicSubnetIds),
    databaseSubnetIds: pulumi.all(network.databaseSubnetIds),
    hostSecurityGroupId: firewall.hostSecurityGroupId,
    databaseSecurityGroupId: firewall.databaseSecurityGroupId,
    hostInstanceId: host.instanceId,
    hostAmiId: host.amiId,
    hostPublicIp: host.publicIp,
    hostPrivateIp: host.privateIp,
    hostSshUser: cfg.host.sshUser,
    hostDeployUser: cfg.host.deployUser,
    hostSshPrivateKey: host.sshPrivateKey,
    hostSshPublicKey: host.sshPublicKey,
    hostDeployPrivateKey: host.deployPrivateKey,
    // Not secret: it tells how to fetch the key, it does not contain it.
    sshCommand: pulumi.interpolate`pulumi stack output hostSshPrivateKey --show-secrets -s ${cfg.stack} > ${keyFile} && chmod 600 ${keyFile} && ssh -i ${keyFile}${sshPortFlag} ${cfg.host.sshUser}@${host.publicIp}`,
    databaseEndpoint: database.address,
    databasePort: database.port,
    databaseName: database.dbName,
    databaseUser: database.username,
    databasePassword: database.password,
    dnsNameServers: dns.nameServers,
    dnsRecords: dns.recordNames,
    tlsMode: tls.mode,
    tlsNames: [...tls.names],
    tlsCaCertificate: tls.caPem ?? pulumi.output(""),
    tlsCertificateExpiry: tls.expiry,
    tlsRenewal: tls.renewal,
    registryHost: services.registryHost,
    registryUrl: pulumi.interpolate`https://${services.registryHost}`,
    registryUsername: services.registryUsername,
    registryPassword: services.registryPassword,
    // Not secret: it reads the password from the stack when run.
    registryLoginCommand: pulumi.interpolate`pulumi stack output registryPassword --show-secrets -s ${cfg.stack} | docker login ${services.registryHost} -u ${services.registryUsername} --password-stdin`,
    proxyBasicAuth: services.extraHostLogins,
    registryBucket: registryStorage ? registryStorage.bucketName : pulumi.output(""),
    auditLogGroups: pulumi.all([network.flowLogGroup, database.logGroups]).apply(([flow, db]) => [...(flow ? [flow] : []), ...db]),
  };
}
