// Benchmark: wall time of the offline plan (`npm run plan -- <stack> --json`) as a user runs it,
// a fresh process each time (module loading included). Prints median and max per stack.
// Usage: npx tsx bench/plan.ts [runs]
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 5);

function once(stack: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["cli/plan.ts", stack, "--json"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`plan ${stack} failed: ${r.stderr}`);
  const resources = (JSON.parse(r.stdout) as { resources: unknown[] }).resources.length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stderr.write(`  ${stack}: ${ms.toFixed(0)} ms (${resources} resources)\n`);
  return ms;
}

for (const stack of ["dev", "prod"]) {
  const times = Array.from({ length: runs }, () => once(stack)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`plan ${stack}: median ${median.toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${runs} runs`);
}
