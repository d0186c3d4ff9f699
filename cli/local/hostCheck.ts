// The host check in the rehearsal: the very script the stack delivers to the host (rendered by
// components/render/monitoring.ts from the stack's config, as wiring/args.ts hands it over), run
// once against the rehearsal's nginx, registry, Docker Engine, served certificate and deploy log.
// Its lines go to a UDP port on loopback, where the CloudWatch agent listens on the host.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderHostCheck } from "../../components/render/monitoring";
import { HOST_PATHS, reroot } from "../../components/render/paths";
import { deployLogGroupName, hostMetricsLogGroupName } from "../../components/alerts";
import { EMF_ADDRESS } from "../../lib/hostMetrics";
import { hostMonitoringSettings } from "../../wiring/args";
import { requireBinary, run, type RunResult } from "./procs";
import { rehearsalConfig, type RehearsalState } from "./rehearsal";

/** The registry's /v2/ in the rehearsal (its own TLS port, or plain behind nginx), or "" without one. */
export function rehearsalRegistryUrl(state: Pick<RehearsalState, "registryMode" | "registryPort">): string {
  if (state.registryMode === "off") return "";
  return `${state.registryMode === "direct" ? "https" : "http"}://127.0.0.1:${state.registryPort}/v2/`;
}

/** The check's BERTH_CHECK_* settings for this rehearsal: its files under <dir>, its own state, this UDP port. */
export function rehearsalCheckEnv(state: RehearsalState, emfPort: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOCKER_HOST: state.dockerHost,
    BERTH_CHECK_EMF_HOST: EMF_ADDRESS.host,
    BERTH_CHECK_EMF_PORT: String(emfPort),
    BERTH_CHECK_NGINX_PID: state.nginx.pidFile,
    BERTH_CHECK_REGISTRY_URL: rehearsalRegistryUrl(state),
    BERTH_CHECK_CERTIFICATE: reroot(state.dir, HOST_PATHS.tlsCertificate),
    BERTH_CHECK_DEPLOY_LOG: reroot(state.dir, HOST_PATHS.deployLog),
    BERTH_CHECK_STATE_DIR: path.join(state.dir, "rehearsal", "host-check"),
  };
}

/** Writes the stack's host check under <dir>/rehearsal and runs it once; its stdout holds the lines it sent. */
export async function runHostCheck(state: RehearsalState, emfPort: number = EMF_ADDRESS.port): Promise<RunResult> {
  const config = rehearsalConfig(state, state.projectDir);
  const script = path.join(state.dir, "rehearsal", "berth-host-check");
  fs.writeFileSync(
    script,
    renderHostCheck({ ...hostMonitoringSettings(config), deployLogGroup: deployLogGroupName(config), metricsLogGroup: hostMetricsLogGroupName(config) }),
    { mode: 0o755 },
  );
  return run(requireBinary("bash"), [script], { env: rehearsalCheckEnv(state, emfPort), timeoutMs: 60_000 });
}
