// Firewall on its own (public mock API): the host group's rules as given, the database group's one rule.
import { beforeEach, describe, expect, it } from "vitest";
import { Firewall, type FirewallArgs } from "../../components/firewall";
import type { HostIngressRule } from "../../lib/firewallRules";
import { failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const ssh: HostIngressRule = {
  key: "tcp-22-198-51-100-0-24",
  protocol: "tcp",
  fromPort: 22,
  toPort: 22,
  cidr: "198.51.100.0/24",
  description: "SSH from admin",
};
const https: HostIngressRule = { key: "tcp-443-0-0-0-0-0", protocol: "tcp", fromPort: 443, toPort: 443, cidr: "0.0.0.0/0", description: "HTTPS" };
const dnsRange: HostIngressRule = {
  key: "udp-5000-5010-10-0-0-0-8",
  protocol: "udp",
  fromPort: 5000,
  toPort: 5010,
  cidr: "10.0.0.0/8",
  description: "A UDP range",
};
// FirewallArgs has no optional member: minimal is no inbound rule at all, full is several.
const minimal: FirewallArgs = { vpcId: "vpc-1", hostIngress: [], databasePort: 3306, naming };
const full: FirewallArgs = { ...minimal, hostIngress: [ssh, https, dnsRange], databasePort: 3307 };

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Firewall, minimal args", () => {
  it("creates the two groups, all egress for the host, and no inbound rule", async () => {
    const fw = new Firewall("fw", minimal, m.opts);
    const [host, db] = await Promise.all([valueOf(fw.hostSecurityGroupId), valueOf(fw.databaseSecurityGroupId)]);
    await m.settle();

    expect(host).toBe("fw-host-sg-id");
    expect(db).toBe("fw-database-sg-id");
    expect(m.one(SG, "fw-host-sg").inputs).toMatchObject({ vpcId: "vpc-1", namePrefix: "berth-test-host-", tags: { Name: "berth-test-host" } });
    expect(m.one(SG, "fw-database-sg").inputs).toMatchObject({
      vpcId: "vpc-1",
      namePrefix: "berth-test-database-",
      description: "Berth database: MySQL from the host private IP only",
    });
    expect(m.ofType(INGRESS)).toEqual([]);
    expect(m.one(EGRESS).inputs).toMatchObject({ securityGroupId: "fw-host-sg-id", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
    expect(m.ofType(SG).every((r) => r.parent === "fw")).toBe(true);
  });
});

describe("Firewall, full args", () => {
  it("creates one described inbound rule per given rule, and admits the database client as a /32", async () => {
    const fw = new Firewall("fw", full, m.opts);
    fw.admitDatabaseClient("host", "10.20.1.10", "MySQL from the host");
    await m.settle();

    const host = m.ofType(INGRESS).filter((r) => r.inputs.securityGroupId === "fw-host-sg-id");
    expect(host.map((r) => [r.name, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4, r.inputs.description])).toEqual([
      ["fw-host-in-tcp-22-198-51-100-0-24", "tcp", 22, 22, "198.51.100.0/24", "SSH from admin"],
      ["fw-host-in-tcp-443-0-0-0-0-0", "tcp", 443, 443, "0.0.0.0/0", "HTTPS"],
      ["fw-host-in-udp-5000-5010-10-0-0-0-8", "udp", 5000, 5010, "10.0.0.0/8", "A UDP range"],
    ]);
    const db = m.one(INGRESS, "fw-database-in-host");
    expect(db.parent).toBe("fw");
    expect(db.inputs).toMatchObject({
      securityGroupId: "fw-database-sg-id",
      ipProtocol: "tcp",
      fromPort: 3307,
      toPort: 3307,
      cidrIpv4: "10.20.1.10/32",
      description: "MySQL from the host",
    });
  });
});

describe("Firewall guards", () => {
  it("refuses a rule description EC2 would refuse", async () => {
    const err = await failure(() => new Firewall("fw", { ...minimal, hostIngress: [{ ...ssh, description: "SSH from the admins' office" }] }, m.opts));
    expect(err.message).toMatch(/^host ingress rule tcp-22-198-51-100-0-24: the description "SSH from the admins' office" /);
  });
  it("refuses a database client address that is not IPv4", async () => {
    const fw = new Firewall("fw", minimal, m.opts);
    const err = await failure(() => fw.admitDatabaseClient("host", "fe80::1", "MySQL from the host"));
    // The runtime prefixes the property whose value failed.
    expect(err.message).toContain('database client address "fe80::1" is not an IPv4 address');
  });
});
