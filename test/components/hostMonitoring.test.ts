// HostMonitoring on its own (public mock API): one public delivery of the agent's config, the host
// check and its units, with the agent's install, config load and timer after the files.
import { beforeEach, describe, expect, it } from "vitest";
import { HostMonitoring } from "../../components/hostMonitoring";
import { renderBundle } from "../../components/render/bundle";
import { monitoringAfter, monitoringFiles } from "../../components/render/monitoring";
import { watchedMounts } from "../../lib/hostMetrics";
import { FAKE_TARGET, mockComponents, type ComponentMocks } from "../helpers/componentMocks";

const settings = { stack: "test", mounts: watchedMounts({ dataVolume: false }), intervalSeconds: 60, nginx: true, registryUrl: "http://127.0.0.1:5000/v2/" };

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("HostMonitoring", () => {
  it("delivers the rendered files in one public bundle after cloud-init, re-run on a new host", async () => {
    new HostMonitoring(
      "monitoring",
      { target: FAKE_TARGET, settings, deployLogGroup: "/berth/test/deploy", metricsLogGroup: "/berth/test/host-metrics", dependsOn: [] },
      m.opts,
    );
    await m.settle();
    const [cmd] = m.ofType("command:remote:Command");
    expect(cmd.name).toBe("monitoring-files-apply");
    const files = monitoringFiles({ ...settings, deployLogGroup: "/berth/test/deploy", metricsLogGroup: "/berth/test/host-metrics" });
    expect(cmd.inputs.stdin).toBe(renderBundle(files, { label: "monitoring-files", mode: "install", after: monitoringAfter() }));
    expect(cmd.inputs.triggers).toEqual([FAKE_TARGET.hostId]);
    expect(files.map((f) => f.path)).toEqual([
      "/etc/berth/cloudwatch-agent.json",
      "/usr/local/lib/berth/berth-host-check",
      "/etc/systemd/system/berth-host-check.service",
      "/etc/systemd/system/berth-host-check.timer",
    ]);
  });
});
