// The data volume's host side as text: the boot unit, the files and commands `pulumi up` delivers,
// and what cloud-init gets. The unit names only the volume id, so a new size never edits it (nor
// user data): the size travels in `pulumi up`'s step only.
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { renderCloudInit } from "../../../components/render/cloudInit";
import {
  DATA_VOLUME_UNIT,
  dataVolumeAfter,
  dataVolumeFiles,
  dataVolumeRuncmd,
  dataVolumeStep,
  renderDataVolumeUnit,
} from "../../../components/render/dataVolume";
import { ensureDataVolume } from "../../../components/render/hostCommands";

const ID = "vol-0123456789abcdef0";
const SCRIPT = "#!/usr/bin/env bash\necho step\n";
const ENSURE =
  "/usr/local/lib/berth/berth-data-volume ensure --volume-id vol-0123456789abcdef0 --mount /srv/berth --label berth-data " +
  "--device /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 --device /dev/xvdf";

describe("the data volume step's command line", () => {
  it("boot: find, format if blank, mount, grow to the device", () => {
    expect(ensureDataVolume(dataVolumeStep(ID))).toBe(ENSURE);
  });
  it("pulumi up: the same, waiting for the size EBS reports", () => {
    expect(ensureDataVolume(dataVolumeStep(ID, 80))).toBe(`${ENSURE} --size-gib 80`);
  });
  it.each([0, -1, 1.5])("refuses the size %s", (size) => {
    expect(() => dataVolumeStep(ID, size)).toThrow(/bad size/);
  });
  it("refuses what is not a volume id (nothing unquoted reaches a command line)", () => {
    expect(() => dataVolumeStep("vol-1; reboot")).toThrow(/not an EBS volume id/);
  });
});

describe("renderDataVolumeUnit", () => {
  const unit = renderDataVolumeUnit(ID);
  it("runs the step once at boot, before Docker, containerd, nginx and the switch", () => {
    expect(unit).toContain(`ExecStart=${ENSURE}\n`);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit).toMatch(/^Before=docker\.service containerd\.service nginx\.service berth-switch\.service$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    // Longer than the step's own 300 s wait for the device, so systemd never kills it first.
    expect(Number(/^TimeoutStartSec=(\d+)$/m.exec(unit)![1])).toBeGreaterThan(300);
  });
  it("does not carry the size: growing never edits the unit", () => {
    expect(unit).not.toContain("--size-gib");
  });
});

describe("dataVolumeFiles and dataVolumeAfter", () => {
  it("installs the step (0755) and its unit (0644), public files", () => {
    expect(dataVolumeFiles(ID, SCRIPT)).toEqual([
      { path: "/usr/local/lib/berth/berth-data-volume", mode: 0o755, content: SCRIPT, usedBy: [] },
      { path: "/etc/systemd/system/berth-data-volume.service", mode: 0o644, content: renderDataVolumeUnit(ID), usedBy: [] },
    ]);
  });
  it("enables the unit for every boot, then runs the step with the size", () => {
    expect(dataVolumeAfter(ID, 50)).toEqual(["systemctl daemon-reload", `systemctl enable ${DATA_VOLUME_UNIT} >/dev/null 2>&1`, `${ENSURE} --size-gib 50`]);
  });
});

describe("cloud-init with a data volume", () => {
  const hostKey = {
    privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    publicKeyOpenssh: "ssh-ed25519 AAAAC3Nz",
  };
  const input = { deployUser: "deploy", deployAuthorizedKey: "ssh-ed25519 AAAA", sshPort: 22, hostKey };
  const script = "#!/usr/bin/env bash\nset -eu\n\nif true; then\n  echo 'indented'\nfi\n";
  const doc = parseYaml(renderCloudInit({ ...input, dataVolumeFiles: dataVolumeFiles(ID, script) })) as {
    write_files: Array<{ path: string; permissions: string; content: string }>;
    runcmd: string[];
  };

  it("writes the step and its unit byte for byte (blank lines and indentation kept)", () => {
    const step = doc.write_files.find((f) => f.path === "/usr/local/lib/berth/berth-data-volume")!;
    expect(step).toEqual({ path: "/usr/local/lib/berth/berth-data-volume", permissions: "0755", content: script });
    const unit = doc.write_files.find((f) => f.path === "/etc/systemd/system/berth-data-volume.service")!;
    expect(unit.content).toBe(renderDataVolumeUnit(ID));
  });
  it("starts it first, without waiting, so the mount happens while the packages install", () => {
    expect(doc.runcmd.slice(0, 2)).toEqual(dataVolumeRuncmd());
    expect(dataVolumeRuncmd()).toEqual(["systemctl daemon-reload", "systemctl enable --now --no-block berth-data-volume.service"]);
  });
  it("is unchanged without a data volume", () => {
    const plain = renderCloudInit(input);
    expect(plain).not.toContain("berth-data-volume");
    expect(plain).toBe(renderCloudInit({ ...input, dataVolumeFiles: undefined }));
  });
  it("refuses a file it cannot carry as a literal block", () => {
    expect(() => renderCloudInit({ ...input, dataVolumeFiles: [{ path: "/x", mode: 0o644, content: "no newline", usedBy: [] }] })).toThrow(
      /ending in a newline/,
    );
    expect(() => renderCloudInit({ ...input, dataVolumeFiles: [{ path: "/x", mode: 0o644, content: "a\ttab\n", usedBy: [] }] })).toThrow(/plain text lines/);
  });
});
