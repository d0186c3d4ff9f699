// hostFiles: the same renderer for the real host and the rehearsal; paths, secrets and modes.
import { describe, expect, it } from "vitest";
import { hostDirectories, hostFiles, nginxDirectories, registryContainerSpec, registryListenAddress, tlsFilePaths } from "../../../components/render/hostFiles";
import { servedNames } from "../../../lib/certificates";
import { HOST_PATHS, reroot } from "../../../components/render/paths";
import { parse } from "yaml";
import { FIXED_BUCKET, fileAt, fixtureInput, stackConfig, stackFiles } from "../../helpers/renderFixtures";

const prodConfig = stackConfig("prod");
const devConfig = stackConfig("dev");

describe("hostFiles on the real host", () => {
  it("marks every key and password hash secret, and only those", () => {
    for (const stack of ["dev", "prod"]) {
      const secret = stackFiles(stack)
        .filter((f) => f.secret)
        .map((f) => f.path);
      for (const p of secret) expect(p).toMatch(/(\.key|privkey\.pem|htpasswd)$/);
      for (const f of stackFiles(stack)) if (/(\.key|privkey\.pem|htpasswd)$/.test(f.path)) expect(f.secret, f.path).toBe(true);
    }
  });

  it("keeps secret files unreadable by others", () => {
    for (const f of [...stackFiles("dev"), ...stackFiles("prod")].filter((x) => x.secret)) expect(f.mode & 0o007, f.path).toBe(0);
  });

  it("dev: the registry serves TLS itself on :5000 with Berth's certificate", () => {
    const cfg = parse(fileAt(stackFiles("dev"), HOST_PATHS.registryConfig).content) as { http: { addr: string; tls: { certificate: string; key: string } } };
    expect(cfg.http.addr).toBe(":5000");
    expect(cfg.http.tls.certificate).toBe(HOST_PATHS.tlsCertificate);
    expect(cfg.http.tls.key).toBe(HOST_PATHS.tlsPrivateKey);
  });

  it("prod: the registry is plain HTTP behind nginx; the bootstrap certificate is written once (certbot's hook replaces it)", () => {
    const files = stackFiles("prod");
    const cfg = parse(fileAt(files, HOST_PATHS.registryConfig).content) as { http: { tls?: unknown } };
    expect(cfg.http.tls).toBeUndefined();
    expect(fileAt(files, HOST_PATHS.tlsCertificate).createOnly).toBe(true);
    expect(fileAt(files, HOST_PATHS.tlsPrivateKey)).toMatchObject({ createOnly: true, secret: true });
    expect(fileAt(files, HOST_PATHS.nginxConf).content).toContain(`ssl_certificate ${HOST_PATHS.tlsCertificate};`);
    expect(files.some((f) => f.path.startsWith("/etc/letsencrypt"))).toBe(false);
  });

  it("prod letsencrypt without bootstrap material renders no certificate files", () => {
    const { tls: _tls, ...rest } = fixtureInput(prodConfig);
    const files = hostFiles(rest);
    expect(files.some((f) => f.path.startsWith(HOST_PATHS.tlsDir))).toBe(false);
  });

  it("writes the registry htpasswd with the configured user", () => {
    expect(fileAt(stackFiles("prod"), HOST_PATHS.registryHtpasswd).content).toMatch(/^ci:\$2y\$10\$\S+\n$/);
  });

  it("is deterministic", () => {
    expect(stackFiles("prod")).toEqual(stackFiles("prod"));
  });

  it.each([
    ["no registry credentials", { registry: undefined }, /no credentials/],
    ["credentials for another user", { registry: { username: "other", htpasswdLine: "other:$2y$10$x" } }, /config says "ci"/],
    ["a missing extra-host entry", { extraHostAuth: {} }, /jenkins\.example\.com has basicAuthUser/],
  ])("refuses %s", (_what, change, message) => {
    expect(() => hostFiles({ ...fixtureInput(prodConfig), ...change })).toThrow(message);
  });

  it("refuses to run without TLS material when Berth must write it", () => {
    const { tls: _tls, ...rest } = fixtureInput(devConfig);
    expect(() => hostFiles(rest)).toThrow(/needs the certificate and key/);
  });
});

describe("hostFiles for the rehearsal", () => {
  const root = "/tmp/rehearsal-x";
  const files = stackFiles("prod", {
    root,
    listenAddress: "127.0.0.1",
    httpPort: 8080,
    httpsPort: 8443,
    registryPort: 5999,
    registryListenAddress: "127.0.0.1:5999",
    nginxUser: null,
    nginxTempUnderRoot: true,
  });

  it("moves every file under root", () => {
    for (const f of files) expect(f.path.startsWith(`${root}/`), f.path).toBe(true);
  });

  it("points every absolute path inside the files under root too (except mime.types)", () => {
    for (const f of files.filter((x) => !x.secret && !x.path.endsWith(".pem"))) {
      const abs = [...f.content.matchAll(/(?<=[\s"])\/(?:etc|var|run)\/[^\s;"]*/g)].map((m) => m[0]);
      for (const p of abs) expect(p === HOST_PATHS.nginxMimeTypes || p.startsWith(root), `${f.path}: ${p}`).toBe(true);
    }
  });

  it("binds to the given address and ports and keeps temp files inside", () => {
    const conf = fileAt(files, reroot(root, HOST_PATHS.nginxConf)).content;
    expect(conf).toContain(`client_body_temp_path ${root}/var/lib/nginx/client_body;`);
    expect(conf).not.toMatch(/^user /m);
    expect(fileAt(files, `${root}/etc/nginx/berth/sites/30-app-shop.conf`).content).toContain("listen 127.0.0.1:8443 ssl http2;");
    const reg = parse(fileAt(files, reroot(root, HOST_PATHS.registryConfig)).content) as { http: { addr: string }; storage: { s3: { bucket: string } } };
    expect(reg.http.addr).toBe("127.0.0.1:5999");
    expect(reg.storage.s3.bucket).toBe(FIXED_BUCKET);
    const devReg = parse(fileAt(stackFiles("dev", { root }), reroot(root, HOST_PATHS.registryConfig)).content) as {
      storage: { filesystem: { rootdirectory: string } };
    };
    expect(devReg.storage.filesystem.rootdirectory).toBe(`${root}/var/lib/berth/registry`);
  });

  it("lists the directories to create under root", () => {
    expect(hostDirectories(prodConfig, { root })).toEqual(expect.arrayContaining([`${root}/var/www/berth-acme`]));
    // Image data: a host directory only where the registry stores on the host (dev); prod's is in S3.
    expect(hostDirectories(prodConfig, { root })).not.toContain(`${root}/var/lib/berth/registry`);
    expect(hostDirectories(devConfig, { root })).toContain(`${root}/var/lib/berth/registry`);
  });

  it("lists nginx's own directories apart, as the proxy's delivery creates them", () => {
    expect(nginxDirectories(prodConfig)).toEqual(["/var/www/berth-acme", "/var/log/nginx", "/var/lib/berth/deploy/maintenance", "/run"]);
    expect(nginxDirectories({ proxy: { ...prodConfig.proxy, enabled: false } })).toEqual([]);
    // Everything the host needs besides them is the registry's data directory.
    expect(hostDirectories(devConfig, { root }).filter((d) => !nginxDirectories(devConfig, { root }).includes(d))).toEqual([`${root}/var/lib/berth/registry`]);
  });
});

describe("helpers", () => {
  it("servedNames lists apps, extra hosts, then the proxied registry", () => {
    expect(servedNames(prodConfig)).toEqual(["example.com", "www.example.com", "example.net", "www.example.net", "jenkins.example.com", "docker.example.com"]);
    expect(servedNames(devConfig)).toEqual([]);
  });

  it("tlsFilePaths follows the mode", () => {
    // letsencrypt too: certbot's deploy hook copies each new pair to the same served paths.
    expect(tlsFilePaths(prodConfig)).toEqual({ certificate: HOST_PATHS.tlsCertificate, key: HOST_PATHS.tlsPrivateKey, certbotManaged: true });
    expect(tlsFilePaths(devConfig)).toMatchObject({ certificate: HOST_PATHS.tlsCertificate, certbotManaged: false });
  });

  it("registryContainerSpec mounts config and data at the rendered paths", () => {
    const dev = registryContainerSpec(devConfig);
    expect(dev).toMatchObject({ image: "registry:3.0.0", command: [HOST_PATHS.registryConfig], network: "bridge", publishIp: "0.0.0.0", port: 5000 });
    expect(dev.mounts.map((m) => m.containerPath)).toEqual([HOST_PATHS.registryConfigDir, "/var/lib/berth/registry", HOST_PATHS.tlsDir]);
    expect(registryListenAddress(devConfig)).toBe(":5000");
    // S3: the host network (the only way to the instance role with IMDSv2's hop limit of 1), bound to loopback behind nginx.
    const prod = registryContainerSpec(prodConfig);
    expect(prod).toMatchObject({ network: "host", port: 5000 });
    expect(prod.mounts.map((m) => m.containerPath)).toEqual([HOST_PATHS.registryConfigDir]);
    expect(registryListenAddress(prodConfig)).toBe("127.0.0.1:5000");
  });
});
