// What validation reads: a stack's `berth:` keys as Pulumi hands them to the program (strings, objects as
// JSON text), which of them are secrets, and where the configuration is going.

/**
 * The namespace of Berth's keys (`berth:network`, ...), whatever the project is called in Pulumi.yaml:
 * the program and the offline tools read the same keys. (Keys written without a namespace belong to
 * the project, as in the Pulumi CLI, so they are Berth's only in a project named berth.)
 */
export const CONFIG_NAMESPACE = "berth";

/** A stack's raw configuration; built by loadConfig (Pulumi runtime) or offline/stackFile.ts (stack files). */
export interface RawConfigInput {
  project: string;
  stack: string;
  /** aws:region */
  region: string | undefined;
  /** All `berth:` keys without the prefix, values as Pulumi stores them (strings; objects as JSON text). */
  values: Record<string, string>;
  /** Keys (without prefix) that were set as secrets. */
  secretKeys: ReadonlySet<string>;
  /** Clock for certificate expiry checks (berth:tlsCertificate); @default the current time. */
  now?: Date;
  /** Whether `cloudflare:apiToken` is set, and how; undefined = not set. */
  cloudflareApiToken?: "secret" | "plain";
  /**
   * Where the configuration is going. "cloud" (a real preview or update) also refuses reserved
   * example names that no real API accepts; "offline" (the mock-engine plan, the rehearsal, tests)
   * allows them so the shipped stacks can show the shape with example.com. @default "cloud"
   */
  target?: "cloud" | "offline";
}

/**
 * What the offline tools (offline/stackFile.ts) put in place of a secure value they cannot read
 * (no passphrase, another secrets provider): visibly marked, e.g. `[stand-in for berth:registryPassword]`,
 * and short enough for bcrypt. Offline validation skips the value rules for it (there is no value to check).
 */
export function standInValue(name: string): string {
  return `[stand-in for ${name}]`;
}

/** Whether `text` is a stand-in made by standInValue. */
export function isStandIn(text: string): boolean {
  return text.startsWith("[stand-in for ") && text.endsWith("]");
}
