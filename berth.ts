// Composition root: validated config in, providers and components wired together, stack
// outputs out. Wiring only: each component's args come from its mapper in wiring/args.ts, the
// output strings from wiring/outputs.ts, and every decision belongs to config/, lib/, a component
// or a mapper. (index.ts is only the entry point Pulumi loads; it exports this function.)
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { Alerts, MonitoringLogs } from "./components/alerts";
import { AppLogs } from "./components/appLogs";
import { AppRuntime } from "./components/appRuntime";
import { DataVolume } from "./components/dataVolume";
import { Database } from "./components/database";
import { createCloudflareProvider, Dns } from "./components/dns";
import { AlbAccessLogs } from "./components/albAccessLogs";
import { EcsApps } from "./components/ecsApps";
import { Firewall } from "./components/firewall";
import { LoadBalancer } from "./components/loadBalancer";
import { Host } from "./components/host";
import { HostMonitoring } from "./components/hostMonitoring";
import { HostRole } from "./components/hostRole";
import { HostServices, type ExtraHostLogin } from "./components/hostServices";
import { Network } from "./components/network";
import { RegistryStorage } from "./components/registryStorage";
import { TaskNetwork } from "./components/taskNetwork";
import { Tls } from "./components/tls";
import {
  alertsArgs,
  hostMonitoringEnabled,
  alertsEnabled,
  appLogsArgs,
  appLogsEnabled,
  albAccessLogsArgs,
  albAccessLogsEnabled,
  appRuntimeEnabled,
  ciDeployPolicy,
  ecsAppsArgs,
  loadBalancerArgs,
  awsProviderArgs,
  configOutputs,
  appRuntimeArgs,
  databaseArgs,
  dataVolumeArgs,
  dnsArgs,
  firewallArgs,
  hasDataVolume,
  hostArgs,
  hostMonitoringArgs,
  hostRoleArgs,
  hostRoleEnabled,
  hostServicesArgs,
  monitoringLogsArgs,
  networkArgs,
  realIpNames,
  registryLoginInput,
  registryStorageArgs,
  registryStorageEnabled,
  sshCommandInput,
  taskNetworkArgs,
  taskNetworkEnabled,
  tlsArgs,
  type AlertsDeps,
} from "./wiring/args";
import { cloudflareIpRanges } from "./wiring/lookups";
import { auditLogGroups, ecrLoginCommand, ecrRegistryHost, knownHostsLine, registryLoginCommand, registryUrl, sshCommand } from "./wiring/outputs";

/**
 * Every stack output. Names are an interface: test/stack/outputs.test.ts pins them and
 * schema/outputs.schema.json is the contract. Secret ones say so; the rest are plain.
 */
export interface BerthOutputs {
  /** Id of the stack's VPC, e.g. "vpc-0123456789abcdef0". */
  vpcId: pulumi.Output<string>;
  /** The two availability zones the subnets are in, public and database subnets alike, e.g. ["ap-northeast-2a", "ap-northeast-2c"]. */
  availabilityZones: pulumi.Output<string[]>;
  /** Ids of the two public subnets (the host is in the first), in availabilityZones order. */
  publicSubnetIds: pulumi.Output<string[]>;
  /** Ids of the two private database subnets (no internet route), in availabilityZones order. */
  databaseSubnetIds: pulumi.Output<string[]>;
  /** Id of the host's security group ("sg-..."). */
  hostSecurityGroupId: pulumi.Output<string>;
  /** Id of the database's security group ("sg-..."): MySQL from the host's private IP only. */
  databaseSecurityGroupId: pulumi.Output<string>;
  /** EC2 instance id of the host ("i-..."); changes when the host is replaced. */
  hostInstanceId: pulumi.Output<string>;
  /** AMI the host runs ("ami-..."): the pinned one, or the image looked up when the host was made. */
  hostAmiId: pulumi.Output<string>;
  /** The host's Elastic IP (IPv4, dotted); survives a host replacement. */
  hostPublicIp: pulumi.Output<string>;
  /** The host's private IPv4 address in its subnet (the database admits it). */
  hostPrivateIp: pulumi.Output<string>;
  /** Admin login of the host (the AMI's user, e.g. "ubuntu"), for SSH with hostSshPrivateKey. */
  hostSshUser: string;
  /** Login CI deploys as (e.g. "deploy"), with hostDeployPrivateKey. */
  hostDeployUser: string;
  /** OpenSSH private key of the admin user (secret), PEM text. */
  hostSshPrivateKey: pulumi.Output<string>;
  /** OpenSSH public key of the admin user, one `ssh-ed25519 ...` (or `ssh-rsa ...`) line. */
  hostSshPublicKey: pulumi.Output<string>;
  /** OpenSSH private key of the deploy user, for CI (secret): it runs the deploy program only. */
  hostDeployPrivateKey: pulumi.Output<string>;
  /**
   * The host's known_hosts line, `<hostPublicIp> ssh-ed25519 AAAA...` (`[<ip>]:<port> ...` when
   * berth:firewall.sshPort is not 22): the host key the stack generated and cloud-init installed.
   * CI saves it to a file for BERTH_KNOWN_HOSTS_FILE, so ssh checks the host instead of trusting it.
   */
  hostKnownHosts: pulumi.Output<string>;
  /**
   * Shell line that saves the admin key from the stack to `<project>-<stack>.pem` and logs in:
   * `pulumi stack output hostSshPrivateKey --show-secrets -s <stack> > <file> && chmod 600 <file> && ssh -i <file>[ -p <port>] <user>@<ip>`.
   * Not secret: it tells how to fetch the key, it does not contain it.
   */
  sshCommand: pulumi.Output<string>;
  /** DNS name of the database instance (RDS endpoint address, without the port). */
  databaseEndpoint: pulumi.Output<string>;
  /** MySQL port of the database (berth:database.port). */
  databasePort: pulumi.Output<number>;
  /** Name of the database created in the instance (berth:database.name). */
  databaseName: pulumi.Output<string>;
  /** Master user of the database (berth:database.username). */
  databaseUser: pulumi.Output<string>;
  /** Master password of the database (secret): berth:databasePassword, or generated. */
  databasePassword: pulumi.Output<string>;
  /** Name servers per domain to enter at the registrar (created Route53 zones, Cloudflare zones looked up by name); {} without such zones. */
  dnsNameServers: pulumi.Output<Record<string, string[]>>;
  /** FQDN of every DNS record Berth manages, in config order; [] without berth:dns. */
  dnsRecords: string[];
  /** How the served certificate is made: "self-signed", "cloudflare-origin", "provided" or "letsencrypt". */
  tlsMode: string;
  /** DNS names the certificate covers; [] when the stack serves no name (reached by IP). */
  tlsNames: string[];
  /** PEM of the self-signed CA clients must trust; "" in the other modes. */
  tlsCaCertificate: pulumi.Output<string>;
  /** ISO 8601 UTC expiry of the served certificate, or "" where none exists at deploy time (letsencrypt). */
  tlsCertificateExpiry: pulumi.Output<string>;
  /** Who renews the served certificate: "pulumi-up", "certbot" or "manual". */
  tlsRenewal: string;
  /** Where images are pushed: `<ip>:<port>` (direct) or the registry hostname (proxy); "" when the registry is disabled. */
  registryHost: pulumi.Output<string>;
  /** `https://<registryHost>` ("https://" alone when the registry is disabled). */
  registryUrl: pulumi.Output<string>;
  /** The registry's login (berth:registry.username); "" when the registry is disabled. */
  registryUsername: string;
  /** The registry's password (secret): berth:registryPassword, or generated; "" when the registry is disabled. */
  registryPassword: pulumi.Output<string>;
  /**
   * Shell line that logs Docker in to the registry:
   * `pulumi stack output registryPassword --show-secrets -s <stack> | docker login <registryHost> -u <registryUsername> --password-stdin`.
   * Not secret: it reads the password from the stack when run.
   */
  registryLoginCommand: pulumi.Output<string>;
  /** Basic-auth logins of proxied extra hosts, by hostname, each `{ username, password }` (secret); {} when none asks for one. */
  proxyBasicAuth: pulumi.Output<Record<string, ExtraHostLogin>>;
  /** Name of the registry's S3 bucket (storage s3), or "" when images live on the host or the registry is disabled. */
  registryBucket: pulumi.Output<string>;
  /** CloudWatch Logs groups of the audit trail: the VPC flow logs' group (when on), then the database's exported logs' groups. */
  auditLogGroups: pulumi.Output<string[]>;
  /** CloudWatch Logs group of each app's containers, by app name (`/<project>/<stack>/apps/<app>`); {} without apps. */
  appLogGroups: pulumi.Output<Record<string, string>>;
  /** ARN of the SNS topic the alarms notify (the stack's own or berth:alerts.snsTopicArn); "" when berth:alerts is off. */
  alertsTopicArn: pulumi.Output<string>;
  /** Console address of the stack's CloudWatch dashboard; "" when berth:alerts is off. */
  alertsDashboardUrl: string;
  /** CloudWatch Logs group of the deploy log (`/<project>/<stack>/deploy`); "" when berth:alerts is off and the host runs no app. */
  deployLogGroup: pulumi.Output<string>;
  /** Id of the host's data volume ("vol-..."), mounted at /srv/berth and kept across host replacements; "" without berth:host.dataVolume. */
  hostDataVolumeId: pulumi.Output<string>;
  /** Only with an app on ECS (`runtime: ecs`): the ECS cluster's name, e.g. "berth-scale-apps". */
  ecsClusterName?: pulumi.Output<string>;
  /** Only with an app on ECS: the load balancer's DNS name, where the ECS apps' hostnames point. */
  loadBalancerDnsName?: pulumi.Output<string>;
  /** Only with an app on ECS: the ECR repository URL of each ECS app part, by `<app>-<part>`. */
  ecrRepositoryUrls?: pulumi.Output<Record<string, string>>;
  /**
   * Only with an app on ECS: shell line that logs Docker in to the stack's ECR registry with the
   * caller's AWS credentials, `aws ecr get-login-password --region <region> | docker login --username AWS --password-stdin <registry>`.
   */
  ecrLoginCommand?: pulumi.Output<string>;
  /** Only with an app on ECS: the IAM policy document (JSON) for CI's role: push to these repositories and deploy these services only. */
  ciDeployPolicy?: pulumi.Output<string>;
  /**
   * Only with an app on ECS: what `npm run deploy` needs, by app and part: cluster, service, task
   * definition family, container, repository URL, release command and timeout, and the tasks' network.
   */
  ecsDeployTargets?: EcsApps["deployTargets"];
}

/** How the program runs: against the real cloud (`pulumi up`), or under the offline engine. */
export interface BerthOptions {
  /** "offline" accepts the shipped example domains (see RawConfigInput.target). @default "cloud" */
  readonly target?: "cloud" | "offline";
}

export function berth(options: BerthOptions = {}): BerthOutputs {
  // Validate everything first: a bad key fails here, before any resource is registered.
  const cfg = loadConfig(options.target ?? "cloud");

  const awsProvider = new aws.Provider("aws", awsProviderArgs(cfg));
  const opts = { providers: [awsProvider] };

  const network = new Network("network", networkArgs(cfg), opts);
  // Image data that outlives the host: created apart from it, so replacing the host never touches it.
  const registryStorage = registryStorageEnabled(cfg) ? new RegistryStorage("registry-storage", registryStorageArgs(cfg), opts) : undefined;
  // The apps' CloudWatch Logs groups, and the host's one role: what the registry and Docker may do in AWS.
  const appLogs = appLogsEnabled(cfg) ? new AppLogs("app-logs", appLogsArgs(cfg), opts) : undefined;
  // The deploy log's and the host check's groups (with apps on the host, or berth:alerts): the host role writes only there.
  const monitoringLogs = hostMonitoringEnabled(cfg) ? new MonitoringLogs("monitoring-logs", monitoringLogsArgs(cfg), opts) : undefined;
  const hostRole = hostRoleEnabled(cfg) ? new HostRole("host-iam", hostRoleArgs(cfg, { registryStorage, appLogs, monitoringLogs }), opts) : undefined;
  const firewall = new Firewall("firewall", firewallArgs(cfg, { network }), opts);
  // App data that outlives the host: a volume in the host subnet's AZ, depending on nothing of the
  // instance; only its attachment follows the instance.
  const dataVolume = hasDataVolume(cfg) ? new DataVolume("data", dataVolumeArgs(cfg, { network }), opts) : undefined;
  const host = new Host("host", hostArgs(cfg, { network, firewall, hostRole, dataVolume }), opts);
  const dataAttachment = dataVolume?.attachTo("data-attachment", host.instanceId);
  firewall.admitDatabaseClient("host", host.privateIp, "MySQL from the Berth host private IP");

  const dnsInputs = dnsArgs(cfg, { host });
  const cloudflareProvider = createCloudflareProvider("cloudflare", dnsInputs.zones);
  const dnsTlsOpts = { providers: cloudflareProvider ? [awsProvider, cloudflareProvider] : [awsProvider] };
  const dns = new Dns("dns", dnsInputs, dnsTlsOpts);
  const tls = new Tls("tls", tlsArgs(cfg, { host }), dnsTlsOpts);
  // nginx restores the client address of proxied names only from Cloudflare's ranges.
  const cloudflareRanges = cloudflareIpRanges(cloudflareProvider, realIpNames(cfg));

  // The host layer: services on the host, delivered over SSH and the Docker API.
  const services = new HostServices(
    "services",
    hostServicesArgs(cfg, { host, tls, registryStorage, cloudflareRanges, dns, appLogs, dataVolume, dataAttachment }),
    opts,
  );

  const database = new Database("database", databaseArgs(cfg, { network, firewall }), opts);
  // Each app's env files and secrets on the host (one secret delivery per app), and every app's database.
  const appRuntime = appRuntimeEnabled(cfg) ? new AppRuntime("apps", appRuntimeArgs(cfg, { services, database }), opts) : undefined;
  // Apps on ECS Fargate: nothing of it exists without one.
  const ecsApps = cfg.cluster && appLogs ? ecsOutputs(cfg.region, network, dns, appLogs, appRuntime, firewall, cfg, dnsTlsOpts, opts) : undefined;
  const ecs = ecsApps?.outputs ?? {};
  // Alarms, the dashboard (the ECS apps' too), and on the host the CloudWatch agent and the host check.
  const alerts =
    monitoringLogs && alertsEnabled(cfg)
      ? new Alerts(
          "alerts",
          alertsArgs(cfg, { host, database, ...(appLogs ? { appLogGroups: appLogs.groupNames } : {}), ...(ecsApps ? { ecs: ecsApps.alarms } : {}) }),
          opts,
        )
      : undefined;
  if (monitoringLogs) new HostMonitoring("monitoring", hostMonitoringArgs(cfg, { services, logs: monitoringLogs }), opts);

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
    ...configOutputs(cfg),
    hostSshPrivateKey: host.sshPrivateKey,
    hostSshPublicKey: host.sshPublicKey,
    hostDeployPrivateKey: host.deployPrivateKey,
    hostKnownHosts: pulumi.all([host.publicIp, host.hostPublicKey]).apply(([ip, hostKey]) => knownHostsLine({ ip, port: sshCommandInput(cfg).port, hostKey })),
    sshCommand: host.publicIp.apply((ip) => sshCommand({ ...sshCommandInput(cfg), ip })),
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
    registryUrl: services.registryHost.apply(registryUrl),
    registryUsername: services.registryUsername,
    registryPassword: services.registryPassword,
    registryLoginCommand: services.registryHost.apply((host) =>
      registryLoginCommand({ ...registryLoginInput(cfg), host, username: services.registryUsername }),
    ),
    proxyBasicAuth: services.extraHostLogins,
    registryBucket: registryStorage ? registryStorage.bucketName : pulumi.output(""),
    auditLogGroups: pulumi.all([network.flowLogGroup, database.logGroups]).apply(([flow, db]) => auditLogGroups(flow, db)),
    appLogGroups: appLogs ? appLogs.groupNames : pulumi.output<Record<string, string>>({}),
    alertsTopicArn: alerts ? alerts.topicArn : pulumi.output(""),
    alertsDashboardUrl: alerts ? alerts.dashboardUrl : "",
    deployLogGroup: monitoringLogs ? monitoringLogs.deployGroupName : pulumi.output(""),
    hostDataVolumeId: dataVolume ? dataVolume.volumeId : pulumi.output(""),
    ...ecs,
  };
}

type EcsOutputs = Pick<
  BerthOutputs,
  "ecsClusterName" | "loadBalancerDnsName" | "ecrRepositoryUrls" | "ecrLoginCommand" | "ciDeployPolicy" | "ecsDeployTargets"
>;

/** The load balancer and the ECS apps, the database's admission of their tasks, their outputs and what their alarms watch. */
function ecsOutputs(
  region: string,
  network: Network,
  dns: Dns,
  appLogs: AppLogs,
  appRuntime: AppRuntime | undefined,
  firewall: Firewall,
  cfg: ReturnType<typeof loadConfig>,
  dnsOpts: pulumi.ComponentResourceOptions,
  opts: pulumi.ComponentResourceOptions,
): { outputs: EcsOutputs; alarms: NonNullable<AlertsDeps["ecs"]> } {
  const accessLogs = albAccessLogsEnabled(cfg) ? new AlbAccessLogs("alb-logs", albAccessLogsArgs(cfg), opts) : undefined;
  const loadBalancer = new LoadBalancer("alb", loadBalancerArgs(cfg, { network, dns, accessLogs }), dnsOpts);
  const databaseEnv = appRuntime?.databaseEnv ?? {};
  // berth:cluster.taskSubnets: private: subnets of the tasks' own behind VPC endpoints, no public IPs.
  const taskNetwork = taskNetworkEnabled(cfg) ? new TaskNetwork("task-network", taskNetworkArgs(cfg, { network }), opts) : undefined;
  const ecsApps = new EcsApps(
    "ecs",
    ecsAppsArgs(cfg, { network, loadBalancer, appLogs, databaseEnv, taskNetwork }),
    appRuntime?.databasesCreated ? { ...opts, dependsOn: [appRuntime.databasesCreated] } : opts,
  );
  firewall.admitDatabaseGroup("ecs-tasks", ecsApps.taskSecurityGroupId, "MySQL from the Berth ECS tasks");
  taskNetwork?.admitClients("ecs-tasks", ecsApps.taskSecurityGroupId, "HTTPS to the VPC endpoints from the Berth ECS tasks");
  const parts = Object.entries(ecsApps.parts);
  const urls = pulumi.all(parts.map(([, p]) => p.repositoryUrl)).apply((u) => Object.fromEntries(parts.map(([k], i) => [k, u[i]])));
  return {
    outputs: {
      ecsClusterName: ecsApps.clusterName,
      loadBalancerDnsName: loadBalancer.dnsName,
      ecrRepositoryUrls: urls,
      ecrLoginCommand: parts[0][1].repositoryUrl.apply((url) => ecrLoginCommand({ region, registryHost: ecrRegistryHost(url) })),
      ciDeployPolicy: ciDeployPolicy({ clusterArn: ecsApps.clusterArn, parts: ecsApps.parts }),
      ecsDeployTargets: ecsApps.deployTargets,
    },
    alarms: { loadBalancerArnSuffix: loadBalancer.arnSuffix, clusterName: ecsApps.clusterName, parts: ecsApps.parts },
  };
}
