// How Pulumi reaches the host over SSH for every host-side step: the admin login, the host key it
// expects (@pulumi/command's `hostKey`: a different key fails the step instead of being trusted),
// and the dial policy that lets `pulumi up` wait for a host that is still booting.
import type * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../components/remoteFiles";

/**
 * How often and how long Pulumi dials the host before a host-side step fails. A new (or replaced)
 * host takes a minute or so to boot and start sshd: 30 tries of up to 15 s each wait out that
 * minute with room to spare, where the provider's default would fail the first `pulumi up`.
 */
export const SSH_DIAL_POLICY = {
  /** Failed dials before the step fails. */
  dialErrorLimit: 30,
  /** Seconds one dial may take. */
  perDialTimeout: 15,
} as const;

/** Where and as whom Pulumi logs in to the host. */
export interface HostLogin {
  /** The host's address (its Elastic IP). */
  readonly ip: pulumi.Input<string>;
  /** The AMI's admin login (berth:host.sshUser). */
  readonly user: string;
  /** sshd's port (berth:firewall.sshPort). */
  readonly port: number;
  /** The admin's OpenSSH private key (secret). */
  readonly privateKey: pulumi.Input<string>;
  /** The host's SSH host key, one `ssh-ed25519 AAAA...` line: the only key the connection accepts. */
  readonly hostKey: pulumi.Input<string>;
}

/** The SSH connection of every host-side step: the login, pinned to the host key, with SSH_DIAL_POLICY. */
export function hostConnection(login: HostLogin): Connection {
  return { host: login.ip, user: login.user, port: login.port, privateKey: login.privateKey, hostKey: login.hostKey, ...SSH_DIAL_POLICY };
}
