// The layers stay layered: imports point one way, and nothing imports in a cycle.
//
//   lib/                pure logic: node built-ins and other lib/ files only
//   components/render/  pure renderers: no Pulumi, no file system, no processes
//   config/             schema and validation: lib/ and the SDK adapter, never components/
//   components/         resources: lib/, renderers, their own settings types; never config/
//   wiring/             config -> component args, output strings: config/, components/, lib/
//   berth.ts            composition root: wiring/ and the components it constructs
//   offline/, cli/      tools around the program; the program never imports them
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const SKIP = new Set(["node_modules", ".git", "test", "policy"]);

function sourceFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith(".")) return [];
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path.relative(ROOT, p)] : [];
  });
}

/** Every module a file imports (relative ones resolved to repository paths). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)|require\(\s*"([^"]+)"\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
  return specs.map((s) => {
    if (!s.startsWith(".")) return s;
    const base = path.normalize(path.join(path.dirname(file), s));
    for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
    return base;
  });
}

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const local = (deps: string[]): string[] => deps.filter((d) => graph.has(d));
const under =
  (dir: string) =>
  (f: string): boolean =>
    f.startsWith(`${dir}/`);

describe("module structure", () => {
  it("finds the layers", () => {
    for (const dir of ["lib", "config", "components", "components/render", "wiring", "offline", "cli", "sdk"]) {
      expect(files.filter(under(dir)).length, dir).toBeGreaterThan(0);
    }
  });

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (f: string, stack: string[]): void => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(f)), f].join(" -> "));
        return;
      }
      state.set(f, "visiting");
      for (const d of local(graph.get(f)!)) visit(d, [...stack, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("keeps lib/ pure: node built-ins and lib/ only", () => {
    const bad = files.filter(under("lib")).flatMap((f) =>
      graph
        .get(f)!
        .filter((d) => !(d.startsWith("node:") || under("lib")(d)))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("keeps the renderers pure: no Pulumi, no file system, no processes", () => {
    const impure = /^(@pulumi\/|node:(fs|child_process|net|http|https)$)/;
    const bad = files.filter(under("components/render")).flatMap((f) =>
      graph
        .get(f)!
        .filter((d) => impure.test(d) || (under("components")(d) && !under("components/render")(d)))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("lets config/ import lib/ and the SDK adapter, never components/", () => {
    const bad = files.filter(under("config")).flatMap((f) =>
      local(graph.get(f)!)
        .filter((d) => !(under("config")(d) || under("lib")(d) || under("sdk")(d)))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("keeps components/ (renderers included) free of config/: they declare the settings they read", () => {
    const bad = files.filter(under("components")).flatMap((f) =>
      graph
        .get(f)!
        .filter((d) => under("config")(d))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("keeps components/ below the wiring: they never import wiring/ or the composition root", () => {
    const bad = files.filter(under("components")).flatMap((f) =>
      local(graph.get(f)!)
        .filter((d) => under("wiring")(d) || !d.includes("/"))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("lets wiring/ import config/, components/, lib/ and the SDK adapter only, never berth.ts", () => {
    const bad = files.filter(under("wiring")).flatMap((f) =>
      local(graph.get(f)!)
        .filter((d) => !["wiring", "config", "components", "lib", "sdk"].some((dir) => under(dir)(d)))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("keeps berth.ts to wiring: its decisions come from wiring/, so it imports nothing from lib/", () => {
    const bad = graph
      .get("berth.ts")!
      .filter((d) => under("lib")(d))
      .map((d) => `berth.ts imports ${d}`);
    expect(bad).toEqual([]);
  });

  it("keeps the program (index, berth, config, components, wiring, lib) free of the offline tools", () => {
    const program = files.filter((f) => !f.includes("/") || ["config", "components", "wiring", "lib", "sdk"].some((d) => under(d)(f)));
    const bad = program.flatMap((f) =>
      local(graph.get(f)!)
        .filter((d) => under("offline")(d) || under("cli")(d) || under("bench")(d))
        .map((d) => `${f} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it("touches @pulumi/pulumi internals only through sdk/internals.ts", () => {
    const bad = files
      .filter((f) => f !== "sdk/internals.ts")
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((d) => /^@pulumi\/pulumi\/./.test(d))
          .map((d) => `${f} imports ${d}`),
      );
    expect(bad).toEqual([]);
  });
});
