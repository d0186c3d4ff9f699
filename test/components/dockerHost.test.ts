// DockerHost on its own (public mock API): a CA, server and client certificates, the TLS bootstrap
// command on the host, and a Docker provider that talks to the API with mutual TLS.
import { beforeEach, describe, expect, it } from "vitest";
import { DockerHost, type DockerHostArgs } from "../../components/dockerHost";
import { failure, mockComponents, secretOf, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const target = { connection: { host: "203.0.113.10", user: "ubuntu" }, hostId: "i-0host" };
// DockerHostArgs has no optional member: minimal uses the usual port, full another one.
const minimal: DockerHostArgs = { target, publicIp: "203.0.113.10", apiPort: 2376 };
const full: DockerHostArgs = { ...minimal, apiPort: 12376 };

const DAY = 24;
let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("DockerHost, minimal args", () => {
  it("makes the certificates, bootstraps the TLS API after cloud-init and returns a provider for it", async () => {
    const dh = new DockerHost("docker", minimal, m.opts);
    const ca = await valueOf(dh.caCertPem);
    await m.settle();

    expect(m.ofType("tls:index/privateKey:PrivateKey").map((k) => [k.name, k.inputs])).toEqual([
      ["docker-ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
      ["docker-server-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
      ["docker-client-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
    ]);
    expect(m.one("tls:index/selfSignedCert:SelfSignedCert").inputs).toMatchObject({
      isCaCertificate: true,
      validityPeriodHours: 10 * 365 * DAY,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    const csr = Object.fromEntries(m.ofType("tls:index/certRequest:CertRequest").map((c) => [c.name, c.inputs]));
    expect(csr["docker-server-csr"]).toMatchObject({
      subject: { commonName: "berth-docker-api" },
      ipAddresses: ["203.0.113.10", "127.0.0.1"],
      dnsNames: ["localhost"],
    });
    expect(csr["docker-client-csr"]).toMatchObject({ subject: { commonName: "berth-pulumi" } });
    const certs = Object.fromEntries(m.ofType("tls:index/locallySignedCert:LocallySignedCert").map((c) => [c.name, c.inputs]));
    expect(certs["docker-server-cert"]).toMatchObject({
      validityPeriodHours: 3 * 365 * DAY,
      earlyRenewalHours: 30 * DAY,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    });
    expect(certs["docker-client-cert"].allowedUses).toEqual(["digital_signature", "key_encipherment", "client_auth"]);

    const boot = m.one("command:remote:Command", "docker-bootstrap");
    expect(boot.inputs).toMatchObject({ create: "cloud-init status --wait >/dev/null 2>&1 || true; sudo bash -s", triggers: ["i-0host"] });
    // The bundle holds the server key: it travels as a secret.
    expect(boot.inputs.stdin).toEqual(secretOf(expect.stringContaining("-H tcp://0.0.0.0:2376")));
    expect(boot.inputs.stdin).toEqual(secretOf(expect.stringContaining("systemctl restart docker")));

    const provider = m.one("pulumi:providers:docker", "docker-provider");
    expect(provider.parent).toBe("docker");
    expect(provider.inputs).toMatchObject({
      host: "tcp://203.0.113.10:2376",
      caMaterial: ca,
      certMaterial: expect.stringContaining("FAKE-docker-client-cert"),
      disableDockerDaemonCheck: "true",
    });
    expect(ca).toContain("FAKE-docker-ca");
  });
});

describe("DockerHost, full args", () => {
  it("serves the API on the given port", async () => {
    new DockerHost("docker", full, m.opts);
    await m.settle();
    expect(m.one("pulumi:providers:docker").inputs.host).toBe("tcp://203.0.113.10:12376");
    expect(m.one("command:remote:Command").inputs.stdin).toEqual(secretOf(expect.stringContaining("-H tcp://0.0.0.0:12376")));
  });
});

describe("DockerHost guards", () => {
  it("refuses an API port out of range", async () => {
    const err = await failure(() => new DockerHost("docker", { ...minimal, apiPort: 70000 }, m.opts));
    expect(err.message).toContain("docker API port 70000 is out of range");
  });
});
