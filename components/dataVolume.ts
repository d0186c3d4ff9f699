// DataVolume: the host's data volume (berth:host.dataVolume), an encrypted EBS volume that outlives
// the host. It depends on nothing of the instance: its availability zone is the host subnet's, handed
// in by the network (one value for both, so they cannot drift apart), and the instance only appears
// in the attachment (attachTo), which stops the old instance before detaching and is replaced, delete
// first, when a new host comes. Growing the size is an in-place ModifyVolume; a smaller size is refused
// before anything changes, by reading the size EC2 reports for the stack's existing volume. With
// snapshots on, Data Lifecycle Manager snapshots the volume daily by its tag, through a role of its own
// that may snapshot this volume and delete only snapshots carrying its tag.
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATA_VOLUME_COMPONENT, DATA_VOLUME_DEVICE_NAME, DATA_VOLUME_TAG, dataVolumeShrinkProblem, type EbsVolumeType } from "../lib/dataVolume";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { resourceProblem } from "./resourceErrors";
import { serviceTrustPolicy } from "../lib/iamTrust";

/** The data volume step that runs on the host (installed as HOST_PATHS.dataVolumeProgram). */
export const DATA_VOLUME_SCRIPT = path.resolve(__dirname, "../host/data-volume.sh");

/** Its text, as cloud-init and `pulumi up` deliver it. */
export function dataVolumeScript(): string {
  return fs.readFileSync(DATA_VOLUME_SCRIPT, "utf8");
}

export interface DataVolumeArgs {
  /** The host subnet's availability zone (Network.availabilityZones[0]), never the instance's. */
  readonly availabilityZone: pulumi.Input<string>;
  /** Size in GiB; it only grows. */
  readonly sizeGiB: number;
  /** EBS volume type. */
  readonly type: EbsVolumeType;
  /** Provisioned IOPS (gp3, io1, io2); unset = the type's baseline. */
  readonly iops?: number;
  /** Provisioned throughput in MiB/s (gp3); unset = the baseline. */
  readonly throughput?: number;
  /** Pulumi's `protect` on the volume: no update or destroy may delete or replace it. */
  readonly protect: boolean;
  /** Daily snapshots by Data Lifecycle Manager; unset = none. */
  readonly snapshots?: {
    /** Snapshots kept (one a day). */
    readonly retainDays: number;
    /** Start time, `hh:mm` UTC. */
    readonly time: string;
  };
  /** Project and stack: the volume's name and the tag the snapshots target. */
  readonly naming: Naming;
}

/** Data Lifecycle Manager may assume the role, only for this account's policies (confused deputy guard). */
export function dlmTrustPolicy(partition: string, account: string, region: string): string {
  return serviceTrustPolicy("dlm.amazonaws.com", {
    StringEquals: { "aws:SourceAccount": account },
    ArnLike: { "aws:SourceArn": `arn:${partition}:dlm:${region}:${account}:policy/*` },
  });
}

/**
 * What DLM needs to snapshot one volume and expire its snapshots (the actions of AWS's
 * AWSDataLifecycleManagerServiceRole that a volume policy uses), narrowed: CreateSnapshot on this
 * volume and new snapshots, tags only while creating one, DeleteSnapshot only on snapshots carrying
 * the volume's tag (copyTags), the Describe calls (no resource-level permissions) on "*".
 */
export function dlmSnapshotPolicy(volumeArn: string, tagValue: string): string {
  const [, partition, , region] = volumeArn.split(":");
  const snapshots = `arn:${partition}:ec2:${region}::snapshot/*`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Snapshot", Effect: "Allow", Action: ["ec2:CreateSnapshot"], Resource: [volumeArn, snapshots] },
      {
        Sid: "TagNewSnapshots",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: snapshots,
        Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshot" } },
      },
      {
        Sid: "ExpireOwnSnapshots",
        Effect: "Allow",
        Action: ["ec2:DeleteSnapshot"],
        Resource: snapshots,
        Condition: { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG}`]: tagValue } },
      },
      { Sid: "Describe", Effect: "Allow", Action: ["ec2:DescribeVolumes", "ec2:DescribeInstances", "ec2:DescribeSnapshots"], Resource: "*" },
    ],
  });
}

export class DataVolume extends pulumi.ComponentResource {
  /** The volume id (vol-...): the host finds the device by it. */
  public readonly volumeId: pulumi.Output<string>;
  /** The size EBS reports after the last change (GiB): the host grows its filesystem to it. */
  public readonly sizeGiB: pulumi.Output<number>;
  /** The volume resource: host steps that use it depend on it. */
  public readonly volume: aws.ebs.Volume;
  /** The snapshot policy's ARN, or undefined without snapshots. */
  public readonly snapshotPolicyArn?: pulumi.Output<string>;
  private readonly tagValue: string;

  constructor(name: string, args: DataVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DATA_VOLUME_COMPONENT, name, {}, opts);
    this.tagValue = physical(args.naming, "data");

    const volume = new aws.ebs.Volume(
      `${name}-volume`,
      {
        availabilityZone: args.availabilityZone,
        size: this.checkedSize(args),
        type: args.type,
        ...(args.iops !== undefined ? { iops: args.iops } : {}),
        ...(args.throughput !== undefined ? { throughput: args.throughput } : {}),
        encrypted: true,
        tags: nameTag(this.tagValue, { [DATA_VOLUME_TAG]: this.tagValue }),
      },
      { parent: this, protect: args.protect },
    );
    this.volume = volume;
    this.volumeId = volume.id;
    this.sizeGiB = volume.size;
    if (args.snapshots) this.snapshotPolicyArn = this.snapshotPolicy(name, args, volume);
    this.registerOutputs({ volumeId: this.volumeId });
  }

  /**
   * Attaches the volume to the host. A new instance id replaces the attachment, the old one first
   * (a volume attaches to one instance at a time), stopping the old instance before the detach so
   * no write is cut off halfway.
   */
  public attachTo(name: string, instanceId: pulumi.Input<string>): aws.ec2.VolumeAttachment {
    return new aws.ec2.VolumeAttachment(
      name,
      { volumeId: this.volumeId, instanceId, deviceName: DATA_VOLUME_DEVICE_NAME, stopInstanceBeforeDetaching: true },
      { parent: this, deleteBeforeReplace: true },
    );
  }

  /**
   * The size, once the stack's existing volume (found by its tag) is known not to be larger: EBS
   * volumes only grow, and ModifyVolume would refuse halfway through `pulumi up`. Failing here fails
   * the preview, before anything changes.
   */
  private checkedSize(args: DataVolumeArgs): pulumi.Output<number> {
    const found = aws.ebs.getEbsVolumesOutput({ tags: { [DATA_VOLUME_TAG]: this.tagValue } }, { parent: this });
    return found.ids.apply(async (ids) => {
      for (const id of [...ids].sort()) {
        const existing = await aws.ebs.getVolume({ filters: [{ name: "volume-id", values: [id] }] }, { parent: this });
        const problem = dataVolumeShrinkProblem(id, existing.size, args.sizeGiB);
        if (problem) throw resourceProblem(problem, this);
      }
      return args.sizeGiB;
    });
  }

  /** The DLM role, its inline policy and the daily policy targeting the volume's tag. */
  private snapshotPolicy(name: string, args: DataVolumeArgs, volume: aws.ebs.Volume): pulumi.Output<string> {
    const snapshots = args.snapshots!;
    const arn = volume.arn.apply((a) => a.split(":"));
    const role = new aws.iam.Role(
      `${name}-snapshot-role`,
      {
        description: `Berth: Data Lifecycle Manager snapshots of ${this.tagValue}`,
        assumeRolePolicy: arn.apply(([, partition, , region, account]) => dlmTrustPolicy(partition, account, region)),
        tags: nameTag(physical(args.naming, "data-snapshot-role")),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-snapshot-policy`,
      { role: role.id, name: "data-volume-snapshots", policy: volume.arn.apply((a) => dlmSnapshotPolicy(a, this.tagValue)) },
      { parent: this },
    );
    const policy = new aws.dlm.LifecyclePolicy(
      `${name}-snapshots`,
      {
        description: `Berth daily snapshots of ${this.tagValue}`,
        executionRoleArn: role.arn,
        state: "ENABLED",
        policyDetails: {
          resourceTypes: ["VOLUME"],
          targetTags: { [DATA_VOLUME_TAG]: this.tagValue },
          schedules: [
            {
              name: "daily",
              createRule: { interval: 24, intervalUnit: "HOURS", times: snapshots.time },
              retainRule: { count: snapshots.retainDays },
              copyTags: true,
              tagsToAdd: { Name: physical(args.naming, "data-snapshot") },
            },
          ],
        },
        tags: nameTag(physical(args.naming, "data-snapshots")),
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    return policy.arn;
  }
}
