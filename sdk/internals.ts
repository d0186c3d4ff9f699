// The one place Berth touches @pulumi/pulumi internals (modules and functions the SDK does not
// export as public API). Everything else uses the public API.
//
// Checked against @pulumi/pulumi 3.248.x; package.json pins `~3.248.0` so an SDK update is a
// deliberate change: run the whole test suite (test/sdk/internals.test.ts pins this adapter to the SDK) before
// widening the range.
//   - runtime/config.isConfigSecret: which config keys are secrets (what Config.getSecret uses).
//   - runtime/settings.getMonitor / waitForRPCs: the mock monitor the offline engine records from.
//   - runtime/rpc.deserializeProperties: resource inputs as the engine receives them, secrets kept.
/* eslint-disable @typescript-eslint/no-require-imports */

/** True when the running stack stores `key` (namespace:key) as a secret. */
export function isConfigSecret(key: string): boolean {
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtimeConfig.isConfigSecret !== "function")
    throw new Error("@pulumi/pulumi no longer exposes runtime/config.isConfigSecret; update sdk/internals.ts");
  return runtimeConfig.isConfigSecret(key);
}

/** A resource registration as the monitor receives it (the protobuf request's getters). */
export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getIgnorechangesList(): string[];
  getProtect(): boolean;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getReplaceonchangesList(): string[];
  /** `urn::id` of the provider, or "". */
  getProvider(): string;
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getObject(): unknown;
  /** The resource's aliases (its former identities), as the SDK sends them to a monitor that supports alias specs. */
  getAliasesList(): AliasRequest[];
  /** Alias URNs, as the SDK sends them to a monitor without alias specs. */
  getAliasurnsList(): string[];
}

/** One alias of a registration: a whole URN, or a spec whose empty fields mean "the same as the resource's". */
export interface AliasRequest {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}
interface RegisterResponse {
  getUrn(): string;
}

/** The slice of the mock monitor the offline engine uses. */
export interface MockMonitorLike {
  registerResource(req: RegisterRequest, cb: (err: unknown, res: RegisterResponse | undefined) => void): Promise<void>;
  getRegisteredResources(): Map<string, { urn: string; id: string | null; state: unknown }>;
}

/** The monitor `setMocks` installed. */
export function mockMonitor(): MockMonitorLike {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor?: () => unknown };
  const monitor = settings.getMonitor?.() as Partial<MockMonitorLike> | undefined;
  if (!monitor || typeof monitor.registerResource !== "function" || typeof monitor.getRegisteredResources !== "function") {
    throw new Error("@pulumi/pulumi's mock monitor no longer has registerResource/getRegisteredResources; update sdk/internals.ts");
  }
  return monitor as MockMonitorLike;
}

/** Calls `inspect(request)` before the monitor (and so the mocks' newResource) sees each registration. */
export function beforeRegister(monitor: MockMonitorLike, inspect: (req: RegisterRequest) => void): void {
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inspect(req);
    return original(req, cb);
  };
}

/** Calls `record(urn, request)` for every resource the monitor registers successfully. */
export function onRegister(monitor: MockMonitorLike, record: (urn: string, req: RegisterRequest) => void): void {
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    original(req, (err, res) => {
      if (!err && res) record(res.getUrn(), req);
      cb(err, res);
    });
}

/** Waits for every outstanding resource RPC of the program (a no-op where the SDK has no such hook). */
export async function waitForRPCs(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  await settings.waitForRPCs?.();
}

/** Resource inputs as plain values; unknowns kept, secrets kept as Pulumi's secret objects. */
export function deserializeInputs(obj: unknown): Record<string, unknown> {
  // 3.248 takes (struct, keepUnknowns) and always keeps secrets as Pulumi's secret objects, which
  // the offline plan relies on (test/sdk/internals.test.ts checks it).
  const rpc = require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties?: (o: unknown, keepUnknowns?: boolean) => Record<string, unknown> };
  if (typeof rpc.deserializeProperties !== "function")
    throw new Error("@pulumi/pulumi no longer exposes runtime/rpc.deserializeProperties; update sdk/internals.ts");
  return rpc.deserializeProperties(obj, true);
}
