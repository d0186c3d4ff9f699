// The dev stack through the CLI exactly as a person runs it (`npm run local -- up/down`): the
// registry serves TLS itself on its own port (expose: direct) and nginx serves the app by IP.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerCli } from "../../cli/local/docker";
import { childPids, pidAlive, PORT_CLAIMS_DIR, readPidFile, run, type RunResult } from "../../cli/local/procs";
import { down, loadStackConfig, readState, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { writeOciImage, type OciManifest } from "../helpers/oci";
import { certDir, curl, requireBinaries, scratchDir, skopeo } from "../helpers/procs";

requireBinaries("nginx", "docker-registry", "dockerd", "docker", "sshd", "skopeo", "openssl", "curl");
const ROOT = path.resolve(__dirname, "..", "..");
const cli = (...args: string[]): Promise<RunResult> =>
  run(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "cli", "local.ts"), ...args], { timeoutMs: 60_000 });

const dir = scratchDir("rehearsal-dev");
const scratch = scratchDir("dev-images");
let endpoints: Endpoints;
let state: RehearsalState;
let certs: string;
let upResult: RunResult;

beforeAll(async () => {
  upResult = await cli("up", "dev", "--dir", dir);
  if (upResult.code !== 0) {
    await down(dir).catch(() => undefined);
    throw new Error(`npm run local -- up dev failed:\n${upResult.stderr}`);
  }
  endpoints = JSON.parse(fs.readFileSync(path.join(dir, "endpoints.json"), "utf8")) as Endpoints;
  state = readState(dir);
  certs = certDir(endpoints.caFile);
});

afterAll(async () => {
  try {
    if (fs.existsSync(path.join(dir, "rehearsal", "state.json"))) await down(dir);
  } finally {
    for (const d of [dir, scratch, certs]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }
});

describe("npm run local -- up dev", () => {
  it("prints the endpoints it wrote", () => {
    expect(JSON.parse(upResult.stdout)).toEqual(endpoints);
  });

  it("points clients at the registry's own TLS port (expose: direct)", () => {
    expect(state.registryMode).toBe("direct");
    expect(endpoints.registry).toBe(`127.0.0.1:${state.registryPort}`);
  });

  it("runs the registry as a container of its own Docker Engine, named after the stack's image", async () => {
    const r = await dockerCli(endpoints.dockerHost)(["inspect", "--format", "{{.Config.Image}} {{.State.Running}}", state.registryContainer]);
    expect(r.stdout.trim()).toBe(`${loadStackConfig("dev").registry.image} true`);
    expect(state.dockerd?.host).toBe(endpoints.dockerHost);
  });

  it("names the app's URL, Docker and SSH in endpoints.json", () => {
    expect(endpoints.apps).toEqual({ web: { url: `https://127.0.0.1:${state.httpsPort}/`, host: null } });
    expect(endpoints).toMatchObject({ sshPort: state.ssh.port, sshUser: state.ssh.user, sshKeyFile: state.ssh.keyFile });
    expect(fs.statSync(endpoints.sshKeyFile).mode & 0o777).toBe(0o600);
  });

  it("serves the app as the catch-all HTTPS server (nothing deployed yet: 502, headers still there)", async () => {
    const r = await curl(["--cacert", endpoints.caFile, `${endpoints.https}/`]);
    expect(r.status).toBe(502);
    expect(r.headers["strict-transport-security"]).toEqual(["max-age=63072000"]);
  });

  it("answers 421 for a name in Host, so the app reached by IP never takes one as its own", async () => {
    const r = await curl(["--cacert", endpoints.caFile, "-H", "Host: evil.test", `${endpoints.https}/`]);
    expect(r.status).toBe(421);
    expect(r.headers["strict-transport-security"]).toEqual(["max-age=63072000"]);
  });

  it("redirects HTTP to HTTPS", async () => {
    const r = await curl([`${endpoints.http}/api/items`]);
    expect(r.status).toBe(301);
    expect(r.headers.location).toEqual([`https://127.0.0.1:${state.httpsPort}/api/items`]);
  });

  it("refuses TLS 1.1 on the registry's own port", async () => {
    const r = await run("openssl", ["s_client", "-connect", endpoints.registry, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], { input: "", timeoutMs: 10_000 });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/alert protocol version/);
  });

  it("takes a push with the credentials and refuses one without", async () => {
    const image = await writeOciImage(path.join(scratch, "img"), "v1", 32 * 1024);
    const password = fs.readFileSync(endpoints.passwordFile, "utf8").trim();
    const dest = `docker://${endpoints.registry}/berth/dev:v1`;
    const anon = await skopeo(["copy", "--dest-no-creds", "--dest-cert-dir", certs, `oci:${image.dir}:v1`, dest]);
    expect(anon.code).not.toBe(0);
    const ok = await skopeo(["copy", "--dest-creds", `${endpoints.username}:${password}`, "--dest-cert-dir", certs, `oci:${image.dir}:v1`, dest]);
    expect(ok.code, ok.stderr).toBe(0);
    const back = await skopeo(["inspect", "--raw", "--creds", `${endpoints.username}:${password}`, "--cert-dir", certs, dest]);
    expect((JSON.parse(back.stdout) as OciManifest).layers[0].digest).toBe(image.layerDigest);
  });
});

describe("npm run local -- down", () => {
  it("stops nginx (master and workers), the registry, dockerd and sshd, and removes the user, rule, chains and bridge", async () => {
    const nginxPid = readPidFile(state.nginx.pidFile);
    const dockerdPid = readPidFile(state.dockerd!.pidFile);
    const sshdPid = readPidFile(state.ssh.pidFile);
    expect(nginxPid).toBeDefined();
    expect(dockerdPid).toBeDefined();
    expect(sshdPid).toBeDefined();
    const workers = childPids(nginxPid!);
    expect(workers.length).toBeGreaterThan(0);
    const claimed = (): string[] =>
      fs.existsSync(PORT_CLAIMS_DIR) ? fs.readdirSync(PORT_CLAIMS_DIR).filter((p) => fs.readFileSync(path.join(PORT_CLAIMS_DIR, p), "utf8") === state.dir) : [];
    // Every port of the rehearsal is claimed while it runs (its apps' live ports included), none after down.
    expect(claimed().map(Number).sort()).toEqual(
      [state.httpPort, state.httpsPort, state.registryPort, state.ssh.port, ...Object.values(state.appPorts)].sort(),
    );
    const r = await cli("down", "--dir", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(claimed()).toEqual([]);
    expect(r.stdout).toContain("nginx: stopped; registry: stopped; docker: stopped; sshd: stopped");
    for (const p of [nginxPid!, dockerdPid!, sshdPid!, ...workers]) expect(pidAlive(p), `pid ${p}`).toBe(false);
    expect((await run("id", ["-u", state.ssh.user])).code).not.toBe(0);
    expect(fs.existsSync(state.ssh.sudoersFile)).toBe(false);
    expect((await run("iptables", ["-w", "10", "-t", "nat", "-S"])).stdout).not.toContain(state.chain);
    expect((await run("ip", ["link", "show", state.dockerd!.bridge])).code).not.toBe(0);
    const again = await cli("down", "--dir", dir);
    expect(again.stdout).toContain("nginx: not-running; registry: not-running; docker: not-running; sshd: not-running");
  });

  it("can start again in the same directory, reusing password and CA", async () => {
    const pw = fs.readFileSync(endpoints.passwordFile, "utf8");
    const ca = fs.readFileSync(endpoints.caFile, "utf8");
    const r = await cli("up", "dev", "--dir", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(endpoints.passwordFile, "utf8")).toBe(pw);
    expect(fs.readFileSync(endpoints.caFile, "utf8")).toBe(ca);
    const d = await cli("down", "--dir", dir);
    expect(d.code, d.stderr).toBe(0);
  });
});
