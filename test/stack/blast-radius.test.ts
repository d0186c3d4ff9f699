// Small blast radius: a host-layer setting changes only the resources that serve it, and
// never the EC2 instance, its Elastic IP or the database.
import { beforeAll, describe, expect, it } from "vitest";
import { REPLACE_RULES } from "../../cli/replaceRules";
import { run, section, sharedRun, stackWith, type RunResult, changedNames } from "../helpers/stack";

const NEVER = ["host-instance", "host-eip", "host-key-pair", "database-instance", "database-params", "database-subnets", "network-vpc"];
/** The registry's data and the host role: untouched by anything on the host. */
const STORAGE = [
  "registry-storage-bucket",
  "registry-storage-ownership",
  "registry-storage-public-access",
  "registry-storage-encryption",
  "registry-storage-lifecycle",
  "registry-storage-tls-only",
  "host-iam-role",
  "host-iam-registry-bucket",
  "host-iam-profile",
];

/**
 * aws_instance arguments that force a new instance: the replace rules the plan diff uses
 * (cli/replaceRules.ts, read from terraform-provider-aws' ec2_instance.go, which the Pulumi AWS
 * provider bridges). None may change for a change that must leave the host running.
 * iam_instance_profile is not among them (the provider associates or replaces the profile on the
 * running instance).
 */
const INSTANCE_FORCE_NEW = REPLACE_RULES["aws:ec2/instance:Instance"].replace;

function inputsOf(r: RunResult, name: string): Record<string, unknown> {
  return r.resources.find((x) => x.name === name)!.inputs;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

const changed = changedNames;

let prod: RunResult;
let dev: RunResult;
beforeAll(async () => {
  prod = await sharedRun("prod");
  dev = await sharedRun("dev");
});

describe("changing one host-layer setting", () => {
  it("nginx settings re-deliver the nginx configuration only", async () => {
    const proxy = { ...section("prod", "proxy"), hstsMaxAgeSeconds: 600, clientMaxBodySize: "50m" };
    const diff = changed(prod, await run(stackWith("prod", { proxy })));
    expect(diff).toEqual(["services-proxy-config-apply"]);
  });

  it("a new app re-delivers nginx (and its certificate names), nothing in the cloud but the names", async () => {
    const proxy = section("prod", "proxy") as { apps: unknown[] };
    proxy.apps = [
      ...proxy.apps,
      { name: "docs", hostnames: ["www.example.com"].map(() => "admin.example.com"), frontend: { livePort: 4000, bluePort: 4001, greenPort: 4002 } },
    ];
    const diff = changed(prod, await run(stackWith("prod", { proxy })));
    expect(diff).toContain("services-proxy-config-apply");
    // The deploy program learns the new app (apps file, switch rules); its login does not change.
    expect(diff).toContain("services-deploy-files-apply");
    expect(diff).not.toContain("services-deploy-auth-apply");
    for (const n of NEVER) expect(diff).not.toContain(n);
    expect(diff.filter((d) => d.startsWith("services-registry"))).toEqual([]);
  });

  it("the registry image replaces the registry image and container only", async () => {
    const registry = { ...section("prod", "registry"), image: "registry:3.1.1" };
    const diff = changed(prod, await run(stackWith("prod", { registry })));
    expect(diff).toEqual(["services-registry-container", "services-registry-image"]);
  });

  it("the registry user changes its htpasswd and restarts its container, not nginx", async () => {
    const registry = { ...section("dev", "registry"), username: "pusher" };
    const diff = changed(dev, await run(stackWith("dev", { registry })));
    expect(diff).toEqual(["services-deploy-auth-apply", "services-registry-container", "services-registry-secrets-apply"]);
  });

  it("a given registry password changes the same two (and retires the generated one)", async () => {
    const diff = changed(dev, await run(stackWith("dev", {}, { registryPassword: "a-long-registry-password" })));
    expect(diff).toEqual(["services-deploy-auth-apply", "services-registry-container", "services-registry-password", "services-registry-secrets-apply"]);
  });

  it("an app's health check, env file, volumes or restart policy re-deliver the deploy tooling only", async () => {
    const proxy = section("prod", "proxy") as { apps: Array<Record<string, unknown>> };
    proxy.apps[0] = {
      ...proxy.apps[0],
      restart: "always",
      frontend: {
        ...(proxy.apps[0].frontend as object),
        health: { path: "/healthz", deadlineSeconds: 30 },
        envFile: "/etc/berth/env/shop.env",
        volumes: ["shop-data:/data"],
      },
    };
    const diff = changed(prod, await run(stackWith("prod", { proxy })));
    expect(diff).toEqual(["services-deploy-files-apply"]);
  });

  it("an app volume or a job added, changed or removed re-delivers the deploy tooling only (units, apps file)", async () => {
    const proxy = section("prod", "proxy") as { apps: Array<Record<string, unknown>> };
    const shop = proxy.apps[0];
    const edits: Array<Record<string, unknown>> = [
      { frontend: { ...(shop.frontend as object), volumes: [{ name: "cache", path: "/cache", owner: "33:33" }] } },
      { backend: { ...(shop.backend as object), jobs: [{ name: "daily-report", schedule: "daily", command: ["node", "r.js"], timeoutSeconds: 60 }] } },
      { backend: { ...(shop.backend as object), volumes: [], jobs: [] } },
    ];
    for (const edit of edits) {
      const apps = [{ ...shop, ...edit }, ...proxy.apps.slice(1)];
      const diff = changed(prod, await run(stackWith("prod", { proxy: { ...proxy, apps } })));
      expect(diff, JSON.stringify(edit)).toEqual(["services-deploy-files-apply"]);
    }
  });

  it("registry retention re-delivers the deploy tooling (timer, apps file) only", async () => {
    const registry = { ...section("prod", "registry"), retention: { keep: 5, schedule: "daily" } };
    const diff = changed(prod, await run(stackWith("prod", { registry })));
    expect(diff).toEqual(["services-deploy-files-apply"]);
  });

  it("the database and the host stay put when every host-layer section changes at once", async () => {
    const registry = { ...section("prod", "registry"), image: "registry:3.1.1", username: "pusher" };
    const proxy = {
      ...section("prod", "proxy"),
      hstsMaxAgeSeconds: 0,
      hstsIncludeSubdomains: true,
      extraHosts: [{ hostname: "jenkins.example.com", upstream: "http://127.0.0.1:8088", basicAuthUser: "admin", passAuthorization: true }],
    };
    const diff = changed(prod, await run(stackWith("prod", { registry, proxy })));
    for (const n of [...NEVER, ...STORAGE]) expect(diff).not.toContain(n);
    expect(diff.length).toBeGreaterThan(0);
  });
});

describe("registry storage that outlives the host", () => {
  it("a change that replaces the host (a new pinned AMI) leaves the bucket and the host role untouched, and the registry config still names the bucket", async () => {
    const host = (ami: string) => ({ ...section("prod", "host"), amiId: ami });
    const before = await run(stackWith("prod", { host: host("ami-0123456789abcdef0") }));
    const after = await run(stackWith("prod", { host: host("ami-0fedcba9876543210") }));
    // `ami` forces a new instance: this change replaces the host.
    expect(changedKeys(inputsOf(before, "host-instance"), inputsOf(after, "host-instance"))).toEqual(["ami"]);
    expect(INSTANCE_FORCE_NEW).toContain("ami");
    const diff = changed(before, after);
    for (const n of STORAGE) expect(diff).not.toContain(n);
    // Nothing of the storage depends on the instance, so no replacement can reach it.
    const instance = after.resources.find((x) => x.name === "host-instance")!.urn;
    for (const n of STORAGE) expect(after.resources.find((x) => x.name === n)!.options.dependencies, n).not.toContain(instance);
    const bucket = String(after.resources.find((x) => x.name === "registry-storage-bucket")!.state.bucket);
    expect(bucket).toMatch(/^berth-prod-registry-/);
    expect(String(inputsOf(after, "services-registry-config-apply").stdin)).toContain(`bucket: "${bucket}"`);
    expect(after.outputs.registryBucket).toBe(bucket);
  });

  it("moving the registry to S3 adds the bucket's policy to the host role: no argument that forces a new instance changes", async () => {
    const registry = { ...section("dev", "registry"), storage: "s3" };
    const s3 = await run(stackWith("dev", { registry }));
    // dev's apps give the host its role already; the fake cloud names the profile after its alias
    // (the offline run cannot know the stack never had one), so at most the profile name differs.
    expect(inputsOf(dev, "host-instance").iamInstanceProfile).toBeDefined();
    expect(inputsOf(s3, "host-iam-registry-bucket").name).toBe("registry-bucket");
    const keys = changedKeys(inputsOf(dev, "host-instance"), inputsOf(s3, "host-instance"));
    expect(keys.filter((k) => k !== "iamInstanceProfile")).toEqual([]);
    for (const k of keys) expect(INSTANCE_FORCE_NEW).not.toContain(k);
    const diff = changed(dev, s3);
    for (const n of NEVER.filter((x) => x !== "host-instance")) expect(diff).not.toContain(n);
  });

  it("the audit trail (flow logs, database log exports) never replaces the VPC, the host or the database", async () => {
    const network = { ...section("dev", "network"), flowLogs: true };
    const database = { ...section("dev", "database"), logExports: ["error", "slowquery"] };
    const audited = await run(stackWith("dev", { network, database }));
    const diff = changed(dev, audited);
    expect(diff).toEqual(expect.arrayContaining(["network-flow-log", "network-flow-logs", "database-log-error", "database-log-slowquery"]));
    for (const n of ["host-instance", "host-eip", "network-vpc", "database-subnets"]) expect(diff).not.toContain(n);
    // The database is modified in place: only its log exports (ModifyDBInstance) and its parameter values change.
    expect(changedKeys(inputsOf(dev, "database-instance"), inputsOf(audited, "database-instance"))).toEqual(["enabledCloudwatchLogsExports"]);
    expect(changedKeys(inputsOf(dev, "database-params"), inputsOf(audited, "database-params"))).toEqual(["parameters"]);
  });
});

describe("changing one app's runtime values", () => {
  /** prod with shop's front end given `env` and one secret, and the secret's value. */
  const withShop = (env: Record<string, string>, token: string): ReturnType<typeof stackWith> => {
    const proxy = section("prod", "proxy") as { apps: Array<Record<string, unknown>> };
    const apps = proxy.apps.map((a) => (a.name === "shop" ? { ...a, frontend: { ...(a.frontend as object), env, secrets: ["API_TOKEN"] } } : a));
    return stackWith("prod", { proxy: { ...proxy, apps } }, { appSecrets: JSON.stringify({ shop: { API_TOKEN: token } }) });
  };

  it("a clear value re-delivers that app's files only: not the other app's, the deploy tooling, nginx or the host", async () => {
    const base = await run(withShop({ GREETING: "hello" }, "t1"));
    expect(changed(base, await run(withShop({ GREETING: "hi" }, "t1")))).toEqual(["apps-shop-apply"]);
  });

  it("a secret value re-delivers that app's files only, and its value is a secret input", async () => {
    const base = await run(withShop({ GREETING: "hello" }, "t1"));
    const after = await run(withShop({ GREETING: "hello" }, "t2"));
    expect(changed(base, after)).toEqual(["apps-shop-apply"]);
    const stdin = JSON.stringify(inputsOf(after, "apps-shop-apply").stdin);
    expect(stdin).toContain("4dabf18193072939515e22adb298388d"); // the mock engine's secret marker
  });
});
