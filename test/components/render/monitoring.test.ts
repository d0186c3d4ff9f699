// The host side of the alerts as text: the agent's config (checked against the constraints of the
// agent's own config schema, aws/amazon-cloudwatch-agent translator/config/schema.json, read at
// commit 01c5802b627c3fc1e60ff283f90b7b4104dc03ef; not vendored here), the host check, its units
// and the agent's install lines, pinned as exact text where a change would matter.
import { describe, expect, it } from "vitest";
import {
  AGENT_PACKAGE,
  installAgent,
  monitoringAfter,
  monitoringFiles,
  renderAgentConfig,
  renderHostCheck,
  renderHostCheckUnits,
  type AgentConfig,
  type MonitoringInput,
} from "../../../components/render/monitoring";
import { BERTH_METRICS, watchedMounts } from "../../../lib/hostMetrics";

const input: MonitoringInput = {
  stack: "prod",
  mounts: watchedMounts({ dataVolume: true }),
  intervalSeconds: 60,
  deployLogGroup: "/berth/prod/deploy",
  metricsLogGroup: "/berth/prod/host-metrics",
  nginx: true,
  registryUrl: "http://127.0.0.1:5000/v2/",
};

type Obj = Record<string, unknown>;
/** A JSON object member (an empty object when absent), for a checker that must not trust its input. */
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/** The agent schema's rules for the parts Berth writes (what the agent refuses at fetch-config). */
function agentSchemaProblems(config: Obj): string[] {
  const out: string[] = [];
  const allowed = (where: string, o: Obj, keys: string[]): void => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) out.push(`${where}.${k} is not allowed`);
  };
  const interval = obj(config.agent).metrics_collection_interval;
  if (typeof interval !== "number" || !Number.isInteger(interval) || interval < 1 || interval > 172800)
    out.push("agent.metrics_collection_interval must be an integer 1-172800");
  const m = obj(config.metrics);
  allowed("metrics", m, [
    "namespace",
    "aggregation_dimensions",
    "append_dimensions",
    "metrics_destinations",
    "metrics_collected",
    "force_flush_interval",
    "credentials",
    "endpoint_override",
    "service.name",
    "deployment.environment",
  ]);
  if (typeof m.namespace !== "string" || m.namespace.length < 1 || m.namespace.length > 255) out.push("metrics.namespace must be 1-255 characters");
  const collected = obj(m.metrics_collected);
  if (Object.keys(collected).length < 1) out.push("metrics.metrics_collected is required, with one plugin at least");
  if (Object.keys(obj(m.append_dimensions)).length > 30) out.push("metrics.append_dimensions allows 30 at most");
  for (const [name, plugin] of Object.entries(collected)) {
    const measurement = obj(plugin).measurement;
    if (!Array.isArray(measurement) || measurement.length === 0) out.push(`metrics.metrics_collected.${name}.measurement is required`);
  }
  const resources = obj(collected.disk).resources;
  if (!Array.isArray(resources) || resources.length > 256) out.push("disk.resources must be a list of 256 at most");
  const l = obj(config.logs);
  allowed("logs", l, [
    "logs_collected",
    "metrics_collected",
    "log_stream_name",
    "force_flush_interval",
    "credentials",
    "endpoint_override",
    "service.name",
    "deployment.environment",
    "concurrency",
  ]);
  const list = obj(obj(l.logs_collected).files).collect_list;
  for (const f of (Array.isArray(list) ? list : []).map(obj)) {
    allowed("collect_list[]", f, [
      "file_path",
      "log_group_name",
      "log_stream_name",
      "log_group_class",
      "multi_line_start_pattern",
      "timestamp_format",
      "timezone",
      "trim_timestamp",
      "encoding",
      "auto_removal",
      "backpressure_mode",
      "blacklist",
      "publish_multi_logs",
      "retention_in_days",
      "filters",
    ]);
    if (typeof f.file_path !== "string") out.push("collect_list[].file_path is required");
    for (const k of ["log_group_name", "log_stream_name"]) {
      const v = f[k];
      if (typeof v !== "string" || v.length < 1 || v.length > 512) out.push(`collect_list[].${k} must be 1-512 characters`);
    }
  }
  return out;
}

describe("the agent's config", () => {
  const config = JSON.parse(renderAgentConfig(input)) as Obj;

  it("meets the agent schema's rules for every part Berth writes", () => {
    expect(agentSchemaProblems(config)).toEqual([]);
  });

  it("the checker itself catches what the agent would refuse (self-test)", () => {
    const bad = JSON.parse(renderAgentConfig(input)) as AgentConfig & { metrics: Obj & { metrics_collected: { mem: Obj } } };
    (bad.metrics as Obj).namespaces = "x";
    delete (bad.metrics.metrics_collected.mem as Obj).measurement;
    (bad.logs.logs_collected.files.collect_list[0] as Obj).group = "/x";
    (bad.agent as Obj).metrics_collection_interval = 0;
    expect(agentSchemaProblems(bad as unknown as Obj)).toEqual([
      "agent.metrics_collection_interval must be an integer 1-172800",
      "metrics.namespaces is not allowed",
      "metrics.metrics_collected.mem.measurement is required",
      "collect_list[].group is not allowed",
    ]);
  });

  it("collects disk of every watched mount and memory, ships the deploy log, and listens for embedded metrics on loopback only", () => {
    expect(config).toEqual({
      agent: { metrics_collection_interval: 60, run_as_user: "root" },
      metrics: {
        namespace: "CWAgent",
        append_dimensions: { InstanceId: "${aws:InstanceId}" },
        metrics_collected: {
          disk: { resources: ["/", "/srv/berth"], measurement: ["used_percent"], drop_device: true },
          mem: { measurement: ["used_percent"] },
        },
      },
      logs: {
        logs_collected: {
          files: { collect_list: [{ file_path: "/var/log/berth/deploy.log", log_group_name: "/berth/prod/deploy", log_stream_name: "{instance_id}" }] },
        },
        metrics_collected: { emf: { service_address: "udp:127.0.0.1:25888" } },
      },
    });
  });
});

describe("the host check", () => {
  const script = renderHostCheck(input);

  it("has one function per Berth metric, every one starting with the stack", () => {
    for (const m of BERTH_METRICS) expect(script).toMatch(new RegExp(`^metric_${m.name}\\(\\) \\{ emit ${m.name} ${m.unit} "\\$1" "Stack=\\$STACK"`, "m"));
    expect(script).toContain(`metric_ServiceUp() { emit ServiceUp None "$1" "Stack=$STACK" "Service=$2"; }`);
  });

  it("probes nginx and the registry only where they run", () => {
    const bare = renderHostCheck({ ...input, nginx: false, registryUrl: undefined });
    expect(bare).toContain("CHECK_NGINX=0");
    expect(bare).toContain("REGISTRY_URL=${BERTH_CHECK_REGISTRY_URL:-''}");
    expect(script).toContain("CHECK_NGINX=1");
  });

  it("refuses a stack name that is not safe in its JSON lines", () => {
    expect(() => renderHostCheck({ ...input, stack: 'a"b' })).toThrow(/bad stack name/);
  });

  it("runs every minute through systemd, as a oneshot with a timeout below the period", () => {
    const units = renderHostCheckUnits();
    expect(units["berth-host-check.service"]).toContain("Type=oneshot\nExecStart=/usr/local/lib/berth/berth-host-check\nTimeoutStartSec=50");
    expect(units["berth-host-check.timer"]).toContain("OnUnitActiveSec=1min");
    expect(monitoringFiles(input).map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ["/etc/berth/cloudwatch-agent.json", "644"],
      ["/usr/local/lib/berth/berth-host-check", "755"],
      ["/etc/systemd/system/berth-host-check.service", "644"],
      ["/etc/systemd/system/berth-host-check.timer", "644"],
    ]);
  });
});

describe("the agent's install", () => {
  const lines = installAgent().join("\n");

  it("downloads AWS's package over HTTPS and installs it only when its signature is by AWS's documented key", () => {
    expect(AGENT_PACKAGE.fingerprint).toBe("937616F3450B7D806CBD9725D58167303B789C72");
    expect(lines).toContain(
      'agent_url="https://s3.amazonaws.com/amazoncloudwatch-agent/ubuntu/$(dpkg --print-architecture)/latest/amazon-cloudwatch-agent.deb"',
    );
    expect(lines).toContain(`grep -q "^\\[GNUPG:\\] VALIDSIG ${AGENT_PACKAGE.fingerprint} "`);
    // The check comes before dpkg, and a failed check exits.
    expect(lines.indexOf("VALIDSIG")).toBeLessThan(lines.indexOf("dpkg -i"));
    expect(lines).toMatch(/VALIDSIG .*\|\| \{ echo 'berth: the CloudWatch agent package is not signed by AWS/);
  });

  it("then loads Berth's config and starts the check's timer", () => {
    expect(monitoringAfter().slice(-3)).toEqual([
      "'/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl' -a fetch-config -m ec2 -s -c 'file:/etc/berth/cloudwatch-agent.json' >/dev/null",
      "systemctl daemon-reload",
      "systemctl enable --now berth-host-check.timer >/dev/null 2>&1",
    ]);
  });
});
