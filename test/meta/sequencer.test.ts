// The integration layer's file order (test/helpers/sequencer.mts): the two load-heavy files never run
// side by side, and the second starts in the lane the first frees, with light files in the other lane.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SECONDS, EXPECTED_SECONDS, LOAD_HEAVY, placeHeavy } from "../helpers/sequencer.mjs";

const ROOT = path.resolve(__dirname, "../..");

/** vitest's pool as the order sees it: each file goes to the first of `workers` lanes to free. */
function schedule(order: readonly string[], seconds: (f: string) => number, workers = 2): Map<string, { start: number; end: number; lane: number }> {
  const free = Array<number>(workers).fill(0);
  const out = new Map<string, { start: number; end: number; lane: number }>();
  for (const f of order) {
    const lane = free.indexOf(Math.min(...free));
    out.set(f, { start: free[lane], end: free[lane] + seconds(f), lane });
    free[lane] += seconds(f);
  }
  return out;
}

describe("the integration file order", () => {
  const heavyRank = (f: string): number => (LOAD_HEAVY as readonly string[]).indexOf(f);

  it("puts the first heavy file first, then light files as long as it, then the next heavy file, then the rest longest first", () => {
    const secs: Record<string, number> = { H1: 100, H2: 50, a: 60, b: 30, c: 20, d: 10, e: 5 };
    const rank = (f: string): number => ["H1", "H2"].indexOf(f);
    expect(placeHeavy(["e", "H2", "d", "a", "H1", "c", "b"], rank, (f) => secs[f])).toEqual(["H1", "a", "b", "c", "H2", "d", "e"]);
    expect(placeHeavy(["b", "a"], rank, (f) => secs[f])).toEqual(["a", "b"]);
    // Not enough light files to cover the first heavy one: the second heavy file waits at the end.
    expect(placeHeavy(["H2", "H1", "d"], rank, (f) => secs[f])).toEqual(["H1", "d", "H2"]);
  });

  it("never runs the heavy files side by side, and starts the second in the lane the first frees", () => {
    const files = fs
      .readdirSync(path.join(ROOT, "test/integration"))
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => `test/integration/${f}`);
    const seconds = (f: string): number => EXPECTED_SECONDS[f] ?? DEFAULT_SECONDS;
    const order = placeHeavy(files, heavyRank, seconds);
    expect([...order].sort()).toEqual([...files].sort());
    const lanes = schedule(order, seconds);
    const [first, second] = LOAD_HEAVY.map((f) => lanes.get(f)!);
    expect(second.start).toBeGreaterThanOrEqual(first.end);
    expect(second.lane).toBe(first.lane);
  });

  it("names files that exist", () => {
    for (const f of [...LOAD_HEAVY, ...Object.keys(EXPECTED_SECONDS)]) expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
  });
});
