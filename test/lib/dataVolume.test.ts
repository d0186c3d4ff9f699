// The data volume's shared rules: the EBS limits per type, the shrink rule, where the host finds
// the volume, and the one test other features ask (hasDataVolume, DATA_VOLUME_MOUNT).
import { describe, expect, it } from "vitest";
import {
  DATA_VOLUME_LABEL,
  DATA_VOLUME_MOUNT,
  dataVolumeProblems,
  dataVolumeShrinkProblem,
  EBS_LIMITS,
  EBS_VOLUME_TYPES,
  ebsDeviceLinks,
  hasDataVolume,
  type DataVolumeSpec,
} from "../../lib/dataVolume";

const keys = (spec: DataVolumeSpec): string[] => dataVolumeProblems(spec, "v").map((p) => p.key);

describe("dataVolumeProblems", () => {
  it.each<[DataVolumeSpec, string[]]>([
    [{ sizeGiB: 1, type: "gp3" }, []],
    [{ sizeGiB: 16384, type: "gp3", iops: 16000, throughput: 1000 }, []],
    [{ sizeGiB: 16385, type: "gp3" }, ["v.sizeGiB"]],
    [{ sizeGiB: 6, type: "gp3", iops: 3001 }, ["v.iops"]],
    [{ sizeGiB: 100, type: "gp3", iops: 4000, throughput: 1000 }, []],
    [{ sizeGiB: 100, type: "gp3", iops: 3999, throughput: 1000 }, ["v.throughput"]],
    [{ sizeGiB: 100, type: "gp2", iops: 300, throughput: 125 }, ["v.iops", "v.throughput"]],
    [{ sizeGiB: 3, type: "io1" }, ["v.sizeGiB", "v.iops"]],
    [{ sizeGiB: 10, type: "io1", iops: 500 }, []],
    [{ sizeGiB: 10, type: "io1", iops: 501 }, ["v.iops"]],
    [{ sizeGiB: 65536, type: "io2", iops: 256000 }, []],
    [{ sizeGiB: 65537, type: "io2", iops: 256000 }, ["v.sizeGiB"]],
  ])("%j -> %j", (spec, expected) => {
    expect(keys(spec)).toEqual(expected);
  });
  it("knows every type it offers", () => {
    expect(Object.keys(EBS_LIMITS).sort()).toEqual([...EBS_VOLUME_TYPES].sort());
  });
});

describe("dataVolumeShrinkProblem", () => {
  it("allows the same size and growth, refuses shrinking with the key, both sizes and the way out", () => {
    expect(dataVolumeShrinkProblem("vol-1", 50, 50)).toBeUndefined();
    expect(dataVolumeShrinkProblem("vol-1", 50, 51)).toBeUndefined();
    expect(dataVolumeShrinkProblem("vol-1", 50, 49)).toBe(
      "berth:host.dataVolume.sizeGiB is 49 but the data volume vol-1 already has 50 GiB: EBS volumes only grow. Set sizeGiB to 50 or more; to get a smaller volume, copy the data to a new one by hand.",
    );
  });
});

describe("where the host finds the volume", () => {
  it("by its NVMe serial (the id without its dash), then the Xen name", () => {
    expect(ebsDeviceLinks("vol-0123456789abcdef0")).toEqual(["/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "/dev/xvdf"]);
    expect(ebsDeviceLinks("vol-0123456789abcdef0", "/tmp/by-id")[0]).toBe("/tmp/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0");
  });
  it.each(["vol-", "vol-XYZ12345", "i-0123456789abcdef0", "vol-0123; rm -rf /"])("refuses %j", (id) => {
    expect(() => ebsDeviceLinks(id)).toThrow(/not an EBS volume id/);
  });
});

describe("what other features use", () => {
  it("mount point and label", () => {
    expect(DATA_VOLUME_MOUNT).toBe("/srv/berth");
    expect(DATA_VOLUME_LABEL.length).toBeLessThanOrEqual(16); // ext4 labels
  });
  it("hasDataVolume", () => {
    expect(hasDataVolume({ host: {} })).toBe(false);
    expect(hasDataVolume({ host: { dataVolume: undefined } })).toBe(false);
    expect(hasDataVolume({ host: { dataVolume: { sizeGiB: 10 } } })).toBe(true);
  });
});
