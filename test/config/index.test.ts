// Table tests for config validation: each bad input names the key, shows the value and says
// what is allowed, before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config";
import { toRawConfigInput } from "../../offline/stackFile";
import { rejection, section, stackWith } from "../helpers/stack";

function problems(stack: string, edits: Record<string, unknown>, secrets: Record<string, string> = {}): string {
  return rejection(toRawConfigInput(stackWith(stack, edits, secrets))).message;
}

const devNet = section("dev", "network");
const devFw = section("dev", "firewall");
/** The dev proxy section with its one app changed by `edit`. */
function devProxy(edit: Record<string, unknown>): Record<string, unknown> {
  const proxy = section("dev", "proxy") as { apps: Array<Record<string, unknown>> };
  return { ...proxy, apps: [{ ...proxy.apps[0], ...edit }] };
}

describe("the shipped stacks", () => {
  it.each(["dev", "prod"])("%s validates", (stack) => {
    const cfg = parseConfig(toRawConfigInput(stackWith(stack)));
    expect(cfg.stack).toBe(stack);
    expect(cfg.network.publicSubnetCidrs).toHaveLength(2);
  });
  it("resolves defaults for omitted sections and fields", () => {
    const cfg = parseConfig(toRawConfigInput(stackWith("dev", { host: undefined, network: { vpcCidr: "10.9.0.0/16" } })));
    expect(cfg.host.instanceType).toBe("t3.xlarge");
    expect(cfg.host.amiOwner).toBe("099720109477");
    expect(cfg.network.publicSubnetCidrs).toEqual(["10.9.0.0/20", "10.9.16.0/20"]);
    expect(cfg.network.databaseSubnetCidrs).toEqual(["10.9.32.0/20", "10.9.48.0/20"]);
    expect(cfg.database.deletionProtection).toBe(false); // dev sets it
    expect(parseConfig(toRawConfigInput(stackWith("dev", { database: {} }))).database.deletionProtection).toBe(true);
  });
});

describe("hardening keys (issue 9)", () => {
  const prodProxy = section("prod", "proxy");
  const prodReg = section("prod", "registry");
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "preload without includeSubdomains",
      { proxy: { ...prodProxy, hstsPreload: true } },
      /berth:proxy\.hstsPreload = true: browsers' preload lists take only HSTS with includeSubDomains and a max-age of at least 31536000 s/,
    ],
    [
      "preload with a short max-age",
      { proxy: { ...prodProxy, hstsPreload: true, hstsIncludeSubdomains: true, hstsMaxAgeSeconds: 86400 } },
      /berth:proxy\.hstsPreload = true: .*\(now true and 86400\)/,
    ],
    ["HSTS beyond two years", { proxy: { ...prodProxy, hstsMaxAgeSeconds: 63072001 } }, /berth:proxy\.hstsMaxAgeSeconds = 63072001: must be <= 63072000/],
    [
      "passAuthorization without basic auth",
      { proxy: { ...prodProxy, extraHosts: [{ hostname: "jenkins.example.com", upstream: "http://127.0.0.1:8088", passAuthorization: true }] } },
      /berth:proxy\.extraHosts\[0\]\.passAuthorization = true: applies only with basicAuthUser/,
    ],
    ["unknown storage", { registry: { ...prodReg, storage: "ebs" } }, /berth:registry\.storage = "ebs": .*"s3"|berth:registry\.storage = "ebs"/],
    [
      "s3 with a registry 2.x image",
      { registry: { ...prodReg, image: "registry:2.8.3" } },
      /berth:registry\.image = "registry:2\.8\.3": storage s3 needs registry 3\.0\.0 or newer/,
    ],
    ["unknown log export", { database: { ...section("prod", "database"), logExports: ["error", "audit"] } }, /berth:database\.logExports\[1\] = "audit"/],
    [
      "a log exported twice",
      { database: { ...section("prod", "database"), logExports: ["error", "error"] } },
      /berth:database\.logExports = \["error","error"\]: must not list a log twice/,
    ],
    ["flow logs not a boolean", { network: { ...section("prod", "network"), flowLogs: "yes" } }, /berth:network\.flowLogs = "yes"/],
  ])("%s", (_name, edits, expected) => {
    expect(problems("prod", edits)).toMatch(expected);
  });

  it("accepts preload with includeSubdomains and a year or more, and defaults to two years without either", () => {
    expect(() => parseConfig(toRawConfigInput(stackWith("prod", { proxy: { ...prodProxy, hstsPreload: true, hstsIncludeSubdomains: true } })))).not.toThrow();
    const cfg = parseConfig(
      toRawConfigInput(
        stackWith("prod", {
          proxy: { enabled: true, apps: [{ name: "a", hostnames: ["example.com"], frontend: { livePort: 3, bluePort: 1, greenPort: 2 } }] },
        }),
      ),
    );
    expect(cfg.proxy).toMatchObject({ hstsMaxAgeSeconds: 63072000, hstsIncludeSubdomains: false, hstsPreload: false });
  });

  it("defaults to the safe side: S3 storage, flow logs on, error and slow query logs exported", () => {
    const cfg = parseConfig(
      toRawConfigInput(stackWith("prod", { registry: { expose: "proxy", hostname: "docker.example.com" }, network: {}, database: {}, host: {} })),
    );
    expect(cfg.registry).toMatchObject({ storage: "s3", image: "registry:3.0.0" });
    expect(cfg.network).toMatchObject({ flowLogs: true, flowLogRetentionDays: 90 });
    expect(cfg.database).toMatchObject({ logExports: ["error", "slowquery"], logRetentionDays: 30, slowQuerySeconds: 2 });
    const dev = parseConfig(toRawConfigInput(stackWith("dev")));
    expect(dev.registry.storage).toBe("filesystem");
    expect(dev.network.flowLogs).toBe(false);
    expect(dev.database.logExports).toEqual([]);
  });
});

describe("validation errors name the key, the value and what is allowed", () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["malformed VPC CIDR", { network: { ...devNet, vpcCidr: "10.0.0.0/33" } }, /berth:network\.vpcCidr = "10\.0\.0\.0\/33": must be an IPv4 CIDR/],
    [
      "host bits set",
      { network: { ...devNet, publicSubnetCidrs: ["10.20.0.5/24", "10.20.1.0/24"] } },
      /berth:network\.publicSubnetCidrs\[0\] = "10\.20\.0\.5\/24": must be an IPv4 CIDR/,
    ],
    [
      "subnet outside the VPC",
      { network: { ...devNet, publicSubnetCidrs: ["10.99.0.0/24", "10.20.1.0/24"] } },
      /berth:network\.publicSubnetCidrs\[0\] = "10\.99\.0\.0\/24": must lie inside the VPC 10\.20\.0\.0\/16/,
    ],
    [
      "overlapping subnets",
      { network: { ...devNet, databaseSubnetCidrs: ["10.20.0.128/25", "10.20.11.0/24"] } },
      /berth:network\.databaseSubnetCidrs\[0\] = "10\.20\.0\.128\/25": overlaps berth:network\.publicSubnetCidrs\[0\]/,
    ],
    [
      "both subnets in one AZ",
      { network: { ...devNet, availabilityZones: ["ap-northeast-2a", "ap-northeast-2a"] } },
      /berth:network\.availabilityZones = \["ap-northeast-2a","ap-northeast-2a"\]: both subnets are in the same AZ/,
    ],
    [
      "AZ of another region",
      { network: { ...devNet, availabilityZones: ["us-east-1a", "ap-northeast-2c"] } },
      /berth:network\.availabilityZones\[0\] = "us-east-1a": is not a zone of region ap-northeast-2/,
    ],
    [
      "only one public subnet",
      { network: { ...devNet, publicSubnetCidrs: ["10.20.0.0/24"] } },
      /berth:network\.publicSubnetCidrs = \["10\.20\.0\.0\/24"\]: must have exactly 2 item/,
    ],
    ["VPC too small", { network: { vpcCidr: "10.0.0.0/26" } }, /berth:network\.vpcCidr = "10\.0\.0\.0\/26": VPC prefix must be \/16 to \/24/],
    [
      "SSH open to the world",
      { firewall: { ...devFw, adminCidrs: ["0.0.0.0/0"] } },
      /berth:firewall\.adminCidrs\[0\] = "0\.0\.0\.0\/0": SSH and admin ports must not be open to the whole internet/,
    ],
    [
      "SSH port opened to anywhere by a rule",
      { firewall: { ...devFw, ingress: [{ port: 20, toPort: 30, from: "anywhere", description: "oops" }] } },
      /berth:firewall\.ingress\[0\] = .*opens SSH \(port 22\) to 0\.0\.0\.0\/0; use from: admin/,
    ],
    [
      "MySQL opened to anywhere",
      { firewall: { ...devFw, ingress: [{ port: 3306, from: "anywhere", description: "db" }] } },
      /opens MySQL \(port 3306\) to 0\.0\.0\.0\/0/,
    ],
    ["no admin CIDRs", { firewall: { ...devFw, adminCidrs: [] } }, /berth:firewall\.adminCidrs = \[\]: must have at least 1 item/],
    ["firewall missing", { firewall: undefined }, /berth:firewall = \(not set\): is required/],
    [
      "rule without description",
      { firewall: { ...devFw, ingress: [{ port: 8000, from: "anywhere" }] } },
      /berth:firewall\.ingress\[0\]\.description = \(not set\): is required/,
    ],
    ["port out of range", { firewall: { ...devFw, sshPort: 70000 } }, /berth:firewall\.sshPort = 70000: must be <= 65535/],
    ["port zero", { registry: { ...section("dev", "registry"), port: 0 } }, /berth:registry\.port = 0: must be >= 1/],
    [
      "unknown instance type",
      { host: { instanceType: "t3.humongous" } },
      /berth:host\.instanceType = "t3\.humongous": must be an EC2 instance type like t3\.xlarge/,
    ],
    ["unknown DB class", { database: { instanceClass: "t3.micro" } }, /berth:database\.instanceClass = "t3\.micro": must be an RDS class like db\.t3\.micro/],
    ["MySQL 5.7", { database: { engineVersion: "5.7" } }, /berth:database\.engineVersion = "5\.7": must be an RDS for MySQL version: 8\.0 or 8\.4/],
    [
      "protected DB without backups",
      { database: { backupRetentionDays: 0 } },
      /berth:database\.backupRetentionDays = 0: a deletion-protected database needs backups/,
    ],
    [
      "zone without a domain",
      { dns: { zones: [{ provider: "route53", records: [{ name: "host", type: "A" }] }] } },
      /berth:dns\.zones\[0\]\.domain = \(not set\): is required/,
    ],
    [
      "proxied registry without its hostname",
      { registry: { ...section("prod", "registry"), hostname: undefined } },
      /berth:registry\.hostname = \(not set\): is required when berth:registry\.expose is "proxy"/,
    ],
    ["typo at the top level", { netwrok: { vpcCidr: "10.0.0.0/16" } }, /berth:netwrok = .*unknown key \(did you mean "network"\?\)/],
    [
      "typo in a section",
      { network: { ...devNet, vpcCidrr: "10.0.0.0/16" } },
      /berth:network\.vpcCidrr = "10\.0\.0\.0\/16": unknown key \(did you mean "vpcCidr"\?\); allowed here: vpcCidr/,
    ],
    [
      "typo in a list item",
      { firewall: { ...devFw, ingress: [{ port: 8000, from: "anywhere", description: "x", form: "admin" }] } },
      /berth:firewall\.ingress\[0\]\.form = "admin": unknown key \(did you mean "from"\?\)/,
    ],
    [
      "wrong enum",
      { registry: { ...section("dev", "registry"), expose: "public" } },
      /berth:registry\.expose = "public": Invalid option: expected one of "direct"\|"proxy"/,
    ],
    [
      "floating registry tag",
      { registry: { ...section("dev", "registry"), image: "registry:2" } },
      /berth:registry\.image = "registry:2": must be an exact registry image/,
    ],
    ["section that is not an object", { network: "10.0.0.0/16" }, /berth:network = "10\.0\.0\.0\/16": must be an object/],
    ["region missing", { "aws:region": undefined }, /aws:region = \(not set\): must be an AWS region/],
    [
      "app part without a live port",
      { proxy: devProxy({ frontend: { bluePort: 3001, greenPort: 3002 } }) },
      /berth:proxy\.apps\[0\]\.frontend\.livePort = \(not set\): is required/,
    ],
    [
      "live port shared with a color",
      { proxy: devProxy({ frontend: { livePort: 3001, bluePort: 3001, greenPort: 3002 } }) },
      /berth:proxy\.apps\[0\]\.frontend\.livePort = 3001: port 3001 is already used by berth:proxy\.apps\[0\]\.frontend\.bluePort \(app web, frontend blue\)/,
    ],
    [
      "health path that is no path",
      { proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 3002, health: { path: "healthz" } } }) },
      /berth:proxy\.apps\[0\]\.frontend\.health\.path = "healthz": must be a URL path like \/healthz/,
    ],
    [
      "health deadline of zero",
      { proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 3002, health: { deadlineSeconds: 0 } } }) },
      /berth:proxy\.apps\[0\]\.frontend\.health\.deadlineSeconds = 0: must be >= 1/,
    ],
    [
      "relative env file",
      { proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 3002, envFile: "web.env" } }) },
      /berth:proxy\.apps\[0\]\.frontend\.envFile = "web\.env": must be an absolute host path/,
    ],
    [
      "volume without a target",
      { proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 3002, volumes: ["/srv/data"] } }) },
      /berth:proxy\.apps\[0\]\.frontend\.volumes\[0\] = "\/srv\/data": must be HOST_PATH:CONTAINER_PATH/,
    ],
    [
      "unknown restart policy",
      { proxy: devProxy({ restart: "sometimes" }) },
      /berth:proxy\.apps\[0\]\.restart = "sometimes": Invalid option: expected one of "no"\|"always"\|"unless-stopped"\|"on-failure"/,
    ],
    [
      "repository with capitals",
      { proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 3002, repository: "Web" } }) },
      /berth:proxy\.apps\[0\]\.frontend\.repository = "Web": must be a registry repository name/,
    ],
    [
      "one repository for two parts",
      { proxy: devProxy({ backend: { livePort: 8080, bluePort: 8081, greenPort: 8082, repository: "web-frontend" } }) },
      /berth:proxy\.apps\[0\]\.backend\.repository = "web-frontend": repository web-frontend is already used by berth:proxy\.apps\[0\]\.frontend/,
    ],
    ["retention keeping nothing", { registry: { ...section("dev", "registry"), retention: { keep: 0 } } }, /berth:registry\.retention\.keep = 0: must be >= 1/],
    [
      "retention schedule with a shell",
      { registry: { ...section("dev", "registry"), retention: { schedule: "daily; rm -rf /" } } },
      /berth:registry\.retention\.schedule = "daily; rm -rf \/": must be a systemd calendar expression/,
    ],
  ])("%s", (_label, edits, expected) => {
    expect(problems("dev", edits)).toMatch(expected);
  });

  it("is a RunError without stack frames, which Pulumi would never print and would format slowly", () => {
    const err = rejection(toRawConfigInput(stackWith("dev", { host: { instanceType: "big" } })));
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect(err.stack).toBe(`ConfigError: ${err.message}`);
  });

  it("lists every problem at once", () => {
    const msg = problems("dev", { host: { instanceType: "big", rootVolumeGiB: 2 }, database: { instanceClass: "small" } });
    expect(msg).toMatch(/berth:host\.instanceType/);
    expect(msg).toMatch(/berth:host\.rootVolumeGiB = 2: must be >= 8/);
    expect(msg).toMatch(/berth:database\.instanceClass/);
  });

  it("refuses a password typed in plain text and never echoes it", () => {
    const input = toRawConfigInput(stackWith("dev", { databasePassword: "hunter2-plain" }));
    expect(() => parseConfig(input)).toThrow(
      /berth:databasePassword = "\(hidden\)": must be stored encrypted: pulumi config set --secret berth:databasePassword/,
    );
    try {
      parseConfig(input);
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
    }
  });

  it("accepts the same password as a secret", () => {
    const cfg = parseConfig(toRawConfigInput(stackWith("dev", {}, { databasePassword: "Correct-Horse-42" })));
    expect(cfg.secrets.databasePassword).toBe("Correct-Horse-42");
  });

  it.each([
    ["short", "Ab1!", /berth:databasePassword = "\(hidden\)": must be 8 to 41 characters/],
    ["forbidden character", "has/slash-in-it", /berth:databasePassword = "\(hidden\)": must not contain/],
  ])("checks the database password rules RDS enforces (%s)", (_l, pw, expected) => {
    expect(problems("dev", {}, { databasePassword: pw })).toMatch(expected);
  });

  it.each([
    ["short", "short-pw", /berth:registryPassword = "\(hidden\)": must be at least 12 characters; it has 8/],
    ["a colon", "a-long-pass:word", /berth:registryPassword = "\(hidden\)": must not contain ':'/],
    // 40 characters but 80 bytes: bcrypt would hash only the first 72 bytes.
    [
      "more bytes than bcrypt reads",
      "é".repeat(40),
      /berth:registryPassword = "\(hidden\)": must be at most 72 bytes in UTF-8 \(bcrypt ignores the rest\); it has 80/,
    ],
  ])("checks the registry password rules bcrypt and htpasswd impose (%s)", (_l, pw, expected) => {
    expect(problems("dev", {}, { registryPassword: pw })).toMatch(expected);
  });

  it("accepts a registry password of exactly 72 bytes", () => {
    expect(parseConfig(toRawConfigInput(stackWith("dev", {}, { registryPassword: "x".repeat(72) }))).secrets.registryPassword).toHaveLength(72);
  });
});

describe("ports the host already uses (house 8)", () => {
  const devReg = section("dev", "registry");
  const prodProxy = section("prod", "proxy") as { apps: Array<Record<string, unknown>>; extraHosts: Array<Record<string, unknown>> };
  const SERVES =
    "every port the host serves needs its own number: SSH, 80 and 443 (nginx), the Docker API, the registry and each app's blue, green and live port";
  const DNAT = "(the switch's DNAT rule would capture every connection to 127.0.0.1 on it)";
  const EXTRA =
    "an extra host forwards to a service of its own, so give it a port that neither the host nor Berth uses (SSH, 80, 443, the Docker API, the registry, the apps' ports)";
  /** Every problem line of a rejected config, without the heading. */
  const lines = (stack: string, edits: Record<string, unknown>): string[] => problems(stack, edits).split("\n").slice(1);

  it.each<[string, string, Record<string, unknown>, string]>([
    [
      "an app's live port on nginx's 443",
      "dev",
      { proxy: devProxy({ frontend: { livePort: 443, bluePort: 3001, greenPort: 3002 } }) },
      `  - berth:proxy.apps[0].frontend.livePort = 443: port 443 is already used by nginx (HTTPS), which runs on every Berth host ${DNAT}; ${SERVES}`,
    ],
    [
      "an app's blue port on nginx's 80",
      "dev",
      { proxy: devProxy({ backend: { livePort: 8080, bluePort: 80, greenPort: 8082 } }) },
      `  - berth:proxy.apps[0].backend.bluePort = 80: port 80 is already used by nginx (HTTP), which runs on every Berth host; ${SERVES}`,
    ],
    [
      "the registry on sshd's port (dev)",
      "dev",
      { registry: { ...devReg, port: 22 } },
      `  - berth:registry.port = 22: port 22 is already used by berth:firewall.sshPort (sshd); ${SERVES}`,
    ],
    [
      "the registry on the Docker API's port",
      "dev",
      { registry: { ...devReg, port: 2376 } },
      `  - berth:registry.port = 2376: port 2376 is already used by berth:host.dockerApiPort (the Docker API); ${SERVES}`,
    ],
    [
      "an app's green port on a moved SSH port",
      "dev",
      { firewall: { ...devFw, sshPort: 2222 }, proxy: devProxy({ frontend: { livePort: 3000, bluePort: 3001, greenPort: 2222 } }) },
      `  - berth:proxy.apps[0].frontend.greenPort = 2222: port 2222 is already used by berth:firewall.sshPort (sshd); ${SERVES}`,
    ],
    [
      "an app's port on the Docker API's",
      "dev",
      { proxy: devProxy({ backend: { livePort: 8080, bluePort: 8081, greenPort: 2376 } }) },
      `  - berth:proxy.apps[0].backend.greenPort = 2376: port 2376 is already used by berth:host.dockerApiPort (the Docker API); ${SERVES}`,
    ],
    [
      "an app's live port on the registry's",
      "dev",
      { proxy: devProxy({ backend: { livePort: 5000, bluePort: 8081, greenPort: 8082 } }) },
      `  - berth:proxy.apps[0].backend.livePort = 5000: port 5000 is already used by berth:registry.port (the registry) ${DNAT}; ${SERVES}`,
    ],
    [
      "SSH moved onto nginx's 443",
      "dev",
      { firewall: { ...devFw, sshPort: 443, ingress: [] } },
      `  - berth:firewall.sshPort = 443: port 443 is already used by nginx (HTTPS), which runs on every Berth host; ${SERVES}`,
    ],
    [
      "an extra host forwarding to the registry",
      "prod",
      { proxy: { ...prodProxy, extraHosts: [{ ...prodProxy.extraHosts[0], upstream: "http://127.0.0.1:5000" }] } },
      `  - berth:proxy.extraHosts[0].upstream = "http://127.0.0.1:5000": port 5000 is already used by berth:registry.port (the registry); ${EXTRA}`,
    ],
    [
      "an extra host forwarding to an app's blue port",
      "prod",
      { proxy: { ...prodProxy, extraHosts: [{ ...prodProxy.extraHosts[0], upstream: "http://localhost:3101/ci" }] } },
      `  - berth:proxy.extraHosts[0].upstream = "http://localhost:3101/ci": port 3101 is already used by berth:proxy.apps[1].frontend.bluePort (app landing, frontend blue); ${EXTRA}`,
    ],
    [
      "an extra host forwarding to nginx itself",
      "prod",
      { proxy: { ...prodProxy, extraHosts: [{ ...prodProxy.extraHosts[0], upstream: "https://[::1]:443" }] } },
      `  - berth:proxy.extraHosts[0].upstream = "https://[::1]:443": port 443 is already used by nginx (HTTPS), which runs on every Berth host; ${EXTRA}`,
    ],
  ])("refuses %s, naming both keys", (_label, stack, edits, expected) => {
    expect(lines(stack, edits)).toEqual([expected]);
  });

  it("lets two extra hosts share one upstream, and a registry that is off free its ports", () => {
    const jenkins = prodProxy.extraHosts[0];
    const twoNames = { ...prodProxy, extraHosts: [jenkins, { ...jenkins, hostname: "ci.example.com" }] };
    const withCi = section("prod", "dns") as { zones: Array<{ records: unknown[] }> };
    const dns = { zones: [{ ...withCi.zones[0], records: [...withCi.zones[0].records, { name: "ci", type: "CNAME", target: "host" }] }, withCi.zones[1]] };
    expect(() => parseConfig(toRawConfigInput(stackWith("prod", { proxy: twoNames, dns })))).not.toThrow();
    const off = { ...devReg, enabled: false, expose: undefined, allowFrom: undefined, username: undefined, storage: undefined };
    const cfg = parseConfig(
      toRawConfigInput(stackWith("dev", { registry: off, proxy: devProxy({ frontend: { livePort: 5000, bluePort: 2376, greenPort: 3002 } }) })),
    );
    expect(cfg.proxy.apps[0].frontend.bluePort).toBe(2376);
  });
});
