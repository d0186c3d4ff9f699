// Small blast radius: a host-layer setting changes only the resources that serve it, and
// never the EC2 instance, its Elastic IP or the database.
import { beforeAll, describe, expect, it } from "vitest";
import { run, section, stackWith, type RunResult } from "../helpers/stack";

const NEVER = ["host-instance", "host-eip", "host-key-pair", "database-instance", "database-params", "database-subnets", "network-vpc"];

function changed(a: RunResult, b: RunResult): string[] {
  const before = new Map(a.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const after = new Map(b.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const urns = new Set([...before.keys(), ...after.keys()]);
  return [...urns].filter((u) => before.get(u) !== after.get(u)).map((u) => u.split("::").pop()!).sort();
}

let prod: RunResult;
let dev: RunResult;
beforeAll(async () => {
  prod = await run("prod");
  dev = await run("dev");
});

describe("changing one host-layer setting", () => {
  it("nginx settings re-deliver the nginx configuration only", async () => {
    const proxy = { ...section("prod", "proxy"), hstsMaxAgeSeconds: 600, clientMaxBodySize: "50m" };
    const diff = changed(prod, await run(stackWith("prod", { proxy })));
    expect(diff).toEqual(["services-proxy-config-apply"]);
  });

  it("a new app re-delivers nginx (and its certificate names), nothing in the cloud but the names", async () => {
    const proxy = section("prod", "proxy") as { apps: unknown[] };
    proxy.apps = [...proxy.apps, { name: "docs", hostnames: ["www.example.com"].map(() => "admin.example.com"), frontend: { bluePort: 4000, greenPort: 4001 } }];
    const diff = changed(prod, await run(stackWith("prod", { proxy })));
    expect(diff).toContain("services-proxy-config-apply");
    for (const n of NEVER) expect(diff).not.toContain(n);
    expect(diff.filter((d) => d.startsWith("services-registry"))).toEqual([]);
  });

  it("the registry image replaces the registry image and container only", async () => {
    const registry = { ...section("prod", "registry"), image: "registry:2.8.2" };
    const diff = changed(prod, await run(stackWith("prod", { registry })));
    expect(diff).toEqual(["services-registry-container", "services-registry-image"]);
  });

  it("the registry user changes its htpasswd and restarts its container, not nginx", async () => {
    const registry = { ...section("dev", "registry"), username: "pusher" };
    const diff = changed(dev, await run(stackWith("dev", { registry })));
    expect(diff).toEqual(["services-registry-container", "services-registry-secrets-apply"]);
  });

  it("a given registry password changes the same two (and retires the generated one)", async () => {
    const diff = changed(dev, await run(stackWith("dev", {}, { registryPassword: "a-long-registry-password" })));
    expect(diff).toEqual(["services-registry-container", "services-registry-password", "services-registry-secrets-apply"]);
  });

  it("the database and the host stay put when every host-layer section changes at once", async () => {
    const registry = { ...section("prod", "registry"), image: "registry:2.8.2", username: "pusher" };
    const proxy = { ...section("prod", "proxy"), hstsMaxAgeSeconds: 0 };
    const diff = changed(prod, await run(stackWith("prod", { registry, proxy })));
    for (const n of NEVER) expect(diff).not.toContain(n);
    expect(diff.length).toBeGreaterThan(0);
  });
});
