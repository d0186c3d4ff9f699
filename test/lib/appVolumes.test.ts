// The rules of app volumes and jobs (lib/appVolumes.ts): names, container paths, owner, mode, where the
// directory lives, how the plan words its location, and job unit names that cannot collide.
import { describe, expect, it } from "vitest";
import {
  appVolumeDir,
  containerPathProblem,
  jobUnitName,
  modeProblem,
  normalContainerPath,
  ownerProblem,
  partNameProblem,
  removedVolumeNote,
  volumeLocationNote,
} from "../../lib/appVolumes";

describe("app volume rules", () => {
  it.each(["data", "uploads-2", "0cache"])("accepts the name %j", (n) => expect(partNameProblem(n)).toBeUndefined());
  it.each(["Data", "-x", "a_b", "a.b", "", "../x", "x".repeat(64)])("refuses the name %j", (n) =>
    expect(partNameProblem(n)).toMatch(/\[a-z0-9\]\[a-z0-9-\]\*/),
  );
  it.each(["/data", "/app/uploads", "/var/lib/app/"])("accepts the path %j", (p) => expect(containerPathProblem(p)).toBeUndefined());
  it.each([
    ["data", "must be an absolute path"],
    ["/app/../etc", "must not contain . or .. segments"],
    ["/app/./x", "must not contain . or .. segments"],
    ["/", "must not be /"],
    ["/a b", "must hold only"],
    ["/a:b", "must hold only"],
  ])("refuses the path %j", (p, why) => expect(containerPathProblem(p)).toContain(why));
  it("compares paths as Docker does", () => expect(normalContainerPath("/data//x/")).toBe("/data/x"));
  it.each(["1000:1000", "0:0", "65534:65534"])("accepts the owner %j", (o) => expect(ownerProblem(o)).toBeUndefined());
  it.each(["1000", "app:app", "1000:", "-1:0", "99999999999:0", "1000:1000:1"])("refuses the owner %j", (o) =>
    expect(ownerProblem(o)).toContain('numeric "uid:gid"'),
  );
  it.each(["0750", "750", "0700", "0777"])("accepts the mode %j", (m) => expect(modeProblem(m)).toBeUndefined());
  it.each([
    ["4750", "octal"],
    ["0758", "octal"],
    ["rwx", "octal"],
    ["0550", "owner rwx"],
  ])("refuses the mode %j", (m, why) => expect(modeProblem(m)).toContain(why));
  it("puts each volume under /srv/berth/volumes/<app>/<name>", () => expect(appVolumeDir("web", "data")).toBe("/srv/berth/volumes/web/data"));
  it("says where the data lives, from whether the stack has a data volume", () => {
    expect(volumeLocationNote(false)).toContain("on the host's root disk, which a replaced host does not keep");
    expect(volumeLocationNote(true)).toContain("on the data volume");
  });
  it("says a removed volume stays on disk", () =>
    expect(removedVolumeNote("web", "data")).toContain("/srv/berth/volumes/web/data and the data in it stay on the host"));
  it("names job units so that no two app/job pairs collide", () => {
    expect(jobUnitName("a-b", "c")).not.toBe(jobUnitName("a", "b-c"));
    expect(jobUnitName("web", "nightly")).toBe("berth-job-web_nightly");
  });
});
