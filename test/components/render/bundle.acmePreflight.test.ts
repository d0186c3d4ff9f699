// The check certbot's step runs first: every name must reach this host's ACME webroot over HTTP.
// Run for real with bash, with a stand-in curl (the real names do not resolve here).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderAcmePreflight } from "../../../components/render/bundle";
import { HOST_PATHS } from "../../../components/render/paths";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function runPreflight(names: string[], reachable: string[]) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-preflight-"));
  dirs.push(root);
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  // curl stand-in: serves the token file from the (re-rooted) webroot for reachable names only.
  const webroot = path.join(root, "webroot");
  fs.writeFileSync(
    path.join(bin, "curl"),
    `#!/bin/sh
url=""; for a in "$@"; do url=$a; done
host=$(echo "$url" | sed -E 's#^http://([^/]+)/.*#\\1#')
case " ${reachable.join(" ")} " in *" $host "*) cat '${webroot}/.well-known/acme-challenge/berth-preflight';; *) exit 7;; esac
`,
    { mode: 0o755 },
  );
  const script = ["set -eu", ...renderAcmePreflight(names, "berth-prod")].join("\n").split(HOST_PATHS.acmeWebroot).join(webroot);
  return spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
}

describe("ACME preflight", () => {
  it("passes when every name reaches the webroot", () => {
    const r = runPreflight(["example.com", "www.example.com"], ["example.com", "www.example.com"]);
    expect(r.status, r.stderr).toBe(0);
  });

  it("stops before certbot with the next step when a name does not reach the host yet", () => {
    const r = runPreflight(["example.com", "docker.example.com"], ["example.com"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("http://docker.example.com/.well-known/acme-challenge/ does not reach this host yet");
    expect(r.stderr).toContain("pulumi stack output dnsNameServers");
  });

  it("refuses names and tokens that would need quoting", () => {
    expect(() => renderAcmePreflight(["bad name"], "t")).toThrow(/bad name/);
    expect(() => renderAcmePreflight(["example.com"], "t;rm")).toThrow(/bad token/);
  });
});
