// The contract between the TypeScript side and the deploy program on the host (host/berth-deploy),
// stated once. The renderer writes these patterns and the command list into apps.json, and the
// program validates its arguments with exactly those patterns, so the two sides cannot drift apart
// (test/components/render/deploy.contract.test.ts runs the program's own parser against the rendered file).
// Pure: no Pulumi, no I/O.
import { APP_NAME_MAX } from "./proxyRules";

/** Regular expressions (written so that JavaScript and Python read them alike), as text. */
export const DEPLOY_PATTERNS = {
  /** An app name as the deploy command takes it (berth:proxy.apps[].name). */
  app: `^[a-z][a-z0-9-]{0,${APP_NAME_MAX - 1}}$`,
  /** A registry tag (the distribution spec's tag grammar). */
  tag: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
  /** An environment variable name an app may be given. */
  envName: "^[A-Z_][A-Z0-9_]*$",
} as const;

/** The commands the deploy user (the CI key) may run: the SSH allow-list and the sudoers rule. */
export const DEPLOY_USER_COMMANDS = ["deploy", "rollback", "restart", "status", "logs", "env", "maintenance", "job"] as const;

/** Berth's own Docker network for app containers: a /16 whose addresses follow the color ports. */
export const APPS_NETWORK = { name: "berth-apps", subnet: "172.29.0.0/16", bridge: "berth-apps" } as const;

/** The network's gateway (the host's address on its bridge): the subnet's first address. */
export function networkGateway(subnet: string): string {
  const [a, b] = subnetBase(subnet);
  return `${a}.${b}.0.1`;
}

/**
 * The fixed address of the container behind a color port: the subnet's base plus the port, so each
 * app part and color has its own address for as long as its port stays the same, and ports that
 * config keeps unique give unique addresses. The switch DNATs straight to it.
 */
export function colorAddress(subnet: string, port: number): string {
  const [a, b] = subnetBase(subnet);
  if (!Number.isInteger(port) || port < 2 || port > 65534) throw new Error(`deploy: color port ${port} has no address (2-65534)`);
  return `${a}.${b}.${port >> 8}.${port & 255}`;
}

function subnetBase(subnet: string): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(subnet);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) throw new Error(`deploy: apps network ${subnet} must be a /16 like 172.29.0.0/16`);
  return [Number(m[1]), Number(m[2])];
}
