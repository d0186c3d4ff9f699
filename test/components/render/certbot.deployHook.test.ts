// certbot's deploy hook, run for real with sh: it must put the new pair where nginx reads it,
// test before reloading, and put the previous pair back when nginx rejects the new one.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderDeployHook } from "../../../components/render/certbot";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(nginxTestExit: number) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-hook-"));
  dirs.push(root);
  const lineage = path.join(root, "etc/letsencrypt/live/example.com");
  fs.mkdirSync(lineage, { recursive: true });
  fs.writeFileSync(path.join(lineage, "fullchain.pem"), "NEW CERT\n");
  fs.writeFileSync(path.join(lineage, "privkey.pem"), "NEW KEY\n");
  const served = { certPath: path.join(root, "etc/berth/tls/server.crt"), keyPath: path.join(root, "etc/berth/tls/server.key") };
  fs.mkdirSync(path.dirname(served.certPath), { recursive: true });
  fs.writeFileSync(served.certPath, "BOOTSTRAP CERT\n");
  fs.writeFileSync(served.keyPath, "BOOTSTRAP KEY\n", { mode: 0o600 });
  // A stand-in nginx on PATH that records its calls; `-t` fails when asked to.
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  const log = path.join(root, "nginx.log");
  fs.writeFileSync(path.join(bin, "nginx"), `#!/bin/sh\necho "$*" >> '${log}'\ncase "$*" in *-t*) exit ${nginxTestExit};; esac\nexit 0\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "systemctl"), "#!/bin/sh\nexit 3\n", { mode: 0o755 }); // "nginx is not active"
  const hook = path.join(root, "hook.sh");
  fs.writeFileSync(hook, renderDeployHook(served), { mode: 0o755 });
  const run = () => spawnSync("sh", [hook], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, RENEWED_LINEAGE: lineage } });
  return { served, log, run, hook };
}

describe("certbot deploy hook", () => {
  it("copies the renewed pair to the served paths, tests nginx, then reloads", () => {
    const { served, log, run } = setup(0);
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(served.certPath, "utf8")).toBe("NEW CERT\n");
    expect(fs.readFileSync(served.keyPath, "utf8")).toBe("NEW KEY\n");
    expect(fs.statSync(served.keyPath).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(log, "utf8").trim().split("\n")).toEqual(["-t -q", "-s reload"]);
  });

  it("puts the previous pair back and does not reload when nginx rejects the new one", () => {
    const { served, log, run } = setup(1);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nginx rejected the new certificate");
    expect(fs.readFileSync(served.certPath, "utf8")).toBe("BOOTSTRAP CERT\n");
    expect(fs.readFileSync(served.keyPath, "utf8")).toBe("BOOTSTRAP KEY\n");
    expect(fs.readFileSync(log, "utf8").trim().split("\n")).toEqual(["-t -q"]);
  });

  it("refuses to run outside certbot, changing nothing", () => {
    const { hook, served, log } = setup(0);
    const r = spawnSync("sh", [hook], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("certbot sets RENEWED_LINEAGE");
    expect(fs.readFileSync(served.certPath, "utf8")).toBe("BOOTSTRAP CERT\n");
    expect(fs.existsSync(log)).toBe(false);
  });
});
