// The delivery script and stage manifest: stable text, safe quoting, refusal of odd paths.
import { describe, expect, it } from "vitest";
import { renderNginxDeliveryScript, stageManifest, stagedPath } from "../../components/render/delivery";
import type { HostFile } from "../../components/render/paths";

const files: HostFile[] = [
  { path: "/etc/nginx/nginx.conf", content: "events {}\n", mode: 0o644, usedBy: ["nginx"] },
  { path: "/etc/nginx/berth/live/web.conf", content: "upstream x {}\n", mode: 0o644, createOnly: true, usedBy: ["nginx"] },
  { path: "/etc/nginx/berth/auth/a.htpasswd", content: "a:$2y$10$x\n", mode: 0o640, group: "www-data", secret: true, usedBy: ["nginx"] },
];

describe("stageManifest", () => {
  it("writes mode, group, flags and path per line", () => {
    expect(stageManifest(files)).toBe([
      "0644\t-\t-\t/etc/nginx/nginx.conf",
      "0644\t-\tcreate-only\t/etc/nginx/berth/live/web.conf",
      "0640\twww-data\t-\t/etc/nginx/berth/auth/a.htpasswd",
      "",
    ].join("\n"));
  });

  it.each(["relative/path", "/a\tb", "/a'b"])("refuses the path %j", (p) => {
    expect(() => stageManifest([{ ...files[0], path: p }])).toThrow(/host path/);
  });

  it("puts staged content under files/", () => {
    expect(stagedPath("/tmp/s", files[0])).toBe("/tmp/s/files/etc/nginx/nginx.conf");
  });
});

describe("renderNginxDeliveryScript", () => {
  const script = renderNginxDeliveryScript({ files, ownedDirs: ["/etc/nginx/berth/sites"] });

  it("is deterministic and ends by running apply-nginx.sh on the stage", () => {
    expect(renderNginxDeliveryScript({ files, ownedDirs: ["/etc/nginx/berth/sites"] })).toBe(script);
    expect(script.trimEnd().split("\n").at(-1)).toBe(`bash '/usr/local/lib/berth/apply-nginx.sh' "$stage"`);
  });

  it("embeds content as base64 only (no secret in clear text)", () => {
    expect(script).not.toContain("$2y$10$x");
    expect(script).toContain(Buffer.from("a:$2y$10$x\n").toString("base64"));
  });

  it("quotes extra nginx options", () => {
    const s = renderNginxDeliveryScript({ files, ownedDirs: [], nginxArgs: ["-p", "/tmp/it's/"] });
    expect(s).toContain(`"$stage" '-p' '/tmp/it'\\''s/'`);
  });
});
