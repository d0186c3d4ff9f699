// Host on its own (public mock API): keys, key pair, the instance (AMI looked up or pinned), the Elastic IP.
import { beforeEach, describe, expect, it } from "vitest";
import { Host, type HostArgs } from "../../components/host";
import {
  FAKE_PRIVATE_IP,
  FAKE_PUBLIC_IP,
  failure,
  fakePublicKey,
  isSecret,
  mockComponents,
  secretOf,
  valueOf,
  type ComponentMocks,
} from "../helpers/componentMocks";
import { plain } from "../helpers/stack";

const naming = { project: "berth", stack: "test" };
const minimal: HostArgs = {
  subnetId: "subnet-1",
  securityGroupIds: ["sg-1"],
  instanceType: "t3.small",
  rootVolumeGiB: 30,
  amiOwner: "099720109477",
  amiNamePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
  sshUser: "ubuntu",
  deployUser: "deploy",
  sshPort: 22,
  sshKeyAlgorithm: "ED25519",
  naming,
};
const full: HostArgs = {
  ...minimal,
  instanceType: "t4g.medium",
  amiId: "ami-0pinned",
  sshPort: 2222,
  sshKeyAlgorithm: "RSA",
  instanceProfileName: "host-profile",
};

const INSTANCE = "aws:ec2/instance:Instance";
const KEY = "tls:index/privateKey:PrivateKey";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Host, minimal args", () => {
  it("looks up the newest AMI, and creates keys, a key pair, an IMDSv2-only instance and an Elastic IP", async () => {
    const host = new Host("host", minimal, m.opts);
    const [instanceId, publicIp, privateIp, amiId, sshPub, deployPub, sshKey, hostPub] = await Promise.all([
      valueOf(host.instanceId),
      valueOf(host.publicIp),
      valueOf(host.privateIp),
      valueOf(host.amiId),
      valueOf(host.sshPublicKey),
      valueOf(host.deployPublicKey),
      valueOf(host.sshPrivateKey),
      valueOf(host.hostPublicKey),
    ]);
    await m.settle();

    expect(m.invokes).toEqual([
      {
        token: "aws:ec2/getAmi:getAmi",
        inputs: {
          owners: ["099720109477"],
          mostRecent: true,
          filters: [
            { name: "name", values: [minimal.amiNamePattern] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
            { name: "root-device-type", values: ["ebs"] },
          ],
        },
      },
    ]);
    expect(m.ofType(KEY).map((k) => [k.name, k.inputs])).toEqual([
      ["host-ssh-key", { algorithm: "ED25519" }],
      ["host-deploy-key", { algorithm: "ED25519" }],
      ["host-ssh-host-key", { algorithm: "ED25519" }],
    ]);
    expect(m.one("aws:ec2/keyPair:KeyPair").inputs).toMatchObject({ keyNamePrefix: "berth-test-host-key-", publicKey: fakePublicKey("host-ssh-key") });

    const i = m.one(INSTANCE).inputs;
    expect(i).toMatchObject({
      ami: "ami-0fake0newest",
      instanceType: "t3.small",
      subnetId: "subnet-1",
      vpcSecurityGroupIds: ["sg-1"],
      keyName: "berth-test-host-key-0001",
      associatePublicIpAddress: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { volumeType: "gp3", volumeSize: 30, encrypted: true, deleteOnTermination: true },
      tags: { Name: "berth-test-host" },
    });
    expect(i.iamInstanceProfile).toBeUndefined();
    // User data carries the host's private key, so it travels as a secret.
    expect(i.userData).toEqual(secretOf(expect.any(String)));
    const userData = String(plain(i.userData));
    expect(userData).not.toMatch(/^\s*Port /m);
    // cloud-init authorizes the deploy key (never the admin key) for the deploy user.
    expect(userData).toContain(fakePublicKey("host-deploy-key"));
    expect(userData).not.toContain(fakePublicKey("host-ssh-key"));
    // and installs the stack's host key, the one sshd offers: its public half is what clients pin.
    expect(userData).toContain(
      `  ed25519_private: ${JSON.stringify("-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE-host-ssh-host-key\n-----END OPENSSH PRIVATE KEY-----\n")}`,
    );
    expect(userData).toContain(`  ed25519_public: "${fakePublicKey("host-ssh-host-key")}"`);
    expect(userData).toContain("      HostKey /etc/ssh/ssh_host_ed25519_key\n");
    expect(userData).not.toContain("FAKE-host-deploy-key");
    expect(userData).not.toContain("FAKE-host-ssh-key");
    expect(hostPub).toBe(fakePublicKey("host-ssh-host-key"));
    expect(m.one("aws:ec2/eip:Eip").inputs).toMatchObject({ domain: "vpc", instance: "host-instance-id" });

    expect(instanceId).toBe("host-instance-id");
    expect(publicIp).toBe(FAKE_PUBLIC_IP);
    expect(privateIp).toBe(FAKE_PRIVATE_IP);
    expect(amiId).toBe("ami-0fake0newest");
    expect(sshPub).toBe(`${fakePublicKey("host-ssh-key")}\n`);
    expect(deployPub).toBe(`${fakePublicKey("host-deploy-key")}\n`);
    expect(sshKey).toContain("FAKE-host-ssh-key");
    // The private keys leave the component as secrets only; the public ones are plain.
    expect(await isSecret(host.sshPrivateKey)).toBe(true);
    expect(await isSecret(host.deployPrivateKey)).toBe(true);
    expect(await isSecret(host.sshPublicKey)).toBe(false);
    expect(await isSecret(host.hostPublicKey)).toBe(false);
  });
});

describe("Host, full args", () => {
  it("uses the pinned AMI without a lookup, RSA keys, the instance profile and the SSH port", async () => {
    const host = new Host("host", full, m.opts);
    const amiId = await valueOf(host.amiId);
    await m.settle();

    expect(m.invokes).toEqual([]);
    expect(amiId).toBe("ami-0pinned");
    // The login keys follow sshKeyAlgorithm; the host key stays ED25519.
    expect(Object.fromEntries(m.ofType(KEY).map((k) => [k.name, k.inputs]))).toEqual({
      "host-ssh-key": { algorithm: "RSA", rsaBits: 4096 },
      "host-deploy-key": { algorithm: "RSA", rsaBits: 4096 },
      "host-ssh-host-key": { algorithm: "ED25519" },
    });
    const i = m.one(INSTANCE).inputs;
    expect(i).toMatchObject({ ami: "ami-0pinned", instanceType: "t4g.medium", iamInstanceProfile: "host-profile" });
    // sshd moves to the given port (22 needs no line).
    expect(plain(i.userData)).toContain("Port 2222");
  });

  it("looks up an arm64 image for a Graviton type", async () => {
    new Host("host", { ...minimal, instanceType: "t4g.medium" }, m.opts);
    await m.settle();
    const filters = (m.invokes[0].inputs as { filters: Array<{ name: string; values: string[] }> }).filters;
    expect(filters.slice(0, 2)).toEqual([
      { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"] },
      { name: "architecture", values: ["arm64"] },
    ]);
  });
});

describe("Host with a data volume", () => {
  it("cloud-init writes the data volume step and unit for that volume and starts it first; without one, nothing of it", async () => {
    new Host("host", { ...minimal, dataVolumeId: "vol-0123456789abcdef0" }, m.opts);
    await m.settle();
    const userData = String(plain(m.one(INSTANCE).inputs.userData));
    expect(userData).toContain('  - path: "/usr/local/lib/berth/berth-data-volume"\n    permissions: "0755"\n    content: |\n      #!/usr/bin/env bash\n');
    expect(userData).toContain('  - path: "/etc/systemd/system/berth-data-volume.service"');
    expect(userData).toContain("--volume-id vol-0123456789abcdef0 --mount /srv/berth");
    expect(userData).toMatch(/^runcmd:\n {2}- "systemctl daemon-reload"\n {2}- "systemctl enable --now --no-block berth-data-volume.service"\n/m);
    // The instance never depends on the size: growing the volume cannot touch user data.
    expect(/ExecStart=.*$/m.exec(userData)![0]).not.toContain("--size-gib");
  });
  it("without a data volume", async () => {
    new Host("host", minimal, m.opts);
    await m.settle();
    expect(String(plain(m.one(INSTANCE).inputs.userData))).not.toContain("berth-data-volume");
  });
});

describe("Host guards", () => {
  it("refuses to put a private key into user data", async () => {
    const leaky = await mockComponents({
      resources: { [KEY]: (n) => ({ state: { publicKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${n}\n`, privateKeyOpenssh: "x" } }) },
    });
    const err = await failure(() => new Host("host", minimal, leaky.opts));
    expect(err.message).toContain("cloud-init: refusing to put a private key into user data");
  });
});
