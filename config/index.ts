// Berth configuration: the schema of every `berth:` key, its defaults, and validation.
//
// `parseConfig` is pure (raw key/value map in, typed Config or ConfigError out) so it can be
// table-tested without Pulumi; `loadConfig` is the thin shell that reads the Pulumi runtime.
// Every difference between dev and prod is a value here, never a code branch.
//
//   schema.ts          every key: type, default, why          errors.ts   ConfigError and its messages
//   input.ts           what validation reads                  validate/   cross-field and API rules
import * as pulumi from "@pulumi/pulumi";
import { isConfigSecret } from "../sdk/internals";
import { ConfigError, suggest, zodProblems, type ConfigProblem } from "./errors";
import { CONFIG_NAMESPACE, isStandIn, type RawConfigInput } from "./input";
import { APP_SECRETS_KEY, RawSchema, REGION, SECRET_KEYS, SECTIONS, type Config, type SecretKey } from "./schema";
import { validateAlerts } from "./validate/alerts";
import { parseAppSecrets, validateAppRuntime, type AppSecrets } from "./validate/apps";
import { validateCloud, validateDataVolume } from "./validate/cloud";
import { splitApps, validateCluster, validateTaskSubnets, withConfigIndexes } from "./validate/cluster";
import { validateDns } from "./validate/dns";
import { validateHostLayer } from "./validate/hostLayer";
import { validateNameLengths, validateRealNames } from "./validate/names";
import { validateSecrets, validateTlsSecrets } from "./validate/secrets";
import { validateVolumesAndJobs } from "./validate/volumesJobs";

export { ConfigError, formatProblem, type ConfigProblem } from "./errors";
export { CONFIG_NAMESPACE, type RawConfigInput } from "./input";
export { AMI_ID, configKeys, nestedConfigKeys, DB_INSTANCE_CLASS, INSTANCE_TYPE, SECRET_KEYS, type Config, type SecretKey } from "./schema";

/** Pure: validates and resolves a stack's configuration. Throws ConfigError listing every problem. */
export function parseConfig(input: RawConfigInput): Config {
  const problems: ConfigProblem[] = [];
  const add = (p: ConfigProblem): void => {
    problems.push(p);
  };
  if (!input.region || !REGION.test(input.region)) {
    add({ key: "aws:region", value: input.region, message: "must be an AWS region like ap-northeast-2" });
  }
  const sectionValues: Record<string, unknown> = {};
  const secrets: Partial<Record<SecretKey, string>> = {};
  let appSecrets: AppSecrets = {};
  for (const [key, text] of Object.entries(input.values)) {
    if (key === APP_SECRETS_KEY) {
      if (!input.secretKeys.has(key))
        add({
          key: `berth:${key}`,
          value: "(hidden)",
          message: `must be stored encrypted: pulumi config set --secret --path 'berth:${key}.<app>.<NAME>' <value>`,
        });
      else appSecrets = parseAppSecrets(text, add);
      continue;
    }
    if ((SECRET_KEYS as readonly string[]).includes(key)) {
      if (!input.secretKeys.has(key)) {
        add({ key: `berth:${key}`, value: "(hidden)", message: `must be stored encrypted: pulumi config set --secret berth:${key} <value>` });
      } else if (text.length > 0) secrets[key as SecretKey] = text;
      continue;
    }
    if (key in SECTIONS) {
      try {
        sectionValues[key] = JSON.parse(text);
      } catch {
        add({ key: `berth:${key}`, value: text, message: "must be an object (a YAML mapping under the key)" });
      }
      continue;
    }
    const allowed = [...Object.keys(SECTIONS), ...SECRET_KEYS, APP_SECRETS_KEY];
    add({
      key: `berth:${key}`,
      value: input.secretKeys.has(key) ? "(hidden)" : text,
      message: `unknown key${suggest(key, allowed)}; allowed: ${allowed.join(", ")}`,
    });
  }
  const parsed = RawSchema.safeParse(sectionValues);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, sectionValues));
    throw new ConfigError(problems);
  }
  // The host's view holds the host apps only; its validators' keys are mapped back to berth:proxy.apps as written.
  const split = splitApps(parsed.data);
  const raw = split.raw;
  const hostAdd = withConfigIndexes(add, split.hostIndex);
  // Offline, a secure value that could not be read is a stand-in: the provider's rules have nothing to check.
  const offline = (input.target ?? "cloud") === "offline";
  validateSecrets(offline ? Object.fromEntries(Object.entries(secrets).filter(([, v]) => !isStandIn(v))) : secrets, add);
  const network = validateCloud(raw, input.region ?? "", input.now, add);
  validateDataVolume(raw, add);
  validateDns(raw, add);
  validateHostLayer(raw, hostAdd);
  validateAppRuntime(parsed.data, appSecrets, add);
  validateAlerts(raw, input.region ?? "", add);
  validateVolumesAndJobs(raw, hostAdd);
  validateCluster(input.project, input.stack, parsed.data, split, add, (input.target ?? "cloud") === "cloud");
  const taskSubnetCidrs = validateTaskSubnets(parsed.data, network, add);
  validateNameLengths(input, raw, hostAdd);
  if ((input.target ?? "cloud") === "cloud") validateRealNames(raw, hostAdd);
  validateTlsSecrets(raw, input, secrets, add);
  if (input.cloudflareApiToken === "plain") {
    add({
      key: "cloudflare:apiToken",
      value: "(hidden)",
      message: "must be stored encrypted: pulumi config set --secret cloudflare:apiToken <token> (or export CLOUDFLARE_API_TOKEN instead)",
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    project: input.project,
    stack: input.stack,
    region: input.region!,
    ...raw,
    network,
    ...(split.cluster ? { cluster: { ...split.cluster, ...(taskSubnetCidrs ? { taskSubnetCidrs } : {}) } } : {}),
    secrets,
    appSecrets,
  };
}

/**
 * Reads the running stack's configuration from the Pulumi runtime and validates it.
 * Called once by the program before any resource is registered; `target` is "offline" only
 * under the offline engine (see RawConfigInput.target).
 */
export function loadConfig(target: "cloud" | "offline" = "cloud"): Config {
  const all = pulumi.runtime.allConfig();
  const values: Record<string, string> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) values[k.slice(prefix.length)] = v;
  const secretKeys = new Set(Object.keys(values).filter((k) => isConfigSecret(`${prefix}${k}`)));
  return parseConfig({
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    region: all["aws:region"],
    values,
    secretKeys,
    cloudflareApiToken: all["cloudflare:apiToken"] === undefined ? undefined : isConfigSecret("cloudflare:apiToken") ? "secret" : "plain",
    target,
  });
}
