// `npm run local -- up <stack> --dir <dir> [--http-port N] [--https-port N] [--registry-port N]`
// `npm run local -- down --dir <dir>`
// Thin shell over cli/local/rehearsal.ts: parse arguments, print, set the exit code.
import { down, up } from "./local/rehearsal";

const USAGE = `usage:
  npm run local -- up <stack> --dir <dir> [--http-port N] [--https-port N] [--registry-port N]
  npm run local -- down --dir <dir>`;

interface Args {
  readonly command: string | undefined;
  readonly positional: string[];
  readonly flags: Map<string, string>;
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const [k, v] = eq >= 0 ? [a.slice(2, eq), a.slice(eq + 1)] : [a.slice(2), argv[++i]];
      if (v === undefined) throw new Error(`--${k} needs a value\n${USAGE}`);
      flags.set(k, v);
    } else positional.push(a);
  }
  return { command: positional.shift(), positional, flags };
}

function port(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${name} must be a port number from 1 to 65535, got "${v}"`);
  return n;
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const known = new Set(args.command === "up" ? ["dir", "http-port", "https-port", "registry-port"] : ["dir"]);
  for (const k of args.flags.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const dir = args.flags.get("dir");
  if (args.command === "up") {
    const stack = args.positional[0];
    if (!stack || args.positional.length > 1 || !dir) throw new Error(USAGE);
    const endpoints = await up({
      stack,
      dir,
      httpPort: port(args.flags, "http-port"),
      httpsPort: port(args.flags, "https-port"),
      registryPort: port(args.flags, "registry-port"),
      log: (l) => console.error(`local: ${l}`),
    });
    console.log(JSON.stringify(endpoints, null, 2));
    console.error(`local: up; stop with: npm run local -- down --dir ${dir}`);
  } else if (args.command === "down") {
    if (!dir || args.positional.length > 0) throw new Error(USAGE);
    const r = await down(dir);
    console.log(`nginx: ${r.nginx}; registry: ${r.registry}`);
  } else {
    throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`local: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
