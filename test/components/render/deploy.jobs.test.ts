// App volumes and jobs as the deploy renderer writes them (components/render/deploy.ts): apps.json keeps
// today's string volumes apart from the app's directories (with their host path, owner and mode) and
// carries each job; every job gets a timer with its schedule (Persistent=true) and a oneshot service
// running `berth-deploy job <app> <name>`; `pulumi up` prunes the units of jobs no longer declared
// and enables the declared timers. systemd itself checks the units in test/integration/host-scripts.test.ts.
import { describe, expect, it } from "vitest";
import { deployToolingAfter, jobTimers, renderAppsFile, renderJobUnits } from "../../../components/render/deploy";
import { stackConfig } from "../../helpers/renderFixtures";

const PROGRAM = "/usr/local/lib/berth/berth-deploy";
const dev = stackConfig("dev");
const web = dev.proxy.apps[0];
const withVolumes = {
  ...dev,
  proxy: {
    ...dev.proxy,
    apps: [{ ...web, frontend: { ...web.frontend, volumes: ["web-cache:/cache:ro", { name: "uploads", path: "/u", owner: "33:33", mode: "0700" }] } }],
  },
};

describe("apps.json", () => {
  it("keeps string volumes for docker run -v and lists the app's directories with host path, owner and mode", () => {
    const parts = (JSON.parse(renderAppsFile(withVolumes)) as { apps: Array<{ parts: Array<Record<string, unknown>> }> }).apps[0].parts;
    expect(parts[0].volumes).toEqual(["web-cache:/cache:ro"]);
    expect(parts[0].appVolumes).toEqual([{ name: "uploads", path: "/u", hostDir: "/srv/berth/volumes/web/uploads", owner: "33:33", mode: "0700" }]);
    expect(parts[1].appVolumes).toEqual([{ name: "data", path: "/data", hostDir: "/srv/berth/volumes/web/data", owner: "1000:1000", mode: "0750" }]);
    expect(parts[1].jobs).toEqual([{ name: "nightly-cleanup", schedule: "*-*-* 03:00:00", command: ["node", "/app/cleanup.js"], timeoutSeconds: 600 }]);
    expect(parts[0].jobs).toEqual([]);
  });
});

describe("job units", () => {
  const units = renderJobUnits(dev, PROGRAM);

  it("one timer and one service per job", () => {
    expect(Object.keys(units)).toEqual(["berth-job-web_nightly-cleanup.service", "berth-job-web_nightly-cleanup.timer"]);
    expect(jobTimers(dev)).toEqual(["berth-job-web_nightly-cleanup.timer"]);
  });

  it("the timer carries the schedule and runs missed runs at boot", () => {
    const timer = units["berth-job-web_nightly-cleanup.timer"];
    expect(timer).toContain("\n[Timer]\nOnCalendar=*-*-* 03:00:00\nPersistent=true\n");
    expect(timer).toContain("\n[Install]\nWantedBy=timers.target\n");
  });

  it("the service runs the deploy program's job command, with systemd's timeout only a backstop past the job's", () => {
    const service = units["berth-job-web_nightly-cleanup.service"];
    expect(service).toContain(`\nType=oneshot\nEnvironment=BERTH_VIA=timer\nExecStart=${PROGRAM} job web nightly-cleanup\nTimeoutStartSec=900\n`);
    expect(service).toContain("Requires=docker.service");
  });

  it("no jobs, no units", () => {
    const none = { ...dev, proxy: { ...dev.proxy, apps: [{ ...web, backend: { ...web.backend!, jobs: [] } }] } };
    expect(renderJobUnits(none, PROGRAM)).toEqual({});
  });
});

describe("delivery", () => {
  it("prunes the units of undeclared jobs before systemd reloads, then enables the declared timers", () => {
    const after = deployToolingAfter(dev);
    const prune = after.findIndex((l) => l.startsWith("for t in /etc/systemd/system/berth-job-*_*.timer;"));
    expect(prune).toBeGreaterThan(-1);
    expect(after[prune]).toContain('case "$u" in berth-job-web_nightly-cleanup.timer) continue;; esac');
    expect(after.indexOf("systemctl daemon-reload")).toBeGreaterThan(prune);
    expect(after.at(-1)).toBe("systemctl enable --now berth-job-web_nightly-cleanup.timer >/dev/null 2>&1");
  });
});
