// Pure renderer: the host side of the alerts. The CloudWatch agent's config file (disk and memory
// into CWAgent, the deploy log into its CloudWatch Logs group, an embedded-metric-format listener
// on loopback), Berth's host check (a bash script on a one-minute systemd timer that probes Docker,
// nginx, the registry and the served certificate, counts container restarts and failed deploys,
// and sends each figure to that listener as one UDP line in namespace Berth: the host needs no AWS
// client), its units, and the shell lines that install the agent from AWS's signed package.
// Metric names and dimensions come from lib/hostMetrics.ts, the alarms' own source.
import {
  AGENT_APPEND_DIMENSIONS,
  AGENT_NAMESPACE,
  BERTH_METRICS,
  BERTH_NAMESPACE,
  CERTIFICATE_DAYS_TO_EXPIRY,
  CONTAINER_RESTARTS,
  DEPLOY_FAILURES,
  DISK_MEASUREMENT,
  EMF_ADDRESS,
  MEM_MEASUREMENT,
  SERVED_CERTIFICATE,
  SERVICE_UP,
  type BerthMetric,
  type DiskMount,
} from "../../lib/hostMetrics";
import { enableUnits, failWith, reloadSystemd, singleQuote } from "./hostCommands";
import { HOST_PATHS, type HostFile } from "./paths";

/** Where the monitoring files live on the host. */
export const MONITORING_PATHS = {
  /** Berth's rendered agent config; `fetch-config` copies it into the agent's own directory. */
  agentConfig: "/etc/berth/cloudwatch-agent.json",
  agentCtl: "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
  hostCheck: "/usr/local/lib/berth/berth-host-check",
  /** The check's memory between runs: restart counts and how far it read the deploy log. */
  hostCheckState: "/var/lib/berth/host-check",
} as const;

/** The check's systemd units. */
export const HOST_CHECK_UNITS = ["berth-host-check.service", "berth-host-check.timer"] as const;

export interface MonitoringInput {
  readonly stack: string;
  /** The mounts whose used space the agent reports (lib/hostMetrics watchedMounts). */
  readonly mounts: readonly DiskMount[];
  /** Seconds between the agent's samples (berth:alerts.agentIntervalSeconds). */
  readonly intervalSeconds: number;
  /** CloudWatch Logs group of the deploy log. */
  readonly deployLogGroup: string;
  /** CloudWatch Logs group the embedded-metric lines are kept in (short retention). */
  readonly metricsLogGroup: string;
  /** nginx runs on the host (berth:proxy.enabled). */
  readonly nginx: boolean;
  /** The registry's /v2/ address on the host, or undefined without a registry. */
  readonly registryUrl?: string;
}

/** The part of the agent's config file format Berth writes. */
export interface AgentConfig {
  readonly agent: { readonly metrics_collection_interval: number; readonly run_as_user: string };
  readonly metrics: {
    readonly namespace: string;
    readonly append_dimensions: Readonly<Record<string, string>>;
    readonly metrics_collected: {
      readonly disk: { readonly resources: string[]; readonly measurement: string[]; readonly drop_device: boolean };
      readonly mem: { readonly measurement: string[] };
    };
  };
  readonly logs: {
    readonly logs_collected: {
      readonly files: { readonly collect_list: Array<{ readonly file_path: string; readonly log_group_name: string; readonly log_stream_name: string }> };
    };
    readonly metrics_collected: { readonly emf: { readonly service_address: string } };
  };
}

/** The agent's JSON config (the keys of the agent's documented config file format). */
export function renderAgentConfig(input: MonitoringInput): string {
  const config: AgentConfig = {
    agent: { metrics_collection_interval: input.intervalSeconds, run_as_user: "root" },
    metrics: {
      namespace: AGENT_NAMESPACE,
      append_dimensions: AGENT_APPEND_DIMENSIONS,
      metrics_collected: {
        disk: { resources: input.mounts.map((m) => m.path), measurement: [DISK_MEASUREMENT], drop_device: true },
        mem: { measurement: [MEM_MEASUREMENT] },
      },
    },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: HOST_PATHS.deployLog,
              log_group_name: input.deployLogGroup,
              log_stream_name: "{instance_id}",
            },
          ],
        },
      },
      metrics_collected: { emf: { service_address: `udp:${EMF_ADDRESS.host}:${EMF_ADDRESS.port}` } },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A bash function per Berth metric: `metric_<Name> VALUE [DIMENSION VALUES after Stack...]`. */
function metricFunction(m: BerthMetric): string {
  if (m.dimensions[0] !== "Stack") throw new Error(`${m.name}: Berth metrics start with the Stack dimension`);
  const rest = m.dimensions.slice(1).map((d, i) => ` "${d}=$${i + 2}"`);
  return `metric_${m.name}() { emit ${m.name} ${m.unit} "$1" "Stack=$STACK"${rest.join("")}; }`;
}

/** The host check: one run probes everything once and sends one line per figure. */
export function renderHostCheck(input: MonitoringInput): string {
  if (!/^[A-Za-z0-9._-]+$/.test(input.stack)) throw new Error(`host check: bad stack name ${input.stack}`);
  const q = singleQuote;
  return [
    "#!/usr/bin/env bash",
    "# Berth host check, rendered by components/render/monitoring.ts; run each minute by berth-host-check.timer.",
    `# Sends each figure as one embedded-metric-format line (namespace ${BERTH_NAMESPACE}) to the CloudWatch`,
    "# agent's UDP listener on loopback: the host needs no AWS client. A probe that cannot decide sends",
    "# nothing, and the alarms on silence fire. The BERTH_CHECK_* variables exist for the tests.",
    "set -uo pipefail",
    `STACK=\${BERTH_CHECK_STACK:-${q(input.stack)}}`,
    `NAMESPACE=${q(BERTH_NAMESPACE)}`,
    `LOG_GROUP=${q(input.metricsLogGroup)}`,
    `EMF_HOST=\${BERTH_CHECK_EMF_HOST:-${EMF_ADDRESS.host}}`,
    `EMF_PORT=\${BERTH_CHECK_EMF_PORT:-${EMF_ADDRESS.port}}`,
    `NGINX_PID=\${BERTH_CHECK_NGINX_PID:-${HOST_PATHS.nginxPid}}`,
    `CHECK_NGINX=${input.nginx ? 1 : 0}`,
    `REGISTRY_URL=\${BERTH_CHECK_REGISTRY_URL:-${q(input.registryUrl ?? "")}}`,
    `CERTIFICATE=\${BERTH_CHECK_CERTIFICATE:-${HOST_PATHS.tlsCertificate}}`,
    `DEPLOY_LOG=\${BERTH_CHECK_DEPLOY_LOG:-${HOST_PATHS.deployLog}}`,
    `STATE_DIR=\${BERTH_CHECK_STATE_DIR:-${MONITORING_PATHS.hostCheckState}}`,
    'mkdir -p "$STATE_DIR"',
    "",
    "# emit METRIC UNIT VALUE NAME=VALUE...: one line to the agent (and to the journal).",
    "emit() {",
    '  local metric=$1 unit=$2 value=$3 names="" dims="" kv',
    "  shift 3",
    '  for kv in "$@"; do',
    '    names+=",\\"${kv%%=*}\\""',
    '    dims+=",\\"${kv%%=*}\\":\\"${kv#*=}\\""',
    "  done",
    "  local line",
    `  line=$(printf '{"_aws":{"Timestamp":%s,"LogGroupName":"%s","CloudWatchMetrics":[{"Namespace":"%s","Dimensions":[[%s]],"Metrics":[{"Name":"%s","Unit":"%s"}]}]}%s,"%s":%s}' \\`,
    '    "$(date +%s%3N)" "$LOG_GROUP" "$NAMESPACE" "${names#,}" "$metric" "$unit" "$dims" "$metric" "$value")',
    '  echo "$line"',
    '  printf \'%s\\n\' "$line" 2>/dev/null >"/dev/udp/$EMF_HOST/$EMF_PORT" || echo "berth-host-check: could not send $metric to $EMF_HOST:$EMF_PORT" >&2',
    "}",
    ...BERTH_METRICS.map(metricFunction),
    "",
    "# Services: 1 when they answer.",
    "if timeout 10 docker info >/dev/null 2>&1; then docker_up=1; else docker_up=0; fi",
    `metric_${SERVICE_UP.name} "$docker_up" docker`,
    'if [ "$CHECK_NGINX" = 1 ]; then',
    '  if [ -s "$NGINX_PID" ] && kill -0 "$(cat "$NGINX_PID")" 2>/dev/null; then up=1; else up=0; fi',
    `  metric_${SERVICE_UP.name} "$up" nginx`,
    "fi",
    'if [ -n "$REGISTRY_URL" ]; then',
    "  code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 \"$REGISTRY_URL\" || true)",
    '  case "$code" in 200 | 401) up=1 ;; *) up=0 ;; esac',
    `  metric_${SERVICE_UP.name} "$up" registry`,
    "fi",
    "",
    "# The served certificate: whole days left (negative once expired).",
    'if end=$(openssl x509 -enddate -noout -in "$CERTIFICATE" 2>/dev/null); then',
    '  end_s=$(date -d "${end#notAfter=}" +%s)',
    "  now_s=$(date +%s)",
    `  metric_${CERTIFICATE_DAYS_TO_EXPIRY.name} "$(( (end_s - now_s) / 86400 ))" ${SERVED_CERTIFICATE}`,
    "fi",
    "",
    "# Container restarts (Docker's restart policy) since the previous run, per container name.",
    'if [ "$docker_up" = 1 ]; then',
    "  declare -A before=()",
    '  if [ -f "$STATE_DIR/restarts" ]; then',
    '    while read -r name count; do before[$name]=$count; done <"$STATE_DIR/restarts"',
    "  fi",
    "  restarts=0",
    '  : >"$STATE_DIR/restarts.new"',
    "  ids=$(docker ps -aq)",
    '  if [ -n "$ids" ]; then',
    "    # shellcheck disable=SC2086 # one id per word",
    "    while read -r name count; do",
    '      echo "$name $count" >>"$STATE_DIR/restarts.new"',
    "      previous=${before[$name]:-0}",
    '      if [ "$count" -gt "$previous" ]; then restarts=$((restarts + count - previous)); fi',
    "    done < <(docker inspect --format '{{.Name}} {{.RestartCount}}' $ids 2>/dev/null)",
    "  fi",
    '  mv -f "$STATE_DIR/restarts.new" "$STATE_DIR/restarts"',
    `  metric_${CONTAINER_RESTARTS.name} "$restarts"`,
    "fi",
    "",
    "# Failed deploys: deploy log lines written since the previous run (the first run starts at the end).",
    'size=$(stat -c %s "$DEPLOY_LOG" 2>/dev/null || echo 0)',
    'offset=$(cat "$STATE_DIR/deploy-log-offset" 2>/dev/null || echo "$size")',
    'if [ "$size" -lt "$offset" ]; then offset=0; fi',
    "failures=0",
    'if [ "$size" -gt "$offset" ]; then',
    '  failures=$(tail -c +"$((offset + 1))" "$DEPLOY_LOG" | head -c "$((size - offset))" | grep -c \'"result": "failed"\' || true)',
    "fi",
    'echo "$size" >"$STATE_DIR/deploy-log-offset"',
    `metric_${DEPLOY_FAILURES.name} "$failures"`,
    "",
  ].join("\n");
}

/** The check's service and its one-minute timer. */
export function renderHostCheckUnits(): Record<(typeof HOST_CHECK_UNITS)[number], string> {
  return {
    "berth-host-check.service": [
      "# Managed by Berth. Probes Docker, nginx, the registry and the certificate; see berth-host-check.",
      "[Unit]",
      "Description=Berth host check",
      "",
      "[Service]",
      "Type=oneshot",
      `ExecStart=${MONITORING_PATHS.hostCheck}`,
      "TimeoutStartSec=50",
      "",
    ].join("\n"),
    "berth-host-check.timer": [
      "# Managed by Berth: the host check every minute (the service-down alarms expect one figure a minute).",
      "[Unit]",
      "Description=Berth host check, every minute",
      "",
      "[Timer]",
      "OnBootSec=1min",
      "OnUnitActiveSec=1min",
      "AccuracySec=5s",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n"),
  };
}

/** The files of the monitoring delivery (all public). */
export function monitoringFiles(input: MonitoringInput): HostFile[] {
  return [
    { path: MONITORING_PATHS.agentConfig, mode: 0o644, content: renderAgentConfig(input), usedBy: [] },
    { path: MONITORING_PATHS.hostCheck, mode: 0o755, content: renderHostCheck(input), usedBy: [] },
    ...Object.entries(renderHostCheckUnits()).map(([unit, content]) => ({ path: `${HOST_PATHS.systemdDir}/${unit}`, mode: 0o644, content, usedBy: [] })),
  ];
}

/** Where AWS publishes the agent for Ubuntu, its signature and its signing key (CloudWatch user guide, "Download the CloudWatch agent package"). */
export const AGENT_PACKAGE = {
  base: "https://s3.amazonaws.com/amazoncloudwatch-agent",
  key: "https://s3.amazonaws.com/amazoncloudwatch-agent/assets/amazon-cloudwatch-agent.gpg",
  /** The fingerprint AWS documents for that key: a download that is signed by anything else is refused. */
  fingerprint: "937616F3450B7D806CBD9725D58167303B789C72",
} as const;

/** Shell lines: install the agent unless present, from AWS's package, verified against the pinned key. */
export function installAgent(): string[] {
  const fail = (m: string): string => failWith(`berth: ${m}`);
  return [
    `if [ ! -x ${singleQuote(MONITORING_PATHS.agentCtl)} ]; then`,
    "  agent_dir=$(mktemp -d /tmp/berth-agent.XXXXXX)",
    '  agent_url="' + AGENT_PACKAGE.base + '/ubuntu/$(dpkg --print-architecture)/latest/amazon-cloudwatch-agent.deb"',
    `  curl -fsSL --retry 3 -o "$agent_dir/agent.deb" "$agent_url" || ${fail("could not download the CloudWatch agent")}`,
    `  curl -fsSL --retry 3 -o "$agent_dir/agent.deb.sig" "$agent_url.sig" || ${fail("could not download the CloudWatch agent's signature")}`,
    `  curl -fsSL --retry 3 -o "$agent_dir/key.gpg" ${singleQuote(AGENT_PACKAGE.key)} || ${fail("could not download the CloudWatch agent's signing key")}`,
    '  mkdir -m 700 "$agent_dir/gnupg"',
    '  GNUPGHOME="$agent_dir/gnupg" gpg --batch --quiet --import "$agent_dir/key.gpg" 2>/dev/null',
    `  GNUPGHOME="$agent_dir/gnupg" gpg --batch --status-fd 1 --verify "$agent_dir/agent.deb.sig" "$agent_dir/agent.deb" 2>/dev/null | grep -q "^\\[GNUPG:\\] VALIDSIG ${AGENT_PACKAGE.fingerprint} " || ${fail(`the CloudWatch agent package is not signed by AWS's key ${AGENT_PACKAGE.fingerprint}; not installed`)}`,
    '  dpkg -i "$agent_dir/agent.deb" >/dev/null',
    '  rm -rf "$agent_dir"',
    "fi",
  ];
}

/** Shell lines after the files: the agent installed and loaded with Berth's config, the check's timer on. */
export function monitoringAfter(): string[] {
  return [
    ...installAgent(),
    `${singleQuote(MONITORING_PATHS.agentCtl)} -a fetch-config -m ec2 -s -c ${singleQuote(`file:${MONITORING_PATHS.agentConfig}`)} >/dev/null`,
    reloadSystemd(),
    enableUnits(["berth-host-check.timer"], { now: true, quiet: true }),
  ];
}
