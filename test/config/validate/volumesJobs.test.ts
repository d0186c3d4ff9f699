// App part volumes and jobs in config (config/schema.ts with lib/appVolumes.ts and lib/calendar.ts, and
// the cross-field rules of config/validate/volumesJobs.ts): defaults applied, every bad input refused
// before any cloud call, naming the key, the value and what is allowed; string volumes keep working.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

type Part = Record<string, unknown>;
/** The dev stack with its app's front end and back end changed. */
function devWith(frontend: Part, backend: Part = {}) {
  const proxy = section("dev", "proxy") as { apps: Array<Record<string, Part>> };
  const web = proxy.apps[0];
  const apps = [{ ...web, frontend: { ...web.frontend, ...frontend }, backend: { ...web.backend, ...backend } }];
  return stackWith("dev", { proxy: { ...proxy, apps } });
}
const problems = (f: Part, b?: Part): string => rejection(toRawConfigInput(devWith(f, b))).message;
const parses = (f: Part, b?: Part) => parseConfig(toRawConfigInput(devWith(f, b)));

describe("volumes", () => {
  it("takes { name, path } with owner 1000:1000 and mode 0750 by default, beside today's strings", () => {
    const cfg = parses({
      volumes: [{ name: "uploads", path: "/app/uploads" }, "web-cache:/cache:ro", { name: "db", path: "/db", owner: "999:999", mode: "0700" }],
    });
    expect(cfg.proxy.apps[0].frontend.volumes).toEqual([
      { name: "uploads", path: "/app/uploads", owner: "1000:1000", mode: "0750" },
      "web-cache:/cache:ro",
      { name: "db", path: "/db", owner: "999:999", mode: "0700" },
    ]);
  });

  it("the dev stack ships a volume and a job on the back end", () => {
    const web = parseConfig(toRawConfigInput(stackWith("dev"))).proxy.apps[0];
    expect(web.backend?.volumes).toEqual([{ name: "data", path: "/data", owner: "1000:1000", mode: "0750" }]);
    expect(web.backend?.jobs.map((j) => j.name)).toEqual(["nightly-cleanup"]);
  });

  it.each([
    [{ name: "Uploads", path: "/u" }, "berth:proxy.apps[0].frontend.volumes[0].name", '"Uploads"', "[a-z0-9][a-z0-9-]*"],
    [{ name: "u", path: "u" }, "berth:proxy.apps[0].frontend.volumes[0].path", '"u"', "must be an absolute path"],
    [{ name: "u", path: "/app/../etc" }, "berth:proxy.apps[0].frontend.volumes[0].path", '"/app/../etc"', "must not contain . or .. segments"],
    [{ name: "u", path: "/u", owner: "app" }, "berth:proxy.apps[0].frontend.volumes[0].owner", '"app"', 'must be a numeric "uid:gid"'],
    [{ name: "u", path: "/u", mode: "777" }, "berth:proxy.apps[0].frontend.volumes[0].mode", undefined, undefined],
    [{ name: "u", path: "/u", mode: "4750" }, "berth:proxy.apps[0].frontend.volumes[0].mode", '"4750"', "must be an octal mode"],
    [{ name: "u" }, "berth:proxy.apps[0].frontend.volumes[0]", "", "or { name, path, owner?, mode? }"],
    ["/srv/data", "berth:proxy.apps[0].frontend.volumes[0]", '"/srv/data"', "must be HOST_PATH:CONTAINER_PATH"],
  ])("refuses %j naming %s", (volume, key, value, message) => {
    if (message === undefined) {
      expect(parses({ volumes: [volume] }).proxy.apps[0].frontend.volumes).toHaveLength(1);
      return;
    }
    const text = problems({ volumes: [volume] });
    expect(text).toContain(`${key} = ${value}`);
    expect(text).toContain(message);
  });

  it("refuses two volumes of one part at one path (strings included) and a name declared twice", () => {
    const text = problems({ volumes: [{ name: "a", path: "/data" }, "cache:/data/", { name: "a", path: "/other" }] });
    expect(text).toContain('berth:proxy.apps[0].frontend.volumes[1] = "cache:/data/": mounts at /data, as berth:proxy.apps[0].frontend.volumes[0].path does');
    expect(text).toContain('berth:proxy.apps[0].frontend.volumes[2].name = "a": is declared twice in berth:proxy.apps[0].frontend.volumes');
  });

  it("one name in both parts is one directory: allowed with one owner and mode, refused with two", () => {
    expect(() => parses({ volumes: [{ name: "data", path: "/srv" }] })).not.toThrow();
    expect(problems({ volumes: [{ name: "data", path: "/srv", owner: "0:0" }] })).toContain(
      'berth:proxy.apps[0].backend.volumes[0] = "data 1000:1000 0750": is the same directory as berth:proxy.apps[0].frontend.volumes[0] (owner 0:0, mode 0750)',
    );
  });
});

describe("jobs", () => {
  it("takes { name, schedule, command } with a timeout of 3600 s by default", () => {
    const cfg = parses({ jobs: [{ name: "report", schedule: "Mon..Fri 07:30", command: ["node", "report.js"] }] });
    expect(cfg.proxy.apps[0].frontend.jobs).toEqual([{ name: "report", schedule: "Mon..Fri 07:30", command: ["node", "report.js"], timeoutSeconds: 3600 }]);
  });

  it.each([
    [{ name: "Report", schedule: "daily", command: ["x"] }, "berth:proxy.apps[0].frontend.jobs[0].name", "[a-z0-9][a-z0-9-]*"],
    [{ name: "r", schedule: "every day at 3", command: ["x"] }, "berth:proxy.apps[0].frontend.jobs[0].schedule", "must be a systemd OnCalendar expression"],
    [{ name: "r", schedule: "daily", command: "node report.js" }, "berth:proxy.apps[0].frontend.jobs[0].command", "must be a list of arguments (argv)"],
    [{ name: "r", schedule: "daily", command: [] }, "berth:proxy.apps[0].frontend.jobs[0].command", ""],
    [{ name: "r", schedule: "daily", command: ["x"], timeoutSeconds: 0 }, "berth:proxy.apps[0].frontend.jobs[0].timeoutSeconds", ""],
    [{ name: "r", schedule: "daily", command: ["x"], extra: 1 }, "berth:proxy.apps[0].frontend.jobs[0]", "extra"],
  ])("refuses %j naming %s", (job, key, message) => {
    const text = problems({ jobs: [job] });
    expect(text).toContain(key);
    expect(text).toContain(message);
  });

  it("refuses one job name twice in an app (it names the command and the units)", () => {
    expect(problems({ jobs: [{ name: "nightly-cleanup", schedule: "daily", command: ["x"] }] })).toContain(
      'berth:proxy.apps[0].backend.jobs[0].name = "nightly-cleanup": is also the name of berth:proxy.apps[0].frontend.jobs[0]: job names are unique per app',
    );
  });
});
