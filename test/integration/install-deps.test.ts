// scripts/check-deps.sh is what keeps a fresh machine green: every binary the tests need must come from
// a Debian package that scripts/install-deps.sh installs (or one they depend on). These runs show that the
// check passes on the real lists and fails for a binary from an unlisted package or from no package at all.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../cli/local/procs";

const ROOT = path.resolve(__dirname, "../..");
const script = path.join(ROOT, "scripts/check-deps.sh");

async function check(args: string[], env: Record<string, string> = {}) {
  return run("bash", [script, ...args], { env: { ...process.env, ...env } });
}

function lists(): { packages: string[]; binaries: string[] } {
  const text = fs.readFileSync(path.join(ROOT, "scripts/install-deps.sh"), "utf8");
  const array = (name: string) => {
    const m = new RegExp(`^${name}=\\(([^)]*)\\)`, "m").exec(text);
    expect(m, `${name}=(...) in scripts/install-deps.sh`).not.toBeNull();
    return m![1].split(/\s+/).filter(Boolean);
  };
  return { packages: array("APT_PACKAGES"), binaries: array("NEEDED_BINARIES") };
}

describe("scripts/check-deps.sh", () => {
  it("keeps both lists as plain arrays, with the command pyflakes3 (not the module-only python3-pyflakes) and the database server", () => {
    const { packages, binaries } = lists();
    expect(packages).toContain("pyflakes3");
    expect(packages).not.toContain("python3-pyflakes");
    expect(binaries).toEqual(expect.arrayContaining(["pyflakes3", "mariadbd", "dockerd", "docker", "sshd"]));
  });

  it("passes for every needed binary with the shipped package list", async () => {
    const r = await check([]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`all ${lists().binaries.length} binaries come from APT_PACKAGES or their dependencies`);
  });

  it("fails for a binary whose package is neither listed nor a dependency of a listed one", async () => {
    const r = await check(["curl"], { CHECK_APT_PACKAGES: "jq" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("curl: /usr/bin/curl (package curl, not in APT_PACKAGES nor a dependency of them)");
  });

  it("follows dependencies: a binary of a package a listed one depends on passes", async () => {
    // openssh-server depends on openssh-client, which ships ssh-keygen.
    const r = await check(["ssh-keygen"], { CHECK_APT_PACKAGES: "openssh-server" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("fails for a binary installed by hand (no package owns it) and for one that is missing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-deps-"));
    try {
      fs.writeFileSync(path.join(dir, "berth-by-hand"), "#!/bin/sh\n", { mode: 0o755 });
      const byHand = await check(["berth-by-hand"], { PATH: `${dir}:${process.env.PATH}` });
      expect(byHand.code).toBe(1);
      expect(byHand.stderr).toContain(`berth-by-hand: ${dir}/berth-by-hand (no package)`);
      const missing = await check(["berth-not-anywhere"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("berth-not-anywhere is not on PATH");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
