// lib/hostPorts.ts: who holds each port of the host, and which configured port collides.
import { describe, expect, it } from "vitest";
import { hostPortCollisions, upstreamPort, type HostPortsInput } from "../../lib/hostPorts";

const base: HostPortsInput = {
  firewall: { sshPort: 22 },
  host: { dockerApiPort: 2376 },
  registry: { enabled: true, port: 5000 },
  proxy: { apps: [{ name: "web", frontend: { bluePort: 3001, greenPort: 3002, livePort: 3000 } }], extraHosts: [] },
};

describe("upstreamPort", () => {
  it.each([
    ["http://127.0.0.1:8080", 8080],
    ["https://localhost:8443/ci/", 8443],
    ["http://[::1]:9000/x", 9000],
    ["http://127.0.0.1/", undefined],
  ])("%s -> %s", (url, port) => {
    expect(upstreamPort(url)).toBe(port);
  });
});

describe("hostPortCollisions", () => {
  it("finds nothing in a config whose ports are all apart", () => {
    expect(hostPortCollisions(base)).toEqual([]);
  });

  it("names the later key and the first holder, in config order", () => {
    const cfg: HostPortsInput = {
      ...base,
      registry: { enabled: true, port: 22 },
      proxy: {
        apps: [{ name: "web", frontend: { bluePort: 3001, greenPort: 3001, livePort: 443 } }],
        extraHosts: [{ upstream: "http://127.0.0.1:3000" }, { upstream: "http://127.0.0.1:8088" }, { upstream: "http://127.0.0.1:8088" }],
      },
    };
    expect(hostPortCollisions(cfg).map((c) => [c.key, c.value, c.holder.key ?? c.holder.what])).toEqual([
      ["berth:registry.port", 22, "berth:firewall.sshPort"],
      ["berth:proxy.apps[0].frontend.greenPort", 3001, "berth:proxy.apps[0].frontend.bluePort"],
      ["berth:proxy.apps[0].frontend.livePort", 443, "nginx (HTTPS), which runs on every Berth host"],
    ]);
  });

  it("holds the Docker API and registry ports only while the registry runs (Berth turns the API on for it)", () => {
    const app = { name: "web", frontend: { bluePort: 2376, greenPort: 5000, livePort: 3000 } };
    expect(hostPortCollisions({ ...base, proxy: { apps: [app], extraHosts: [] } }).map((c) => c.key)).toEqual([
      "berth:proxy.apps[0].frontend.bluePort",
      "berth:proxy.apps[0].frontend.greenPort",
    ]);
    expect(hostPortCollisions({ ...base, registry: { enabled: false, port: 5000 }, proxy: { apps: [app], extraHosts: [] } })).toEqual([]);
  });
});
