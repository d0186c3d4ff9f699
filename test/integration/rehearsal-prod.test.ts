// The prod stack's host layer for real on loopback: nginx in front of the registry, started by the
// rehearsal code, exercised with curl, openssl and skopeo, and always stopped afterwards. It also
// runs the CI examples' one script for real: docker build, login and push through nginx with the
// stack's credentials and CA, then the deploy over the rehearsal's SSH.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPLY_NGINX_SCRIPT, applyNginxFiles } from "../../cli/local/files";
import { renderBundle } from "../../components/render/bundle";
import { pidAlive, readPidFile, run } from "../../cli/local/procs";
import {
  down,
  readState,
  renderRehearsal,
  startRegistry,
  stopRegistry,
  up,
  type Endpoints,
  type RehearsalRender,
  type RehearsalState,
} from "../../cli/local/rehearsal";
import type { HostFile } from "../../components/render/paths";
import { appContext, NODE_BASE } from "../helpers/apps";
import { ensureNodeImage } from "../../cli/local/docker";
import { writeOciImage, type OciManifest } from "../helpers/oci";
import { certDir, curl, requireBinaries, scratchDir, skopeo } from "../helpers/procs";
import { upOrTearDown } from "../helpers/rehearsal";

const bin = requireBinaries("nginx", "docker-registry", "dockerd", "docker", "sshd", "ssh", "skopeo", "openssl", "curl");
const dir = scratchDir("rehearsal-prod");
const scratch = scratchDir("prod-images");
let endpoints: Endpoints;
let state: RehearsalState;
let rendered: RehearsalRender;
let password: string;
let certs: string;

beforeAll(async () => {
  endpoints = await upOrTearDown({ stack: "prod", dir });
  state = readState(dir);
  rendered = await renderRehearsal(state);
  password = fs.readFileSync(endpoints.passwordFile, "utf8").trim();
  certs = certDir(endpoints.caFile);
});

afterAll(async () => {
  const pids = state ? [readPidFile(state.nginx.pidFile), state.dockerd ? readPidFile(state.dockerd.pidFile) : undefined] : [];
  try {
    await down(dir);
    for (const p of pids) if (p !== undefined) expect(pidAlive(p), `pid ${p} survived down`).toBe(false);
  } finally {
    for (const d of [dir, scratch, certs]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }
});

const ca = (): string[] => ["--cacert", endpoints.caFile];

describe("rehearsal of prod", () => {
  it("writes endpoints.json with a password file only root can read", () => {
    expect(endpoints).toEqual({
      registry: `localhost:${state.httpsPort}`,
      username: "ci",
      passwordFile: path.join(dir, "rehearsal", "registry-password"),
      caFile: path.join(dir, "rehearsal", "tls", "ca.crt"),
      http: `http://127.0.0.1:${state.httpPort}`,
      https: `https://127.0.0.1:${state.httpsPort}`,
      dockerHost: state.dockerHost,
      apps: {
        shop: { url: `https://127.0.0.1:${state.httpsPort}/`, host: "example.com" },
        landing: { url: `https://127.0.0.1:${state.httpsPort}/`, host: "example.net" },
      },
      sshPort: state.ssh.port,
      sshUser: state.ssh.user,
      sshKeyFile: path.join(dir, "rehearsal", "ssh", "deploy_key"),
      sshKnownHostsFile: path.join(dir, "rehearsal", "ssh", "known_hosts"),
    });
    expect(fs.statSync(endpoints.passwordFile).mode & 0o777).toBe(0o600);
  });

  it("a second up on the running rehearsal applies the configuration again and restarts nothing; another stack is refused", async () => {
    const nginxPid = fs.readFileSync(readState(dir).nginx.pidFile, "utf8").trim();
    const again = await up({ stack: "prod", dir });
    expect(again).toEqual(endpoints);
    expect(fs.readFileSync(readState(dir).nginx.pidFile, "utf8").trim()).toBe(nginxPid);
    await expect(up({ stack: "dev", dir })).rejects.toThrow(/holds a rehearsal of stack prod/);
  });
});

describe("port 80", () => {
  it("redirects to HTTPS with a permanent redirect", async () => {
    const r = await curl([`${endpoints.http}/shop/cart?x=1`, "-H", "Host: example.com"]);
    expect([301, 308]).toContain(r.status);
    expect(r.headers.location).toEqual([`https://example.com:${state.httpsPort}/shop/cart?x=1`]);
  });

  it("serves ACME challenges from the webroot", async () => {
    const challenge = path.join(dir, "var/www/berth-acme/.well-known/acme-challenge");
    fs.mkdirSync(challenge, { recursive: true });
    fs.writeFileSync(path.join(challenge, "token-123"), "token-123.thumbprint");
    const r = await curl([`${endpoints.http}/.well-known/acme-challenge/token-123`, "-H", "Host: example.com"]);
    expect(r.status).toBe(200);
    expect(r.body).toBe("token-123.thumbprint");
  });
});

describe("TLS", () => {
  const handshake = (version: string): Promise<{ code: number; out: string }> =>
    run(
      bin.openssl,
      [
        "s_client",
        "-connect",
        `127.0.0.1:${state.httpsPort}`,
        "-servername",
        "docker.example.com",
        `-${version}`,
        // SECLEVEL=0 lets this client offer old versions, so a refusal comes from the server.
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
        "-CAfile",
        endpoints.caFile,
      ],
      { input: "", timeoutMs: 10_000 },
    ).then((r) => ({ code: r.code, out: r.stdout + r.stderr }));

  it.each(["tls1", "tls1_1"])("refuses %s with a protocol-version alert", async (v) => {
    const r = await handshake(v);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/alert protocol version/);
  });

  it.each(["tls1_2", "tls1_3"])("accepts %s with a certificate the CA verifies", async (v) => {
    const r = await handshake(v);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Verify return code: 0 (ok)");
  });

  it("adds HSTS and security headers to HTTPS answers, also errors", async () => {
    // By name: an IP in the URL sends no SNI, and the default server refuses such handshakes.
    const r = await curl([...ca(), `https://${endpoints.registry}/v2/`]);
    expect(r.status).toBe(401);
    expect(r.headers["strict-transport-security"]).toEqual(["max-age=63072000"]);
    expect(r.headers["x-content-type-options"]).toEqual(["nosniff"]);
    expect(r.headers.server).toEqual(["nginx"]);
  });
});

describe("registry through nginx", () => {
  let image: Awaited<ReturnType<typeof writeOciImage>>;
  const repo = (tag: string): string => `docker://${endpoints.registry}/berth/demo:${tag}`;

  beforeAll(async () => {
    image = await writeOciImage(path.join(scratch, "small"), "v1", 64 * 1024);
  });

  it("answers 401 with the API version header and a Basic challenge", async () => {
    const r = await curl([...ca(), `https://${endpoints.registry}/v2/`]);
    expect(r.status).toBe(401);
    expect(r.headers["docker-distribution-api-version"]).toEqual(["registry/2.0"]);
    expect(r.headers["www-authenticate"]?.[0]).toMatch(/^Basic realm=/);
  });

  it("refuses a push without credentials", async () => {
    const r = await skopeo(["copy", "--dest-no-creds", "--dest-cert-dir", certs, `oci:${image.dir}:v1`, repo("anon")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unauthorized|authentication required/);
  });

  it("refuses a push with a wrong password", async () => {
    const r = await skopeo(["copy", "--dest-creds", "ci:not-the-password", "--dest-cert-dir", certs, `oci:${image.dir}:v1`, repo("wrong")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unauthorized|authentication required/);
  });

  it("accepts a push with the credentials and serves it back", async () => {
    const push = await skopeo(["copy", "--dest-creds", `ci:${password}`, "--dest-cert-dir", certs, `oci:${image.dir}:v1`, repo("v1")]);
    expect(push.stderr).toBe("");
    expect(push.code).toBe(0);
    const out = path.join(scratch, "pulled");
    const pull = await skopeo(["copy", "--src-creds", `ci:${password}`, "--src-cert-dir", certs, repo("v1"), `oci:${out}:v1`]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, "blobs", "sha256", image.layerDigest.slice(7)))).toBe(true);
  });

  it("refuses a pull without credentials", async () => {
    const r = await skopeo(["inspect", "--raw", "--no-creds", "--cert-dir", certs, repo("v1")]);
    expect(r.code).not.toBe(0);
  });

  it("keeps images across a registry restart, with the header on nginx's 502 meanwhile", async () => {
    await stopRegistry(state);
    const down502 = await curl([...ca(), `https://${endpoints.registry}/v2/`]);
    expect(down502.status).toBe(502);
    expect(down502.headers["docker-distribution-api-version"]).toEqual(["registry/2.0"]);
    await startRegistry(state);
    const r = await skopeo(["inspect", "--raw", "--creds", `ci:${password}`, "--cert-dir", certs, repo("v1")]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as OciManifest).layers[0].digest).toBe(image.layerDigest);
  });

  it("keeps an upload in progress valid across a registry restart (a stable http.secret from the stack)", async () => {
    const auth = ["-u", `ci:${password}`, ...ca()];
    const base = `https://${endpoints.registry}/v2/berth/resume`;
    const started = await curl([...auth, "-X", "POST", `${base}/blobs/uploads/`]);
    expect(started.status).toBe(202);
    // The upload URL carries state the registry signed with http.secret.
    const location = started.headers.location[0];
    expect(location).toMatch(new RegExp(`^https://${endpoints.registry.replace(".", "\\.")}/v2/berth/resume/blobs/uploads/.+_state=`));
    await stopRegistry(state);
    await startRegistry(state);
    const body = "resumed after a restart\n";
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const done = await curl([
      ...auth,
      "-X",
      "PUT",
      "-H",
      "Content-Type: application/octet-stream",
      "--data-binary",
      body,
      `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`,
    ]);
    expect(done.status, done.body).toBe(201);
    expect(done.headers["docker-content-digest"]).toEqual([digest]);
    // The secret reached the registry through its environment, not through the (public) config file.
    expect(fs.readFileSync(state.registryConfig, "utf8")).not.toMatch(/secret/);
  });

  it("takes a 300 MB layer through nginx", async () => {
    const big = await writeOciImage(path.join(scratch, "big"), "big", 300 * 1024 * 1024);
    try {
      const started = Date.now();
      const push = await skopeo(["copy", "--dest-creds", `ci:${password}`, "--dest-cert-dir", certs, `oci:${big.dir}:big`, repo("big")], 240_000);
      expect(push.code, push.stderr).toBe(0);
      const stored = path.join(dir, "var/lib/berth/registry/docker/registry/v2/blobs/sha256", big.layerDigest.slice(7, 9), big.layerDigest.slice(7), "data");
      expect(fs.statSync(stored).size).toBe(big.layerSize);
      console.log(`300 MB layer pushed through nginx in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(big.dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("extra host with basic auth", () => {
  const jenkins = (): string[] => ["--resolve", `jenkins.example.com:${state.httpsPort}:127.0.0.1`, ...ca(), `https://jenkins.example.com:${state.httpsPort}/`];

  it("asks for a password", async () => {
    const r = await curl(jenkins());
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toEqual(['Basic realm="jenkins.example.com"']);
  });

  it("lets the generated password through to the upstream (nothing listens there: 502)", async () => {
    const pw = fs.readFileSync(state.basicAuthPasswordFiles["jenkins.example.com"], "utf8").trim();
    const r = await curl(["-u", `admin:${pw}`, ...jenkins()]);
    expect(r.status).not.toBe(401);
    expect(r.headers["strict-transport-security"]).toEqual(["max-age=63072000"]);
  });
});

describe("nginx delivery", () => {
  const sites = (): string => path.join(dir, "etc/nginx/berth/sites");
  const masterPid = (): number | undefined => readPidFile(state.nginx.pidFile);
  const stillServing = async (): Promise<void> => {
    const r = await curl([`${endpoints.http}/x`]);
    expect(r.status).toBe(301);
  };

  it("rejects a new broken file, removes it and keeps serving with nginx's message", async () => {
    const before = masterPid();
    const broken: HostFile = { path: path.join(sites(), "99-broken.conf"), content: "server {\n    bogus_directive on;\n}\n", mode: 0o644, usedBy: ["nginx"] };
    await expect(applyNginxFiles([...rendered.nginxFiles, broken], rendered.ownedDirs, state.nginx)).rejects.toThrow(
      /unknown directive "bogus_directive"[\s\S]*test failed|nginx -t rejected[\s\S]*unknown directive "bogus_directive"/,
    );
    expect(fs.existsSync(broken.path)).toBe(false);
    expect(masterPid()).toBe(before);
    await stillServing();
  });

  it("rejects a broken change to an existing file and puts the old content back", async () => {
    const target = path.join(sites(), "00-http.conf");
    const old = fs.readFileSync(target, "utf8");
    const files = rendered.nginxFiles.map((f) => (f.path === target ? { ...f, content: "server { listen nonsense; }\n" } : f));
    const err = await applyNginxFiles(files, rendered.ownedDirs, state.nginx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("previous files are back in place");
    expect(err?.message).toMatch(/nginx: \[emerg\]/);
    expect(fs.readFileSync(target, "utf8")).toBe(old);
    await stillServing();
  });

  it("applies a good update with a reload (same master) and prunes files no longer rendered", async () => {
    const before = masterPid();
    const stray = path.join(sites(), "50-removed-app.conf");
    fs.writeFileSync(stray, "# an app that left the config\n");
    const out = await applyNginxFiles(rendered.nginxFiles, rendered.ownedDirs, state.nginx);
    expect(out).toContain("nginx reloaded");
    expect(fs.existsSync(stray)).toBe(false);
    expect(masterPid()).toBe(before);
    await stillServing();
  });

  it("the generated delivery script applies the same files, and fails with nginx's message on a bad one", async () => {
    const env = { ...process.env, BERTH_NGINX: requireBinaries("nginx").nginx, BERTH_NGINX_PID: state.nginx.pidFile };
    const deliver = (files: readonly HostFile[]): ReturnType<typeof run> =>
      run("bash", ["-s"], {
        env,
        input: renderBundle(files, {
          label: "nginx",
          mode: "nginx",
          ownedDirs: rendered.ownedDirs,
          applyScript: fs.readFileSync(APPLY_NGINX_SCRIPT, "utf8"),
          nginxOptions: state.nginx.args,
        }),
      });
    const ok = await deliver(rendered.nginxFiles);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("nginx reloaded");
    const broken: HostFile = { path: path.join(sites(), "99-broken.conf"), content: "bogus_directive on;\n", mode: 0o644, usedBy: ["nginx"] };
    const bad = await deliver([...rendered.nginxFiles, broken]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown directive "bogus_directive"');
    expect(fs.existsSync(broken.path)).toBe(false);
    await stillServing();
  });
});

describe("the CI examples' script (examples/ci/berth-deploy.sh), run for real", () => {
  const SCRIPT = path.resolve(__dirname, "../../examples/ci/berth-deploy.sh");
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(`/etc/docker/certs.d/${endpoints.registry}`, { recursive: true, force: true });
  });

  it("builds, logs in, pushes through nginx with the stack's CA, and deploys over SSH with the deploy key", async () => {
    await ensureNodeImage(endpoints.dockerHost, NODE_BASE);
    const home = scratchDir("ci-home");
    const front = appContext("ci1", "frontend");
    const back = appContext("ci1", "backend");
    made.push(home, front, back);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      DOCKER_CONFIG: home,
      DOCKER_HOST: endpoints.dockerHost,
      DOCKER_BUILDKIT: "0",
      BERTH_REGISTRY: endpoints.registry,
      BERTH_REGISTRY_USER: endpoints.username,
      BERTH_REGISTRY_PASSWORD: password,
      BERTH_CA_FILE: endpoints.caFile,
      BERTH_SSH_HOST: "127.0.0.1",
      BERTH_SSH_PORT: String(endpoints.sshPort),
      BERTH_SSH_USER: endpoints.sshUser,
      BERTH_SSH_KEY_FILE: endpoints.sshKeyFile,
      BERTH_KNOWN_HOSTS_FILE: endpoints.sshKnownHostsFile,
      APP: "shop",
      TAG: "ci1",
      FRONTEND_CONTEXT: front,
      BACKEND_CONTEXT: back,
    };
    const r = await run("bash", [SCRIPT], { env, timeoutMs: 300_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`pushed ${endpoints.registry}/shop-frontend:ci1`);
    expect(r.stdout).toContain(`pushed ${endpoints.registry}/shop-backend:ci1`);
    expect(r.stdout).toMatch(/shop ci1 is live on green/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
    expect(fs.readFileSync(`/etc/docker/certs.d/${endpoints.registry}/ca.crt`, "utf8")).toBe(fs.readFileSync(endpoints.caFile, "utf8"));
    // By name (SNI and Host), as a browser would: nginx refuses handshakes for names it does not serve.
    const byName = (app: "shop" | "landing", p: string): string[] => {
      const host = endpoints.apps[app].host!;
      return ["--resolve", `${host}:${state.httpsPort}:127.0.0.1`, `https://${host}:${state.httpsPort}${p}`];
    };
    const page = await curl([...ca(), ...byName("shop", "/")]);
    expect(page.status, page.body).toBe(200);
    expect(JSON.parse(page.body)).toMatchObject({ version: "ci1", part: "frontend" });
    const api = await curl([...ca(), ...byName("shop", "/api/health")]);
    expect(JSON.parse(api.body)).toMatchObject({ version: "ci1", part: "backend" });
    // The other app is untouched: still nothing deployed there.
    expect((await curl([...ca(), ...byName("landing", "/")])).status).toBe(502);
  }, 300_000);

  it("refuses a bad tag before building anything", async () => {
    const r = await run("bash", [SCRIPT], {
      env: {
        PATH: process.env.PATH,
        BERTH_REGISTRY: "r",
        BERTH_REGISTRY_USER: "u",
        BERTH_REGISTRY_PASSWORD: "p",
        BERTH_SSH_HOST: "h",
        BERTH_SSH_USER: "u",
        BERTH_SSH_KEY_FILE: "k",
        APP: "shop",
        TAG: "v1;id",
        FRONTEND_CONTEXT: ".",
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("TAG 'v1;id' is not a valid image tag");
  });
});
