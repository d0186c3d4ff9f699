// Host: the stack's own SSH key (@pulumi/tls, registered as an EC2 key pair; the private half
// leaves the stack only as a secret output), the host's own SSH host key (ED25519, installed by
// cloud-init, so its public half can be pinned before the host exists), an Ubuntu LTS instance
// with IMDSv2 required and an encrypted gp3 root volume, cloud-init that installs Docker and
// nginx, and an Elastic IP.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { nameTag } from "../lib/tags";
import { physical, type Naming } from "../lib/naming";
import { dataVolumeScript } from "./dataVolume";
import { renderCloudInit } from "./render/cloudInit";
import { dataVolumeFiles } from "./render/dataVolume";
import { tiedTo } from "./resourceErrors";

export interface HostArgs {
  /** Subnet the host lives in (public). */
  readonly subnetId: pulumi.Input<string>;
  /** Security groups of the instance (the firewall's host group). */
  readonly securityGroupIds: pulumi.Input<string>[];
  /** EC2 instance type, e.g. "t3.xlarge"; a Graviton type (t4g, m7g, ...) selects an arm64 image. */
  readonly instanceType: string;
  /** Root volume size in GiB (gp3, encrypted). */
  readonly rootVolumeGiB: number;
  /** Pinned AMI; when absent the newest image matching `amiNamePattern` from `amiOwner` is used. */
  readonly amiId?: string;
  /** AWS account that publishes the image the lookup picks, e.g. "099720109477" (Canonical). */
  readonly amiOwner: string;
  /** Image name filter of the lookup (wildcards allowed), written for amd64; "amd64" becomes "arm64" on Graviton types. */
  readonly amiNamePattern: string;
  /** Login user of the AMI (Pulumi's SSH user). */
  readonly sshUser: string;
  /** Non-root user CI deploys as (no docker group; its key runs the deploy program only). */
  readonly deployUser: string;
  /** TCP port sshd listens on; cloud-init moves sshd there when it is not 22. */
  readonly sshPort: number;
  /** Algorithm of both SSH keys the component makes (RSA keys are 4096 bits). */
  readonly sshKeyAlgorithm: "ED25519" | "RSA";
  /**
   * Instance profile whose role the host's services use (the registry's S3 access); unset = none.
   * Attaching, changing or removing it updates the running instance: it never replaces the host.
   */
  readonly instanceProfileName?: pulumi.Input<string>;
  /**
   * The data volume's id (DataVolume.volumeId): cloud-init installs its step and boot unit and starts
   * them at the first boot. Unset = no data volume. User data is ignored on a running host, so adding
   * one later reaches an existing host through HostServices' delivery instead.
   */
  readonly dataVolumeId?: pulumi.Input<string>;
  /** Project and stack: the key pair's name prefix and the Name tags. */
  readonly naming: Naming;
}

/** arm64 for Graviton families (t4g, m7g, c6gn, ...), x86_64 otherwise. */
export function instanceArchitecture(instanceType: string): "arm64" | "x86_64" {
  const family = instanceType.split(".")[0];
  return /^[a-z]+\d+g[a-z]*$/.test(family) ? "arm64" : "x86_64";
}

export class Host extends pulumi.ComponentResource {
  /** The EC2 instance id (i-...); a new id means a new, bare host. */
  public readonly instanceId: pulumi.Output<string>;
  /** The Elastic IP's address (IPv4): what DNS, SSH and the Docker API use; it survives a host replacement. */
  public readonly publicIp: pulumi.Output<string>;
  /** The instance's private IPv4 address in its subnet (the database admits it as a /32). */
  public readonly privateIp: pulumi.Output<string>;
  /** OpenSSH private key of the admin (AMI) user, which has sudo (secret). */
  public readonly sshPrivateKey: pulumi.Output<string>;
  /** OpenSSH public key line of the admin user (not secret). */
  public readonly sshPublicKey: pulumi.Output<string>;
  /**
   * The host's SSH host key, one `ssh-ed25519 AAAA...` line (not secret): what sshd presents, for
   * Pulumi's SSH connections and the hostKnownHosts output.
   */
  public readonly hostPublicKey: pulumi.Output<string>;
  /** OpenSSH private key of the deploy user (secret), for CI: it runs the deploy program and nothing else. */
  public readonly deployPrivateKey: pulumi.Output<string>;
  /** OpenSSH public key line of the deploy user (not secret), as cloud-init authorizes it. */
  public readonly deployPublicKey: pulumi.Output<string>;
  /** The AMI the instance runs (ami-...), not what the lookup would pick today. */
  public readonly amiId: pulumi.Output<string>;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:Host", name, {}, opts);
    const parent = { parent: this };

    const key = new tls.PrivateKey(
      `${name}-ssh-key`,
      {
        algorithm: args.sshKeyAlgorithm,
        ...(args.sshKeyAlgorithm === "RSA" ? { rsaBits: 4096 } : {}),
      },
      parent,
    );
    // CI gets its own key for the deploy user: the admin key logs in as a sudoer.
    const deployKey = new tls.PrivateKey(
      `${name}-deploy-key`,
      {
        algorithm: args.sshKeyAlgorithm,
        ...(args.sshKeyAlgorithm === "RSA" ? { rsaBits: 4096 } : {}),
      },
      parent,
    );
    // The host's identity, generated once and kept in the state (user data must not change between
    // runs). ED25519 whatever sshKeyAlgorithm says: every OpenSSH client since 6.5 verifies it.
    const hostKey = new tls.PrivateKey(`${name}-ssh-host-key`, { algorithm: "ED25519" }, parent);
    const keyPair = new aws.ec2.KeyPair(
      `${name}-key-pair`,
      {
        // A prefix, not a fixed name: a new key (another algorithm) replaces the pair create-before-delete.
        keyNamePrefix: `${physical(args.naming, "host-key")}-`,
        publicKey: key.publicKeyOpenssh.apply((k) => k.trim()),
        tags: nameTag(physical(args.naming, "host-key")),
      },
      parent,
    );

    const ami = args.amiId ? pulumi.output(args.amiId) : lookupAmi(args, parent);

    // A secret (it carries the host's private key): previews show "[secret]" for it, never the key.
    const userData = pulumi.secret(
      pulumi
        .all([deployKey.publicKeyOpenssh, hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, args.dataVolumeId ?? ""])
        .apply(([pub, hostPrivate, hostPublic, volumeId]) =>
          tiedTo(this, () =>
            renderCloudInit({
              deployUser: args.deployUser,
              deployAuthorizedKey: pub,
              sshPort: args.sshPort,
              hostKey: { privateKeyOpenssh: hostPrivate, publicKeyOpenssh: hostPublic },
              ...(volumeId ? { dataVolumeFiles: dataVolumeFiles(volumeId, dataVolumeScript()) } : {}),
            }),
          ),
        ),
    );

    const instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: args.securityGroupIds,
        keyName: keyPair.keyName,
        associatePublicIpAddress: true,
        ...(args.instanceProfileName !== undefined ? { iamInstanceProfile: args.instanceProfileName } : {}),
        userData,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required", // IMDSv2 only
          // 1 hop: containers on the host cannot reach the instance metadata service.
          httpPutResponseHopLimit: 1,
        },
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: args.rootVolumeGiB,
          encrypted: true,
          deleteOnTermination: true,
          tags: nameTag(physical(args.naming, "host-root")),
        },
        tags: nameTag(physical(args.naming, "host")),
      },
      {
        parent: this,
        // A newer Ubuntu image must never replace a running host on the next `pulumi up`;
        // pin berth:host.amiId (or replace deliberately) to move to a new image. User data only runs
        // at first boot, and changing it would stop and start the host: new values apply to new hosts.
        ignoreChanges: args.amiId ? ["userData"] : ["ami", "userData"],
      },
    );

    const eip = new aws.ec2.Eip(
      `${name}-eip`,
      {
        domain: "vpc",
        instance: instance.id,
        tags: nameTag(physical(args.naming, "host-eip")),
      },
      parent,
    );

    this.instanceId = instance.id;
    // What the host runs, not what the lookup would pick today.
    this.amiId = instance.ami;
    this.privateIp = instance.privateIp;
    this.publicIp = eip.publicIp;
    this.sshPrivateKey = pulumi.secret(key.privateKeyOpenssh);
    this.sshPublicKey = key.publicKeyOpenssh;
    this.hostPublicKey = hostKey.publicKeyOpenssh.apply((k) => k.trim());
    this.deployPrivateKey = pulumi.secret(deployKey.privateKeyOpenssh);
    this.deployPublicKey = deployKey.publicKeyOpenssh;
    this.registerOutputs({ instanceId: this.instanceId, publicIp: this.publicIp, privateIp: this.privateIp });
  }
}

/** The newest image matching the host's name pattern and architecture (when no amiId pins one). */
function lookupAmi(args: HostArgs, parent: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const arch = instanceArchitecture(args.instanceType);
  return aws.ec2.getAmiOutput(
    {
      owners: [args.amiOwner],
      mostRecent: true,
      filters: [
        { name: "name", values: [arch === "arm64" ? args.amiNamePattern.replace("amd64", "arm64") : args.amiNamePattern] },
        { name: "architecture", values: [arch] },
        { name: "virtualization-type", values: ["hvm"] },
        { name: "root-device-type", values: ["ebs"] },
      ],
    },
    parent,
  ).id;
}
