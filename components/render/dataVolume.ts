// Pure renderer: what the host needs to use the data volume (berth:host.dataVolume). The step itself
// is host/data-volume.sh, installed as /usr/local/lib/berth/berth-data-volume; this renders its boot
// unit (the same step at every boot, before Docker and nginx start), the files and commands that
// `pulumi up` delivers over SSH, and the cloud-init pieces that run it at the first boot.
//
// The unit and the user data name only the volume id, which never changes: a new size reaches the
// host through `pulumi up`'s step (dataVolumeAfter), never through user data or a unit edit.
import { DATA_VOLUME_LABEL, DATA_VOLUME_MOUNT, ebsDeviceLinks } from "../../lib/dataVolume";
import { enableAndStartNoBlock, enableUnits, ensureDataVolume, reloadSystemd, type DataVolumeStep } from "./hostCommands";
import { HOST_PATHS, type HostFile } from "./paths";

/** The systemd unit's name. */
export const DATA_VOLUME_UNIT = "berth-data-volume.service";

/** Seconds the step waits for the device (the attachment) and for a new size (the script's default). */
export const DATA_VOLUME_WAIT_SECONDS = 300;

/** The step as the unit, cloud-init and `pulumi up` run it; `sizeGiB` makes it wait for that size and grow to it. */
export function dataVolumeStep(volumeId: string, sizeGiB?: number): DataVolumeStep {
  if (sizeGiB !== undefined && (!Number.isInteger(sizeGiB) || sizeGiB < 1)) throw new Error(`data volume: bad size ${sizeGiB}`);
  return {
    program: HOST_PATHS.dataVolumeProgram,
    volumeId,
    devices: ebsDeviceLinks(volumeId),
    mount: DATA_VOLUME_MOUNT,
    label: DATA_VOLUME_LABEL,
    ...(sizeGiB !== undefined ? { sizeGiB } : {}),
  };
}

/** The boot unit: mounts the volume before Docker restarts containers that write to it, and before nginx and the switch. */
export function renderDataVolumeUnit(volumeId: string): string {
  return [
    `# Managed by Berth (berth:host.dataVolume). At every boot: find ${volumeId} by its serial, format it only`,
    `# when blank, mount it at ${DATA_VOLUME_MOUNT} by filesystem UUID, grow the filesystem to the volume.`,
    "[Unit]",
    `Description=Berth data volume ${volumeId} at ${DATA_VOLUME_MOUNT}`,
    "After=local-fs.target systemd-udevd.service",
    "Before=docker.service containerd.service nginx.service berth-switch.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${ensureDataVolume(dataVolumeStep(volumeId))}`,
    `TimeoutStartSec=${DATA_VOLUME_WAIT_SECONDS + 60}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The files `pulumi up` and cloud-init put on the host: the step (`script`, the text of host/data-volume.sh) and its unit. */
export function dataVolumeFiles(volumeId: string, script: string): HostFile[] {
  return [
    { path: HOST_PATHS.dataVolumeProgram, mode: 0o755, content: script, usedBy: [] },
    { path: HOST_PATHS.dataVolumeUnit, mode: 0o644, content: renderDataVolumeUnit(volumeId), usedBy: [] },
  ];
}

/**
 * After the files, in `pulumi up`'s delivery: the unit enabled for every boot, then the step itself
 * with the size EBS reports, so the output shows its lines and the step fails when the volume does
 * not mount or does not reach that size (a new host, a grown volume: it waits for both).
 */
export function dataVolumeAfter(volumeId: string, sizeGiB: number): string[] {
  return [reloadSystemd(), enableUnits([DATA_VOLUME_UNIT], { quiet: true }), ensureDataVolume(dataVolumeStep(volumeId, sizeGiB))];
}

/** cloud-init's part: the runcmd lines that start the step at the first boot without holding up the installs. */
export function dataVolumeRuncmd(): string[] {
  return [reloadSystemd(), enableAndStartNoBlock([DATA_VOLUME_UNIT])];
}
