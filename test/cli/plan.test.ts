// The offline plan is an interface: `npm run plan -- <stack> [--json] [--out FILE]`. These cases run
// the CLI's main() in this process on the shared runs (test/helpers/sharedRuns.ts); the ones about
// processes (byte-identical output across processes through npm, an exit code, passphrases from the
// environment) start it for real in test/integration/plan-cli.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planInProcess, type PlanCapture } from "../helpers/planCli";
import { secretStrings, sharedRun, type ShippedStack } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");

/** Runs the CLI in this process; the shipped stacks come from the shared runs. */
function plan(...args: string[]): Promise<PlanCapture> {
  return planInProcess(args, {
    run: async (file) => {
      if (file.stack !== "dev" && file.stack !== "prod") throw new Error(`test plan(): no shared run of ${file.stack}`);
      return sharedRun(file.stack);
    },
  });
}

describe("npm run plan", () => {
  it.each(["dev", "prod"])("--json prints exactly one document of the documented shape (%s)", async (stack) => {
    const res = await plan(stack, "--json");
    expect(res.status, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(["outputs", "project", "resources", "stack"]);
    expect(doc.stack).toBe(stack);
    expect(doc.project).toBe("berth");
    const resources = doc.resources as Array<Record<string, unknown>>;
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
      expect(Object.keys(r).sort()).toEqual(["id", "inputs", "name", "parent", "state", "type", "urn"]);
      if (r.type === "pulumi:pulumi:Stack") expect(r.parent).toBeNull();
      else expect(urns.has(r.parent as string), `${String(r.name)} parent`).toBe(true);
    }
    const outputs = doc.outputs as Record<string, unknown>;
    expect(outputs.hostSshPrivateKey).toBe("[secret]");
    expect(outputs.databasePassword).toBe("[secret]");
    expect(res.stdout).not.toContain("PRIVATE KEY");
    const db = resources.find((r) => r.type === "aws:rds/instance:Instance")!;
    expect((db.inputs as Record<string, unknown>).password).toBe("[secret]");
    // every reference resolved: no unknowns in an `up`-style plan
    expect(res.stdout).not.toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("prints no secret value anywhere, component states included", async () => {
    for (const stack of ["dev", "prod"] as ShippedStack[]) {
      const secrets = secretStrings(await sharedRun(stack));
      expect(secrets.size).toBeGreaterThan(3);
      const res = await plan(stack, "--json");
      for (const s of secrets) expect(res.stdout.includes(s), `a secret of ${stack} is printed`).toBe(false);
    }
  });

  it("prints a readable tree by default", async () => {
    const res = await plan("dev");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Plan for stack "dev" of project "berth"/);
    expect(res.stdout).toMatch(/\+ berth:network:Network {2}network\n {4}\+ aws:ec2\/vpc:Vpc {2}network-vpc/);
    expect(res.stdout).toMatch(/cidrIpv4: 10\.20\.0\.\d+\/32/);
    expect(res.stdout).toMatch(/Outputs:\n(.|\n)*hostSshPrivateKey: \[secret\]/);
  });

  it("prod's tree shows the data volume, its snapshot policy and role, and the attachment to the host", async () => {
    const res = await plan("prod");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /\+ berth:host:DataVolume {2}data\n {4}\+ aws:ebs\/volume:Volume {2}data-volume {2}\[vol-[0-9a-f]+\]\n {8}availabilityZone: ap-northeast-2a\n {8}size: 50\n {8}type: gp3\n/,
    );
    expect(res.stdout).toMatch(/ {8}encrypted: true\n/);
    expect(res.stdout).toMatch(/\+ aws:iam\/role:Role {2}data-snapshot-role /);
    expect(res.stdout).toMatch(/\+ aws:dlm\/lifecyclePolicy:LifecyclePolicy {2}data-snapshots {2}\[policy-[0-9a-f]+\]\n {8}state: ENABLED\n/);
    expect(res.stdout).toMatch(
      /\+ aws:ec2\/volumeAttachment:VolumeAttachment {2}data-attachment .*\n {8}instanceId: i-[0-9a-f]+\n {8}deviceName: \/dev\/sdf\n {8}stopInstanceBeforeDetaching: true\n/,
    );
    expect(res.stdout).toMatch(/hostDataVolumeId: vol-[0-9a-f]+/);
  });

  it("exits 2 with the validation message on invalid config, creating nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plan-"));
    try {
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace("adminCidrs: [198.51.100.0/24]", "adminCidrs: [0.0.0.0/0]");
      fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), dev);
      // Validation comes first, so this runs the real engine path and stops before any resource.
      const res = await planInProcess(["broken", "--stack-dir", dir]);
      expect(res.status).toBe(2);
      expect(res.stderr).toContain('berth:firewall.adminCidrs[0] = "0.0.0.0/0": SSH and admin ports must not be open to the whole internet');
      expect(res.stdout).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("explains a missing stack and bad usage", async () => {
    const missing = await plan("staging");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no stack file Pulumi\.staging\.yaml; known stacks: dev, prod, scale/);
    // A user's mistake, not a Berth bug: the message alone, no stack frames.
    expect(missing.stderr).toBe("plan: no stack file Pulumi.staging.yaml; known stacks: dev, prod, scale\n");
    expect((await plan("../etc")).stderr).toBe('plan: stack name "../etc" may hold only letters, digits, _, . and -\n');
    // Usage errors are refusals too (EXIT.refused, cli/entry.ts): the help, then the reason.
    expect((await plan()).status).toBe(2);
    expect((await plan("dev", "--yaml")).stderr).toMatch(/^usage: npm run plan[\s\S]*\nplan: Unknown option '--yaml'\n$/);
    expect((await plan("dev", "--out")).status).toBe(2);
  });

  it.each<[string, string[], number, RegExp]>([
    ["an unknown ref", ["prod", "--diff", "no-such-branch"], 2, /^plan diff: --diff: "no-such-branch" is not a commit in this repository/],
    [
      "a plan format with --diff",
      ["prod", "--diff", "main", "--format", "mermaid"],
      2,
      /^usage: npm run plan[\s\S]*plan: --format mermaid: use text, markdown with --diff\n$/,
    ],
    ["--diff without a ref", ["prod", "--diff"], 2, /^usage: npm run plan/],
    ["a diff format without --diff", ["prod", "--format", "markdown"], 2, /^usage: npm run plan/],
    ["--json with another format", ["prod", "--json", "--format", "text"], 2, /plan: --json and --format text disagree\n$/],
    ["--stack-dir with --diff", ["prod", "--diff", "main", "--stack-dir", "."], 2, /plan: --stack-dir cannot be used with --diff\n$/],
  ])("refuses %s", async (_w, args, status, stderr) => {
    const r = await plan(...args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(stderr);
  });
});
