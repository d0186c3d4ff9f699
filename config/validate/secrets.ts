// Secret values: the rules RDS and the registry enforce on passwords, and a provided certificate and key
// checked against the served names and the clock. Values are never echoed: problems show "(hidden)".
import { rdsPasswordProblems } from "../../lib/apiRules";
import { servedNames, validateProvidedTls } from "../../lib/certificates";
import { registryPasswordProblem } from "../../lib/credentials";
import type { ConfigProblem } from "../errors";
import type { RawConfigInput } from "../input";
import type { Raw, SecretKey } from "../schema";

/** Rules the providers enforce on secret values, checked here so `pulumi up` never fails halfway. */
export function validateSecrets(secrets: Partial<Record<SecretKey, string>>, add: (p: ConfigProblem) => void): void {
  const db = secrets.databasePassword;
  if (db !== undefined) for (const message of rdsPasswordProblems(db)) add({ key: "berth:databasePassword", value: "(hidden)", message });
  const reg = secrets.registryPassword;
  const regProblem = reg === undefined ? undefined : registryPasswordProblem(reg);
  if (regProblem !== undefined) add({ key: "berth:registryPassword", value: "(hidden)", message: regProblem });
}

/**
 * berth:tlsCertificate / berth:tlsPrivateKey: required by (and only by) mode provided; then the
 * chain and key are checked against the served names and `now` before any resource exists.
 */
export function validateTlsSecrets(raw: Raw, input: RawConfigInput, secrets: Partial<Record<SecretKey, string>>, add: (p: ConfigProblem) => void): void {
  const keys = [
    ["tlsCertificate", "pulumi config set --secret berth:tlsCertificate < fullchain.pem"],
    ["tlsPrivateKey", "pulumi config set --secret berth:tlsPrivateKey < privkey.pem"],
  ] as const;
  if (raw.tls.mode !== "provided") {
    for (const [k] of keys) {
      if (input.values[k] !== undefined)
        add({
          key: `berth:${k}`,
          value: "(hidden)",
          message: `is set but berth:tls.mode is ${raw.tls.mode}, which ignores it; remove it (pulumi config rm berth:${k}) or set mode: provided`,
        });
    }
    return;
  }
  for (const [k, how] of keys) {
    if (input.values[k] === undefined || input.values[k] === "")
      add({ key: `berth:${k}`, value: undefined, message: `is required for berth:tls.mode provided: ${how}` });
  }
  if (secrets.tlsCertificate === undefined || secrets.tlsPrivateKey === undefined) return;
  for (const p of validateProvidedTls({
    certificatePem: secrets.tlsCertificate,
    privateKeyPem: secrets.tlsPrivateKey,
    names: servedNames(raw),
    minRemainingDays: raw.tls.minRemainingDays,
    now: input.now ?? new Date(),
  }))
    add(p);
}
