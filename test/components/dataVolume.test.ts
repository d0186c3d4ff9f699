// DataVolume on its own (public mock API): an encrypted EBS volume in the given AZ, tagged for its
// snapshots; the attachment follows the instance (delete first, stop before detach); a smaller size
// than the existing volume is refused before the volume is registered; DLM snapshots with their own
// least-privilege role.
import * as fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { DATA_VOLUME_SCRIPT, DataVolume, dataVolumeScript, dlmSnapshotPolicy, dlmTrustPolicy } from "../../components/dataVolume";
import { failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const base = { availabilityZone: "us-east-1a", sizeGiB: 50, type: "gp3" as const, protect: true, naming };
const VOLUME_ARN = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0";

/** Invokes for an account that holds `existing` volumes of the stack (id -> size). */
function account(existing: Record<string, number>): Record<string, (i: Record<string, unknown>) => Record<string, unknown>> {
  return {
    "aws:ebs/getEbsVolumes:getEbsVolumes": () => ({ id: "us-east-1", ids: Object.keys(existing) }),
    "aws:ebs/getVolume:getVolume": (i) => {
      const id = (i.filters as Array<{ values: string[] }>)[0].values[0];
      return { id, volumeId: id, size: existing[id], arn: VOLUME_ARN };
    },
  };
}
const volumeAnswer = {
  "aws:ebs/volume:Volume": (_n: string, i: Record<string, unknown>) => ({ id: "vol-0123456789abcdef0", state: { arn: VOLUME_ARN, size: i.size } }),
};

let m: ComponentMocks;
describe("DataVolume", () => {
  beforeEach(async () => {
    m = await mockComponents({ invokes: account({}), resources: volumeAnswer });
  });

  it("minimal args: one encrypted gp3 volume in the given AZ, tagged for its snapshots, protected; no snapshot policy", async () => {
    const v = new DataVolume("data", base, m.opts);
    expect(await valueOf(v.volumeId)).toBe("vol-0123456789abcdef0");
    expect(await valueOf(v.sizeGiB)).toBe(50);
    await m.settle();
    const vol = m.one("aws:ebs/volume:Volume");
    expect(vol.inputs).toEqual({
      availabilityZone: "us-east-1a",
      size: 50,
      type: "gp3",
      encrypted: true,
      tags: { Name: "berth-test-data", BerthDataVolume: "berth-test-data" },
    });
    expect(vol.parent).toBe("data");
    expect(m.ofType("aws:dlm/lifecyclePolicy:LifecyclePolicy")).toEqual([]);
    expect(m.ofType("aws:iam/role:Role")).toEqual([]);
    // The shrink check looked for the stack's volume by its tag.
    expect(m.invokes.map((x) => [x.token, x.inputs.tags])).toEqual([["aws:ebs/getEbsVolumes:getEbsVolumes", { BerthDataVolume: "berth-test-data" }]]);
  });

  it("full args: iops and throughput; daily DLM snapshots by tag with their own role", async () => {
    new DataVolume("data", { ...base, type: "gp3", iops: 6000, throughput: 500, snapshots: { retainDays: 14, time: "03:00" } }, m.opts);
    await m.settle();
    expect(m.one("aws:ebs/volume:Volume").inputs).toMatchObject({ iops: 6000, throughput: 500 });
    const policy = m.one("aws:dlm/lifecyclePolicy:LifecyclePolicy", "data-snapshots");
    expect(policy.inputs).toMatchObject({
      description: "Berth daily snapshots of berth-test-data",
      executionRoleArn: "arn:aws:iam::123456789012:role/data-snapshot-role-0001",
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: { BerthDataVolume: "berth-test-data" },
        schedules: [
          {
            name: "daily",
            createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
            retainRule: { count: 14 },
            copyTags: true,
            tagsToAdd: { Name: "berth-test-data-snapshot" },
          },
        ],
      },
    });
    // DLM's description rule (the provider validates ^[0-9A-Za-z _-]+$).
    expect(String(policy.inputs.description)).toMatch(/^[0-9A-Za-z _-]+$/);
    expect(policy.dependsOn).toEqual(["data-snapshot-policy"]);
    const role = m.one("aws:iam/role:Role", "data-snapshot-role");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual(JSON.parse(dlmTrustPolicy("aws", "123456789012", "us-east-1")));
    const rp = m.one("aws:iam/rolePolicy:RolePolicy", "data-snapshot-policy");
    expect(JSON.parse(String(rp.inputs.policy))).toEqual(JSON.parse(dlmSnapshotPolicy(VOLUME_ARN, "berth-test-data")));
  });

  it("attachTo: the given instance, stop before detaching, replaced delete-first", async () => {
    const v = new DataVolume("data", base, m.opts);
    v.attachTo("data-attachment", "i-0new");
    await m.settle();
    const a = m.one("aws:ec2/volumeAttachment:VolumeAttachment");
    expect(a.inputs).toEqual({ volumeId: "vol-0123456789abcdef0", instanceId: "i-0new", deviceName: "/dev/sdf", stopInstanceBeforeDetaching: true });
    expect(a.deleteBeforeReplace).toBe(true);
    expect(a.parent).toBe("data");
  });
});

describe("DataVolume size check", () => {
  it("accepts the same size or a larger one than the existing volume", async () => {
    m = await mockComponents({ invokes: account({ "vol-0123456789abcdef0": 50 }), resources: volumeAnswer });
    const v = new DataVolume("data", { ...base, sizeGiB: 80 }, m.opts);
    expect(await valueOf(v.sizeGiB)).toBe(80);
    await m.settle();
    expect(m.invokes.map((x) => x.token)).toEqual(["aws:ebs/getEbsVolumes:getEbsVolumes", "aws:ebs/getVolume:getVolume"]);
  });

  it("refuses a smaller size than the existing volume, naming the key, both sizes and the volume; the volume is never registered", async () => {
    m = await mockComponents({ invokes: account({ "vol-0123456789abcdef0": 50 }), resources: volumeAnswer });
    const err = await failure(() => new DataVolume("data", { ...base, sizeGiB: 40 }, m.opts));
    // Pulumi prefixes the property it was resolving ("error serializing property \"size\": ").
    expect(err.message).toContain(
      "berth:host.dataVolume.sizeGiB is 40 but the data volume vol-0123456789abcdef0 already has 50 GiB: EBS volumes only grow. Set sizeGiB to 50 or more; to get a smaller volume, copy the data to a new one by hand.",
    );
    expect(m.ofType("aws:ebs/volume:Volume")).toEqual([]);
  });
});

describe("the policies' texts", () => {
  it("trust: DLM only, for this account's policies", () => {
    expect(JSON.parse(dlmTrustPolicy("aws", "123456789012", "us-east-1"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "dlm.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": "arn:aws:dlm:us-east-1:123456789012:policy/*" } },
        },
      ],
    });
  });
  it("permissions: snapshot this volume, tag only while creating, delete only snapshots with its tag; Describe on * only", () => {
    const st = (JSON.parse(dlmSnapshotPolicy(VOLUME_ARN, "berth-test-data")) as { Statement: Array<Record<string, unknown>> }).Statement;
    const snaps = "arn:aws:ec2:us-east-1::snapshot/*";
    expect(st.find((s) => s.Sid === "Snapshot")).toEqual({ Sid: "Snapshot", Effect: "Allow", Action: ["ec2:CreateSnapshot"], Resource: [VOLUME_ARN, snaps] });
    expect(st.find((s) => s.Sid === "ExpireOwnSnapshots")).toMatchObject({
      Action: ["ec2:DeleteSnapshot"],
      Resource: snaps,
      Condition: { StringEquals: { "aws:ResourceTag/BerthDataVolume": "berth-test-data" } },
    });
    expect(st.find((s) => s.Sid === "TagNewSnapshots")).toMatchObject({ Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshot" } } });
    // Only the Describe calls (no resource-level permissions) are on "*"; no action anywhere is a wildcard.
    for (const s of st) {
      if (s.Resource === "*") expect((s.Action as string[]).every((a) => a.startsWith("ec2:Describe"))).toBe(true);
      for (const a of s.Action as string[]) expect(a).not.toMatch(/\*/);
    }
  });
  it("the host step is read from host/data-volume.sh", () => {
    expect(dataVolumeScript()).toBe(fs.readFileSync(DATA_VOLUME_SCRIPT, "utf8"));
    expect(dataVolumeScript().split("\n")[0]).toBe("#!/usr/bin/env bash");
  });
});
