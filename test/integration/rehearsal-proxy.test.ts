// What the proxy passes upstream, checked against the real nginx of a prod rehearsal with echo servers
// behind it: on the apps' blue ports (the rehearsal's free ports, where the switch points before a
// first deploy) and on the extra host's port (a copy of Pulumi.prod.yaml with a free one): the
// Host apps see, X-Forwarded-For, the client address restored for Cloudflare-proxied names, the
// proxy password kept from the upstream, and the TLS handshake refused for unknown names.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, run } from "../../cli/local/procs";
import { down, readState, type Endpoints, type RehearsalState } from "../../cli/local/rehearsal";
import { PROJECT_DIR } from "../../offline/stackFile";
import { curl, requireBinaries, scratchDir } from "../helpers/procs";
import { upOrTearDown } from "../helpers/rehearsal";

const bin = requireBinaries("nginx", "docker-registry", "dockerd", "sshd", "openssl", "curl");
const dir = scratchDir("rehearsal-proxy");
const project = scratchDir("proxy-project");
let endpoints: Endpoints;
let state: RehearsalState;
const echoes: http.Server[] = [];

/** A server that answers every request with the headers it received, as JSON. */
async function echo(port: number): Promise<void> {
  const server = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  echoes.push(server);
}

let ports: Record<"shop" | "landing" | "jenkins", number>;

beforeAll(async () => {
  const jenkins = await freePort();
  // The shipped prod stack with the extra host's port moved to a free one (other tests may hold 8088).
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  const prod = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8").replace("http://127.0.0.1:8088", `http://127.0.0.1:${jenkins}`);
  expect(prod).toContain(`http://127.0.0.1:${jenkins}`);
  fs.writeFileSync(path.join(project, "Pulumi.prod.yaml"), prod);
  endpoints = await upOrTearDown({ stack: "prod", dir, projectDir: project });
  state = readState(dir);
  // The rehearsal moved the app ports to free ones; nothing is deployed, so the switch sends each
  // live port to its blue port, where the echo servers listen (in place of containers).
  ports = { shop: state.appPorts["shop.frontend.bluePort"], landing: state.appPorts["landing.frontend.bluePort"], jenkins };
  for (const p of Object.values(ports)) await echo(p);
});

afterAll(async () => {
  try {
    if (fs.existsSync(path.join(dir, "rehearsal", "state.json"))) await down(dir);
  } finally {
    await Promise.all(echoes.map((s) => new Promise((resolve) => s.close(resolve))));
    for (const d of [dir, project]) fs.rmSync(d, { recursive: true, force: true });
  }
});

/** curl to `name` on the rehearsal's HTTPS port (resolved to 127.0.0.1); returns the upstream's view. */
async function upstreamSees(name: string, args: readonly string[] = []): Promise<{ status: number; headers: Record<string, string> }> {
  const r = await curl(["--resolve", `${name}:${state.httpsPort}:127.0.0.1`, "--cacert", endpoints.caFile, ...args, `https://${name}:${state.httpsPort}/`]);
  return { status: r.status, headers: r.status === 200 ? (JSON.parse(r.body) as Record<string, string>) : {} };
}

describe("Host upstream", () => {
  it("is the name the server serves, never the client's text", async () => {
    const plain = await upstreamSees("example.com");
    expect(plain.status).toBe(200);
    expect(plain.headers.host).toBe("example.com");
    expect(plain.headers["x-forwarded-host"]).toBe("example.com");
    expect(plain.headers["x-forwarded-proto"]).toBe("https");
    // gixy's host-spoofing case: a port part that smuggles another name.
    const spoof = await upstreamSees("example.com", ["-H", "Host: example.com:@evil.test"]);
    expect(JSON.stringify(spoof.headers)).not.toContain("evil.test");
    if (spoof.status === 200) expect(spoof.headers.host).toBe("example.com");
    else expect(spoof.status).toBe(400);
    // A client-supplied X-Forwarded-Host or Forwarded never reaches the app.
    const forged = await upstreamSees("example.com", ["-H", "X-Forwarded-Host: evil.test", "-H", "Forwarded: host=evil.test;for=6.6.6.6"]);
    expect(forged.headers["x-forwarded-host"]).toBe("example.com");
    expect(forged.headers.forwarded).toBeUndefined();
  });
});

describe("X-Forwarded-For", () => {
  it("holds one address, nginx's own view of the client, whatever the client sent", async () => {
    const r = await upstreamSees("example.com", ["-H", "X-Forwarded-For: 6.6.6.6, 7.7.7.7", "-H", "X-Real-IP: 6.6.6.6"]);
    expect(r.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(r.headers["x-real-ip"]).toBe("127.0.0.1");
  });
});

describe("Cloudflare-proxied names (127.0.0.2 plays Cloudflare)", () => {
  it("take the client address from CF-Connecting-IP on connections from Cloudflare's ranges", async () => {
    const r = await upstreamSees("example.net", ["--interface", "127.0.0.2", "-H", "CF-Connecting-IP: 198.51.100.7"]);
    expect(r.status).toBe(200);
    expect(r.headers["x-forwarded-for"]).toBe("198.51.100.7");
    expect(r.headers["x-real-ip"]).toBe("198.51.100.7");
  });

  it("ignore the header from anyone else", async () => {
    const r = await upstreamSees("example.net", ["-H", "CF-Connecting-IP: 198.51.100.7"]);
    expect(r.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("only for the proxied names: an unproxied name ignores it even from Cloudflare's ranges", async () => {
    const r = await upstreamSees("example.com", ["--interface", "127.0.0.2", "-H", "CF-Connecting-IP: 198.51.100.7"]);
    expect(r.headers["x-forwarded-for"]).toBe("127.0.0.2");
  });
});

describe("extra host behind basic auth", () => {
  it("keeps the proxy password from the upstream", async () => {
    const pw = fs.readFileSync(state.basicAuthPasswordFiles["jenkins.example.com"], "utf8").trim();
    const r = await upstreamSees("jenkins.example.com", ["-u", `admin:${pw}`]);
    expect(r.status).toBe(200);
    expect(r.headers.authorization).toBeUndefined();
    expect(r.headers.host).toBe("jenkins.example.com");
    expect((await upstreamSees("jenkins.example.com")).status).toBe(401);
  });
});

describe("TLS for names the host does not serve", () => {
  const handshake = (args: readonly string[]) =>
    run(bin.openssl, ["s_client", "-connect", `127.0.0.1:${state.httpsPort}`, ...args, "-CAfile", endpoints.caFile], { input: "", timeoutMs: 10_000 }).then(
      (r) => ({ code: r.code, out: r.stdout + r.stderr }),
    );

  it("refuses the handshake with an unrecognized_name alert and shows no certificate", async () => {
    for (const args of [["-servername", "unknown.example.org"], ["-noservername"]]) {
      const r = await handshake(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.out).toMatch(/unrecognized name|alert number 112/);
      expect(r.out).not.toContain("BEGIN CERTIFICATE");
      expect(r.out).not.toMatch(/subject=/);
    }
  });

  it("completes it for a served name", async () => {
    const r = await handshake(["-servername", "example.com"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Verify return code: 0 (ok)");
  });

  it.each(["AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA"])(
    "refuses the TLS 1.2 suite %s (no forward secrecy or no AEAD)",
    async (cipher) => {
      const r = await handshake(["-servername", "example.com", "-tls1_2", "-cipher", `${cipher}:@SECLEVEL=0`]);
      expect(r.code).not.toBe(0);
    },
  );

  it("takes an ECDHE AEAD suite under TLS 1.2 and offers HSTS for two years", async () => {
    const r = await handshake(["-servername", "example.com", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]);
    expect(r.code, r.out).toBe(0);
    const page = await curl(["--resolve", `example.com:${state.httpsPort}:127.0.0.1`, "--cacert", endpoints.caFile, `https://example.com:${state.httpsPort}/`]);
    expect(page.headers["strict-transport-security"]).toEqual(["max-age=63072000"]);
  });
});
