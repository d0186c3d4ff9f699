// The README is an interface too: every config key and every stack output must be documented,
// and the two set-up commands must stay at its top and match what CI runs.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys, nestedConfigKeys, SECRET_KEYS } from "../../config";
import { sharedRun, type ShippedStack } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

function sectionText(heading: string): string {
  const start = readme.indexOf(heading);
  expect(start, `README has no heading ${heading}`).toBeGreaterThan(-1);
  const next = readme.indexOf("\n### ", start + heading.length);
  const nextTop = readme.indexOf("\n## ", start + heading.length);
  const end = Math.min(...[next, nextTop].filter((i) => i > 0), readme.length);
  return readme.slice(start, end);
}

describe("README", () => {
  it("starts with the main job and the test command, and CI runs that test command", () => {
    const blocks = [...readme.matchAll(/```sh\n([^`]+)```/g)].map((m) => m[1].trim());
    expect(blocks[0]).toBe("bash scripts/install-deps.sh && npm run plan -- dev");
    expect(blocks[1]).toBe("bash scripts/test.sh");
    expect(readme.indexOf(blocks[1])).toBeLessThan(readme.indexOf("## "));
    expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).toMatch(/^bash scripts\/test\.sh$/m);
  });

  it.each(Object.entries(configKeys()))("documents every key of berth:%s", (section, keys) => {
    const text = sectionText(`### \`berth:${section}\``);
    for (const key of keys) expect(text, `berth:${section}.${key}`).toContain(`| \`${key}\` |`);
  });

  it.each(Object.entries(nestedConfigKeys()))("documents every field of berth:%s", (where, keys) => {
    const text = sectionText(`### \`berth:${where.split(".")[0]}\``);
    for (const key of keys) expect(text, `berth:${where}.${key}`).toMatch(new RegExp(`\`${key}\`|[{,] ${key}[ ,}]`));
  });

  it("documents every secret key", () => {
    const text = sectionText("### Secret keys");
    for (const key of SECRET_KEYS) expect(text).toContain(`| \`berth:${key}\` |`);
  });

  it.each<ShippedStack>(["dev", "prod"])("documents exactly the outputs of the %s stack, with their secrecy", async (stack) => {
    const r = await sharedRun(stack);
    const text = sectionText("## Outputs reference");
    const rows = [...text.matchAll(/^\| `([a-zA-Z0-9]+)` \| (yes)? *\|/gm)].map((m) => ({ name: m[1], secret: m[2] === "yes" }));
    const documented = new Map(rows.map((x) => [x.name, x.secret]));
    for (const name of Object.keys(r.outputs)) expect(documented.has(name), `output ${name} is not in the README`).toBe(true);
    const { isSecretValue } = await import("../../offline/mocks");
    for (const [name, secret] of documented) {
      if (name in r.outputs) expect(isSecretValue(r.outputs[name]), `README secrecy of ${name}`).toBe(secret);
    }
  });
});
