// The documents stay inside the repository and true to it: every repository path that
// docs/ARCHITECTURE.md writes in backticks exists, so does every test path README.md and docs/ name,
// and neither README.md nor anything under docs/ points at a file outside the repository (the notes
// it was written from are not shipped).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const ARCHITECTURE = "docs/ARCHITECTURE.md";

/** File extensions a repository path on these pages may end with. */
const EXTENSIONS = /\.(?:ts|mts|mjs|js|json|ya?ml|md|sh|tsv)$/;

/**
 * Whether an inline code span is a repository path: no spaces or shell or template characters, not
 * absolute (host paths such as /etc/nginx), not a package (`@pulumi/pulumi`), a flag or a URL, and
 * either holding a `/` or ending in a known extension. Everything else (commands, config keys,
 * values) is not a path. A bare file name counts as a path from the repository root, so the page
 * writes host files absolute and repository files in full.
 */
export function repositoryPath(span: string): string | undefined {
  const s = span.trim();
  if (s === "" || /[\s<>*$=:{}()[\]|,;'"`]/.test(s)) return undefined;
  if (/^[/@~-]/.test(s) || s.startsWith("../")) return undefined;
  if (!s.includes("/") && !EXTENSIONS.test(s)) return undefined;
  if (!/^[A-Za-z0-9._/-]+$/.test(s)) return undefined;
  return s.replace(/\/$/, "");
}

/** Inline code spans of a Markdown text, fenced blocks left out. */
function codeSpans(markdown: string): string[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, "");
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(path.join(ROOT, dir))) return [];
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

describe("docs/ARCHITECTURE.md", () => {
  const text = fs.readFileSync(path.join(ROOT, ARCHITECTURE), "utf8");

  it("names only repository paths that exist", () => {
    const paths = [
      ...new Set(
        codeSpans(text)
          .map(repositoryPath)
          .filter((p): p is string => p !== undefined),
      ),
    ];
    expect(paths.length).toBeGreaterThan(30);
    const missing = paths.filter((p) => !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it("tells paths from other code spans", () => {
    const paths = [
      "lib/",
      "components/render/nginx.ts",
      "Pulumi.dev.yaml",
      ".ci/run",
      ".github/workflows/ci.yml",
      "host/berth-deploy",
      "test/components/render/golden/",
      "config.yml",
    ];
    for (const p of paths) expect(repositoryPath(p), p).toBe(p.replace(/\/$/, ""));
    const others = [
      "pulumi up",
      "npm run plan",
      "/etc/berth/tls",
      "/usr/local/lib/berth/berth-deploy",
      "@pulumi/pulumi",
      "~3.248.0",
      "--diff",
      "berth:host.amiId",
      "Pulumi.<stack>.yaml",
      "registry:X.Y.Z",
      "UPDATE_GOLDEN=1 npx vitest run test/components/render/golden",
      '{ kind: "files" }',
      "https://example.com/a",
      "sudo bash -s",
      "shellQuote",
      "z.strictObject",
      "userData",
      "BERTH_PLAN_DIGEST_KEY",
    ];
    for (const o of others) expect(repositoryPath(o), o).toBeUndefined();
  });

  it("is linked from the README's file map", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const files = readme.slice(readme.indexOf("## Files"));
    expect(files).toContain(ARCHITECTURE);
  });
});

describe("README.md and docs/", () => {
  const documents = ["README.md", ...filesUnder("docs")];

  it.each(documents)("%s names only test paths that exist (the test tree moves with the source)", (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const tests = [
      ...new Set(
        codeSpans(text)
          .map(repositoryPath)
          .filter((p): p is string => p !== undefined && p.startsWith("test/")),
      ),
    ];
    const missing = tests.filter((p) => !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it.each(documents)("%s points at nothing outside the repository", (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    expect(text).not.toMatch(/\.\.\/shared/i);
    expect(text).not.toMatch(/\bDESIGN\.md\b/i);
    expect(text).not.toMatch(/\bNOTES\.md\b/i);
    // A relative link or code span that climbs out of the repository root.
    const depth = path.dirname(file) === "." ? 0 : path.dirname(file).split("/").length;
    const climbs = [...text.matchAll(/(?:\]\(|`)((?:\.\.\/)+)/g)].filter((m) => m[1].length / 3 > depth).map((m) => m[0]);
    expect(climbs).toEqual([]);
  });
});
