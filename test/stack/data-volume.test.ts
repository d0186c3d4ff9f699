// The data volume across the whole stack (mock engine): prod has it, dev not; it sits in the host
// subnet's AZ and depends on nothing of the instance; a host-replacing change leaves it untouched and
// re-attaches it to the new instance; growing it changes the volume in place and re-runs the host
// step that grows the filesystem, nothing else; shrinking it is refused before anything changes.
import { beforeAll, describe, expect, it } from "vitest";
import { REPLACE_RULES, replaceReason } from "../../cli/replaceRules";
import type { FakeCloud } from "../../offline/mocks";
import { one, ofType, plain, run, section, sharedRun, stackWith, type RecordedResource, type RunResult, changedNames } from "../helpers/stack";
import { runStack } from "../../offline/engine";

const VOLUME = "aws:ebs/volume:Volume";
const ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment";
const DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy";
/** Everything of the data volume that must outlive the host. */
const KEPT = ["data-volume", "data-snapshot-role", "data-snapshot-policy", "data-snapshots"];

const byName = (r: RunResult, name: string): RecordedResource => r.resources.find((x) => x.name === name)!;
const changed = changedNames;
const changedKeys = (a: Record<string, unknown>, b: Record<string, unknown>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();

/** prod with the host pinned to `ami` (a new AMI replaces the host). */
const prodHost = (ami: string, extra: Record<string, unknown> = {}) => stackWith("prod", { host: { ...section("prod", "host"), amiId: ami, ...extra } });
/** A fake cloud whose new instance gets another id, as a real replacement does. */
const newInstanceId = (cloud: FakeCloud): void => {
  const make = cloud.handlers["aws:ec2/instance:Instance"];
  cloud.handlers["aws:ec2/instance:Instance"] = (name, inputs, ctx) => ({ ...make(name, inputs, ctx), id: "i-0aaaaaaaaaaaaaaa1" });
};

let prod: RunResult;
let dev: RunResult;
beforeAll(async () => {
  prod = await sharedRun("prod");
  dev = await sharedRun("dev");
});

describe("the shipped stacks", () => {
  it("prod: an encrypted, protected volume, its attachment, the DLM policy and its role; dev: none", () => {
    expect(ofType(prod, VOLUME).map((x) => x.name)).toEqual(["data-volume"]);
    expect(ofType(prod, ATTACHMENT).map((x) => x.name)).toEqual(["data-attachment"]);
    expect(ofType(prod, DLM).map((x) => x.name)).toEqual(["data-snapshots"]);
    expect(byName(prod, "data-snapshot-role").type).toBe("aws:iam/role:Role");
    const v = one(prod, VOLUME);
    expect(v.inputs).toMatchObject({ size: 50, type: "gp3", encrypted: true });
    expect(v.options.protect).toBe(true);
    for (const t of [VOLUME, ATTACHMENT, DLM]) expect(ofType(dev, t)).toEqual([]);
    expect(dev.outputs.hostDataVolumeId).toBe("");
    expect(prod.outputs.hostDataVolumeId).toBe(v.id);
  });

  it("prod: the volume is in the host subnet's AZ, the network's one value, and depends on nothing of the instance", () => {
    const instance = one(prod, "aws:ec2/instance:Instance");
    const subnet = prod.resources.find((x) => x.id === instance.inputs.subnetId)!;
    const v = one(prod, VOLUME);
    expect(v.inputs.availabilityZone).toBe(subnet.inputs.availabilityZone);
    expect(v.inputs.availabilityZone).toBe((section("prod", "network").availabilityZones as string[])[0]);
    for (const n of KEPT) expect(byName(prod, n).options.dependencies, n).not.toContain(instance.urn);
    expect(v.options.propertyDependencies.availabilityZone ?? []).not.toContain(instance.urn);
  });

  it("prod: the attachment takes the instance's id, stops it before detaching, and is replaced delete-first", () => {
    const instance = one(prod, "aws:ec2/instance:Instance");
    const a = one(prod, ATTACHMENT);
    expect(a.inputs).toEqual({ volumeId: one(prod, VOLUME).id, instanceId: instance.id, deviceName: "/dev/sdf", stopInstanceBeforeDetaching: true });
    expect(a.options.propertyDependencies.instanceId).toEqual([instance.urn]);
    expect(a.options.deleteBeforeReplace).toBe(true);
  });

  it("prod: the host mounts it after the attachment, before the deploy tooling writes app data; cloud-init starts it at first boot", () => {
    const step = byName(prod, "services-data-volume-apply");
    // The delivery (the component around the command) waits for cloud-init and the attachment.
    expect(byName(prod, "services-data-volume").options.dependencies).toEqual(
      expect.arrayContaining([byName(prod, "services-provisioned").urn, one(prod, ATTACHMENT).urn]),
    );
    expect(step.inputs.triggers).toEqual([one(prod, "aws:ec2/instance:Instance").id]);
    const stdin = String(plain(step.inputs.stdin));
    expect(stdin).toContain(`--volume-id ${one(prod, VOLUME).id} --mount /srv/berth --label berth-data`);
    expect(stdin).toContain("--size-gib 50");
    expect(byName(prod, "services-deploy-files").options.dependencies).toContain(step.urn);
    const userData = String(plain(one(prod, "aws:ec2/instance:Instance").inputs.userData));
    expect(userData).toContain("systemctl enable --now --no-block berth-data-volume.service");
    expect(userData).toContain(`--volume-id ${one(prod, VOLUME).id}`);
    expect(Buffer.byteLength(userData)).toBeLessThan(16384); // EC2's user data limit
  });
});

describe("a change that replaces the host", () => {
  it("leaves the volume, its snapshots and their role untouched, and re-attaches the volume to the new instance", async () => {
    const before = await run(prodHost("ami-0123456789abcdef0"));
    const after = await runStack({ ...prodHost("ami-0fedcba9876543210"), customize: newInstanceId });
    // `ami` forces a new instance: this change replaces the host.
    expect(changedKeys(byName(before, "host-instance").inputs, byName(after, "host-instance").inputs)).toEqual(["ami"]);
    expect(REPLACE_RULES["aws:ec2/instance:Instance"].replace).toContain("ami");
    const diff = changed(before, after);
    for (const n of KEPT) expect(diff, n).not.toContain(n);
    // Only the attachment follows the instance: a new instance id replaces it, onto the new instance.
    expect(diff).toContain("data-attachment");
    const [a0, a1] = [byName(before, "data-attachment"), byName(after, "data-attachment")];
    expect(changedKeys(a0.inputs, a1.inputs)).toEqual(["instanceId"]);
    expect(a1.inputs.instanceId).toBe("i-0aaaaaaaaaaaaaaa1");
    expect(a1.inputs.volumeId).toBe(a0.inputs.volumeId);
    expect(replaceReason(ATTACHMENT, "instanceId", a1.options.replaceOnChanges)).toBe("provider schema");
    expect(a1.options.deleteBeforeReplace).toBe(true);
    expect(a1.inputs.stopInstanceBeforeDetaching).toBe(true);
    // And the new host mounts it again: its instance id triggers the step.
    expect(byName(after, "services-data-volume-apply").inputs.triggers).toEqual(["i-0aaaaaaaaaaaaaaa1"]);
    expect(after.outputs.hostDataVolumeId).toBe(before.outputs.hostDataVolumeId);
  });
});

describe("resizing", () => {
  const sized = (sizeGiB: number) =>
    stackWith("prod", { host: { ...section("prod", "host"), dataVolume: { ...(section("prod", "host").dataVolume as object), sizeGiB } } });

  it("growing changes the volume in place and re-runs the host step with the new size: not the host, not the attachment", async () => {
    const grown = await run(sized(80));
    expect(changed(prod, grown)).toEqual(["data-volume", "services-data-volume-apply"]);
    expect(changedKeys(byName(prod, "data-volume").inputs, byName(grown, "data-volume").inputs)).toEqual(["size"]);
    expect(replaceReason(VOLUME, "size", byName(grown, "data-volume").options.replaceOnChanges)).toBeUndefined();
    expect(String(plain(byName(grown, "services-data-volume-apply").inputs.stdin))).toContain("--size-gib 80");
  });

  it("shrinking is refused before anything changes, naming the key, both sizes and the volume", async () => {
    const existing = (cloud: FakeCloud): void => {
      cloud.calls["aws:ebs/getEbsVolumes:getEbsVolumes"] = () => ({ id: "ap-northeast-2", ids: ["vol-0fedcba9876543210"] });
      cloud.calls["aws:ebs/getVolume:getVolume"] = () => ({ id: "vol-0fedcba9876543210", volumeId: "vol-0fedcba9876543210", size: 50 });
    };
    await expect(runStack({ ...sized(40), customize: existing })).rejects.toThrow(
      /berth:host\.dataVolume\.sizeGiB is 40 but the data volume vol-0fedcba9876543210 already has 50 GiB: EBS volumes only grow/,
    );
    // The same size, or more, passes against the same account.
    const same = await runStack({ ...sized(50), customize: existing });
    expect(one(same, VOLUME).inputs.size).toBe(50);
  });
});

describe("adding a data volume to a running host", () => {
  it("replaces nothing: the instance changes only its (ignored) user data, the volume is new, the host step mounts it", async () => {
    const host = { ...section("dev", "host"), dataVolume: { sizeGiB: 20 } };
    const withVolume = await run(stackWith("dev", { host }));
    const instance = byName(withVolume, "host-instance");
    expect(changedKeys(byName(dev, "host-instance").inputs, instance.inputs)).toEqual(["userData"]);
    expect(instance.options.ignoreChanges).toContain("userData");
    // The deploy files learn where the volume must be mounted before app volume directories are made.
    expect(changed(dev, withVolume)).toEqual([
      "data",
      "data-attachment",
      "data-volume",
      "host-instance",
      // The agent watches the new disk too (its used-space metric, which the data volume's alarm reads).
      "monitoring-files-apply",
      "services-data-volume",
      "services-data-volume-apply",
      "services-deploy-files-apply",
    ]);
    // dev's default: no snapshots unless asked for.
    expect(ofType(withVolume, DLM)).toEqual([]);
    for (const n of ["host-eip", "database-instance", "network-vpc"]) expect(changed(dev, withVolume)).not.toContain(n);
  });
});
