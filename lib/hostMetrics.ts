// The host's metrics, named once: what the CloudWatch agent publishes (namespace CWAgent) and what
// Berth's host check publishes (namespace Berth). The agent's config renderer, the host check
// script's renderer and the alarms all read these, so an alarm's namespace, metric name and
// dimensions are what the host sends by construction (test/lib/hostMetrics.test.ts and the
// host check's integration test compare them). Pure: no Pulumi, no I/O.
import { DATA_VOLUME_MOUNT as DATA_VOLUME_PATH } from "./dataVolume";

/** The agent's namespace (its default): disk and memory. */
export const AGENT_NAMESPACE = "CWAgent";
/** Berth's own host metrics: services up, certificate expiry, container restarts, deploy failures. */
export const BERTH_NAMESPACE = "Berth";

/**
 * A disk the agent watches. The agent's disk metrics carry `path`, `device` and `fstype`; Berth
 * drops the device (`drop_device`: NVMe names differ between instance types) and pins the file
 * system type, so an alarm can name every dimension before the host exists.
 */
export interface DiskMount {
  /** Mount point, e.g. "/". */
  readonly path: string;
  /** File system type the agent reports for it, e.g. "ext4" (Ubuntu's root). */
  readonly fstype: string;
}

/** The root file system of Ubuntu's cloud images. */
export const ROOT_MOUNT: DiskMount = { path: "/", fstype: "ext4" };
/** The data volume (berth:host.dataVolume, when it exists): Berth makes its filesystem ext4 (lib/dataVolume.ts). */
export const DATA_VOLUME_MOUNT: DiskMount = { path: DATA_VOLUME_PATH, fstype: "ext4" };

/**
 * The mounts whose used space is watched: `/` always, the data volume when there is one. The one
 * list both the agent's config and the disk alarms are built from.
 */
export function watchedMounts(options: { readonly dataVolume: boolean }): DiskMount[] {
  return options.dataVolume ? [ROOT_MOUNT, DATA_VOLUME_MOUNT] : [ROOT_MOUNT];
}

/** What the agent adds to every metric it publishes: the instance id (and, with it, no `host` dimension). */
export const AGENT_APPEND_DIMENSIONS = { InstanceId: "${aws:InstanceId}" } as const;

/** A metric as CloudWatch stores it: namespace, name and the full set of dimensions. */
export interface MetricId<T = string> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, T>>;
}

/** The agent's `disk` measurement Berth collects and the metric name it becomes (`disk_<measurement>`). */
export const DISK_MEASUREMENT = "used_percent";
/** The agent's `mem` measurement Berth collects (`mem_<measurement>`). */
export const MEM_MEASUREMENT = "used_percent";

/** disk_used_percent of one mount, as the agent publishes it. */
export function diskUsedMetric<T>(instanceId: T, mount: DiskMount): MetricId<T | string> {
  return { namespace: AGENT_NAMESPACE, metricName: `disk_${DISK_MEASUREMENT}`, dimensions: { InstanceId: instanceId, path: mount.path, fstype: mount.fstype } };
}

/** mem_used_percent of the host, as the agent publishes it. */
export function memUsedMetric<T>(instanceId: T): MetricId<T> {
  return { namespace: AGENT_NAMESPACE, metricName: `mem_${MEM_MEASUREMENT}`, dimensions: { InstanceId: instanceId } };
}

/** One of Berth's own host metrics: its name and the names of its dimensions, in order. */
export interface BerthMetric {
  readonly name: string;
  readonly dimensions: readonly string[];
  /** CloudWatch unit of the values. */
  readonly unit: "None" | "Count";
}

/** 1 when a service answers, 0 when it does not (one series per Service: docker, nginx, registry). */
export const SERVICE_UP: BerthMetric = { name: "ServiceUp", dimensions: ["Stack", "Service"], unit: "None" };
/** Whole days until a served certificate expires (negative once expired); one series per Certificate. */
export const CERTIFICATE_DAYS_TO_EXPIRY: BerthMetric = { name: "CertificateDaysToExpiry", dimensions: ["Stack", "Certificate"], unit: "None" };
/** Restarts of the host's containers (Docker restart policy) since the previous check. */
export const CONTAINER_RESTARTS: BerthMetric = { name: "ContainerRestarts", dimensions: ["Stack"], unit: "Count" };
/** Failed deploys, rollbacks and restarts (deploy log lines with `"result": "failed"`) since the previous check. */
export const DEPLOY_FAILURES: BerthMetric = { name: "DeployFailures", dimensions: ["Stack"], unit: "Count" };

/** Every metric the host check publishes. */
export const BERTH_METRICS: readonly BerthMetric[] = [SERVICE_UP, CERTIFICATE_DAYS_TO_EXPIRY, CONTAINER_RESTARTS, DEPLOY_FAILURES];

/** The services the host check probes. */
export type CheckedService = "docker" | "nginx" | "registry";

/** The label of the served certificate in CERTIFICATE_DAYS_TO_EXPIRY's `Certificate` dimension. */
export const SERVED_CERTIFICATE = "served";

/** A Berth metric with its dimension values; throws when a dimension is missing or extra. */
export function berthMetric<T>(metric: BerthMetric, values: Readonly<Record<string, T>>): MetricId<T> {
  const given = Object.keys(values).sort();
  const wanted = [...metric.dimensions].sort();
  if (given.join(",") !== wanted.join(",")) throw new Error(`${metric.name}: dimensions ${given.join(",")} given, ${wanted.join(",")} wanted`);
  return { namespace: BERTH_NAMESPACE, metricName: metric.name, dimensions: values };
}

/**
 * Error lines in one app's log group, counted by a CloudWatch Logs metric filter (lib/alerts.ts
 * appLogFilters). A filter on unstructured lines cannot publish dimensions (only JSON and
 * space-delimited patterns can), so the stack and the app travel in the metric's name:
 * `AppLogErrors/<stack>/<app>` in the Berth namespace, without dimensions.
 */
export function appLogErrorsMetric(stack: string, app: string): MetricId<never> {
  return { namespace: BERTH_NAMESPACE, metricName: `AppLogErrors/${stack}/${app}`, dimensions: {} };
}

/**
 * The UDP address the agent listens on for embedded-metric-format lines (its default port). The
 * agent's single `metrics.namespace` holds only CWAgent, so Berth's own namespace travels in each
 * line's `_aws.CloudWatchMetrics[].Namespace` instead of StatsD.
 */
export const EMF_ADDRESS = { host: "127.0.0.1", port: 25888 } as const;
