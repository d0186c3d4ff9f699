// `npm run plan -- <stack> --diff <ref>` end to end, in a throwaway git repository holding a copy
// of this project: a commit, an edited stack file in the working tree, and the report, each diff
// three real processes and git. (The comparison's cases are in test/cli/planDiff.test.ts, the
// command-line refusals in test/cli/plan.test.ts.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
let repo: string;

const sh = (cmd: string, args: string[], cwd = repo) => spawnSync(cmd, args, { cwd, encoding: "utf8" });
const plan = (args: string[]) => spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["cli/plan.ts", ...args], { cwd: repo, encoding: "utf8" });

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "berth-diff-repo-"));
  const files = sh("git", ["ls-files", "--cached", "--others", "--exclude-standard"], ROOT)
    .stdout.split("\n")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(repo, f));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
  for (const args of [
    ["init", "-q", "-b", "main"],
    ["add", "-A"],
    ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "base"],
  ]) {
    const r = sh("git", args);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  // The working tree: prod's database renamed (a replacement) and its HSTS age shortened.
  const file = path.join(repo, "Pulumi.prod.yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
  doc.config["berth:database"].name = "store";
  doc.config["berth:proxy"].hstsMaxAgeSeconds = 600;
  fs.writeFileSync(file, stringify(doc));
  fs.copyFileSync(path.join(repo, "Pulumi.dev.yaml"), path.join(repo, "Pulumi.stage.yaml"));
});

afterAll(() => {
  if (repo) fs.rmSync(repo, { recursive: true, force: true });
});

describe("plan --diff", () => {
  it("reports the working tree against a commit as a pull-request comment", () => {
    const r = plan(["prod", "--diff", "main", "--format", "markdown"]);
    expect(r.status, r.stderr).toBe(0);
    const md = r.stdout;
    expect(md.split("\n")[0]).toBe("<!-- berth-plan-diff stack=prod -->");
    expect(md).toMatch(/^main \([0-9a-f]{7}\) → working tree/m);
    expect(md).toContain("> **REPLACES THE DATABASE database-instance: dbName.");
    expect(md).toMatch(
      /\| REPLACE \| `database-instance` \| `aws:rds\/instance:Instance` \| `dbName: "berth" -> "store" {2}\[forces replacement: provider schema\]` \|/,
    );
    expect(md).toContain("| `berth:database` |");
    expect(md).toContain("```diff\n--- a/etc/nginx/berth/snippets/security-headers.conf");
    expect(md).toContain('+add_header Strict-Transport-Security "max-age=600" always;');
    expect(md).not.toMatch(/cannot be compared|could not be compared/);
  });

  it("treats a stack that did not exist at the commit as all new", () => {
    const r = plan(["stage", "--diff", "main", "--out", "stage-diff.txt"]);
    expect(r.status, r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(repo, "stage-diff.txt"), "utf8");
    expect(text).toMatch(/^Plan diff of stack "stage": main \([0-9a-f]{7}\) -> working tree$/m);
    expect(text).toMatch(/^\d+ to create, 0 to delete, 0 to replace, 0 to update, 0 unchanged;/m);
    expect(text).toContain("  +  aws:ec2/instance:Instance  host-instance  (create)");
  });
});
