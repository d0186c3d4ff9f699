// Mock-engine tests of the host layer's delivery: what goes over SSH (and how secret it is), in
// which order, and how the registry container is published in each stack.
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretValue, one, ofType, plain, run, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const CMD = "command:remote:Command";
const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
});

const urnOf = (r: RunResult, name: string): string => r.resources.find((x) => x.name === name)!.urn;

describe.each(["dev", "prod"])("%s", (stack) => {
  const r = (): RunResult => runs[stack];

  it("connects as the AMI user with the stack's own key, held as a secret", () => {
    const key = one(r(), "tls:index/privateKey:PrivateKey", "host-ssh-key");
    for (const c of ofType(r(), CMD)) {
      expect(isSecretValue(c.inputs.connection), `${c.name} connection`).toBe(true);
      const conn = plain(c.inputs.connection) as Record<string, unknown>;
      expect(conn).toMatchObject({ host: one(r(), "aws:ec2/eip:Eip").state.publicIp, user: "ubuntu", port: 22 });
      expect(conn.privateKey).toBe(plain(key.state.privateKeyOpenssh));
    }
  });

  it("sends keys and password hashes as secret stdin, and the nginx configuration in the clear for review", () => {
    const secretOnes = [
      "services-tls-apply",
      "services-registry-secrets-apply",
      "services-docker-bootstrap",
      ...(stack === "prod" ? ["services-proxy-auth-apply"] : []),
    ];
    for (const name of secretOnes) expect(isSecretValue(one(r(), CMD, name).inputs.stdin), name).toBe(true);
    const nginx = one(r(), CMD, "services-proxy-config-apply").inputs.stdin;
    expect(isSecretValue(nginx)).toBe(false);
    expect(String(nginx)).toContain("server_tokens off;");
    expect(String(nginx)).not.toMatch(/PRIVATE KEY|\$2y\$/);
    // It prunes stale server blocks, but never the auth dir another delivery fills.
    expect(String(nginx)).toContain("echo '/etc/nginx/berth/sites' >> \"$stage/owned-dirs\"");
    expect(String(nginx)).not.toContain('/etc/nginx/berth/auth\' >> "$stage/owned-dirs"');
    expect(String(plain(one(r(), CMD, "services-registry-secrets-apply").inputs.stdin))).toMatch(/^ci:\$2y\$10\$/m);
  });

  it("waits for cloud-init before anything, and starts the registry only after its files and Docker's TLS API", () => {
    const deps = (name: string): string[] => r().resources.find((x) => x.name === name)!.options.dependencies;
    const provisioned = urnOf(r(), "services-provisioned");
    expect(deps("services-tls")).toContain(provisioned);
    expect(deps("services-docker")).toContain(provisioned);
    const container = deps("services-registry-container");
    expect(container).toContain(urnOf(r(), "services-registry-config-apply"));
    expect(container).toContain(urnOf(r(), "services-registry-secrets-apply"));
    expect(deps("services-registry-config")).toContain(urnOf(r(), "services-docker-bootstrap"));
    expect(deps("services-proxy-config")).toContain(urnOf(r(), "services-tls-apply"));
    if (stack === "prod") expect(deps("services-proxy-config")).toContain(urnOf(r(), "services-proxy-auth-apply"));
    // dev has no password-protected extra host: no empty basic-auth delivery either.
    else expect(r().resources.some((x) => x.name === "services-proxy-auth")).toBe(false);
  });

  it("drives Docker through the TLS API port with the stack's client certificate", () => {
    const provider = one(r(), "pulumi:providers:docker");
    expect(provider.inputs.host).toBe(`tcp://${String(one(r(), "aws:ec2/eip:Eip").state.publicIp)}:2376`);
    expect(isSecretValue(provider.inputs.keyMaterial)).toBe(true);
    const clientCert = one(r(), "tls:index/locallySignedCert:LocallySignedCert", "services-docker-client-cert");
    expect(provider.inputs.certMaterial).toBe(clientCert.state.certPem);
    expect(clientCert.inputs.allowedUses).toContain("client_auth");
    const dropIn = String(plain(one(r(), CMD, "services-docker-bootstrap").inputs.stdin));
    expect(dropIn).toContain("-H tcp://0.0.0.0:2376 --tlsverify");
  });

  it("runs the pinned registry image with restart always, data where the stack keeps it", () => {
    const c = one(r(), "docker:index/container:Container");
    expect(one(r(), "docker:index/remoteImage:RemoteImage").inputs.name).toBe("registry:3.0.0");
    expect(c.inputs).toMatchObject({ name: "berth-registry", restart: "always", command: ["/etc/berth/registry/config.yml"] });
    const data = { hostPath: "/var/lib/berth/registry", containerPath: "/var/lib/berth/registry", readOnly: false };
    if (stack === "dev") expect(c.inputs.volumes).toContainEqual(data);
    else expect(c.inputs.volumes).not.toContainEqual(data);
    // A digest of the registry's files (secret: it is computed from the htpasswd).
    expect(String((plain(c.inputs.envs) as string[])[0])).toMatch(/^BERTH_FILES_SHA256=[0-9a-f]{16}$/);
  });

  it("gives the registry a stable http.secret from the stack, as a secret, never in its public config", () => {
    const c = one(r(), "docker:index/container:Container");
    expect(isSecretValue(c.inputs.envs)).toBe(true);
    const secret = plain(one(r(), "random:index/randomPassword:RandomPassword", "services-registry-http-secret").state.result) as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(plain(c.inputs.envs)).toContain(`REGISTRY_HTTP_SECRET=${secret}`);
    const config = String(one(r(), CMD, "services-registry-config-apply").inputs.stdin);
    expect(config).not.toContain(secret);
    expect(config).not.toMatch(/^\s+secret:/m);
  });
});

describe("exposure per stack", () => {
  it("dev publishes the registry on all addresses with its own TLS, and opens its port", () => {
    const c = one(runs.dev, "docker:index/container:Container");
    expect(c.inputs.ports).toEqual([{ internal: 5000, external: 5000, ip: "0.0.0.0" }]);
    expect(ofType(runs.dev, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").some((x) => x.inputs.fromPort === 5000)).toBe(true);
  });

  it("prod runs the registry on the host network bound to 127.0.0.1 behind nginx, and its port stays closed", () => {
    const c = one(runs.prod, "docker:index/container:Container");
    // The host network: the only way to the instance role, since IMDSv2's hop limit of 1 keeps bridged containers out.
    expect(c.inputs.networkMode).toBe("host");
    expect(c.inputs.ports).toBeUndefined();
    expect(String(one(runs.prod, CMD, "services-registry-config-apply").inputs.stdin)).toContain('addr: "127.0.0.1:5000"');
    expect(
      ofType(runs.prod, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").some(
        (x) => Number(x.inputs.fromPort) <= 5000 && Number(x.inputs.toPort) >= 5000,
      ),
    ).toBe(false);
  });

  it("prod runs certbot only after nginx serves the challenge path and the DNS records exist", () => {
    const certbot = one(runs.prod, CMD, "services-certbot");
    const script = String(certbot.inputs.stdin);
    expect(script).toContain("certbot certonly --webroot -w /var/www/berth-acme");
    expect(script).toContain("--deploy-hook /etc/letsencrypt/renewal-hooks/berth-reload-nginx.sh");
    expect(certbot.options.dependencies).toContain(urnOf(runs.prod, "services-proxy-config-apply"));
    // dependsOn the Dns component: the engine waits for every record in it.
    const records = ofType(runs.prod, "aws:route53/record:Record").concat(ofType(runs.prod, "cloudflare:index/dnsRecord:DnsRecord"));
    expect(records.length).toBeGreaterThan(0);
    for (const rec of records) expect(certbot.options.dependencies).toContain(rec.urn);
    expect(ofType(runs.dev, CMD).some((x) => x.name.includes("certbot"))).toBe(false);
  });
});

describe("the fake cloud", () => {
  it("fails a run that makes an invoke it does not know, instead of passing silently", async () => {
    const { runStack } = await import("../../offline/engine");
    const { readStackFile } = await import("../../offline/stackFile");
    await expect(
      runStack({
        ...readStackFile("dev"),
        customize: (cloud) => {
          delete cloud.calls["aws:ec2/getAmi:getAmi"];
        },
      }),
    ).rejects.toThrow(/unmocked invoke aws:ec2\/getAmi:getAmi/);
  });
});

describe("a replaced host", () => {
  it("re-runs every delivery: each remote command is triggered by the instance id", () => {
    for (const stack of ["dev", "prod"]) {
      const r = runs[stack];
      const id = one(r, "aws:ec2/instance:Instance").id;
      const commands = ofType(r, CMD);
      expect(commands.length).toBeGreaterThan(5);
      for (const c of commands) expect(c.inputs.triggers, `${stack} ${c.name}`).toContain(id);
      expect(String((plain(one(r, "docker:index/container:Container").inputs.envs) as string[])[1])).toBe(`BERTH_HOST=${String(id)}`);
    }
  });
});

describe("a new certificate", () => {
  it("reloads nginx when TLS files change, and restarts the registry only where it serves TLS itself", async () => {
    const tlsApply = String(plain(one(runs.dev, CMD, "services-tls-apply").inputs.stdin));
    expect(tlsApply).toContain("nginx -t -q && systemctl reload nginx");
    const changedDev = await run(stackWith("dev", { tls: { ...section("dev", "tls"), validityDays: 200 } }));
    const env = (r: RunResult) => JSON.stringify(one(r, "docker:index/container:Container").inputs.envs);
    expect(env(changedDev)).not.toBe(env(runs.dev));
    expect(JSON.stringify(one(changedDev, CMD, "services-proxy-config-apply").inputs)).toBe(
      JSON.stringify(one(runs.dev, CMD, "services-proxy-config-apply").inputs),
    );
  });
});
