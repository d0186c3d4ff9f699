// The data volume's host side for real: host/data-volume.sh passes shellcheck, its boot unit passes
// `systemd-analyze verify`, and on a loop device (a stand-in for the EBS volume, found through a
// /dev/disk/by-id-style link named after the volume's serial) the step formats only a blank device,
// mounts it root-owned, never reformats a filesystem or touches foreign data, and grows the
// filesystem when the device grew. Loop devices need root and /dev/loop-control; without them the
// loop-device tests skip with the reason (the others still run). Online growth needs
// CAP_SYS_RESOURCE, which some containers drop: that one test says so and skips.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_VOLUME_SCRIPT } from "../../components/dataVolume";
import { renderDataVolumeUnit } from "../../components/render/dataVolume";
import { DATA_VOLUME_LABEL, ebsDeviceLinks } from "../../lib/dataVolume";
import { requireBinaries, scratchDir } from "../helpers/procs";

process.env.PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
const bin = requireBinaries(
  "shellcheck",
  "systemd-analyze",
  "losetup",
  "mkfs.ext4",
  "resize2fs",
  "dumpe2fs",
  "blkid",
  "blockdev",
  "findmnt",
  "mountpoint",
  "cmp",
  "flock",
  "mount",
  "umount",
);
const VOLUME = "vol-0123456789abcdef0";
const dir = scratchDir("data-volume");

function sh(cmd: string, args: readonly string[]): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** Why loop devices cannot be used here, or undefined when they can (probed by attaching one). */
function loopDevicesForbidden(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  if (!fs.existsSync("/dev/loop-control")) return "no /dev/loop-control";
  const img = path.join(dir, "probe.img");
  fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
  const r = sh(bin.losetup, ["-f", "--show", img]);
  if (r.status !== 0) return `losetup refused: ${r.out.trim()}`;
  sh(bin.losetup, ["-d", r.stdout.trim()]);
  return undefined;
}
const forbidden = loopDevicesForbidden();
if (forbidden) console.warn(`data-volume: loop-device tests skipped (${forbidden})`);
/** CAP_SYS_RESOURCE (bit 24) in the effective set: resize2fs needs it to grow a mounted ext4. */
const onlineResize = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0"}`) >> 24n) & 1n;
if (!forbidden && !onlineResize) console.warn("data-volume: online growth skipped (no CAP_SYS_RESOURCE in this container)");

afterAll(() => {
  for (const l of loops) {
    sh(bin.umount, [l.mount]);
    sh(bin.losetup, ["-d", l.dev]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("host/data-volume.sh and its unit", () => {
  it("passes shellcheck", () => {
    const r = sh(bin.shellcheck, ["--shell", "bash", "--severity", "warning", DATA_VOLUME_SCRIPT]);
    expect(r.status, r.out).toBe(0);
  });

  it("the boot unit passes systemd-analyze verify (with the step installed where it points)", () => {
    const root = path.join(dir, "root");
    fs.mkdirSync(path.join(root, "etc/systemd/system"), { recursive: true });
    fs.mkdirSync(path.join(root, "usr/local/lib/berth"), { recursive: true });
    fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true });
    fs.copyFileSync(DATA_VOLUME_SCRIPT, path.join(root, "usr/local/lib/berth/berth-data-volume"));
    fs.chmodSync(path.join(root, "usr/local/lib/berth/berth-data-volume"), 0o755);
    const unit = path.join(root, "etc/systemd/system/berth-data-volume.service");
    fs.writeFileSync(unit, renderDataVolumeUnit(VOLUME));
    const r = sh(bin["systemd-analyze"], ["verify", `--root=${root}`, unit]);
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim(), "systemd-analyze prints nothing for a clean unit").toBe("");
    // The check can fail: a typo is reported.
    fs.writeFileSync(unit, renderDataVolumeUnit(VOLUME).replace("Type=oneshot", "Type=oneshoot"));
    expect(sh(bin["systemd-analyze"], ["verify", `--root=${root}`, unit]).out).toMatch(/Failed to parse service type/);
  });

  it("refuses bad arguments with usage (exit 2)", () => {
    const r = sh("bash", [DATA_VOLUME_SCRIPT, "ensure", "--volume-id", "vol-1;reboot", "--mount", "/srv/berth", "--label", "x", "--device", "/dev/null"]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/--volume-id must be an EBS volume id/);
  });
});

interface Loop {
  readonly img: string;
  readonly dev: string;
  readonly byId: string;
  readonly mount: string;
}
const loops: Loop[] = [];

/** A fresh loop device of `mib` MiB behind a by-id link named as the volume's serial. */
function loop(name: string, mib: number): Loop {
  const img = path.join(dir, `${name}.img`);
  fs.writeFileSync(img, "");
  fs.truncateSync(img, mib * 1024 * 1024);
  const dev = sh(bin.losetup, ["-f", "--show", img]).stdout.trim();
  const byId = path.join(dir, `${name}-by-id`);
  fs.mkdirSync(byId);
  fs.symlinkSync(dev, ebsDeviceLinks(VOLUME, byId)[0]);
  const l = { img, dev, byId, mount: path.join(dir, `${name}-mnt`) };
  loops.push(l);
  return l;
}

/** The step as the unit runs it, against the loop device (its own lock, a short wait). */
function ensure(l: Loop, extra: readonly string[] = []): { status: number | null; out: string } {
  return sh("bash", [
    DATA_VOLUME_SCRIPT,
    "ensure",
    "--volume-id",
    VOLUME,
    "--mount",
    l.mount,
    "--label",
    DATA_VOLUME_LABEL,
    ...ebsDeviceLinks(VOLUME, l.byId).flatMap((d) => ["--device", d]),
    "--lock",
    `${l.img}.lock`,
    "--wait",
    "1",
    ...extra,
  ]);
}
const probe = (l: Loop, tag: string): string => sh(bin.blkid, ["-p", "-o", "value", "-s", tag, l.dev]).stdout.trim();

describe.skipIf(forbidden !== undefined)("on a loop device", () => {
  let l: Loop;
  beforeAll(() => {
    l = loop("main", 64);
  });

  it("formats a blank device (ext4, labelled), mounts it root-owned 0755", () => {
    const r = ensure(l);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("is blank: making an ext4 filesystem labelled berth-data");
    expect([probe(l, "TYPE"), probe(l, "LABEL")]).toEqual(["ext4", "berth-data"]);
    expect(sh(bin.mountpoint, ["-q", l.mount]).status).toBe(0);
    const st = fs.statSync(l.mount);
    expect([st.uid, st.gid, (st.mode & 0o7777).toString(8)]).toEqual([0, 0, "755"]);
  });

  it("never formats again: after an unmount (a reboot, a new host) the same filesystem comes back with its data", () => {
    const uuid = probe(l, "UUID");
    fs.writeFileSync(path.join(l.mount, "uploads.db"), "v1 wrote this");
    expect(sh(bin.umount, [l.mount]).status).toBe(0);
    const r = ensure(l);
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toContain("making an ext4 filesystem");
    expect(r.out).toContain(`mounted ${VOLUME} (UUID ${uuid})`);
    expect(fs.readFileSync(path.join(l.mount, "uploads.db"), "utf8")).toBe("v1 wrote this");
  });

  it("is idempotent while mounted", () => {
    const r = ensure(l);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("already holds");
  });

  it("waits for the size EBS reports, and fails clearly when the device never gets there", () => {
    const r = ensure(l, ["--size-gib", "1"]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/is \d+ bytes, still less than 1 GiB after 1s/);
  });

  it.skipIf(onlineResize === 0n)("grows the mounted filesystem when the device grew (resize2fs, no unmount)", () => {
    const before = Number(sh("df", ["-B1", "--output=size", l.mount]).stdout.split("\n")[1]);
    fs.truncateSync(l.img, 128 * 1024 * 1024);
    expect(sh(bin.losetup, ["-c", l.dev]).status).toBe(0);
    const r = ensure(l);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("growing ext4");
    const after = Number(sh("df", ["-B1", "--output=size", l.mount]).stdout.split("\n")[1]);
    expect(after).toBeGreaterThan(before * 1.8);
    expect(fs.readFileSync(path.join(l.mount, "uploads.db"), "utf8")).toBe("v1 wrote this");
  });

  it.skipIf(onlineResize !== 0n)("without CAP_SYS_RESOURCE (this container): sees the device grew and calls resize2fs, which the kernel refuses", () => {
    fs.truncateSync(l.img, 128 * 1024 * 1024);
    expect(sh(bin.losetup, ["-c", l.dev]).status).toBe(0);
    const r = ensure(l);
    expect(r.out).toMatch(/growing ext4 on \/dev\/loop\d+ from 67108864 to 134217728 bytes \(online\)/);
    expect(r.out).toMatch(/resize2fs/);
    expect(r.status).not.toBe(0);
    expect(fs.readFileSync(path.join(l.mount, "uploads.db"), "utf8")).toBe("v1 wrote this");
  });

  it("never writes over data that is not a filesystem it knows", () => {
    const foreign = loop("foreign", 16);
    const junk = Buffer.alloc(4096, 0x5a);
    const fd = fs.openSync(foreign.img, "r+");
    fs.writeSync(fd, junk, 0, junk.length, 8192);
    fs.closeSync(fd);
    const r = ensure(foreign);
    expect(r.status).toBe(1);
    expect(r.out).toContain("holds data that is not a filesystem Berth knows; not formatting it");
    expect(probe(foreign, "TYPE")).toBe("");
    const back = Buffer.alloc(4096);
    const fd2 = fs.openSync(foreign.img, "r");
    fs.readSync(fd2, back, 0, 4096, 8192);
    fs.closeSync(fd2);
    expect(back.equals(junk)).toBe(true);
  });

  it("fails when the volume never appears (not attached), and when the mount point holds something else", () => {
    const missing = sh("bash", [
      DATA_VOLUME_SCRIPT,
      "ensure",
      "--volume-id",
      VOLUME,
      "--mount",
      path.join(dir, "nowhere"),
      "--label",
      "berth-data",
      "--device",
      path.join(dir, "no-such-link"),
      "--wait",
      "1",
      "--lock",
      path.join(dir, "missing.lock"),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.out).toMatch(/did not appear .* within 1s \(is it attached to this instance\?\)/);
    const other = loop("other", 16);
    expect(sh(bin["mkfs.ext4"], ["-q", other.dev]).status).toBe(0);
    fs.mkdirSync(other.mount);
    expect(sh(bin.mount, [other.dev, other.mount]).status).toBe(0);
    // The main volume's link, aimed at a mount point that already holds the other filesystem.
    const r = ensure({ ...l, mount: other.mount });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/is already a mount of something else/);
  });
});
