// Golden files for every host file of both shipped stacks (the deploy tooling's and the data volume's
// included, with stand-ins for the programs' own text; the CloudWatch agent's config and the host
// check where berth:alerts is on), reviewed like code.
// UPDATE_GOLDEN=1 npx vitest run test/components/render/golden rewrites them; review the diff before committing.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { HostFile } from "../../../../components/render/paths";
import { SHIPPED_STACKS, stackDataVolumeFiles, stackDeployFiles, stackFiles, stackMonitoringFiles } from "../../../helpers/renderFixtures";

const GOLDEN = __dirname;
const update = process.env.UPDATE_GOLDEN === "1";

/** One line per file: what is not in the content (mode, flags, services). */
function manifest(files: readonly HostFile[]): string {
  return (
    files
      .map((f) =>
        [
          `0${f.mode.toString(8)}`,
          f.group ?? "-",
          [f.secret ? "secret" : "", f.createOnly ? "create-only" : ""].filter(Boolean).join(",") || "-",
          f.usedBy.join(",") || "-",
          f.path,
        ].join("\t"),
      )
      .join("\n") + "\n"
  );
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe.each(SHIPPED_STACKS)("golden host files: %s", (stack) => {
  const files = [...stackFiles(stack), ...stackDeployFiles(stack), ...stackDataVolumeFiles(stack), ...stackMonitoringFiles(stack)];
  const dir = path.join(GOLDEN, stack);
  const expected = new Map<string, string>([
    ["MANIFEST.tsv", manifest(files)],
    ...files.map((f) => [path.join("root", f.path), f.content] as [string, string]),
  ]);

  if (update) {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [rel, content] of expected) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
  }

  it("has no golden file that is no longer rendered", () => {
    expect(listFiles(dir).sort()).toEqual([...expected.keys()].sort());
  });

  it.each([...expected.keys()])("%s matches", (rel) => {
    const file = path.join(dir, rel);
    expect(fs.existsSync(file), `${file} is missing; run UPDATE_GOLDEN=1 npx vitest run test/components/render/golden`).toBe(true);
    expect(expected.get(rel)).toBe(fs.readFileSync(file, "utf8"));
  });
});
