// HostServices on its own (public mock API), with settings parsed from the shipped stack files and
// mapped by wiring/args.ts: which deliveries exist for which settings, which of them travel as
// secrets, what each waits for, the registry's login and address, the basic-auth logins, and the
// two guards (an s3 registry without a bucket, a certificate that disagrees with the TLS mode).
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../config";
import { HostServices } from "../../components/hostServices";
import { renderAcmePreflight } from "../../components/render/bundle";
import { letsEncryptPlan, renderCertbotCommand, renderDeployHook } from "../../components/render/certbot";
import { checkProvisioned, installCertbot, makeDirectory, reloadNginxIfActive } from "../../components/render/hostCommands";
import { htpasswdEntry } from "../../components/render/htpasswd";
import type { ServedCertificate } from "../../components/tls";
import { servedNames } from "../../lib/certificates";
import { toRawConfigInput } from "../../offline/stackFile";
import { hostServicesArgs, type HostServicesDeps } from "../../wiring/args";
import { failure, isSecret, mockComponents, secretOf, valueOf, type ComponentMocks, type Registered } from "../helpers/componentMocks";
import { section, stackWith } from "../helpers/stack";

const config = (stack: string, edits: Record<string, unknown> = {}, secrets: Record<string, string> = {}): Config =>
  parseConfig(toRawConfigInput(stackWith(stack, edits, secrets)));
// Minimal: nothing but the TLS files and the deploy tooling (registry and nginx both off).
const bare = config("dev", { registry: { ...section("dev", "registry"), enabled: false }, proxy: { enabled: false } });
// dev as shipped: the registry direct on :5000 with images on the host, nginx without basic auth.
const dev = config("dev");
// Full: prod as shipped (registry behind nginx with images in S3, an extra host with basic auth,
// Cloudflare-proxied names, Let's Encrypt) with the registry password given.
const GIVEN_PASSWORD = "Given0Registry0Password0123";
const prod = config("prod", {}, { registryPassword: GIVEN_PASSWORD });

const IP = "203.0.113.10";
const DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEdeploykey ci@berth";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEhostkey";
const CERT = "-----BEGIN CERTIFICATE-----\nFAKE-served-cert\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nFAKE-served-key\n-----END PRIVATE KEY-----\n";
const CA = "-----BEGIN CERTIFICATE-----\nFAKE-served-ca\n-----END CERTIFICATE-----\n";
const BUCKET = "berth-prod-registry-0001";
const RANGES = ["173.245.48.0/20", "2400:cb00::/32"];
const SALT = "generated-services-htpasswd-salt-key";

const CMD = "command:remote:Command";

let m: ComponentMocks;
let dns: pulumi.Resource;
beforeEach(async () => {
  m = await mockComponents();
  // Stands for the DNS records certbot waits for.
  dns = new pulumi.ComponentResource("test:index:Records", "records", {}, m.opts);
});

const selfSigned = (): ServedCertificate => ({ kind: "files", certPem: pulumi.output(CERT), keyPem: pulumi.secret(KEY), caPem: pulumi.output(CA) });
function certbot(cfg: Config): ServedCertificate {
  const names = servedNames(cfg);
  const plan = letsEncryptPlan(names, cfg.tls.email!, cfg.tls.staging);
  return { kind: "certbot", plan: { command: renderCertbotCommand(plan), deployHook: renderDeployHook(), hookPath: plan.deployHookPath, names } };
}
function deps(served: ServedCertificate, extra: Partial<HostServicesDeps> = {}): HostServicesDeps {
  return {
    host: {
      publicIp: pulumi.output(IP),
      instanceId: pulumi.output("i-0host"),
      sshPrivateKey: pulumi.secret("ADMIN KEY"),
      hostPublicKey: HOST_KEY,
      deployPublicKey: DEPLOY_KEY,
    },
    tls: { served },
    dns,
    ...extra,
  };
}
const prodDeps = (): HostServicesDeps => deps(certbot(prod), { registryStorage: { bucketName: pulumi.output(BUCKET) }, cloudflareRanges: RANGES });

/** The resources HostServices made (not the test's own stand-in), as "type name", sorted. */
const made = (): string[] =>
  m.resources
    .filter((r) => r.name !== "records")
    .map((r) => `${r.type} ${r.name}`)
    .sort();
const named = (name: string): Registered => {
  const found = m.resources.filter((r) => r.name === name);
  expect(
    found.map((r) => r.name),
    name,
  ).toHaveLength(1);
  return found[0];
};
const stdinOf = (name: string): unknown => m.one(CMD, name).inputs.stdin;
/** The stdin of a delivery that travels as a secret. */
const secretStdin = (name: string): string => {
  const stdin = stdinOf(name);
  expect(stdin, `${name} stdin is a secret`).toEqual(secretOf(expect.any(String)));
  return (stdin as { value: string }).value;
};
/** The stdin of a delivery that travels in the clear (a preview shows its diff). */
const publicStdin = (name: string): string => {
  const stdin = stdinOf(name);
  expect(typeof stdin, `${name} stdin is in the clear`).toBe("string");
  return stdin as string;
};

describe("HostServices, minimal: registry and nginx disabled", () => {
  it("waits for cloud-init, then delivers the TLS files and the deploy tooling only", async () => {
    const hs = new HostServices("services", hostServicesArgs(bare, deps(selfSigned())), m.opts);
    const [host, password, logins] = await Promise.all([valueOf(hs.registryHost), valueOf(hs.registryPassword), valueOf(hs.extraHostLogins)]);
    await m.settle();

    expect(made()).toEqual([
      "berth:deploy:DeployTooling services-deploy",
      "berth:host:HostServices services",
      "berth:host:RemoteFiles services-deploy-files",
      "berth:host:RemoteFiles services-tls",
      `${CMD} services-deploy-files-apply`,
      `${CMD} services-provisioned`,
      `${CMD} services-tls-apply`,
      "random:index/randomPassword:RandomPassword services-htpasswd-salt-key",
    ]);
    const provisioned = m.one(CMD, "services-provisioned");
    expect(provisioned.inputs).toMatchObject({ create: checkProvisioned(), triggers: ["i-0host"] });
    expect(provisioned.inputs.stdin).toBeUndefined();
    expect(provisioned.inputs.connection).toEqual(
      secretOf(expect.objectContaining({ host: IP, user: "ubuntu", port: 22, privateKey: "ADMIN KEY", hostKey: HOST_KEY })),
    );

    // Nothing serves TLS (no nginx, no direct registry): the TLS delivery still runs, with no file.
    const tls = secretStdin("services-tls-apply");
    expect(tls).toContain('# Berth bundle "services-tls": 0 file(s).');
    expect(tls).not.toContain(KEY);
    const deploy = publicStdin("services-deploy-files-apply");
    expect(deploy).not.toContain("berth-registry-retention.timer");
    expect(deploy).not.toContain(KEY);

    expect(named("services-tls").dependsOn).toEqual(["services-provisioned"]);
    expect(named("services-deploy-files").dependsOn).toEqual(["services-provisioned"]);
    expect(m.resources.filter((r) => r.name !== "records" && r.name !== "services").every((r) => r.parent !== undefined)).toBe(true);

    expect(host).toBe("");
    expect(hs.registryUsername).toBe("");
    expect(password).toBe("");
    expect(await isSecret(hs.registryPassword)).toBe(true);
    expect(logins).toEqual({});
    expect(await isSecret(hs.extraHostLogins)).toBe(true);
  });
});

describe("HostServices, dev as shipped: registry direct, nginx without basic auth", () => {
  it("delivers the TLS files, and serves the registry on the host's IP from a host directory", async () => {
    const hs = new HostServices("services", hostServicesArgs(dev, deps(selfSigned())), m.opts);
    const [host, password] = await Promise.all([valueOf(hs.registryHost), valueOf(hs.registryPassword)]);
    await m.settle();

    // The certificate, its key and the CA, as a secret; nginx reloads if it runs.
    const tls = secretStdin("services-tls-apply");
    for (const text of [CERT, KEY, CA, "/etc/berth/tls/server.crt", "/etc/berth/tls/server.key", "/etc/berth/tls/ca.crt", reloadNginxIfActive()])
      expect(tls).toContain(text);

    expect(host).toBe(`${IP}:5000`);
    expect([hs.registryUsername, password]).toEqual(["ci", "generated-services-registry-password"]);
    expect(await isSecret(hs.registryPassword)).toBe(true);
    expect(m.one("random:index/randomPassword:RandomPassword", "services-registry-password").inputs).toMatchObject({ length: 32, special: false });

    const container = m.one("docker:index/container:Container", "services-registry-container");
    expect(container.inputs.ports).toEqual([{ internal: 5000, external: 5000, ip: "0.0.0.0" }]);
    expect(container.inputs.volumes).toContainEqual({ hostPath: dev.registry.dataDir, containerPath: dev.registry.dataDir, readOnly: false });
    expect(container.provider).toBe("services-docker-provider");
    expect(publicStdin("services-registry-config-apply")).toContain(makeDirectory("0750", dev.registry.dataDir));
    expect(secretStdin("services-registry-secrets-apply")).toContain(htpasswdEntry("ci", "generated-services-registry-password", SALT));
    // The host's own pulls log in over loopback with the same password.
    expect(secretStdin("services-deploy-auth-apply")).toContain(Buffer.from("ci:generated-services-registry-password").toString("base64"));

    // No extra host asks for a password: no basic-auth delivery; no certbot outside letsencrypt.
    expect(m.resources.map((r) => r.name)).not.toContain("services-proxy-auth");
    expect(m.resources.map((r) => r.name)).not.toContain("services-certbot");
    expect(named("services-proxy-config").dependsOn).toEqual(["services-provisioned", "services-tls-apply", "services-deploy-files-apply"]);
    expect(publicStdin("services-proxy-config-apply")).not.toContain("set_real_ip_from");
  });
});

describe("HostServices, full: prod with the registry behind nginx in S3, basic auth, real IPs and Let's Encrypt", () => {
  it("makes every delivery, each waiting for what it needs", async () => {
    const hs = new HostServices("services", hostServicesArgs(prod, prodDeps()), m.opts);
    const [host, password, logins] = await Promise.all([valueOf(hs.registryHost), valueOf(hs.registryPassword), valueOf(hs.extraHostLogins)]);
    await m.settle();

    const commands = m
      .ofType(CMD)
      .map((c) => c.name)
      .sort();
    expect(commands).toEqual([
      "services-certbot",
      "services-deploy-auth-apply",
      "services-deploy-files-apply",
      "services-docker-bootstrap",
      "services-provisioned",
      "services-proxy-auth-apply",
      "services-proxy-config-apply",
      "services-registry-config-apply",
      "services-registry-secrets-apply",
      "services-tls-apply",
    ]);
    expect(
      m
        .ofType("random:index/randomPassword:RandomPassword")
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      // (No registry password: it is given.)
      "services-auth-jenkins-example-com",
      "services-htpasswd-salt-key",
      "services-registry-http-secret",
    ]);
    expect(m.one("docker:index/remoteImage:RemoteImage").inputs.name).toBe(prod.registry.image);

    // Keys and password hashes travel as secrets; the configurations in the clear.
    for (const name of [
      "services-tls-apply",
      "services-registry-secrets-apply",
      "services-deploy-auth-apply",
      "services-proxy-auth-apply",
      "services-docker-bootstrap",
    ])
      secretStdin(name);
    for (const name of ["services-registry-config-apply", "services-deploy-files-apply", "services-proxy-config-apply", "services-certbot"]) {
      expect(publicStdin(name), name).not.toMatch(/PRIVATE KEY|\$2y\$/);
    }

    // What each waits for.
    const dependsOn = (name: string): string[] => named(name).dependsOn;
    expect(dependsOn("services-tls")).toEqual(["services-provisioned"]);
    expect(dependsOn("services-docker")).toEqual(["services-provisioned"]);
    expect(dependsOn("services-registry-config")).toEqual(["services-docker-bootstrap", "services-tls-apply"]);
    expect(dependsOn("services-registry-secrets")).toEqual(["services-docker-bootstrap", "services-tls-apply"]);
    expect(dependsOn("services-registry-container")).toEqual(["services-registry-config-apply", "services-registry-secrets-apply"]);
    expect(dependsOn("services-deploy-auth")).toEqual(["services-provisioned"]);
    expect(dependsOn("services-deploy-files")).toEqual(["services-provisioned", "services-deploy-auth-apply"]);
    // nginx after the switch exists (deploy tooling) and the TLS files are in place; auth files first.
    expect(dependsOn("services-proxy-auth")).toEqual(["services-provisioned", "services-tls-apply", "services-deploy-files-apply"]);
    expect(dependsOn("services-proxy-config")).toEqual([
      "services-provisioned",
      "services-tls-apply",
      "services-deploy-files-apply",
      "services-proxy-auth-apply",
    ]);
    // certbot once nginx serves the challenge and the DNS records exist.
    expect(dependsOn("services-certbot")).toEqual(["services-proxy-config-apply", "records"]);

    expect(host).toBe("docker.example.com");
    expect([hs.registryUsername, password]).toEqual(["ci", GIVEN_PASSWORD]);
    expect(await isSecret(hs.registryPassword)).toBe(true);
    expect(logins).toEqual({ "jenkins.example.com": { username: "admin", password: "generated-services-auth-jenkins-example-com" } });
    expect(await isSecret(hs.extraHostLogins)).toBe(true);
  });

  it("fills the files from the bucket, the logins, Cloudflare's ranges and a bootstrap certificate", async () => {
    new HostServices("services", hostServicesArgs(prod, prodDeps()), m.opts);
    await m.settle();

    // The registry: images in the bucket, on the host network (the metadata service gives it the role).
    const registryConfig = publicStdin("services-registry-config-apply");
    expect(registryConfig).toContain(BUCKET);
    expect(registryConfig).toContain(prod.region);
    expect(registryConfig).not.toContain(makeDirectory("0750", prod.registry.dataDir));
    expect(m.one("docker:index/container:Container").inputs.networkMode).toBe("host");
    expect(secretStdin("services-registry-secrets-apply")).toContain(htpasswdEntry("ci", GIVEN_PASSWORD, SALT));
    expect(secretStdin("services-proxy-auth-apply")).toContain(htpasswdEntry("admin", "generated-services-auth-jenkins-example-com", SALT));

    const nginx = publicStdin("services-proxy-config-apply");
    for (const r of RANGES) expect(nginx).toContain(`set_real_ip_from ${r};`);
    expect(nginx).toContain("jenkins.example.com");
    expect(nginx).toContain("docker.example.com");

    // letsencrypt: a self-signed bootstrap pair for the served names, until certbot replaces it.
    const names = servedNames(prod);
    expect(m.one("tls:index/selfSignedCert:SelfSignedCert", "services-bootstrap-cert").inputs).toMatchObject({
      dnsNames: names,
      subject: { commonName: names[0] },
      validityPeriodHours: 90 * 24,
      allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
    });
    const tls = secretStdin("services-tls-apply");
    expect(tls).toContain("FAKE-services-bootstrap-cert");
    expect(tls).toContain("FAKE-services-bootstrap-key");
    expect(tls).not.toContain("/etc/berth/tls/ca.crt");

    // certbot: its hook, the install, the preflight of every name, then the plan's command.
    const plan = (certbot(prod) as Extract<ServedCertificate, { kind: "certbot" }>).plan;
    const script = publicStdin("services-certbot");
    expect(m.one(CMD, "services-certbot").inputs.create).toBe("sudo bash -s");
    for (const line of [installCertbot(), ...renderAcmePreflight(names, "berth-prod"), plan.command, plan.hookPath]) expect(script).toContain(line);
    expect(script.indexOf(installCertbot())).toBeLessThan(script.indexOf(plan.command));
  });
});

describe("HostServices guards", () => {
  it("refuses a registry kept in S3 without its bucket", async () => {
    const { registryStorage: _none, ...noBucket } = prodDeps();
    const err = await failure(() => new HostServices("services", hostServicesArgs(prod, noBucket), m.opts));
    expect(err.message).toContain("registry storage is s3 but no bucket was given");
  });

  it("refuses a certificate whose kind disagrees with the TLS mode", async () => {
    const files = await failure(() => new HostServices("services", hostServicesArgs(prod, { ...prodDeps(), tls: { served: selfSigned() } }), m.opts));
    expect(files.message).toContain("tls.mode letsencrypt was handed a certificate of kind files");
    const plan = await failure(() => new HostServices("services2", hostServicesArgs(dev, deps(certbot(prod))), m.opts));
    expect(plan.message).toContain("tls.mode self-signed was handed a certificate of kind certbot");
  });
});

describe("HostServices with a data volume", () => {
  it("delivers the step and its boot unit after cloud-init and the attachment, runs it with the size, and the deploy tooling waits for it", async () => {
    const attachment = new pulumi.ComponentResource("test:index:Attachment", "attachment", {}, m.opts);
    const volume = { volumeId: pulumi.output("vol-0123456789abcdef0"), sizeGiB: pulumi.output(50) };
    const hs = new HostServices("services", hostServicesArgs(prod, { ...prodDeps(), dataVolume: volume, dataAttachment: attachment }), m.opts);
    await m.settle();
    expect(hs.dataVolumeMounted).toBeDefined();
    expect(named("services-data-volume").dependsOn).toEqual(["services-provisioned", "attachment"]);
    const stdin = publicStdin("services-data-volume-apply");
    expect(stdin).toContain("'/usr/local/lib/berth/berth-data-volume'");
    expect(stdin).toContain("'/etc/systemd/system/berth-data-volume.service'");
    expect(stdin).toContain("systemctl enable berth-data-volume.service >/dev/null 2>&1\n");
    expect(stdin).toContain("--volume-id vol-0123456789abcdef0 --mount /srv/berth --label berth-data");
    expect(stdin).toMatch(/--device \/dev\/xvdf --size-gib 50\n/);
    expect(named("services-deploy-files").dependsOn).toEqual(["services-provisioned", "services-data-volume-apply", "services-deploy-auth-apply"]);
  });

  it("without one: no such delivery, and the deploy tooling waits for cloud-init only", async () => {
    const hs = new HostServices("services", hostServicesArgs(prod, prodDeps()), m.opts);
    await m.settle();
    expect(hs.dataVolumeMounted).toBeUndefined();
    expect(m.resources.some((r) => r.name.startsWith("services-data-volume"))).toBe(false);
    expect(named("services-deploy-files").dependsOn).toEqual(["services-provisioned", "services-deploy-auth-apply"]);
  });
});
