// Fixed inputs for rendering the shipped stacks in tests: fake PEM text and fixed credentials, so
// the golden files change only when a renderer or a stack file changes.
import { parseConfig, type Config } from "../../config";
import { readStackFile, toRawConfigInput } from "../../offline/stackFile";
import { dataVolumeFiles } from "../../components/render/dataVolume";
import { deployToolingFiles } from "../../components/render/deploy";
import { hostFiles, type HostFilesInput, type HostFilesOptions } from "../../components/render/hostFiles";
import { htpasswdEntry } from "../../components/render/htpasswd";
import { proxiedServedNames } from "../../lib/dnsPlan";
import type { HostFile } from "../../components/render/paths";
import { hasDataVolume } from "../../lib/dataVolume";
import { appLogGroupName } from "../../lib/naming";
import { deployLogGroupName, hostMetricsLogGroupName } from "../../components/alerts";
import { monitoringFiles } from "../../components/render/monitoring";
import { hostMonitoringEnabled, hostMonitoringSettings } from "../../wiring/args";

export const SHIPPED_STACKS = ["dev", "prod", "scale"] as const;

export const FAKE_TLS = {
  certPem: "-----BEGIN CERTIFICATE-----\nRkFLRSBDRVJUSUZJQ0FURQ==\n-----END CERTIFICATE-----\n",
  keyPem: "-----BEGIN PRIVATE KEY-----\nRkFLRSBLRVk=\n-----END PRIVATE KEY-----\n",
  caPem: "-----BEGIN CERTIFICATE-----\nRkFLRSBDQQ==\n-----END CERTIFICATE-----\n",
} as const;

export const FIXED_PASSWORD = "golden-password";
/** A bucket name of the shape S3 gives a prefix (the registry's, storage s3). */
export const FIXED_BUCKET = "berth-golden-registry-20260101000000000000000001";
/** Two of Cloudflare's ranges, for the real-IP snippet. */
export const FIXED_CLOUDFLARE_RANGES = ["173.245.48.0/20", "2400:cb00::/32"] as const;
export const FIXED_SEED = "golden-salt-key-not-a-real-secret";

export function stackConfig(stack: string): Config {
  return parseConfig(toRawConfigInput(readStackFile(stack)));
}

/** hostFiles input for a stack with the fixed fake material. */
export function fixtureInput(config: Config, options?: HostFilesOptions): HostFilesInput {
  const extraHostAuth: Record<string, string> = {};
  for (const h of config.proxy.extraHosts) {
    if (h.basicAuthUser) extraHostAuth[h.hostname] = htpasswdEntry(h.basicAuthUser, FIXED_PASSWORD, FIXED_SEED);
  }
  return {
    config,
    tls: FAKE_TLS,
    registry: { username: config.registry.username, htpasswdLine: htpasswdEntry(config.registry.username, FIXED_PASSWORD, FIXED_SEED) },
    extraHostAuth,
    ...(config.registry.storage === "s3" ? { registryBucket: { bucket: FIXED_BUCKET, region: config.region } } : {}),
    ...(proxiedServedNames(config).length > 0 ? { realIp: { names: proxiedServedNames(config), ranges: FIXED_CLOUDFLARE_RANGES } } : {}),
    ...(options ? { options } : {}),
  };
}

export function stackFiles(stack: string, options?: HostFilesOptions): HostFile[] {
  return hostFiles(fixtureInput(stackConfig(stack), options));
}

export function fileAt(files: readonly HostFile[], path: string): HostFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no rendered file ${path}; have: ${files.map((x) => x.path).join(", ")}`);
  return f;
}

/** A fixed deploy key and a stand-in for the program text (the program is host/berth-deploy itself). */
export const FAKE_DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEZBS0UgREVQTE9ZIEtFWSBGT1IgR09MREVOIEZJTEVT";
export const PROGRAM_STAND_IN = "#!/usr/bin/python3 -I\n# host/berth-deploy (not repeated in the golden files)\n";

/** The CloudWatch agent's config and the host check of a stack with berth:alerts on or apps on the host (none otherwise), as wiring/args.ts hands them over. */
export function stackMonitoringFiles(stack: string): HostFile[] {
  const config = stackConfig(stack);
  if (!hostMonitoringEnabled(config)) return [];
  return monitoringFiles({ ...hostMonitoringSettings(config), deployLogGroup: deployLogGroupName(config), metricsLogGroup: hostMetricsLogGroupName(config) });
}

/** The deploy tooling's public files for a stack (fixed key, program stand-in), apps logging to CloudWatch as on AWS. */
export function stackDeployFiles(stack: string): HostFile[] {
  const config = stackConfig(stack);
  const groups = Object.fromEntries(config.proxy.apps.map((a) => [a.name, appLogGroupName(config, a.name)]));
  const logs = { driver: "awslogs", region: config.region, groups } as const;
  return deployToolingFiles({ config, program: PROGRAM_STAND_IN, deployPublicKey: FAKE_DEPLOY_KEY, options: { logs } });
}

/** A volume id of the shape EC2 gives (the data volume's). */
export const FIXED_VOLUME_ID = "vol-0123456789abcdef0";
/** A stand-in for the data volume step's text (the step is host/data-volume.sh itself, checked by shellcheck and on a loop device). */
export const DATA_VOLUME_STEP_STAND_IN = "#!/usr/bin/env bash\n# host/data-volume.sh (not repeated in the golden files)\n";

/** The data volume's files for a stack that has one (fixed volume id, step stand-in); [] otherwise. */
export function stackDataVolumeFiles(stack: string): HostFile[] {
  return hasDataVolume(stackConfig(stack)) ? dataVolumeFiles(FIXED_VOLUME_ID, DATA_VOLUME_STEP_STAND_IN) : [];
}
