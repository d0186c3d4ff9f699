#!/usr/bin/env bash
# Berth's data volume step, run on the host as root: at first boot from cloud-init, at every boot from
# berth-data-volume.service, and by `pulumi up` after the volume was attached or grown (and by the tests
# on a loop device).
#
# Finds the stack's EBS volume by its serial (Nitro instances name NVMe devices in discovery order, so
# /dev/nvme1n1 may be any volume), formats it only when it is blank, mounts it by filesystem UUID, leaves
# the mount point owned by root (0755), and grows the filesystem online when the device is larger than it
# (after `pulumi up` raised berth:host.dataVolume.sizeGiB and EBS modified the volume in place).
#
# Usage: data-volume.sh ensure --volume-id vol-... --mount DIR --label LABEL --device PATH [--device PATH...]
#                              [--size-gib N] [--wait SECONDS] [--lock FILE]
#   --device      where the volume may appear, most specific first (the /dev/disk/by-id link of its serial,
#                 then the Xen name); the first that exists is used
#   --size-gib    the size EBS was asked for: wait until the device is at least that large, then grow
#   --wait        seconds to wait for the device (attachment) and for its new size (default 300)
# Exit status: 0 mounted (and grown), 1 failed (the volume is not mounted, or holds data Berth will not
# touch), 2 usage error.
set -Eeuo pipefail
PATH=/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "berth-data-volume: $*"; }
fail() { echo "berth-data-volume: $*" >&2; exit 1; }
usage() { echo "berth-data-volume: $*" >&2; echo "usage: data-volume.sh ensure --volume-id vol-... --mount DIR --label LABEL --device PATH... [--size-gib N] [--wait S] [--lock FILE]" >&2; exit 2; }

[ "${1:-}" = "ensure" ] || usage "the only command is ensure"
shift
volume_id="" mount_point="" label="" size_gib="" wait_s=300 lock=/run/berth-data-volume.lock
devices=()
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case $1 in
    --volume-id) volume_id=$2 ;;
    --mount) mount_point=$2 ;;
    --label) label=$2 ;;
    --device) devices+=("$2") ;;
    --size-gib) size_gib=$2 ;;
    --wait) wait_s=$2 ;;
    --lock) lock=$2 ;;
    *) usage "unknown option $1" ;;
  esac
  shift 2
done
[[ $volume_id =~ ^vol-[0-9a-f]{8,17}$ ]] || usage "--volume-id must be an EBS volume id (vol-...)"
[[ $mount_point =~ ^/[A-Za-z0-9._/-]+$ ]] || usage "--mount must be an absolute path"
[[ $label =~ ^[A-Za-z0-9_-]{1,16}$ ]] || usage "--label must be 1-16 letters, digits, _ or -"
[ ${#devices[@]} -gt 0 ] || usage "give at least one --device"
[ -z "$size_gib" ] || [[ $size_gib =~ ^[1-9][0-9]*$ ]] || usage "--size-gib must be a whole number"
[[ $wait_s =~ ^[0-9]+$ ]] || usage "--wait must be a whole number of seconds"

# One run at a time: cloud-init's start, the boot unit and `pulumi up` may overlap on a new host.
exec 9>"$lock"
flock 9

find_device() {
  local waited=0 d
  while :; do
    for d in "${devices[@]}"; do
      if [ -b "$d" ] || { [ -L "$d" ] && [ -b "$(readlink -f "$d")" ]; }; then
        readlink -f "$d"
        return 0
      fi
    done
    [ "$waited" -lt "$wait_s" ] || return 1
    sleep 1
    waited=$((waited + 1))
  done
}

dev=$(find_device) || fail "volume $volume_id did not appear at ${devices[*]} within ${wait_s}s (is it attached to this instance?)"
log "volume $volume_id is $dev"

probe() { blkid -p -o value -s "$1" "$dev" 2>/dev/null || true; }
fs_type=$(probe TYPE)
if [ -z "$fs_type" ]; then
  # blkid found no filesystem. Format only when the start of the device holds nothing at all: a volume with
  # a partition table or data blkid does not know is someone's, and Berth never writes over it.
  if [ -n "$(probe PTTYPE)" ] || ! cmp -s -n 1048576 "$dev" /dev/zero; then
    fail "$dev ($volume_id) holds data that is not a filesystem Berth knows; not formatting it (inspect it by hand)"
  fi
  log "$dev is blank: making an ext4 filesystem labelled $label"
  mkfs.ext4 -q -L "$label" "$dev"
  fs_type=ext4
fi
case $fs_type in
  ext4 | xfs) ;;
  *) fail "$dev ($volume_id) holds a $fs_type filesystem; Berth mounts ext4 or xfs only" ;;
esac
uuid=$(probe UUID)
[ -n "$uuid" ] || fail "$dev has no filesystem UUID"

mkdir -p "$mount_point"
if mountpoint -q "$mount_point"; then
  mounted=$(findmnt -rn -o UUID --mountpoint "$mount_point" || true)
  [ "$mounted" = "$uuid" ] || fail "$mount_point is already a mount of something else (UUID ${mounted:-unknown}), not $volume_id"
  log "$mount_point already holds $volume_id (UUID $uuid)"
else
  mount -t "$fs_type" -o defaults,noatime "UUID=$uuid" "$mount_point" 2>/dev/null || mount -t "$fs_type" -o defaults,noatime "$dev" "$mount_point"
  log "mounted $volume_id (UUID $uuid) at $mount_point"
fi
chown root:root "$mount_point"
chmod 0755 "$mount_point"

# Growing: EBS modifies the volume in place; the kernel sees the new size within seconds to minutes.
if [ -n "$size_gib" ]; then
  want=$((size_gib * 1073741824))
  waited=0
  while [ "$(blockdev --getsize64 "$dev")" -lt "$want" ]; do
    [ "$waited" -lt "$wait_s" ] || fail "$dev is $(blockdev --getsize64 "$dev") bytes, still less than ${size_gib} GiB after ${wait_s}s"
    sleep 1
    waited=$((waited + 1))
  done
fi
dev_bytes=$(blockdev --getsize64 "$dev")
if [ "$fs_type" = ext4 ]; then
  fs_bytes=$(dumpe2fs -h "$dev" 2>/dev/null | awk -F: '/^Block count:/ { c = $2 } /^Block size:/ { s = $2 } END { printf "%d", c * s }')
  if [ $((fs_bytes + 1048576)) -le "$dev_bytes" ]; then
    log "growing ext4 on $dev from $fs_bytes to $dev_bytes bytes (online)"
    resize2fs "$dev"
  fi
else
  xfs_growfs "$mount_point" >/dev/null
fi
log "$mount_point: $(df -h --output=size,avail "$mount_point" | tail -n 1 | awk '{ print $1 " total, " $2 " free" }')"
