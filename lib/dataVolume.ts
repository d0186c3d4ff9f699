// The host's data volume (berth:host.dataVolume): an EBS volume apart from the instance, mounted
// at /srv/berth, that outlives every host replacement. The rules config validation, the
// renderers, the component and the policy pack must agree on are stated here once: where it is
// mounted, how the host finds it, the EBS API's limits per volume type, and the shrink rule.
// Pure: no Pulumi, no I/O.
import type { Problem } from "./problems";

/** Where the data volume is mounted on the host. Other features put their data below it (app volumes: `<mount>/volumes/<app>/<name>`). */
export const DATA_VOLUME_MOUNT = "/srv/berth";

/** The ext4 label Berth gives the filesystem it makes (`mkfs.ext4 -L`): 16 bytes at most. */
export const DATA_VOLUME_LABEL = "berth-data";

/**
 * The device name the attachment asks for. Nitro instances ignore it (NVMe devices are numbered
 * in discovery order), so the host finds the volume by its serial instead: see ebsDeviceLinks.
 */
export const DATA_VOLUME_DEVICE_NAME = "/dev/sdf";

/**
 * Tag key on the volume whose value names it (`<project>-<stack>-data`): the snapshot policy
 * targets it, snapshots inherit it (copyTags), the snapshot role may only delete snapshots that
 * carry it, and the shrink check finds the existing volume by it.
 */
export const DATA_VOLUME_TAG = "BerthDataVolume";

/** The SSD volume types Berth offers (HDD types, st1/sc1, start at 125 GiB and suit no database file). */
export const EBS_VOLUME_TYPES = ["gp3", "gp2", "io1", "io2"] as const;
export type EbsVolumeType = (typeof EBS_VOLUME_TYPES)[number];

/** berth:host.dataVolume as validation leaves it. */
export interface DataVolumeSpec {
  /** Size in GiB; it only grows. */
  readonly sizeGiB: number;
  /** EBS volume type. */
  readonly type: EbsVolumeType;
  /** Provisioned IOPS (gp3, io1, io2 only). */
  readonly iops?: number;
  /** Provisioned throughput in MiB/s (gp3 only). */
  readonly throughput?: number;
}

interface TypeLimits {
  readonly minGiB: number;
  readonly maxGiB: number;
  /** Provisioned IOPS: range, per-GiB ceiling, and whether the type needs a value. */
  readonly iops?: { readonly min: number; readonly max: number; readonly perGiB: number; readonly required: boolean; readonly baseline?: number };
  /** Provisioned throughput (MiB/s): range, and the ceiling per provisioned IOPS. */
  readonly throughput?: { readonly min: number; readonly max: number; readonly perIops: number };
}

/**
 * Limits of the EC2 CreateVolume/ModifyVolume APIs per type (EBS User Guide, "Amazon EBS volume
 * types"; CreateVolume Iops/Size/Throughput). gp3: 3,000 IOPS and 125 MiB/s included, at most 500
 * IOPS per GiB and 0.25 MiB/s per IOPS; throughput is capped at 1,000 MiB/s as the pinned AWS
 * provider validates it (ebs_volume.go, IntBetween(125, 1000)). io1: 50 IOPS per GiB; io2 (Block
 * Express): 1,000 IOPS per GiB.
 */
export const EBS_LIMITS: Readonly<Record<EbsVolumeType, TypeLimits>> = {
  gp3: {
    minGiB: 1,
    maxGiB: 16384,
    iops: { min: 3000, max: 16000, perGiB: 500, required: false, baseline: 3000 },
    throughput: { min: 125, max: 1000, perIops: 0.25 },
  },
  gp2: { minGiB: 1, maxGiB: 16384 },
  io1: { minGiB: 4, maxGiB: 16384, iops: { min: 100, max: 64000, perGiB: 50, required: true } },
  io2: { minGiB: 4, maxGiB: 65536, iops: { min: 100, max: 256000, perGiB: 1000, required: true } },
};

/** Every way `spec` breaks the EBS API's rules, each naming its key under `keyPrefix` (e.g. "berth:host.dataVolume"). */
export function dataVolumeProblems(spec: DataVolumeSpec, keyPrefix: string): Problem[] {
  const out: Problem[] = [];
  const lim = EBS_LIMITS[spec.type];
  const key = (k: string): string => `${keyPrefix}.${k}`;
  if (!Number.isInteger(spec.sizeGiB) || spec.sizeGiB < lim.minGiB || spec.sizeGiB > lim.maxGiB)
    out.push({ key: key("sizeGiB"), value: spec.sizeGiB, message: `must be a whole number of GiB from ${lim.minGiB} to ${lim.maxGiB} for type ${spec.type}` });
  if (spec.iops !== undefined) {
    if (!lim.iops)
      out.push({
        key: key("iops"),
        value: spec.iops,
        message: `is not set on a ${spec.type} volume (its IOPS follow its size); only gp3, io1 and io2 take iops`,
      });
    else if (!Number.isInteger(spec.iops) || spec.iops < lim.iops.min || spec.iops > lim.iops.max)
      out.push({ key: key("iops"), value: spec.iops, message: `must be a whole number from ${lim.iops.min} to ${lim.iops.max} for type ${spec.type}` });
    else if (spec.iops > spec.sizeGiB * lim.iops.perGiB)
      out.push({
        key: key("iops"),
        value: spec.iops,
        message: `is more than ${lim.iops.perGiB} IOPS per GiB of a ${spec.sizeGiB} GiB ${spec.type} volume (at most ${spec.sizeGiB * lim.iops.perGiB}); raise sizeGiB or lower iops`,
      });
  } else if (lim.iops?.required)
    out.push({ key: key("iops"), value: undefined, message: `is required for type ${spec.type} (${lim.iops.min} to ${lim.iops.max})` });
  if (spec.throughput !== undefined) {
    if (!lim.throughput) out.push({ key: key("throughput"), value: spec.throughput, message: `is only for gp3 volumes, not ${spec.type}` });
    else if (!Number.isInteger(spec.throughput) || spec.throughput < lim.throughput.min || spec.throughput > lim.throughput.max)
      out.push({
        key: key("throughput"),
        value: spec.throughput,
        message: `must be a whole number of MiB/s from ${lim.throughput.min} to ${lim.throughput.max}`,
      });
    else {
      const iops = spec.iops ?? lim.iops?.baseline ?? 0;
      if (spec.throughput > iops * lim.throughput.perIops)
        out.push({
          key: key("throughput"),
          value: spec.throughput,
          message: `is more than ${lim.throughput.perIops} MiB/s per IOPS of ${iops} IOPS (at most ${Math.floor(iops * lim.throughput.perIops)}); raise iops`,
        });
    }
  }
  return out;
}

/**
 * Why the volume cannot go from `currentGiB` (what EC2 reports for the existing volume) to
 * `wantedGiB`, or undefined. EBS volumes only grow: ModifyVolume refuses a smaller size, and a
 * filesystem cannot be shrunk under running apps anyway.
 */
export function dataVolumeShrinkProblem(volumeId: string, currentGiB: number, wantedGiB: number): string | undefined {
  if (wantedGiB >= currentGiB) return undefined;
  return (
    `berth:host.dataVolume.sizeGiB is ${wantedGiB} but the data volume ${volumeId} already has ${currentGiB} GiB: EBS volumes only grow. ` +
    `Set sizeGiB to ${currentGiB} or more; to get a smaller volume, copy the data to a new one by hand.`
  );
}

/**
 * Where a volume appears on the host, most specific first. On Nitro instances udev links the NVMe
 * device by its serial, the volume id without its dash (`vol0123...`); on Xen instances the
 * attachment's device name `/dev/sdf` appears as `/dev/xvdf`.
 */
export function ebsDeviceLinks(volumeId: string, byIdDir = "/dev/disk/by-id"): string[] {
  if (!/^vol-[0-9a-f]{8,17}$/.test(volumeId)) throw new Error(`not an EBS volume id: ${JSON.stringify(volumeId)}`);
  return [`${byIdDir}/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`, "/dev/xvdf"];
}

/**
 * Whether a stack has a data volume: one test for everything that places data on the host (app
 * volumes go under DATA_VOLUME_MOUNT either way; with a volume they outlive the host). Takes any
 * object with the host section, so renderers and components can ask without importing config/.
 */
export function hasDataVolume(cfg: { readonly host: { readonly dataVolume?: unknown } }): boolean {
  return cfg.host.dataVolume !== undefined && cfg.host.dataVolume !== null;
}

/** The Pulumi type of the DataVolume component: the plan says app volumes live on it when one is there. */
export const DATA_VOLUME_COMPONENT = "berth:host:DataVolume";
