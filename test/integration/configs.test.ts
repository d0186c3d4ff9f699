// Real binaries, no servers left running: `nginx -t` on both stacks' rendered files, Apache's
// htpasswd against our bcrypt lines, shellcheck on the host script, and the CLI's error messages.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostDirectories, hostFiles } from "../../components/render/hostFiles";
import { servedNames } from "../../lib/certificates";
import { htpasswdEntry } from "../../components/render/htpasswd";
import { HOST_PATHS, reroot } from "../../components/render/paths";
import { APPLY_NGINX_SCRIPT, writeHostFiles } from "../../cli/local/files";
import { run } from "../../cli/local/procs";
import { ensureRehearsalTls } from "../../cli/local/tls";
import { requireBinaries, scratchDir } from "../helpers/procs";
import { fixtureInput, SHIPPED_STACKS, stackConfig } from "../helpers/renderFixtures";

const bin = requireBinaries("nginx", "htpasswd", "openssl", "shellcheck");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.each(SHIPPED_STACKS)("nginx -t: %s", (stack) => {
  it("accepts the rendered configuration", async () => {
    const root = scratchDir(`nginx-t-${stack}`);
    dirs.push(root);
    const config = stackConfig(stack);
    // Real key material: nginx -t loads the certificate and key.
    const tls = await ensureRehearsalTls(path.join(root, "tls"), servedNames(config));
    const options = { root, listenAddress: "127.0.0.1", httpPort: 18080, httpsPort: 18443, nginxUser: null, nginxTempUnderRoot: true } as const;
    writeHostFiles(hostFiles({ ...fixtureInput(config, options), tls }));
    for (const d of hostDirectories(config, options)) fs.mkdirSync(d, { recursive: true });
    const conf = reroot(root, HOST_PATHS.nginxConf);
    const r = await run(bin.nginx, ["-t", "-p", `${root}/`, "-c", conf, "-e", path.join(root, "error.log")]);
    expect(r.stderr).toContain("test is successful");
    expect(r.code).toBe(0);
  });
});

describe("htpasswd lines", () => {
  const dir = scratchDir("htpasswd");
  dirs.push(dir);
  const file = path.join(dir, "htpasswd");
  fs.writeFileSync(file, `${htpasswdEntry("ci", "correct horse", "salt-key-for-this-test")}\n`);

  it("verify with Apache's htpasswd -vb", async () => {
    const r = await run(bin.htpasswd, ["-vb", file, "ci", "correct horse"]);
    expect(r.stderr).toContain("correct");
    expect(r.code).toBe(0);
  });

  it("refuse a wrong password", async () => {
    const r = await run(bin.htpasswd, ["-vb", file, "ci", "wrong horse"]);
    expect(r.stderr).toContain("verification failed");
    expect(r.code).not.toBe(0);
  });
});

describe("host/apply-nginx.sh", () => {
  it("passes shellcheck", async () => {
    const r = await run(bin.shellcheck, [APPLY_NGINX_SCRIPT]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("npm run local: errors", () => {
  const tsx = path.resolve(__dirname, "..", "..", "node_modules", ".bin", "tsx");
  const cli = path.resolve(__dirname, "..", "..", "cli", "local.ts");

  it("names the known stacks for an unknown one", async () => {
    const dir = scratchDir("cli");
    dirs.push(dir);
    const r = await run(tsx, [cli, "up", "nosuch", "--dir", path.join(dir, "x")]);
    expect(r.code).toBe(2); // refused (README: exit codes)
    expect(r.stderr).toContain("no stack file Pulumi.nosuch.yaml; known stacks: dev, prod, scale");
  });

  it("says which port is in use", async () => {
    const net = await import("node:net");
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const port = (srv.address() as { port: number }).port;
    try {
      const dir = scratchDir("cli");
      dirs.push(dir);
      const r = await run(tsx, [cli, "up", "dev", "--dir", dir, "--https-port", String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use (--https-port)`);
    } finally {
      srv.close();
    }
  });

  it("prints usage for a bad command", async () => {
    const r = await run(tsx, [cli, "sideways"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("usage:");
  });
});
