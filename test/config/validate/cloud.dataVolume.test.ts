// berth:host.dataVolume: off unless set, on in prod; every way it can be wrong is refused before any
// resource exists, naming the key, the value and what is allowed.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

const devHost = section("dev", "host");
const withVolume = (dataVolume: unknown): ReturnType<typeof stackWith> => stackWith("dev", { host: { ...devHost, dataVolume } });
const problems = (dataVolume: unknown): string => rejection(toRawConfigInput(withVolume(dataVolume))).message;

describe("berth:host.dataVolume", () => {
  it("is off unless set (dev), on in prod with snapshots, and fills its defaults", () => {
    expect(parseConfig(toRawConfigInput(stackWith("dev"))).host.dataVolume).toBeUndefined();
    expect(parseConfig(toRawConfigInput(stackWith("prod"))).host.dataVolume).toEqual({
      sizeGiB: 50,
      type: "gp3",
      protect: true,
      snapshots: { retainDays: 14, time: "03:00" },
    });
    expect(parseConfig(toRawConfigInput(withVolume({ sizeGiB: 20, snapshots: {} }))).host.dataVolume).toEqual({
      sizeGiB: 20,
      type: "gp3",
      protect: true,
      snapshots: { retainDays: 7, time: "03:00" },
    });
  });

  it.each<[string, unknown]>([
    ["gp3 with iops and throughput", { sizeGiB: 100, iops: 6000, throughput: 500 }],
    ["gp3 at the IOPS-per-GiB limit", { sizeGiB: 8, iops: 4000 }],
    ["gp2", { sizeGiB: 100, type: "gp2" }],
    ["io2 with iops", { sizeGiB: 100, type: "io2", iops: 64000 }],
    ["unprotected, no snapshots", { sizeGiB: 10, protect: false }],
  ])("accepts %s", (_case, dataVolume) => {
    expect(parseConfig(toRawConfigInput(withVolume(dataVolume))).host.dataVolume).toMatchObject(dataVolume as object);
  });

  it.each<[string, unknown, RegExp]>([
    ["no size", { type: "gp3" }, /berth:host\.dataVolume\.sizeGiB/],
    ["a size of 0", { sizeGiB: 0 }, /berth:host\.dataVolume\.sizeGiB.*0/],
    ["a fractional size", { sizeGiB: 10.5 }, /berth:host\.dataVolume\.sizeGiB.*10\.5/],
    ["gp3 above 16 TiB", { sizeGiB: 20000 }, /berth:host\.dataVolume\.sizeGiB = 20000: must be a whole number of GiB from 1 to 16384 for type gp3/],
    [
      "io1 below 4 GiB",
      { sizeGiB: 2, type: "io1", iops: 100 },
      /berth:host\.dataVolume\.sizeGiB = 2: must be a whole number of GiB from 4 to 16384 for type io1/,
    ],
    ["an unknown type", { sizeGiB: 10, type: "st1" }, /berth:host\.dataVolume\.type.*st1.*gp3.*gp2.*io1.*io2/],
    [
      "iops on gp2",
      { sizeGiB: 100, type: "gp2", iops: 3000 },
      /berth:host\.dataVolume\.iops = 3000: is not set on a gp2 volume .*only gp3, io1 and io2 take iops/,
    ],
    ["io1 without iops", { sizeGiB: 100, type: "io1" }, /berth:host\.dataVolume\.iops.*is required for type io1 \(100 to 64000\)/],
    [
      "gp3 iops below the baseline",
      { sizeGiB: 100, iops: 2000 },
      /berth:host\.dataVolume\.iops = 2000: must be a whole number from 3000 to 16000 for type gp3/,
    ],
    [
      "gp3 iops above 500 per GiB",
      { sizeGiB: 10, iops: 6000 },
      /berth:host\.dataVolume\.iops = 6000: is more than 500 IOPS per GiB of a 10 GiB gp3 volume \(at most 5000\)/,
    ],
    [
      "throughput on io2",
      { sizeGiB: 100, type: "io2", iops: 1000, throughput: 200 },
      /berth:host\.dataVolume\.throughput = 200: is only for gp3 volumes, not io2/,
    ],
    [
      "gp3 throughput above 1000",
      { sizeGiB: 100, iops: 16000, throughput: 2000 },
      /berth:host\.dataVolume\.throughput = 2000: must be a whole number of MiB\/s from 125 to 1000/,
    ],
    [
      "gp3 throughput above 0.25 per IOPS",
      { sizeGiB: 100, throughput: 1000 },
      /berth:host\.dataVolume\.throughput = 1000: is more than 0\.25 MiB\/s per IOPS of 3000 IOPS \(at most 750\); raise iops/,
    ],
    ["a snapshot time that is no time", { sizeGiB: 10, snapshots: { time: "3am" } }, /berth:host\.dataVolume\.snapshots\.time.*3am.*hh:mm/],
    ["a retention of 0", { sizeGiB: 10, snapshots: { retainDays: 0 } }, /berth:host\.dataVolume\.snapshots\.retainDays/],
    ["an unknown field", { sizeGiB: 10, encrypted: false }, /berth:host\.dataVolume.*encrypted/],
  ])("refuses %s, naming the key", (_case, dataVolume, message) => {
    expect(problems(dataVolume)).toMatch(message);
  });

  it("needs the zones named in config, not looked up: the volume stays in the first one for good", () => {
    const net = { ...section("dev", "network") };
    delete net.availabilityZones;
    const message = rejection(toRawConfigInput(stackWith("dev", { network: net, host: { ...devHost, dataVolume: { sizeGiB: 10 } } }))).message;
    expect(message).toMatch(/berth:network\.availabilityZones.*must be set when berth:host\.dataVolume is/);
    // Without a data volume the lookup stays allowed.
    expect(parseConfig(toRawConfigInput(stackWith("dev", { network: net }))).network.availabilityZones).toBeUndefined();
  });
});
