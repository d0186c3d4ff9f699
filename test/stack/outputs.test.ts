// Stack outputs are an interface other tools read: this pins their names and which are
// secret, so a rename or a leaked secret is a conscious, reviewed change.
import { describe, expect, it } from "vitest";
import { isSecretValue, sharedRun, type ShippedStack } from "../helpers/stack";

const SECRET = new Set(["hostSshPrivateKey", "hostDeployPrivateKey", "databasePassword", "registryPassword", "proxyBasicAuth"]);
const PUBLIC = [
  "vpcId",
  "availabilityZones",
  "publicSubnetIds",
  "databaseSubnetIds",
  "hostSecurityGroupId",
  "databaseSecurityGroupId",
  "hostInstanceId",
  "hostAmiId",
  "hostPublicIp",
  "hostPrivateIp",
  "hostSshUser",
  "hostDeployUser",
  "hostSshPublicKey",
  "hostKnownHosts",
  "sshCommand",
  "databaseEndpoint",
  "databasePort",
  "databaseName",
  "databaseUser",
  "dnsNameServers",
  "dnsRecords",
  "tlsMode",
  "tlsNames",
  "tlsCaCertificate",
  "tlsCertificateExpiry",
  "tlsRenewal",
  "registryHost",
  "registryUrl",
  "registryUsername",
  "registryLoginCommand",
  "registryBucket",
  "auditLogGroups",
  "appLogGroups",
  "alertsTopicArn",
  "alertsDashboardUrl",
  "deployLogGroup",
  "hostDataVolumeId",
];

describe.each<ShippedStack>(["dev", "prod"])("%s outputs", (stack) => {
  it("reaches the registry the way the stack exposes it", async () => {
    const r = await sharedRun(stack);
    if (stack === "dev") expect(r.outputs.registryHost).toBe(`${String(r.outputs.hostPublicIp)}:5000`);
    else expect(r.outputs.registryHost).toBe("docker.example.com");
  });
  it("has exactly the documented names, secrets marked secret", async () => {
    const r = await sharedRun(stack);
    const names = Object.keys(r.outputs).sort();
    expect(names).toEqual([...PUBLIC, ...SECRET].sort());
    for (const n of names) expect(isSecretValue(r.outputs[n]), n).toBe(SECRET.has(n));
  });
  it("has camelCase names and ready-to-use values", async () => {
    const r = await sharedRun(stack);
    for (const n of Object.keys(r.outputs)) expect(n).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(r.outputs.hostPublicIp).toMatch(/^203\.0\.113\.\d+$/);
    expect(r.outputs.sshCommand).toBe(
      `pulumi stack output hostSshPrivateKey --show-secrets -s ${stack} > berth-${stack}.pem && chmod 600 berth-${stack}.pem && ssh -i berth-${stack}.pem ubuntu@${String(r.outputs.hostPublicIp)}`,
    );
    expect(r.outputs.registryLoginCommand).toBe(
      `pulumi stack output registryPassword --show-secrets -s ${stack} | docker login ${String(r.outputs.registryHost)} -u ci --password-stdin`,
    );
    expect(r.outputs.registryUrl).toBe(`https://${String(r.outputs.registryHost)}`);
    // The known_hosts line pins the host key the stack generated, at the address CI connects to.
    const hostKey = r.resources.find((x) => x.name === "host-ssh-host-key")!;
    expect(r.outputs.hostKnownHosts).toBe(`${String(r.outputs.hostPublicIp)} ${String(hostKey.state.publicKeyOpenssh).trim()}`);
    expect(r.outputs.hostKnownHosts).toMatch(/^\S+ ssh-ed25519 \S+$/);
    if (stack === "dev") {
      expect(r.outputs.registryBucket).toBe("");
      expect(r.outputs.auditLogGroups).toEqual([]);
    } else {
      expect(r.outputs.registryBucket).toMatch(/^berth-prod-registry-[0-9a-f]{26}$/);
      expect(r.outputs.auditLogGroups).toEqual([
        "/berth/prod/vpc-flow-logs",
        "/aws/rds/instance/berth-prod-db/error",
        "/aws/rds/instance/berth-prod-db/slowquery",
      ]);
    }
    expect(r.outputs.databaseEndpoint).toMatch(new RegExp(`^berth-${stack}-db\\..*\\.ap-northeast-2\\.rds\\.amazonaws\\.com$`));
  });
});

describe("scale outputs", () => {
  it("add the ECS outputs to the documented names, none of them secret", async () => {
    const r = await sharedRun("scale");
    const ecs = ["ecsClusterName", "loadBalancerDnsName", "ecrRepositoryUrls", "ecrLoginCommand", "ciDeployPolicy", "ecsDeployTargets"];
    expect(Object.keys(r.outputs).sort()).toEqual([...PUBLIC, ...SECRET, ...ecs].sort());
    for (const n of ecs) expect(isSecretValue(r.outputs[n]), n).toBe(false);
    expect(r.outputs.ecsClusterName).toBe("berth-scale-apps");
  });
});
