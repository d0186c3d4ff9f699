// Benchmark: push throughput of one large image layer into the rehearsed registry, for each
// stack's way of exposing it (prod: through nginx TLS termination; dev: the registry's own TLS),
// with the real nginx, docker-registry and skopeo on 127.0.0.1. A fresh random layer per run
// (the registry would skip a blob it already has). Stops everything it starts.
// Usage: npx tsx bench/registry-push.ts [megabytes] [runs]
import * as fs from "node:fs";
import * as path from "node:path";
import { down, up } from "../cli/local/rehearsal";
import { writeOciImage } from "../test/helpers/oci";
import { certDir, scratchDir, skopeo } from "../test/helpers/procs";

const megabytes = Number(process.argv[2] ?? 200);
const runs = Number(process.argv[3] ?? 3);

async function bench(stack: string): Promise<void> {
  const dir = scratchDir(`bench-${stack}`);
  try {
    const endpoints = await up({ stack, dir });
    const password = fs.readFileSync(endpoints.passwordFile, "utf8").trim();
    const certs = certDir(endpoints.caFile);
    const rates: number[] = [];
    for (let i = 0; i < runs; i++) {
      const image = await writeOciImage(path.join(dir, `image-${i}`), "v1", megabytes * 1024 * 1024);
      const t0 = process.hrtime.bigint();
      const r = await skopeo(
        [
          "copy",
          "--dest-creds",
          `${endpoints.username}:${password}`,
          "--dest-cert-dir",
          certs,
          `oci:${image.dir}:v1`,
          `docker://${endpoints.registry}/bench/${stack}:run${i}`,
        ],
        600_000,
      );
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.code !== 0) throw new Error(`push failed: ${r.stderr}`);
      rates.push(megabytes / seconds);
      process.stderr.write(`  ${stack} run ${i + 1}: ${megabytes} MB in ${seconds.toFixed(2)} s\n`);
      fs.rmSync(image.dir, { recursive: true, force: true });
    }
    rates.sort((a, b) => a - b);
    const via = stack === "prod" ? "through nginx" : "direct to the registry";
    console.log(
      `push ${stack} (${via}): median ${rates[Math.floor(rates.length / 2)].toFixed(0)} MB/s, min ${rates[0].toFixed(0)} MB/s, ${megabytes} MB layer, ${runs} runs`,
    );
  } finally {
    await down(dir).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  for (const stack of ["prod", "dev"]) await bench(stack);
})().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
