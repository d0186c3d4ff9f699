// The bundle is what actually reaches the host: run it for real with bash against a scratch
// root and check contents, modes, create-only files and hostile content.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { filesDigest, groupHostFiles, renderBundle, stageManifest } from "../../../components/render/bundle";
import type { HostFile } from "../../../components/render/paths";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bundle-"));
  dirs.push(d);
  return d;
}

function runBundle(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-s"], { input: script, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const f = (p: string, content: string, extra: Partial<HostFile> = {}): HostFile => ({ path: p, content, mode: 0o644, usedBy: [], ...extra });

describe("install bundles", () => {
  it("writes every file byte for byte with its mode, whatever the content", () => {
    const root = scratch();
    const hostile = "a $HOME `id` $(id) \\n 'single' \"double\"\nBERTH_EOF_x\nEOF\n\ttab\n";
    const files = [
      f(`${root}/etc/berth/a.conf`, hostile),
      f(`${root}/etc/berth/deep/dir/key.pem`, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", { mode: 0o600, secret: true }),
      f(`${root}/etc/berth/no-newline`, "last line"),
    ];
    const r = runBundle(renderBundle(files, { label: "t", mode: "install", after: [`touch '${root}/after-ran'`] }));
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(`${root}/etc/berth/a.conf`, "utf8")).toBe(hostile);
    expect(fs.statSync(`${root}/etc/berth/deep/dir/key.pem`).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${root}/etc/berth/a.conf`).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(`${root}/etc/berth/no-newline`, "utf8")).toBe("last line");
    expect(fs.existsSync(`${root}/after-ran`)).toBe(true);
    expect(r.stdout).toContain("berth: t: 3 file(s) in place");
    expect(fs.readdirSync(`${root}/etc/berth`).some((n) => n.endsWith(".berth-new"))).toBe(false);
  });

  it("leaves create-only files alone once they exist, and replaces the rest", () => {
    const root = scratch();
    const live = `${root}/etc/nginx/berth/live/web.conf`;
    const conf = `${root}/etc/nginx/nginx.conf`;
    expect(runBundle(renderBundle([f(live, "blue\n", { createOnly: true }), f(conf, "v1\n")], { label: "t", mode: "install" })).status).toBe(0);
    fs.writeFileSync(live, "green (switched by the deploy command)\n");
    expect(runBundle(renderBundle([f(live, "blue\n", { createOnly: true }), f(conf, "v2\n")], { label: "t", mode: "install" })).status).toBe(0);
    expect(fs.readFileSync(live, "utf8")).toBe("green (switched by the deploy command)\n");
    expect(fs.readFileSync(conf, "utf8")).toBe("v2\n");
  });

  it("is deterministic and refuses unsafe paths", () => {
    const files = [f("/etc/b", "1"), f("/etc/a", "2")];
    expect(renderBundle(files, { label: "x", mode: "install" })).toBe(renderBundle([...files].reverse(), { label: "x", mode: "install" }));
    expect(() => renderBundle([f("/etc/../root/.ssh/authorized_keys", "x")], { label: "x", mode: "install" })).toThrow(/unsafe path/);
    expect(() => renderBundle([f("relative", "x")], { label: "x", mode: "install" })).toThrow(/unsafe path/);
    expect(() => renderBundle([f("/etc/a", "x"), f("/etc/a", "y")], { label: "x", mode: "install" })).toThrow(/twice/);
    expect(() => renderBundle([], { label: "x", mode: "nginx" })).toThrow(/apply script/);
  });
});

describe("grouping", () => {
  it("gives each file to exactly one delivery and changes only that group's digest", () => {
    const files = [
      f("/etc/nginx/nginx.conf", "n"),
      f("/etc/nginx/berth/auth/j.htpasswd", "h", { secret: true }),
      f("/etc/berth/registry/config.yml", "c"),
      f("/etc/berth/registry/htpasswd", "p", { secret: true }),
      f("/etc/berth/tls/server.crt", "t"),
    ];
    const g = groupHostFiles(files);
    expect(g.nginx.map((x) => x.path)).toEqual(["/etc/nginx/nginx.conf"]);
    expect(g.nginxSecrets.map((x) => x.path)).toEqual(["/etc/nginx/berth/auth/j.htpasswd"]);
    expect(g.registryConfig.map((x) => x.path)).toEqual(["/etc/berth/registry/config.yml"]);
    expect(g.registrySecrets.map((x) => x.path)).toEqual(["/etc/berth/registry/htpasswd"]);
    expect(g.tls.map((x) => x.path)).toEqual(["/etc/berth/tls/server.crt"]);
    expect(() => groupHostFiles([f("/opt/other", "x")])).toThrow(/no delivery owns/);
    expect(filesDigest(g.registryConfig)).not.toBe(filesDigest([f("/etc/berth/registry/config.yml", "c2")]));
  });
});

describe("manifest and directories", () => {
  it("writes mode, group, flags and path per line", () => {
    const files = [
      f("/etc/nginx/nginx.conf", "events {}\n"),
      f("/etc/nginx/berth/live/web.conf", "upstream x {}\n", { createOnly: true }),
      f("/etc/nginx/berth/auth/a.htpasswd", "a:$2y$10$x\n", { mode: 0o640, group: "www-data", secret: true }),
    ];
    expect(stageManifest(files)).toBe(
      [
        "0644\t-\t-\t/etc/nginx/nginx.conf",
        "0644\t-\tcreate-only\t/etc/nginx/berth/live/web.conf",
        "0640\twww-data\t-\t/etc/nginx/berth/auth/a.htpasswd",
        "",
      ].join("\n"),
    );
    expect(() => stageManifest([f("/a\tb", "x")])).toThrow(/unsafe path/);
    expect(() => stageManifest([f("/a'b", "x")])).toThrow(/unsafe path/);
  });

  it("creates directories and parents that other users can traverse, while files keep their own modes", () => {
    const root = scratch();
    const files = [f(`${root}/etc/nginx/berth/auth/j.htpasswd`, "j:$2y$\n", { mode: 0o640, secret: true })];
    const r = runBundle(renderBundle(files, { label: "t", mode: "install", directories: [`${root}/var/www/berth-acme`] }));
    expect(r.status, r.stderr).toBe(0);
    expect(fs.statSync(`${root}/var/www/berth-acme`).mode & 0o777).toBe(0o755);
    // nginx workers (www-data) read basic-auth files at request time: the directory must be traversable.
    expect(fs.statSync(`${root}/etc/nginx/berth/auth`).mode & 0o777).toBe(0o755);
    expect(fs.statSync(`${root}/etc/nginx/berth/auth/j.htpasswd`).mode & 0o777).toBe(0o640);
  });
});
