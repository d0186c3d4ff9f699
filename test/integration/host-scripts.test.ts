// Everything the stacks hand to the host as text, checked by the real tools before a host ever
// sees it: the user data against cloud-init's own schema, every shell script with shellcheck, the
// deploy program with pyflakes under the host's python3, the sudoers rule with visudo, the
// retention and job schedules with systemd's own calendar parser, every systemd unit with
// `systemd-analyze verify`, the CI examples' script with shellcheck.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDeployHook } from "../../components/render/certbot";
import { renderAcmePreflight } from "../../components/render/bundle";
import { renderSudoers, renderSystemdUnits } from "../../components/render/deploy";
import { DEPLOY_USER_COMMANDS } from "../../lib/deployRules";
import { stackConfig, stackDeployFiles } from "../helpers/renderFixtures";
import { one, ofType, plain, sharedRun, type RunResult } from "../helpers/stack";
import { requireBinaries } from "../helpers/procs";
import { CALENDAR_ACCEPTED, CALENDAR_REFUSED } from "../helpers/calendarExamples";

const bin = requireBinaries("cloud-init", "shellcheck", "visudo", "python3", "pyflakes3", "systemd-analyze");
const ROOT = path.resolve(__dirname, "../..");
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
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
});

describe.each(["dev", "prod"])("%s", (stack) => {
  it("sends user data that cloud-init's schema accepts", () => {
    const file = path.join(dir, `${stack}-user-data.yaml`);
    fs.writeFileSync(file, String(plain(one(runs[stack], "aws:ec2/instance:Instance").inputs.userData)));
    const r = check(bin["cloud-init"], ["schema", "--config-file", file]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("Valid cloud-config");
  });

  it("runs only user-data commands that shellcheck passes", () => {
    const userData = String(plain(one(runs[stack], "aws:ec2/instance:Instance").inputs.userData));
    const runcmd = userData
      .split("\nruncmd:\n")[1]
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => JSON.parse(l.slice(4)) as string);
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

describe("deploy tooling", () => {
  it("the deploy program compiles under the host's python3 and pyflakes finds nothing", () => {
    const program = path.join(ROOT, "host/berth-deploy");
    const compiled = check("/usr/bin/python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", program]);
    expect(compiled.status, compiled.out).toBe(0);
    const flakes = check(bin.pyflakes3, [program]);
    expect(flakes.status, flakes.out).toBe(0);
    expect(fs.readFileSync(program, "utf8").split("\n")[0]).toBe("#!/usr/bin/python3 -I");
  });

  it.each(["dev", "prod"])("%s: visudo accepts the sudoers rule, which names only the deploy program's user commands", (stack) => {
    const text = stackDeployFiles(stack).find((f) => f.path === "/etc/berth/deploy/sudoers")!.content;
    const file = path.join(dir, `${stack}-sudoers`);
    fs.writeFileSync(file, text, { mode: 0o440 });
    const r = check(bin.visudo, ["-cf", file]);
    expect(r.status, r.out).toBe(0);
    expect(text).toMatch(/^deploy ALL=\(root\) NOPASSWD: BERTH_DEPLOY_DEPLOY$/m);
    expect(text.match(/\/usr\/local\/lib\/berth\/berth-deploy \w+ \*/g)).toEqual(DEPLOY_USER_COMMANDS.map((c) => `/usr/local/lib/berth/berth-deploy ${c} *`));
  });

  it("visudo would catch a broken rule (the check can fail)", () => {
    const file = path.join(dir, "broken-sudoers");
    fs.writeFileSync(file, renderSudoers("deploy", "/usr/local/lib/berth/berth-deploy").replace("NOPASSWD:", "NOPASSWD"), { mode: 0o440 });
    expect(check(bin.visudo, ["-cf", file]).status).not.toBe(0);
  });

  it.each(["dev", "prod"])("%s: systemd parses the retention schedule", (stack) => {
    const r = check(bin["systemd-analyze"], ["calendar", stackConfig(stack).registry.retention.schedule]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Next elapse:/);
  });

  it.each(["dev", "prod"])("%s: systemd-analyze verify passes every rendered unit (switch, retention, each job's timer and service)", (stack) => {
    // The units as rendered, with ExecStart pointing at an executable copy of the program (verify checks it exists).
    const unitDir = path.join(dir, `${stack}-units`);
    const program = path.join(unitDir, "berth-deploy");
    fs.mkdirSync(unitDir, { recursive: true });
    fs.copyFileSync(path.join(ROOT, "host/berth-deploy"), program);
    fs.chmodSync(program, 0o755);
    const units = renderSystemdUnits(stackConfig(stack), program);
    expect(Object.keys(units).filter((u) => u.startsWith("berth-job-")).length).toBeGreaterThanOrEqual(2);
    for (const [name, text] of Object.entries(units)) fs.writeFileSync(path.join(unitDir, name), text);
    const r = check(bin["systemd-analyze"], ["verify", ...Object.keys(units).map((u) => path.join(unitDir, u))]);
    // verify exits 0 on some parse errors (an unknown Type= is "ignored"): no output at all is the pass.
    expect(r, r.out).toEqual({ status: 0, out: "" });
    for (const job of stackConfig(stack).proxy.apps.flatMap((a) => [a.frontend, ...(a.backend ? [a.backend] : [])].flatMap((p) => p.jobs)))
      expect(Object.values(units).join("\n")).toContain(`OnCalendar=${job.schedule}\nPersistent=true\n`);
  });

  it("systemd-analyze verify would catch a broken schedule (the check can fail)", () => {
    const file = path.join(dir, "berth-job-x_y.timer");
    fs.writeFileSync(file, "[Timer]\nOnCalendar=every day at 3\nPersistent=true\n");
    expect(check(bin["systemd-analyze"], ["verify", file]).status).not.toBe(0);
  });

  it("systemd parses every job schedule the config check accepts, and refuses what it refuses where systemd would too", () => {
    for (const expr of CALENDAR_ACCEPTED) {
      const r = check(bin["systemd-analyze"], ["calendar", expr]);
      expect(r.status, `${expr}: ${r.out}`).toBe(0);
    }
    // The config check is stricter than systemd (it refuses "03:00 Mon"): only free text is refused by both.
    for (const expr of ["every day at 3", "*-*-* 24:00:00", "*-13-01 00:00"]) {
      expect(CALENDAR_REFUSED).toContain(expr);
      expect(check(bin["systemd-analyze"], ["calendar", expr]).status, expr).not.toBe(0);
    }
  });

  it("the CI examples' script passes shellcheck", () => {
    shellcheck("ci-berth-deploy", fs.readFileSync(path.join(ROOT, "examples/ci/berth-deploy.sh"), "utf8"));
  });
});
