// Each component's args from validated config, one mapper per component and all of one shape:
// `xArgs(cfg, deps)`, where deps are the upstream components (or just the outputs of theirs that the
// mapper reads). Pure: no resource is made here, so test/wiring/args.test.ts checks every mapper on
// plain values. berth.ts only calls these; every choice of a config value lives here.
//
// Components never import config/ (test/meta/architecture.test.ts): they declare the settings they
// read, and the mappers below hand them the validated Config's sections. ConfigSatisfiesSettings
// makes any drift between the schema's types and those settings a type error.
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Config } from "../config";
import type { AppRuntimeArgs } from "../components/appRuntime";
import type { Database, DatabaseArgs } from "../components/database";
import type { DataVolumeArgs } from "../components/dataVolume";
import type { DnsArgs } from "../components/dns";
import type { FirewallArgs } from "../components/firewall";
import type { HostArgs } from "../components/host";
import type { HostServices, HostServicesArgs, HostServicesSettings } from "../components/hostServices";
import type { NetworkArgs } from "../components/network";
import type { AlertsArgs, MonitoringLogsArgs } from "../components/alerts";
import type { AppLogsArgs } from "../components/appLogs";
import type { HostMonitoringArgs } from "../components/hostMonitoring";
import { ALB_LOG_PREFIX, type AlbAccessLogsArgs } from "../components/albAccessLogs";
import type { EcsAppsArgs } from "../components/ecsApps";
import type { LoadBalancerArgs } from "../components/loadBalancer";
import type { TaskNetworkArgs } from "../components/taskNetwork";
import type { HostRoleArgs } from "../components/hostRole";
import type { RegistryStorageArgs } from "../components/registryStorage";
import type { DeployConfig } from "../components/render/deploy";
import type { HostLayerConfig } from "../components/render/hostFiles";
import type { ServedCertificate, TlsArgs } from "../components/tls";
import { rdsMaxConnections } from "../lib/alerts";
import { servedNames } from "../lib/certificates";
import { hasDataVolume } from "../lib/dataVolume";
import { owningZone, planRecords, proxiedServedNames } from "../lib/dnsPlan";
import { ciPolicy } from "../lib/ecsTasks";
import { hostIngressRules } from "../lib/firewallRules";
import { AGENT_NAMESPACE, watchedMounts, type CheckedService } from "../lib/hostMetrics";
import type { Naming } from "../lib/naming";
import { defaultTags } from "../lib/tags";
import { hostConnection } from "./connection";
import { sshKeyFile, type RegistryLoginInput, type SshCommandInput } from "./outputs";

/** `Given` when it is assignable to `Wanted`; a type error otherwise. */
type Satisfies<Wanted, Given extends Wanted> = Given;
/** Compile-time only: the validated Config satisfies every settings interface the components declare. */
export type ConfigSatisfiesSettings = [Satisfies<HostLayerConfig, Config>, Satisfies<DeployConfig, Config>, Satisfies<HostServicesSettings, Config>];

/** Project and stack: every component's physical names. */
export function naming(cfg: Config): Naming {
  return { project: cfg.project, stack: cfg.stack };
}

/** The AWS provider: the stack's region, and the tags every AWS resource carries. */
export function awsProviderArgs(cfg: Config): aws.ProviderArgs {
  return { region: cfg.region, defaultTags: { tags: defaultTags(cfg) } };
}

/** The VPC and its subnets as config resolved them; flow logs only when berth:network.flowLogs is on. */
export function networkArgs(cfg: Config): NetworkArgs {
  return {
    vpcCidr: cfg.network.vpcCidr,
    publicSubnetCidrs: cfg.network.publicSubnetCidrs,
    databaseSubnetCidrs: cfg.network.databaseSubnetCidrs,
    availabilityZones: cfg.network.availabilityZones,
    ...(cfg.network.flowLogs ? { flowLogs: { retentionDays: cfg.network.flowLogRetentionDays } } : {}),
    naming: naming(cfg),
  };
}

/** The registry keeps its images in the stack's own bucket (registry enabled, storage s3). */
export function registryStorageEnabled(cfg: Config): boolean {
  return cfg.registry.enabled && cfg.registry.storage === "s3";
}

/** The registry bucket: named after the stack. */
export function registryStorageArgs(cfg: Config): RegistryStorageArgs {
  return { naming: naming(cfg) };
}

/** The apps' containers log to CloudWatch Logs: one group per app, so only when there are apps (of either runtime). */
export function appLogsEnabled(cfg: Config): boolean {
  return cfg.proxy.apps.length > 0 || cfg.cluster !== undefined;
}

/** One log group per app of berth:proxy.apps, kept berth:proxy.appLogRetentionDays: the host's apps first, then the ECS apps. */
export function appLogsArgs(cfg: Config): AppLogsArgs {
  const apps = [...cfg.proxy.apps.map((a) => a.name), ...(cfg.cluster?.apps ?? []).map((a) => a.name)];
  return { apps, retentionDays: cfg.proxy.appLogRetentionDays, naming: naming(cfg) };
}

/** The host needs AWS access (a role and instance profile): the registry's bucket, the apps' logs, or the CloudWatch agent. */
export function hostRoleEnabled(cfg: Config): boolean {
  return registryStorageEnabled(cfg) || appLogsEnabled(cfg) || alertsEnabled(cfg);
}

/** Alarms and the dashboard: berth:alerts.enabled. */
export function alertsEnabled(cfg: Config): boolean {
  return cfg.alerts.enabled;
}

/**
 * The CloudWatch agent and the host check on the host, and the deploy log in CloudWatch Logs: with
 * alerts, and whenever the host runs apps (their deploy log must be readable without a shell on the
 * host, as their own logs are).
 */
export function hostMonitoringEnabled(cfg: Config): boolean {
  return alertsEnabled(cfg) || cfg.proxy.apps.length > 0;
}

/** The deploy log's and the host check's groups, kept berth:alerts.deployLogRetentionDays. */
export function monitoringLogsArgs(cfg: Config): MonitoringLogsArgs {
  return { retentionDays: cfg.alerts.deployLogRetentionDays, naming: naming(cfg) };
}

/** The mounts the disk alarms and the agent watch: `/`, and `/srv/berth` with berth:host.dataVolume. */
export function alertMounts(cfg: Config): ReturnType<typeof watchedMounts> {
  return watchedMounts({ dataVolume: hasDataVolume(cfg) });
}

/** The services the host check probes: Docker always, nginx and the registry when they run. */
export function checkedServices(cfg: Config): CheckedService[] {
  return ["docker", ...(cfg.proxy.enabled ? (["nginx"] as const) : []), ...(cfg.registry.enabled ? (["registry"] as const) : [])];
}

/** The registry's /v2/ on the host's loopback: TLS in direct mode, plain HTTP behind nginx; undefined without a registry. */
export function registryCheckUrl(cfg: Config): string | undefined {
  if (!cfg.registry.enabled) return undefined;
  return `${cfg.registry.expose === "direct" ? "https" : "http"}://127.0.0.1:${cfg.registry.port}/v2/`;
}

/** What the alarms are wired to: the host's instance id and the database's identifier. */
export interface AlertsDeps {
  /** The host. */
  readonly host: {
    /** EC2 instance id. */
    readonly instanceId: pulumi.Input<string>;
  };
  /** The database. */
  readonly database: {
    /** RDS identifier. */
    readonly identifier: pulumi.Input<string>;
  };
  /** The apps' log groups by app name (AppLogs), when there are apps: their error lines are counted. */
  readonly appLogGroups?: pulumi.Output<Record<string, string>>;
  /** Apps on ECS, when there are any: the load balancer's and each part's metric dimensions. */
  readonly ecs?: {
    /** The load balancer's ARN suffix (its CloudWatch LoadBalancer dimension). */
    readonly loadBalancerArnSuffix: pulumi.Input<string>;
    /** The ECS cluster's name (Container Insights' ClusterName dimension). */
    readonly clusterName: pulumi.Input<string>;
    /** By `<app>-<part>`. */
    readonly parts: Readonly<
      Record<string, { readonly serviceName: pulumi.Input<string>; readonly targetGroupArnSuffix: pulumi.Input<string>; readonly minCount: number }>
    >;
  };
}

/** The topic (own or existing), the e-mail subscriptions and every alarm's input from berth:alerts. */
export function alertsArgs(cfg: Config, deps: AlertsDeps): AlertsArgs {
  const a = cfg.alerts;
  // validateAlerts refuses a class without a known max_connections unless it is given.
  const maxConnections = a.databaseMaxConnections ?? rdsMaxConnections(cfg.database.instanceClass) ?? 1;
  return {
    region: cfg.region,
    emails: a.email,
    ...(a.snsTopicArn !== undefined ? { existingTopicArn: a.snsTopicArn } : {}),
    alarms: {
      instanceId: deps.host.instanceId,
      instanceType: cfg.host.instanceType,
      databaseId: deps.database.identifier,
      databaseInstanceClass: cfg.database.instanceClass,
      databaseAllocatedGiB: cfg.database.allocatedStorageGiB,
      databaseMaxConnections: maxConnections,
      stack: cfg.stack,
      mounts: alertMounts(cfg),
      services: checkedServices(cfg),
      thresholds: a,
      ...(deps.ecs
        ? {
            ecs: {
              loadBalancer: deps.ecs.loadBalancerArnSuffix,
              containerInsights: cfg.cluster?.settings.containerInsights ?? false,
              parts: Object.entries(deps.ecs.parts).map(([key, p]) => ({
                key,
                targetGroup: p.targetGroupArnSuffix,
                cluster: deps.ecs!.clusterName,
                service: p.serviceName,
                minCount: p.minCount,
              })),
            },
          }
        : {}),
      ...(deps.appLogGroups ? { appLogs: appLogAlarmInput(cfg, deps.appLogGroups) } : {}),
    },
    naming: naming(cfg),
  };
}

/** The apps whose error lines are counted: every app with a log group, in AppLogs' order. */
function appLogAlarmInput(cfg: Config, groups: pulumi.Output<Record<string, string>>): NonNullable<AlertsArgs["alarms"]["appLogs"]> {
  return {
    pattern: cfg.alerts.appLogErrorPattern,
    apps: appLogsArgs(cfg).apps.map((app) => ({ app, logGroup: groups.apply((g) => g[app]) })),
  };
}

/** What the agent's config and the host check are rendered from (the log groups' names aside). */
export function hostMonitoringSettings(cfg: Config): HostMonitoringArgs["settings"] {
  const registryUrl = registryCheckUrl(cfg);
  return {
    stack: cfg.stack,
    mounts: alertMounts(cfg),
    intervalSeconds: cfg.alerts.agentIntervalSeconds,
    nginx: cfg.proxy.enabled,
    ...(registryUrl !== undefined ? { registryUrl } : {}),
  };
}

/** The agent and the host check on the host: what they watch, after cloud-init. */
export function hostMonitoringArgs(
  cfg: Config,
  deps: {
    readonly services: { readonly target: HostServices["target"]; readonly provisioned: pulumi.Resource };
    readonly logs: { readonly deployGroupName: pulumi.Input<string>; readonly metricsGroupName: pulumi.Input<string> };
  },
): HostMonitoringArgs {
  return {
    target: deps.services.target,
    settings: hostMonitoringSettings(cfg),
    deployLogGroup: deps.logs.deployGroupName,
    metricsLogGroup: deps.logs.metricsGroupName,
    dependsOn: [deps.services.provisioned],
  };
}

/** What the host role is wired to: the purposes it serves. */
export interface HostRoleDeps {
  /** The registry's bucket; unset without one. */
  readonly registryStorage?: {
    /** The bucket's ARN. */
    readonly bucketArn: pulumi.Input<string>;
    /** Its logical name (the role's former parent). */
    readonly logicalName: string;
  } & pulumi.Resource;
  /** The apps' log groups; unset without apps. */
  readonly appLogs?: {
    /** Their ARNs. */
    readonly groupArns: readonly pulumi.Input<string>[];
  };
  /** The deploy log's and the host check's groups; unset without alerts. */
  readonly monitoringLogs?: {
    /** Their ARNs. */
    readonly groupArns: readonly pulumi.Input<string>[];
  };
}

/** One role for the host: the registry bucket's policy (carried over from RegistryStorage) and the app-logs policy. */
export function hostRoleArgs(cfg: Config, deps: HostRoleDeps): HostRoleArgs {
  const reg = deps.registryStorage;
  return {
    ...(reg ? { registryBucket: { arn: reg.bucketArn, previousParent: reg, previousName: reg.logicalName } } : {}),
    // The host's apps come first in AppLogs; the ECS apps' groups are their tasks' to write.
    appLogGroupArns: deps.appLogs ? deps.appLogs.groupArns.slice(0, cfg.proxy.apps.length) : [],
    ...(deps.monitoringLogs ? { monitoring: { namespace: AGENT_NAMESPACE, logGroupArns: [...deps.monitoringLogs.groupArns] } } : {}),
    naming: naming(cfg),
  };
}

/** The host has a data volume (berth:host.dataVolume set): the one test, from lib/dataVolume.ts. */
export { hasDataVolume };

/** What the data volume is wired to: the network's zones, the host subnet's first. */
export interface DataVolumeDeps {
  /** The network. */
  readonly network: {
    /** The two AZs, in subnet order: the host's subnet is in the first. */
    readonly availabilityZones: pulumi.Output<string[]>;
  };
}

/**
 * The data volume from berth:host.dataVolume, in the AZ of the host's subnet: the same value the
 * network gives that subnet, never read back from the instance, so host and volume share one AZ.
 */
export function dataVolumeArgs(cfg: Config, deps: DataVolumeDeps): DataVolumeArgs {
  const v = cfg.host.dataVolume;
  if (!v) throw new Error("dataVolumeArgs: berth:host.dataVolume is not set (check hasDataVolume first)");
  return {
    availabilityZone: deps.network.availabilityZones.apply((zones) => zones[0]),
    sizeGiB: v.sizeGiB,
    type: v.type,
    ...(v.iops !== undefined ? { iops: v.iops } : {}),
    ...(v.throughput !== undefined ? { throughput: v.throughput } : {}),
    protect: v.protect,
    ...(v.snapshots ? { snapshots: { retainDays: v.snapshots.retainDays, time: v.snapshots.time } } : {}),
    naming: naming(cfg),
  };
}

/** What the firewall is wired to. */
export interface FirewallDeps {
  /** The network: its VPC id. */
  readonly network: {
    /** VPC id. */
    readonly vpcId: pulumi.Input<string>;
  };
}

/** The host's inbound rules (lib/firewallRules.ts) and the database port. */
export function firewallArgs(cfg: Config, deps: FirewallDeps): FirewallArgs {
  return {
    vpcId: deps.network.vpcId,
    hostIngress: hostIngressRules(cfg),
    databasePort: cfg.database.port,
    naming: naming(cfg),
  };
}

/** What the host is wired to: its subnet, its security group, and the host role's instance profile when it needs AWS access. */
export interface HostDeps {
  /** The host goes in the first public subnet. */
  readonly network: {
    /** Ids of the two public subnets. */
    readonly publicSubnetIds: readonly pulumi.Input<string>[];
  };
  /** The host's security group. */
  readonly firewall: {
    /** Its id. */
    readonly hostSecurityGroupId: pulumi.Input<string>;
  };
  /** The host role; unset when the host needs no AWS access. */
  readonly hostRole?: {
    /** Its instance profile. */
    readonly instanceProfileName: pulumi.Input<string>;
  };
  /** The data volume; unset without one. */
  readonly dataVolume?: {
    /** Its id, for cloud-init. */
    readonly volumeId: pulumi.Input<string>;
  };
}

/** The EC2 host: size, image and users from berth:host, sshd on berth:firewall.sshPort, in the first public subnet. */
export function hostArgs(cfg: Config, deps: HostDeps): HostArgs {
  return {
    subnetId: deps.network.publicSubnetIds[0],
    securityGroupIds: [deps.firewall.hostSecurityGroupId],
    instanceType: cfg.host.instanceType,
    rootVolumeGiB: cfg.host.rootVolumeGiB,
    amiId: cfg.host.amiId,
    amiOwner: cfg.host.amiOwner,
    amiNamePattern: cfg.host.amiNamePattern,
    sshUser: cfg.host.sshUser,
    deployUser: cfg.host.deployUser,
    sshPort: cfg.firewall.sshPort,
    sshKeyAlgorithm: cfg.host.sshKeyAlgorithm,
    ...(deps.hostRole ? { instanceProfileName: deps.hostRole.instanceProfileName } : {}),
    ...(deps.dataVolume ? { dataVolumeId: deps.dataVolume.volumeId } : {}),
    naming: naming(cfg),
  };
}

/** The host, as DNS and TLS see it: its address. */
export interface HostAddressDeps {
  /** The host. */
  readonly host: {
    /** Its Elastic IP. */
    readonly publicIp: pulumi.Input<string>;
  };
}

/** The zones as validated, every A record pointing at the host's Elastic IP. */
export function dnsArgs(cfg: Config, deps: HostAddressDeps): DnsArgs {
  return { zones: cfg.dns.zones, hostIp: deps.host.publicIp, naming: naming(cfg) };
}

/** The names an Origin CA certificate may carry: served names on proxied Cloudflare records, and extra names in Cloudflare zones. */
export function originHostnames(cfg: Pick<Config, "dns" | "registry" | "proxy" | "tls">): string[] {
  const proxied = new Set(
    planRecords(cfg.dns.zones)
      .filter((r) => r.proxied)
      .map((r) => r.fqdn),
  );
  return servedNames(cfg).filter((n) => proxied.has(n) || (cfg.tls.extraNames.includes(n) && owningZone(cfg.dns.zones, n)?.provider === "cloudflare"));
}

/** The certificate: served names, the host's IP (self-signed only), each mode's settings and the provided pair's secrets. */
export function tlsArgs(cfg: Config, deps: HostAddressDeps): TlsArgs {
  return {
    mode: cfg.tls.mode,
    names: servedNames(cfg),
    ipAddresses: cfg.tls.mode === "self-signed" ? [deps.host.publicIp] : [],
    validityDays: cfg.tls.validityDays,
    minRemainingDays: cfg.tls.minRemainingDays,
    originHostnames: originHostnames(cfg),
    originRequestType: cfg.tls.originRequestType,
    originValidityDays: cfg.tls.originValidityDays,
    providedCertificate: cfg.secrets.tlsCertificate,
    providedPrivateKey: cfg.secrets.tlsPrivateKey,
    email: cfg.tls.email,
    staging: cfg.tls.staging,
    naming: naming(cfg),
  };
}

/** Served names behind Cloudflare's proxy, for which nginx restores the client address: none without the proxy. */
export function realIpNames(cfg: Config): string[] {
  return cfg.proxy.enabled ? proxiedServedNames(cfg) : [];
}

/** The sections of config the host layer reads. */
export function hostServicesSettings(cfg: Config): HostServicesSettings {
  return { registry: cfg.registry, proxy: cfg.proxy, tls: cfg.tls, host: cfg.host };
}

/** What the host layer is wired to. */
export interface HostServicesDeps {
  /** The host: its address, instance id and keys. */
  readonly host: {
    /** Elastic IP. */
    readonly publicIp: pulumi.Output<string>;
    /** EC2 instance id. */
    readonly instanceId: pulumi.Output<string>;
    /** Admin private key (secret). */
    readonly sshPrivateKey: pulumi.Input<string>;
    /** The host's SSH host key line, which Pulumi's connections pin. */
    readonly hostPublicKey: pulumi.Input<string>;
    /** Deploy user's public key. */
    readonly deployPublicKey: pulumi.Input<string>;
  };
  /** The served certificate. */
  readonly tls: {
    /** Files or certbot's plan. */
    readonly served: ServedCertificate;
  };
  /** The registry's bucket; unset when the registry keeps no bucket. */
  readonly registryStorage?: {
    /** Bucket name. */
    readonly bucketName: pulumi.Input<string>;
  };
  /** Cloudflare's ranges (wiring/lookups.ts); unset when no served name is proxied. */
  readonly cloudflareRanges?: pulumi.Input<string[]>;
  /** The apps' log groups; unset without apps. */
  readonly appLogs?: {
    /** Group name by app name. */
    readonly groupNames: pulumi.Input<Record<string, string>>;
  };
  /** The DNS records certbot needs before it asks Let's Encrypt to connect. */
  readonly dns: pulumi.Resource;
  /** The data volume; unset without one. */
  readonly dataVolume?: {
    /** Its id. */
    readonly volumeId: pulumi.Output<string>;
    /** Its size as EBS reports it. */
    readonly sizeGiB: pulumi.Output<number>;
  };
  /** Its attachment to this host; unset without a data volume. */
  readonly dataAttachment?: pulumi.Resource;
}

/** The apps' runtime files and databases: each app's secret values (the component keeps them secret), after cloud-init. */
export function appRuntimeArgs(cfg: Config, deps: { readonly services: HostServices; readonly database: Database }): AppRuntimeArgs {
  return {
    target: deps.services.target,
    apps: cfg.proxy.apps,
    secrets: cfg.appSecrets,
    ...(ecsDatabaseApps(cfg).length > 0 ? { otherDatabaseApps: ecsDatabaseApps(cfg) } : {}),
    database: {
      host: deps.database.address,
      port: deps.database.port,
      masterUser: deps.database.username,
      masterPassword: deps.database.password,
      dependsOn: [deps.database],
    },
    dependsOn: [deps.services.provisioned],
  };
}

/** The host layer: config sections, the admin SSH connection, the served certificate, the bucket, Cloudflare's ranges and the apps' log groups when present. */
export function hostServicesArgs(cfg: Config, deps: HostServicesDeps): HostServicesArgs {
  return {
    config: hostServicesSettings(cfg),
    naming: naming(cfg),
    connection: hostConnection({
      ip: deps.host.publicIp,
      user: cfg.host.sshUser,
      port: cfg.firewall.sshPort,
      privateKey: deps.host.sshPrivateKey,
      hostKey: deps.host.hostPublicKey,
    }),
    hostId: deps.host.instanceId,
    deployPublicKey: deps.host.deployPublicKey,
    publicIp: deps.host.publicIp,
    dockerApiPort: cfg.host.dockerApiPort,
    certificate: deps.tls.served,
    registryPassword: cfg.secrets.registryPassword,
    ...(deps.registryStorage ? { registryBucket: { bucket: deps.registryStorage.bucketName, region: cfg.region } } : {}),
    ...(deps.cloudflareRanges ? { realIp: { names: realIpNames(cfg), ranges: deps.cloudflareRanges } } : {}),
    ...(deps.appLogs && cfg.proxy.apps.length > 0 ? { appLogs: { region: cfg.region, groups: hostAppGroups(cfg, deps.appLogs.groupNames) } } : {}),
    ...(deps.dataVolume && deps.dataAttachment
      ? { dataVolume: { volumeId: deps.dataVolume.volumeId, sizeGiB: deps.dataVolume.sizeGiB, attachment: deps.dataAttachment } }
      : {}),
    certbotDependsOn: [deps.dns],
  };
}

/** What the database is wired to: its private subnets and its security group. */
export interface DatabaseDeps {
  /** The database subnets (no internet route). */
  readonly network: {
    /** Ids of the two database subnets. */
    readonly databaseSubnetIds: readonly pulumi.Input<string>[];
  };
  /** The database's security group. */
  readonly firewall: {
    /** Its id. */
    readonly databaseSecurityGroupId: pulumi.Input<string>;
  };
}

/** The RDS instance from berth:database, with the berth:databasePassword secret when set. */
export function databaseArgs(cfg: Config, deps: DatabaseDeps): DatabaseArgs {
  return {
    subnetIds: [...deps.network.databaseSubnetIds],
    securityGroupId: deps.firewall.databaseSecurityGroupId,
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
    naming: naming(cfg),
  };
}

/** Stack outputs that are config values as they are. */
export interface ConfigOutputs {
  /** The host's admin login (berth:host.sshUser). */
  readonly hostSshUser: string;
  /** The login CI deploys as (berth:host.deployUser). */
  readonly hostDeployUser: string;
}

/** The outputs config decides alone. */
export function configOutputs(cfg: Config): ConfigOutputs {
  return { hostSshUser: cfg.host.sshUser, hostDeployUser: cfg.host.deployUser };
}

/** sshCommand's input but the host's IP, known once the Elastic IP exists. */
export function sshCommandInput(cfg: Config): Omit<SshCommandInput, "ip"> {
  return { stack: cfg.stack, keyFile: sshKeyFile(cfg), port: cfg.firewall.sshPort, user: cfg.host.sshUser };
}

/** registryLoginCommand's input but the registry's host and login, which HostServices decides. */
export function registryLoginInput(cfg: Config): Pick<RegistryLoginInput, "stack"> {
  return { stack: cfg.stack };
}

/** The host apps' log groups only (the ECS apps' groups are no business of the host). */
function hostAppGroups(cfg: Config, groups: pulumi.Input<Record<string, string>>): pulumi.Input<Record<string, string>> {
  if (cfg.cluster === undefined) return groups;
  const host = new Set(cfg.proxy.apps.map((a) => a.name));
  return pulumi.output(groups).apply((g) => Object.fromEntries(Object.entries(g).filter(([app]) => host.has(app))));
}

/** The ECS apps whose databases the host's creation step makes (it is the step that reaches RDS with the master login). */
export function ecsDatabaseApps(cfg: Config): string[] {
  return (cfg.cluster?.apps ?? []).filter((a) => a.database).map((a) => a.name);
}

/** The app runtime component runs when a host app needs its files, or any app a database. */
export function appRuntimeEnabled(cfg: Config): boolean {
  return cfg.proxy.apps.length > 0 || ecsDatabaseApps(cfg).length > 0;
}

/** What the load balancer is wired to. */
export interface LoadBalancerDeps {
  /** The access logs' bucket (berth:cluster.accessLogs); unset without. */
  readonly accessLogs?: {
    /** Bucket name. */
    readonly bucketName: pulumi.Input<string>;
    /** Its policy. */
    readonly policy: pulumi.Resource;
  };
  /** The network: the VPC and its public subnets. */
  readonly network: {
    /** VPC id. */
    readonly vpcId: pulumi.Input<string>;
    /** The two public subnets. */
    readonly publicSubnetIds: readonly pulumi.Input<string>[];
  };
  /** The zones the apps' records and validation records go in. */
  readonly dns: {
    /** Zone id by domain. */
    readonly zoneIds: pulumi.Input<Record<string, string>>;
  };
}

/** The load balancer: every ECS app's hostnames, each with the zone (of berth:dns) that holds its records. */
export function loadBalancerArgs(cfg: Config, deps: LoadBalancerDeps): LoadBalancerArgs {
  const names = (cfg.cluster?.apps ?? []).flatMap((a) =>
    a.hostnames.map((hostname) => {
      // Config validation made sure each name has a zone.
      const zone = owningZone(cfg.dns.zones, hostname)!;
      return { hostname, zone: zone.domain, provider: zone.provider };
    }),
  );
  return {
    vpcId: deps.network.vpcId,
    vpcCidr: cfg.network.vpcCidr,
    subnetIds: deps.network.publicSubnetIds,
    names,
    zoneIds: deps.dns.zoneIds,
    idleTimeoutSeconds: cfg.cluster?.settings.idleTimeoutSeconds ?? 60,
    ...(deps.accessLogs ? { accessLogs: { bucket: deps.accessLogs.bucketName, prefix: ALB_LOG_PREFIX, policy: deps.accessLogs.policy } } : {}),
    naming: naming(cfg),
  };
}

/** The load balancer's access logs go to a bucket of the stack (berth:cluster.accessLogs). */
export function albAccessLogsEnabled(cfg: Config): boolean {
  return cfg.cluster?.settings.accessLogs === true;
}

/** The access logs' bucket: kept berth:cluster.accessLogRetentionDays. */
export function albAccessLogsArgs(cfg: Config): AlbAccessLogsArgs {
  return { retentionDays: cfg.cluster?.settings.accessLogRetentionDays ?? 90, naming: naming(cfg) };
}

/** The ECS apps' tasks run in private subnets of their own, behind VPC endpoints (berth:cluster.taskSubnets: private). */
export function taskNetworkEnabled(cfg: Config): boolean {
  return cfg.cluster?.taskSubnetCidrs !== undefined;
}

/** The private task subnets: the blocks config gave or chose, in the network's two AZs. */
export function taskNetworkArgs(cfg: Config, deps: { network: { vpcId: pulumi.Input<string>; availabilityZones: pulumi.Input<string[]> } }): TaskNetworkArgs {
  const cidrs = cfg.cluster?.taskSubnetCidrs;
  if (!cidrs) throw new Error("taskNetworkArgs: berth:cluster.taskSubnets is not private (check taskNetworkEnabled first)");
  return {
    vpcId: deps.network.vpcId,
    subnetCidrs: [cidrs[0], cidrs[1]],
    availabilityZones: deps.network.availabilityZones,
    region: cfg.region,
    naming: naming(cfg),
  };
}

/** What the ECS apps are wired to. */
export interface EcsAppsDeps extends Pick<LoadBalancerDeps, "network"> {
  /** The load balancer. */
  readonly loadBalancer: {
    /** Its security group. */
    readonly securityGroupId: pulumi.Input<string>;
    /** Its HTTPS listener. */
    readonly httpsListenerArn: pulumi.Input<string>;
    /** Its ARN suffix (the request-count metric's label). */
    readonly arnSuffix: pulumi.Input<string>;
  };
  /** The private task subnets (berth:cluster.taskSubnets: private); unset: the tasks run in the public subnets with a public IP. */
  readonly taskNetwork?: {
    /** The two task subnets. */
    readonly subnetIds: readonly pulumi.Input<string>[];
  };
  /** The apps' log groups (host apps first, then the ECS apps). */
  readonly appLogs: {
    /** Group name by app. */
    readonly groupNames: pulumi.Input<Record<string, string>>;
    /** Group ARNs in AppLogs' order. */
    readonly groupArns: readonly pulumi.Input<string>[];
  };
  /** DATABASE_URL and DB_* by app (AppRuntime's database step); {} without one. */
  readonly databaseEnv: Readonly<Record<string, pulumi.Input<Record<string, string>>>>;
}

/** The ECS apps of berth:proxy.apps with berth:cluster, their secrets, log groups and database values. */
export function ecsAppsArgs(cfg: Config, deps: EcsAppsDeps): EcsAppsArgs {
  const apps = cfg.cluster?.apps ?? [];
  const offset = cfg.proxy.apps.length;
  const logGroups = Object.fromEntries(
    apps.map((a, i) => [a.name, { name: pulumi.output(deps.appLogs.groupNames).apply((g) => g[a.name]), arn: deps.appLogs.groupArns[offset + i] }]),
  );
  return {
    apps,
    settings: cfg.cluster?.settings ?? { containerInsights: true, deregistrationDelaySeconds: 5, stopTimeoutSeconds: 30 },
    secrets: Object.fromEntries(apps.map((a) => [a.name, cfg.appSecrets[a.name] ?? {}])),
    databaseEnv: Object.fromEntries(apps.filter((a) => a.database && a.name in deps.databaseEnv).map((a) => [a.name, deps.databaseEnv[a.name]])),
    logGroups,
    vpcId: deps.network.vpcId,
    subnetIds: deps.taskNetwork ? deps.taskNetwork.subnetIds : deps.network.publicSubnetIds,
    assignPublicIp: deps.taskNetwork === undefined,
    loadBalancer: {
      securityGroupId: deps.loadBalancer.securityGroupId,
      httpsListenerArn: deps.loadBalancer.httpsListenerArn,
      arnSuffix: deps.loadBalancer.arnSuffix,
    },
    keepImages: cfg.registry.retention.keep,
    region: cfg.region,
    naming: naming(cfg),
  };
}

/** What CI's policy is built from: the cluster and every ECS part's repository, service, family and roles. */
export interface CiPolicyDeps {
  /** The cluster's ARN. */
  readonly clusterArn: pulumi.Input<string>;
  /** The parts, by `<app>-<part>`. */
  readonly parts: Readonly<
    Record<
      string,
      {
        /** Repository ARN. */
        readonly repositoryArn: pulumi.Input<string>;
        /** Service ARN. */
        readonly serviceArn: pulumi.Input<string>;
        /** The part's family as an ARN without a revision (the deploys', not the stack's `-shape` one). */
        readonly familyArn: pulumi.Input<string>;
        /** Execution and task role ARNs. */
        readonly roleArns: readonly pulumi.Input<string>[];
      }
    >
  >;
}

/** The IAM policy document for CI's role (lib/ecsTasks.ts ciPolicy) over the stack's ECS parts. */
export function ciDeployPolicy(deps: CiPolicyDeps): pulumi.Output<string> {
  const parts = Object.values(deps.parts);
  return pulumi
    .all([
      deps.clusterArn,
      pulumi.all(parts.map((p) => p.repositoryArn)),
      pulumi.all(parts.map((p) => p.serviceArn)),
      pulumi.all(parts.map((p) => p.familyArn)),
      pulumi.all(parts.flatMap((p) => [...p.roleArns])),
    ])
    .apply(([clusterArn, repositoryArns, serviceArns, familyArns, roleArns]) => ciPolicy({ clusterArn, repositoryArns, serviceArns, familyArns, roleArns }));
}
