// The plan's app volume lines and the plan diff's note on a removed volume (cli/volumeNotes.ts), read
// from the apps file the deploy bundle delivers.
import { describe, expect, it } from "vitest";
import { renderTree, toPlanJson } from "../../cli/plan";
import { appsFileIn, planVolumeLines, removedVolumeNotes, volumesOfAppsFile } from "../../cli/volumeNotes";
import { sharedRun } from "../helpers/stack";

const appsFile = (volumes: Array<{ name: string; path: string }>): string =>
  JSON.stringify({
    apps: [{ name: "web", parts: [{ role: "backend", appVolumes: volumes.map((v) => ({ ...v, hostDir: `/srv/berth/volumes/web/${v.name}` })) }] }],
  });

describe("volume notes", () => {
  it("lists each volume with its host directory and where the data lives", () => {
    expect(volumesOfAppsFile(appsFile([{ name: "data", path: "/data" }]))).toEqual([
      { app: "web", part: "backend", name: "data", path: "/data", hostDir: "/srv/berth/volumes/web/data" },
    ]);
    const lines = planVolumeLines(appsFile([{ name: "data", path: "/data" }]), false);
    expect(lines[1]).toContain("App volumes, on the host's root disk, which a replaced host does not keep");
    expect(lines[2]).toBe("  web backend data: /srv/berth/volumes/web/data -> /data");
    expect(planVolumeLines(appsFile([{ name: "data", path: "/data" }]), true)[1]).toContain("on the data volume mounted at /srv/berth");
    expect(planVolumeLines(appsFile([]), false)).toEqual([]);
    expect(planVolumeLines(undefined, false)).toEqual([]);
  });

  it("notes only the volumes that are gone", () => {
    const before = appsFile([
      { name: "a", path: "/a" },
      { name: "b", path: "/b" },
    ]);
    expect(removedVolumeNotes(before, appsFile([{ name: "b", path: "/moved" }]))).toEqual([expect.stringMatching(/^volume web\/a is no longer declared/)]);
    expect(removedVolumeNotes(before, before)).toEqual([]);
    expect(removedVolumeNotes("not json", before)).toEqual([]);
  });

  it("the dev plan shows the shipped volume, read from the deploy bundle", async () => {
    const plan = toPlanJson(await sharedRun("dev"));
    expect(appsFileIn(plan.resources.map((r) => (r.inputs as Record<string, unknown>).stdin))).toContain('"appVolumes"');
    expect(renderTree(plan)).toContain("\n  web backend data: /srv/berth/volumes/web/data -> /data\n");
  });
});
