// The host check's rehearsal settings: the registry where the rehearsal serves it, and every
// BERTH_CHECK_* path under the rehearsal's directory. Running it: test/integration/rehearsal-check.test.ts.
import { describe, expect, it } from "vitest";
import { rehearsalCheckEnv, rehearsalRegistryUrl } from "../../../cli/local/hostCheck";
import type { RehearsalState } from "../../../cli/local/rehearsal";

const state = {
  dir: "/tmp/r",
  registryMode: "proxy",
  registryPort: 5123,
  dockerHost: "unix:///run/berth-x/docker.sock",
  nginx: { pidFile: "/tmp/r/run/nginx.pid" },
} as unknown as RehearsalState;

describe("the host check in the rehearsal", () => {
  it("probes the registry where the rehearsal serves it, or nothing without one", () => {
    expect(rehearsalRegistryUrl({ registryMode: "proxy", registryPort: 5123 })).toBe("http://127.0.0.1:5123/v2/");
    expect(rehearsalRegistryUrl({ registryMode: "direct", registryPort: 5123 })).toBe("https://127.0.0.1:5123/v2/");
    expect(rehearsalRegistryUrl({ registryMode: "off", registryPort: 5123 })).toBe("");
  });

  it("points every probe at the rehearsal's own files and daemon, and its lines at the given port", () => {
    expect(rehearsalCheckEnv(state, 40000)).toMatchObject({
      DOCKER_HOST: "unix:///run/berth-x/docker.sock",
      BERTH_CHECK_EMF_HOST: "127.0.0.1",
      BERTH_CHECK_EMF_PORT: "40000",
      BERTH_CHECK_NGINX_PID: "/tmp/r/run/nginx.pid",
      BERTH_CHECK_REGISTRY_URL: "http://127.0.0.1:5123/v2/",
      BERTH_CHECK_CERTIFICATE: "/tmp/r/etc/berth/tls/server.crt",
      BERTH_CHECK_DEPLOY_LOG: "/tmp/r/var/log/berth/deploy.log",
      BERTH_CHECK_STATE_DIR: "/tmp/r/rehearsal/host-check",
    });
  });
});
