// The project and stack names as the offline plan gets them: a project not named berth still reads
// Berth's `berth:` keys (one rule with the program, config/input.ts CONFIG_NAMESPACE), and a stack
// name with capitals is refused before anything runs (physical names are lower case).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../config";
import { readStackFile, toRawConfigInput } from "../../offline/stackFile";
import { planInProcess, type PlanCapture } from "../helpers/planCli";

const ROOT = path.resolve(__dirname, "../..");

/** A stack directory like the repository's, with the project renamed and the dev stack under `stack`. */
function stackDir(project: string, stack: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-names-"));
  const pulumiYaml = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^name: berth$/m, `name: ${project}`);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pulumiYaml);
  fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), path.join(dir, `Pulumi.${stack}.yaml`));
  return dir;
}

const plan = (...args: string[]): Promise<PlanCapture> => planInProcess(args);

describe("a project not named berth", () => {
  let dir = "";
  beforeAll(() => {
    dir = stackDir("platform", "dev");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the same berth: keys as the program, and names resources after the project", async () => {
    const file = readStackFile("dev", dir);
    expect(file.project).toBe("platform");
    expect(parseConfig(toRawConfigInput(file)).proxy.apps.map((a) => a.name)).toEqual(["web"]);
    const res = await plan("dev", "--stack-dir", dir, "--json");
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { project: string; resources: Array<{ type: string; inputs: Record<string, unknown> }> };
    expect(out.project).toBe("platform");
    expect(out.resources.find((r) => r.type === "aws:rds/instance:Instance")?.inputs.identifier).toBe("platform-dev-db");
  });
});

describe("stack names", () => {
  let dir = "";
  beforeAll(() => {
    dir = stackDir("berth", "Dev");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses capitals, which would share every physical name with the lower-case stack", async () => {
    const res = await plan("Dev", "--stack-dir", dir);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(
      '  - (stack name) = "Dev": has upper-case letters, and Berth\'s physical names are lower case (RDS refuses capitals), so it would share them with stack "dev"; use a lower-case stack name\n',
    );
    expect(res.stdout).toBe("");
  });
});
