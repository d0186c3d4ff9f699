// The host's metrics named once: the agent's config and the alarms agree on every dimension.
import { describe, expect, it } from "vitest";
import {
  AGENT_APPEND_DIMENSIONS,
  BERTH_METRICS,
  berthMetric,
  DATA_VOLUME_MOUNT,
  diskUsedMetric,
  memUsedMetric,
  ROOT_MOUNT,
  SERVICE_UP,
  watchedMounts,
} from "../../lib/hostMetrics";
import { renderAgentConfig, type AgentConfig } from "../../components/render/monitoring";

/**
 * The dimensions the agent publishes a `disk` metric with, read from its config the way the agent
 * builds them: the plugin's own tags (path, device, fstype; device dropped by `drop_device`), then
 * the metrics section's append_dimensions (whose presence also removes the `host` tag).
 */
function publishedDiskDimensions(config: AgentConfig, mount: { path: string; fstype: string }, instanceId: string): Record<string, string> {
  const disk = config.metrics.metrics_collected.disk;
  const tags: Record<string, string> = { path: mount.path, fstype: mount.fstype, ...(disk.drop_device ? {} : { device: "nvme0n1p1" }) };
  const append = Object.fromEntries(Object.entries(config.metrics.append_dimensions).map(([k, v]) => [k, v === "${aws:InstanceId}" ? instanceId : v]));
  return { ...tags, ...append };
}

describe("watchedMounts", () => {
  it("is / alone without a data volume, and adds /srv/berth with one", () => {
    expect(watchedMounts({ dataVolume: false })).toEqual([ROOT_MOUNT]);
    expect(watchedMounts({ dataVolume: true })).toEqual([ROOT_MOUNT, DATA_VOLUME_MOUNT]);
    expect(DATA_VOLUME_MOUNT.path).toBe("/srv/berth");
  });
});

describe("one source for the agent's config and the alarms", () => {
  for (const dataVolume of [false, true]) {
    it(`disk alarms name exactly the dimensions the agent publishes (data volume ${dataVolume})`, () => {
      const mounts = watchedMounts({ dataVolume });
      const config = JSON.parse(
        renderAgentConfig({ stack: "prod", mounts, intervalSeconds: 60, deployLogGroup: "/b/p/deploy", metricsLogGroup: "/b/p/m", nginx: true }),
      ) as AgentConfig;
      expect(config.metrics.metrics_collected.disk.resources).toEqual(mounts.map((m) => m.path));
      for (const mount of mounts) {
        const alarm = diskUsedMetric("i-0abc", mount);
        expect(alarm.namespace).toBe(config.metrics.namespace);
        expect(alarm.metricName).toBe(`disk_${config.metrics.metrics_collected.disk.measurement[0]}`);
        expect(alarm.dimensions).toEqual(publishedDiskDimensions(config, mount, "i-0abc"));
      }
      const mem = memUsedMetric("i-0abc");
      expect(mem.metricName).toBe(`mem_${config.metrics.metrics_collected.mem.measurement[0]}`);
      expect(mem.dimensions).toEqual({ InstanceId: "i-0abc" });
      expect(config.metrics.append_dimensions).toEqual(AGENT_APPEND_DIMENSIONS);
    });
  }
});

describe("Berth's own metrics", () => {
  it("start with the Stack dimension and are in the Berth namespace", () => {
    for (const m of BERTH_METRICS) expect(m.dimensions[0]).toBe("Stack");
    expect(berthMetric(SERVICE_UP, { Stack: "prod", Service: "nginx" })).toEqual({
      namespace: "Berth",
      metricName: "ServiceUp",
      dimensions: { Stack: "prod", Service: "nginx" },
    });
  });

  it("refuses a missing or extra dimension", () => {
    expect(() => berthMetric(SERVICE_UP, { Stack: "prod" })).toThrow(/Service/);
    expect(() => berthMetric(SERVICE_UP, { Stack: "prod", Service: "x", Extra: "y" })).toThrow(/Extra/);
  });
});
