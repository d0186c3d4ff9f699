// DockerHost: makes the host's Docker engine reachable for Pulumi. Waits for cloud-init, then
// turns on the Docker API on a TCP port with mutual TLS (a CA, a server certificate for the
// host's public IP and a client certificate, all made by the stack), and returns a Docker
// provider that talks to it. The port is open to admin CIDRs only (lib/firewallRules.ts).
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { hostCommand, type HostTarget } from "./remoteFiles";
import { renderBundle } from "./render/bundle";
import { renderDockerDaemonJson, renderDockerTlsDropIn, DOCKER_TLS_DIR } from "./render/dockerDaemon";
import { reloadSystemd, requireDocker, restartUnit, runAsRootAfterCloudInit, waitForDocker } from "./render/hostCommands";
import { tiedTo } from "./resourceErrors";

export interface DockerHostArgs {
  /** The host to bootstrap: the SSH connection and the instance underneath it. */
  readonly target: HostTarget;
  /** The host's public IP (SAN of the daemon certificate, provider address). */
  readonly publicIp: pulumi.Input<string>;
  /** TCP port the Docker API listens on with mutual TLS (1-65535; open to admin CIDRs only). */
  readonly apiPort: number;
}

const DAY = 24;

export class DockerHost extends pulumi.ComponentResource {
  /** Docker provider for the host's API (tcp://publicIp:apiPort, client certificate; the key is a secret); it depends on `ready`. */
  public readonly provider: docker.Provider;
  /** Completes once cloud-init finished and the TLS API is up. */
  public readonly ready: command.remote.Command;
  /** PEM of the CA that signs the daemon and client certificates. */
  public readonly caCertPem: pulumi.Output<string>;

  constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:DockerHost", name, {}, opts);
    const parent = { parent: this };
    const key = (role: string) => new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);

    const caKey = key("ca");
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: 10 * 365 * DAY,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        subject: { commonName: "Berth Docker API CA", organization: "Berth" },
      },
      parent,
    );
    const sign = (role: string, k: tls.PrivateKey, req: Omit<tls.CertRequestArgs, "privateKeyPem">, uses: string[]) => {
      const csr = new tls.CertRequest(`${name}-${role}-csr`, { privateKeyPem: k.privateKeyPem, ...req }, parent);
      return new tls.LocallySignedCert(
        `${name}-${role}-cert`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          validityPeriodHours: 3 * 365 * DAY,
          earlyRenewalHours: 30 * DAY,
          allowedUses: uses,
        },
        parent,
      );
    };
    const serverKey = key("server");
    const server = sign(
      "server",
      serverKey,
      {
        subject: { commonName: "berth-docker-api" },
        ipAddresses: [pulumi.output(args.publicIp), "127.0.0.1"],
        dnsNames: ["localhost"],
      },
      ["digital_signature", "key_encipherment", "server_auth"],
    );
    const clientKey = key("client");
    const client = sign("client", clientKey, { subject: { commonName: "berth-pulumi" } }, ["digital_signature", "key_encipherment", "client_auth"]);

    const bundle = pulumi.all([ca.certPem, server.certPem, serverKey.privateKeyPem]).apply(([caPem, certPem, keyPem]) =>
      tiedTo(this, () =>
        renderBundle(
          [
            { path: `${DOCKER_TLS_DIR}/ca.pem`, mode: 0o644, content: caPem, usedBy: [] },
            { path: `${DOCKER_TLS_DIR}/server-cert.pem`, mode: 0o644, content: certPem, usedBy: [] },
            { path: `${DOCKER_TLS_DIR}/server-key.pem`, mode: 0o600, secret: true, content: keyPem, usedBy: [] },
            { path: "/etc/systemd/system/docker.service.d/berth-tls.conf", mode: 0o644, content: renderDockerTlsDropIn(args.apiPort), usedBy: [] },
            { path: "/etc/docker/daemon.json", mode: 0o644, content: renderDockerDaemonJson(), usedBy: [] },
          ],
          {
            label: `${name}-tls`,
            mode: "install",
            after: [requireDocker(), reloadSystemd(), restartUnit("docker"), waitForDocker()],
          },
        ),
      ),
    );

    // cloud-init exits 2 for warnings ("degraded"); the bundle checks that Docker is really there.
    this.ready = hostCommand(
      `${name}-bootstrap`,
      args.target,
      {
        create: runAsRootAfterCloudInit(),
        stdin: pulumi.secret(bundle),
      },
      parent,
    );

    this.caCertPem = ca.certPem;
    this.provider = new docker.Provider(
      `${name}-provider`,
      {
        host: pulumi.interpolate`tcp://${args.publicIp}:${args.apiPort}`,
        caMaterial: ca.certPem,
        certMaterial: client.certPem,
        keyMaterial: pulumi.secret(clientKey.privateKeyPem),
        // Previews (pull requests, hosted CI) must work without reaching the host's admin-only port.
        disableDockerDaemonCheck: true,
      },
      { parent: this, dependsOn: [this.ready] },
    );
    this.registerOutputs({});
  }
}
