// Pure renderer: the systemd drop-in that makes dockerd listen on a TCP port with mutual TLS
// besides its usual socket (Ubuntu's unit passes `-H fd://`, which clashes with "hosts" in
// daemon.json, so the listen flags go on the command line), and daemon.json itself.

/** Where the daemon's certificates live on the host. */
export const DOCKER_TLS_DIR = "/etc/docker/berth-tls";

export function renderDockerTlsDropIn(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`docker API port ${port} is out of range`);
  return [
    "# Managed by Berth: Docker API over mutual TLS (clients need a certificate signed by the Berth CA).",
    "[Service]",
    "ExecStart=",
    `ExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:${port} --tlsverify --tlscacert=${DOCKER_TLS_DIR}/ca.pem --tlscert=${DOCKER_TLS_DIR}/server-cert.pem --tlskey=${DOCKER_TLS_DIR}/server-key.pem --containerd=/run/containerd/containerd.sock`,
    "",
  ].join("\n");
}

/**
 * /etc/docker/daemon.json: live-restore keeps containers running while dockerd restarts (a package
 * upgrade, a configuration change). The apps' traffic never passes through dockerd (the deploy
 * program's switch DNATs to each container's address on Berth's network, not to a port served by
 * dockerd's userland proxy), so a restart costs no request.
 */
export function renderDockerDaemonJson(): string {
  return `${JSON.stringify({ "live-restore": true }, null, 2)}\n`;
}
