// The stack outputs Berth builds rather than reads: command lines and URLs, as pure functions of
// plain values, every word quoted by the one shell rule (components/render/hostCommands.ts). berth.ts applies them to the components' Outputs; test/wiring/outputs.test.ts pins
// the exact strings, since people paste them into a shell.
import { shellJoin, shellQuote } from "../components/render/hostCommands";
import type { Naming } from "../lib/naming";

/** File the admin's private key is saved to by `sshCommand`: `<project>-<stack>.pem`. */
export function sshKeyFile(naming: Naming): string {
  return `${naming.project}-${naming.stack}.pem`;
}

/** What `sshCommand` needs. */
export interface SshCommandInput {
  /** The stack to read the key from. */
  readonly stack: string;
  /** Where the key is saved (see sshKeyFile). */
  readonly keyFile: string;
  /** sshd's port; 22 adds no -p flag. */
  readonly port: number;
  /** The AMI's admin login. */
  readonly user: string;
  /** The host's public IP. */
  readonly ip: string;
}

/**
 * The shell line that saves the admin key from the stack and logs in with it. Not secret: it tells
 * how to fetch the key, it does not contain it.
 */
export function sshCommand(c: SshCommandInput): string {
  const key = shellQuote(c.keyFile);
  const ssh = shellJoin(["ssh", "-i", c.keyFile, ...(c.port === 22 ? [] : ["-p", String(c.port)]), `${c.user}@${c.ip}`]);
  return `${shellJoin(["pulumi", "stack", "output", "hostSshPrivateKey", "--show-secrets", "-s", c.stack])} > ${key} && chmod 600 ${key} && ${ssh}`;
}

/** What `knownHostsLine` needs. */
export interface KnownHostsInput {
  /** The host's public IP: the address CI and sshCommand connect to. */
  readonly ip: string;
  /** sshd's port; 22 writes the bare address, another port `[<ip>]:<port>` (OpenSSH's known_hosts rule). */
  readonly port: number;
  /** The host's SSH host key, one `ssh-ed25519 AAAA...` line. */
  readonly hostKey: string;
}

/**
 * The host's known_hosts line, e.g. `203.0.113.10 ssh-ed25519 AAAA...`: a file holding it lets ssh
 * check the host (StrictHostKeyChecking=yes) instead of trusting whatever answers at the address.
 */
export function knownHostsLine(c: KnownHostsInput): string {
  const key = c.hostKey.trim().split(/\s+/).slice(0, 2).join(" "); // type and key, without a comment
  return `${c.port === 22 ? c.ip : `[${c.ip}]:${c.port}`} ${key}`;
}

/** What `registryLoginCommand` needs. */
export interface RegistryLoginInput {
  /** The stack to read the password from. */
  readonly stack: string;
  /** Where images are pushed: `<ip>:<port>` (direct) or the registry hostname (proxy). */
  readonly host: string;
  /** The registry's login. */
  readonly username: string;
}

/** The shell line that logs Docker in to the registry. Not secret: it reads the password from the stack when run. */
export function registryLoginCommand(c: RegistryLoginInput): string {
  return `${shellJoin(["pulumi", "stack", "output", "registryPassword", "--show-secrets", "-s", c.stack])} | ${shellJoin(["docker", "login", c.host, "-u", c.username, "--password-stdin"])}`;
}

/** The registry's URL: `https://<host>` (so "https://" alone when the registry is disabled and the host is ""). */
export function registryUrl(host: string): string {
  return `https://${host}`;
}

/** The audit trail's CloudWatch Logs groups: the flow logs' group (when there is one, i.e. not ""), then the database's. */
export function auditLogGroups(flowLogGroup: string | undefined, databaseLogGroups: readonly string[]): string[] {
  return [...(flowLogGroup ? [flowLogGroup] : []), ...databaseLogGroups];
}

/** The ECR registry host of a repository URL: `<account>.dkr.ecr.<region>.amazonaws.com`. */
export function ecrRegistryHost(repositoryUrl: string): string {
  return repositoryUrl.split("/")[0];
}

/** Shell line that logs Docker in to the stack's ECR registry with the caller's AWS credentials. */
export function ecrLoginCommand(c: { readonly region: string; readonly registryHost: string }): string {
  return `${shellJoin(["aws", "ecr", "get-login-password", "--region", c.region])} | ${shellJoin(["docker", "login", "--username", "AWS", "--password-stdin", c.registryHost])}`;
}
