// Everything the stacks hand to the host as text, checked by the real tools before a host ever
// sees it: the user data against cloud-init's own schema, every shell script with shellcheck.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDeployHook } from "../../components/render/certbot";
import { renderAcmePreflight } from "../../components/render/bundle";
import { one, ofType, plain, run, type RunResult } from "../helpers/stack";
import { requireBinaries } from "../helpers/procs";

const bin = requireBinaries("cloud-init", "shellcheck");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-host-scripts-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function check(tool: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function shellcheck(name: string, script: string, shell = "bash"): void {
  const file = path.join(dir, `${name}.sh`);
  fs.writeFileSync(file, script);
  const r = check(bin.shellcheck, ["--shell", shell, "--severity", "warning", file]);
  expect(r.status, `${name}:\n${r.out}`).toBe(0);
}

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await run("dev");
  runs.prod = await run("prod");
});

describe.each(["dev", "prod"])("%s", (stack) => {
  it("sends user data that cloud-init's schema accepts", () => {
    const file = path.join(dir, `${stack}-user-data.yaml`);
    fs.writeFileSync(file, String(one(runs[stack], "aws:ec2/instance:Instance").inputs.userData));
    const r = check(bin["cloud-init"], ["schema", "--config-file", file]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("Valid cloud-config");
  });

  it("runs only user-data commands that shellcheck passes", () => {
    const userData = String(one(runs[stack], "aws:ec2/instance:Instance").inputs.userData);
    const runcmd = userData.split("\nruncmd:\n")[1].split("\n").filter((l) => l.startsWith("  - ")).map((l) => JSON.parse(l.slice(4)) as string);
    expect(runcmd.length).toBeGreaterThan(5);
    shellcheck(`${stack}-runcmd`, `#!/bin/sh\n${runcmd.join("\n")}\n`, "sh");
  });

  it("sends every remote command a script that shellcheck passes", () => {
    const commands = ofType(runs[stack], "command:remote:Command");
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) {
      shellcheck(`${stack}-${c.name}-create`, `#!/bin/bash\n${String(c.inputs.create)}\n`);
      if (c.inputs.stdin !== undefined) shellcheck(`${stack}-${c.name}-stdin`, String(plain(c.inputs.stdin)));
    }
  });
});

describe("certbot pieces", () => {
  it("deploy hook and ACME preflight pass shellcheck", () => {
    shellcheck("deploy-hook", renderDeployHook(), "sh");
    shellcheck("preflight", ["#!/bin/bash", "set -eu", ...renderAcmePreflight(["example.com", "www.example.com"], "berth-prod")].join("\n"));
  });
  it("catches a broken script (the check can fail)", () => {
    const file = path.join(dir, "broken.sh");
    fs.writeFileSync(file, "#!/bin/bash\nif [ $x = 1 ]; then echo $y\n");
    expect(check(bin.shellcheck, ["--shell", "bash", "--severity", "warning", file]).status).not.toBe(0);
  });
});
