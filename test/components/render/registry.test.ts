// The registry config: the settings the registry must run with, parsed back as YAML.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderRegistryConfig, type RegistryConfigSpec } from "../../../components/render/registry";

/** The registry configuration as the tests read it back. */
interface RegistryConfig {
  version: number;
  storage: { filesystem?: { rootdirectory: string }; s3?: Record<string, unknown>; redirect?: { disable: boolean }; delete: { enabled: boolean } };
  auth: { htpasswd: { realm: string; path: string } };
  http: { addr: string; headers: Record<string, string[]>; tls?: Record<string, string>; secret?: string };
  health: { storagedriver: { enabled: boolean } };
}
const read = (yaml: string): RegistryConfig => parse(yaml) as RegistryConfig;

const base: RegistryConfigSpec = {
  listenAddress: ":5000",
  storage: { kind: "filesystem", rootDirectory: "/var/lib/berth/registry" },
  htpasswdPath: "/etc/berth/registry/htpasswd",
};

describe("renderRegistryConfig", () => {
  const proxied = read(renderRegistryConfig(base));
  const direct = read(renderRegistryConfig({ ...base, tls: { certificatePath: "/c.pem", keyPath: "/k.pem" } }));

  it("is version 0.1 with filesystem storage at dataDir and deletes enabled", () => {
    expect(proxied.version).toBe(0.1);
    expect(proxied.storage.filesystem?.rootdirectory).toBe("/var/lib/berth/registry");
    expect(proxied.storage.delete.enabled).toBe(true);
  });

  it("uses htpasswd auth with the given path", () => {
    expect(proxied.auth.htpasswd).toEqual({ realm: "Berth registry", path: "/etc/berth/registry/htpasswd" });
  });

  it("listens where told and sets nosniff", () => {
    expect(proxied.http.addr).toBe(":5000");
    expect(proxied.http.headers["X-Content-Type-Options"]).toEqual(["nosniff"]);
  });

  it("serves TLS (1.2 or newer) only in direct mode", () => {
    expect(proxied.http.tls).toBeUndefined();
    expect(direct.http.tls).toEqual({ certificate: "/c.pem", key: "/k.pem", minimumtls: "tls1.2" });
  });

  it("checks its storage driver", () => {
    expect(proxied.health.storagedriver.enabled).toBe(true);
  });

  it("stores in S3 with the instance profile: no keys, ACL the bucket accepts, no redirects to S3", () => {
    const text = renderRegistryConfig({ ...base, storage: { kind: "s3", bucket: "berth-prod-registry-20260101abcdef", region: "ap-northeast-2" } });
    const s3 = read(text).storage;
    expect(s3.filesystem).toBeUndefined();
    expect(s3.s3).toEqual({
      region: "ap-northeast-2",
      bucket: "berth-prod-registry-20260101abcdef",
      encrypt: true,
      secure: true,
      objectacl: "bucket-owner-full-control",
    });
    expect(s3.redirect).toEqual({ disable: true });
    expect(text).not.toMatch(/accesskey|secretkey|secret:/);
    expect(() => renderRegistryConfig({ ...base, storage: { kind: "s3", bucket: "bad\nname", region: "x" } })).toThrow(/bucket name/);
  });

  it("never holds http.secret (it reaches the container as a secret environment variable)", () => {
    expect(proxied.http.secret).toBeUndefined();
  });

  it("quotes paths so odd characters cannot break the YAML", () => {
    const odd = read(renderRegistryConfig({ ...base, storage: { kind: "filesystem", rootDirectory: "/data/a: b #c" } }));
    expect(odd.storage.filesystem?.rootdirectory).toBe("/data/a: b #c");
  });
});
