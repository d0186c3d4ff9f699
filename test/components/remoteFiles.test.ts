// RemoteFiles on its own (public mock API): one bundle script on stdin of one remote command, secret when asked.
import { beforeEach, describe, expect, it } from "vitest";
import { RemoteFiles, type RemoteFilesArgs } from "../../components/remoteFiles";
import { renderBundle } from "../../components/render/bundle";
import type { HostFile } from "../../components/render/paths";
import { FAKE_TARGET, failure, mockComponents, secretOf, type ComponentMocks } from "../helpers/componentMocks";

const target = FAKE_TARGET;
const file: HostFile = { path: "/etc/berth/a.conf", content: "a = 1\n", mode: 0o644, usedBy: [] };
const key: HostFile = { path: "/etc/berth/key.pem", content: "-----BEGIN PRIVATE KEY-----\nx\n", mode: 0o600, group: "berth", secret: true, usedBy: ["nginx"] };
// Only optional inputs are inside `bundle` (BundleOptions): minimal sets none of them.
const minimal: RemoteFilesArgs = { target, files: [file], bundle: { mode: "install" }, secret: false };
const full: RemoteFilesArgs = {
  target,
  files: [file, key],
  bundle: {
    mode: "nginx",
    applyScript: "#!/bin/sh\necho apply\n",
    nginxOptions: ["-p", "/tmp/x"],
    ownedDirs: ["/etc/berth"],
    directories: ["/var/lib/berth"],
    after: ["true"],
  },
  secret: true,
};

const COMMAND = "command:remote:Command";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("RemoteFiles, minimal args", () => {
  it("runs the bundle of the files through `sudo bash -s`, re-run when the host is replaced", async () => {
    const rf = new RemoteFiles("files", minimal, m.opts);
    await m.settle();
    const c = m.one(COMMAND, "files-apply");
    expect(c.parent).toBe("files");
    // (The command SDK makes the connection a secret and adds its own defaults, e.g. dialErrorLimit.)
    expect(c.inputs.connection).toEqual(secretOf(expect.objectContaining({ host: "203.0.113.10", user: "ubuntu", port: 22 })));
    expect(c.inputs).toEqual({
      connection: c.inputs.connection,
      create: "sudo bash -s",
      stdin: renderBundle([file], { mode: "install", label: "files" }),
      triggers: ["i-0host"],
      logging: "stdoutAndStderr",
    });
    expect(rf.command).toBeDefined();
  });
});

describe("RemoteFiles, full args", () => {
  it("passes the bundle options through and sends the script as a secret", async () => {
    new RemoteFiles("files", full, m.opts);
    await m.settle();
    const c = m.one(COMMAND, "files-apply").inputs;
    expect(c.stdin).toEqual(secretOf(renderBundle([file, key], { ...full.bundle, label: "files" })));
    expect(c.create).toBe("sudo bash -s");
  });
});

describe("RemoteFiles guards", () => {
  it("refuses a file path the bundle cannot write safely", async () => {
    const err = await failure(() => new RemoteFiles("files", { ...minimal, files: [{ ...file, path: "/etc/../shadow" }] }, m.opts));
    expect(err.message).toContain('bundle: unsafe path "/etc/../shadow"');
  });
});
