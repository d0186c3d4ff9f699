// Mock-engine tests of the AWS components: what each one asks the cloud for, in both stacks.
import { beforeAll, describe, expect, it } from "vitest";
import { parseCidr, containsIp } from "../../lib/cidr";
import { renderCloudInit } from "../../components/render/cloudInit";
import { instanceArchitecture } from "../../components/host";
import { parameterFamily } from "../../components/database";
import { one, ofType, plain, run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
});

describe.each(["dev", "prod"])("%s stack", (stack) => {
  const r = (): RunResult => runs[stack];
  const net = section(stack, "network") as { vpcCidr: string; publicSubnetCidrs: string[]; databaseSubnetCidrs: string[]; availabilityZones: string[] };

  describe("Network", () => {
    it("builds a VPC with DNS support and hostnames", () => {
      const vpc = one(r(), "aws:ec2/vpc:Vpc").inputs;
      expect(vpc).toMatchObject({ cidrBlock: net.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true });
    });
    it("puts two public subnets in two distinct AZs", () => {
      const pub = ofType(r(), "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("public"));
      expect(pub.map((s) => s.inputs.cidrBlock)).toEqual(net.publicSubnetCidrs);
      const azs = pub.map((s) => s.inputs.availabilityZone);
      expect(new Set(azs).size).toBe(2);
      expect(azs).toEqual(net.availabilityZones);
    });
    it("routes 0.0.0.0/0 of the public subnets to the internet gateway only", () => {
      const igw = one(r(), "aws:ec2/internetGateway:InternetGateway");
      const rt = one(r(), "aws:ec2/routeTable:RouteTable", "network-public-rt");
      expect(rt.inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }]);
      const assocs = ofType(r(), "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => a.inputs.routeTableId === rt.id);
      const publicIds = ofType(r(), "aws:ec2/subnet:Subnet")
        .filter((s) => s.name.includes("public"))
        .map((s) => s.id);
      expect(assocs.map((a) => a.inputs.subnetId).sort()).toEqual([...publicIds].sort());
    });
    it("keeps the database subnets off the internet", () => {
      const rt = one(r(), "aws:ec2/routeTable:RouteTable", "network-database-rt");
      expect(rt.inputs.routes).toEqual([]);
      const dbSubnets = ofType(r(), "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("database"));
      expect(dbSubnets.map((s) => s.inputs.cidrBlock)).toEqual(net.databaseSubnetCidrs);
      for (const s of dbSubnets) {
        const assoc = ofType(r(), "aws:ec2/routeTableAssociation:RouteTableAssociation").find((a) => a.inputs.subnetId === s.id);
        expect(assoc?.inputs.routeTableId).toBe(rt.id);
        expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
      }
    });
    it("strips every rule from the VPC's default security group", () => {
      const sg = one(r(), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs;
      expect(sg.ingress).toEqual([]);
      expect(sg.egress).toEqual([]);
    });
  });

  describe("Firewall", () => {
    it("admits MySQL to the database only from the host's private IP as a /32", () => {
      const dbSg = one(r(), "aws:ec2/securityGroup:SecurityGroup", "firewall-database-sg");
      const rules = ofType(r(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((x) => x.inputs.securityGroupId === dbSg.id);
      const host = one(r(), "aws:ec2/instance:Instance");
      expect(rules).toHaveLength(1);
      expect(rules[0].inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 3306, toPort: 3306, cidrIpv4: `${String(host.state.privateIp)}/32` });
      // The private address, never the Elastic IP (which would route through the internet gateway).
      const eip = one(r(), "aws:ec2/eip:Eip");
      expect(rules[0].inputs.cidrIpv4).not.toContain(String(eip.state.publicIp));
      expect(containsIp(parseCidr(net.publicSubnetCidrs[0])!, String(host.state.privateIp))).toBe(true);
    });
    it("opens SSH only to the admin CIDRs", () => {
      const admin = (section(stack, "firewall") as { adminCidrs: string[] }).adminCidrs;
      const ssh = ofType(r(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((x) => x.inputs.fromPort === 22);
      expect(ssh.map((x) => x.inputs.cidrIpv4).sort()).toEqual([...admin].sort());
    });
  });

  describe("Host", () => {
    it("requires IMDSv2 and encrypts a gp3 root volume sized from config", () => {
      const host = one(r(), "aws:ec2/instance:Instance").inputs as Record<string, Record<string, unknown>>;
      expect(host.metadataOptions).toMatchObject({ httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 });
      expect(host.rootBlockDevice).toMatchObject({
        volumeType: "gp3",
        encrypted: true,
        volumeSize: (section(stack, "host") as { rootVolumeGiB: number }).rootVolumeGiB,
      });
    });
    it("registers the stack's own public key as the key pair and attaches an Elastic IP", () => {
      const key = one(r(), "tls:index/privateKey:PrivateKey", "host-ssh-key");
      const pair = one(r(), "aws:ec2/keyPair:KeyPair");
      expect(pair.inputs.publicKey).toBe(String(key.state.publicKeyOpenssh).trim());
      expect(pair.inputs.keyNamePrefix).toBe(`berth-${stack}-host-key-`);
      const host = one(r(), "aws:ec2/instance:Instance");
      expect(host.inputs.keyName).toBe(pair.state.keyName);
      expect(one(r(), "aws:ec2/eip:Eip").inputs).toMatchObject({ domain: "vpc", instance: host.id });
    });
    it("looks the AMI up from Canonical and never lets a newer image or new user data touch a running host", () => {
      const host = one(r(), "aws:ec2/instance:Instance");
      expect(String(host.inputs.ami)).toMatch(/^ami-/);
      expect(host.options.ignoreChanges).toEqual(["ami", "userData"]);
      expect(r().outputs.hostAmiId).toBe(host.state.ami);
    });
    it("gives the deploy user its own key, not the admin's", () => {
      const admin = String(one(r(), "tls:index/privateKey:PrivateKey", "host-ssh-key").state.publicKeyOpenssh).trim();
      const deploy = String(one(r(), "tls:index/privateKey:PrivateKey", "host-deploy-key").state.publicKeyOpenssh).trim();
      expect(deploy).not.toBe(admin);
      const userData = String(plain(one(r(), "aws:ec2/instance:Instance").inputs.userData));
      expect(userData).toContain(deploy);
      expect(userData).not.toContain(admin);
    });
    it("renders user data with Docker, nginx, the deploy user, SSH hardening and the host key, and no other secret", () => {
      const userData = String(plain(one(r(), "aws:ec2/instance:Instance").inputs.userData));
      expect(userData.startsWith("#cloud-config\n")).toBe(true);
      for (const needle of [
        "docker-ce",
        "nginx",
        'name: "deploy"',
        'restrict,command=\\"/usr/local/lib/berth/berth-deploy --ssh\\" ssh-ed25519 ',
        "PermitRootLogin no",
        "PasswordAuthentication no",
        "ssh_pwauth: false",
        "unattended-upgrades",
        'Unattended-Upgrade "1"',
      ]) {
        expect(userData).toContain(needle);
      }
      // The one private key is the host's own, where cloud-init installs host keys; the rest is key-free.
      const hostKey = one(r(), "tls:index/privateKey:PrivateKey", "host-ssh-host-key");
      expect(hostKey.inputs).toEqual({ algorithm: "ED25519" });
      expect(userData).toContain(`  ed25519_private: ${JSON.stringify(plain(hostKey.state.privateKeyOpenssh))}\n`);
      expect(userData).toContain(`  ed25519_public: ${JSON.stringify(String(hostKey.state.publicKeyOpenssh).trim())}\n`);
      expect(userData.replace(/^ {2}ed25519_private: .*$/m, "")).not.toMatch(/PRIVATE KEY|password:/i);
    });
  });

  describe("Database", () => {
    it("is MySQL 8 in the private subnets, encrypted, not public, utf8mb4", () => {
      const db = one(r(), "aws:rds/instance:Instance").inputs;
      const dbConf = section(stack, "database");
      expect(db).toMatchObject({
        engine: "mysql",
        engineVersion: "8.4",
        engineLifecycleSupport: "open-source-rds-extended-support-disabled",
        storageEncrypted: true,
        publiclyAccessible: false,
        storageType: "gp3",
        instanceClass: dbConf.instanceClass,
      });
      const group = one(r(), "aws:rds/subnetGroup:SubnetGroup");
      const dbSubnetIds = ofType(r(), "aws:ec2/subnet:Subnet")
        .filter((s) => s.name.includes("database"))
        .map((s) => s.id);
      expect(group.inputs.subnetIds).toEqual(dbSubnetIds);
      expect(db.dbSubnetGroupName).toBe(group.inputs.name);
      const params = one(r(), "aws:rds/parameterGroup:ParameterGroup").inputs as { family: string; parameters: Array<{ name: string; value: string }> };
      expect(params.family).toBe("mysql8.4");
      expect(params.parameters).toContainEqual(expect.objectContaining({ name: "character_set_server", value: "utf8mb4" }));
      expect(db.vpcSecurityGroupIds).toEqual([one(r(), "aws:ec2/securityGroup:SecurityGroup", "firewall-database-sg").id]);
    });
    it("takes backups and protection from config", () => {
      const db = one(r(), "aws:rds/instance:Instance").inputs;
      const dbConf = section(stack, "database") as { backupRetentionDays: number; deletionProtection: boolean; skipFinalSnapshot: boolean };
      expect(db.backupRetentionPeriod).toBe(dbConf.backupRetentionDays);
      expect(db.deletionProtection).toBe(dbConf.deletionProtection);
      expect(db.skipFinalSnapshot).toBe(dbConf.skipFinalSnapshot);
      if (dbConf.skipFinalSnapshot) expect(db.finalSnapshotIdentifier).toBeUndefined();
      else expect(db.finalSnapshotIdentifier).toBe(`berth-${stack}-db-final`);
    });
  });
});

describe("the engine records what components register", () => {
  it("as plain values (so secrets in them can be recognised and redacted)", () => {
    const services = one(runs.dev, "berth:host:HostServices", "services");
    expect(services.state.registryHost).toBe(`${String(one(runs.dev, "aws:ec2/eip:Eip").state.publicIp)}:5000`);
    expect(one(runs.dev, "berth:database:Database", "database").state.port).toBe(3306);
  });
});

describe("environment differences come from config only", () => {
  it("prod protects its database and keeps backups longer than dev", () => {
    const dev = one(runs.dev, "aws:rds/instance:Instance").inputs;
    const prod = one(runs.prod, "aws:rds/instance:Instance").inputs;
    expect(prod.deletionProtection).toBe(true);
    expect(dev.deletionProtection).toBe(false);
    expect(Number(prod.backupRetentionPeriod)).toBeGreaterThan(Number(dev.backupRetentionPeriod));
    expect(dev.instanceClass).toBe("db.t3.micro");
  });
  it("dev and prod never share a VPC block or a physical name", () => {
    expect(one(runs.dev, "aws:ec2/vpc:Vpc").inputs.cidrBlock).not.toBe(one(runs.prod, "aws:ec2/vpc:Vpc").inputs.cidrBlock);
    const names = (x: RunResult) => ofType(x, "aws:ec2/securityGroup:SecurityGroup").map((s) => s.inputs.namePrefix);
    expect(names(runs.dev)).toEqual(["berth-dev-host-", "berth-dev-database-"]);
    expect(names(runs.dev).filter((n) => names(runs.prod).includes(n))).toEqual([]);
  });
});

describe("options", () => {
  it("uses a pinned AMI as is and then lets it drive replacement", async () => {
    const r = await run(stackWith("dev", { host: { amiId: "ami-0123456789abcdef0" } }));
    const host = one(r, "aws:ec2/instance:Instance");
    expect(host.inputs.ami).toBe("ami-0123456789abcdef0");
    expect(host.options.ignoreChanges).toEqual(["userData"]);
  });
  it("asks the region for AZs when none are configured", async () => {
    const net = section("dev", "network");
    delete net.availabilityZones;
    const r = await run(stackWith("dev", { network: net }));
    const azs = ofType(r, "aws:ec2/subnet:Subnet")
      .filter((s) => s.name.includes("public"))
      .map((s) => s.inputs.availabilityZone);
    expect(azs).toEqual(["ap-northeast-2a", "ap-northeast-2b"]);
  });
  it("uses a configured database password, as a secret", async () => {
    const r = await run(stackWith("dev", {}, { databasePassword: "Correct-Horse-42" }));
    expect(ofType(r, "random:index/randomPassword:RandomPassword").filter((x) => x.name.startsWith("database"))).toHaveLength(0);
    expect(plain(one(r, "aws:rds/instance:Instance").inputs.password)).toBe("Correct-Horse-42");
  });
  it("chooses an arm64 image for Graviton types", () => {
    expect(instanceArchitecture("t4g.large")).toBe("arm64");
    expect(instanceArchitecture("c7gn.xlarge")).toBe("arm64");
    expect(instanceArchitecture("t3.xlarge")).toBe("x86_64");
    expect(instanceArchitecture("m7i.large")).toBe("x86_64");
    expect(parameterFamily("8.0.39")).toBe("mysql8.0");
  });
  it("refuses to put a private key into user data", () => {
    const hostKey = {
      privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
      publicKeyOpenssh: "ssh-ed25519 AAAAC3Nz",
    };
    expect(() => renderCloudInit({ deployUser: "deploy", deployAuthorizedKey: "-----BEGIN OPENSSH PRIVATE KEY-----", sshPort: 22, hostKey })).toThrow(
      /refusing/,
    );
    // The host key is the one private key it carries, and only as an ED25519 pair in OpenSSH format.
    expect(() =>
      renderCloudInit({
        deployUser: "deploy",
        deployAuthorizedKey: "ssh-ed25519 AAAA",
        sshPort: 22,
        hostKey: { ...hostKey, publicKeyOpenssh: "ssh-rsa AAAAB3" },
      }),
    ).toThrow(/one ssh-ed25519 public key line/);
    expect(() =>
      renderCloudInit({
        deployUser: "deploy",
        deployAuthorizedKey: "ssh-ed25519 AAAA",
        sshPort: 22,
        hostKey: { ...hostKey, privateKeyOpenssh: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" },
      }),
    ).toThrow(/one OpenSSH private key/);
  });
});
