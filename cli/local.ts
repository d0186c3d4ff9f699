// `npm run local -- up <stack> --dir <dir> [--http-port N] [--https-port N] [--registry-port N] [--ssh-port N] [--docker-host URL]`
// `npm run local -- deploy <app> <tag> | rollback <app> | status <app> [--json] | maintenance <app> on|off --dir <dir>`
// `npm run local -- down --dir <dir>`
// Thin shell over cli/local/rehearsal.ts: parse arguments, print, set the exit code. The deploy
// commands go over the rehearsal's SSH to the deploy program installed under <dir>: the same
// program, the same forced command and sudo rule as on the host.
import { shellJoin } from "../components/render/hostCommands";
import { down, readState, runOverSsh, up } from "./local/rehearsal";

const USAGE = `usage:
  npm run local -- up <stack> --dir <dir> [--http-port N] [--https-port N] [--registry-port N] [--ssh-port N] [--docker-host unix:///path.sock]
  npm run local -- deploy <app> <tag> --dir <dir>
  npm run local -- rollback <app> --dir <dir>
  npm run local -- status <app> [--json] --dir <dir>
  npm run local -- maintenance <app> on|off --dir <dir>
  npm run local -- down --dir <dir>`;

interface Args {
  readonly command: string | undefined;
  readonly positional: string[];
  readonly flags: Map<string, string>;
}

const BOOLEAN_FLAGS = new Set(["json"]);

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq < 0 && BOOLEAN_FLAGS.has(a.slice(2))) {
        flags.set(a.slice(2), "true");
        continue;
      }
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

const DEPLOY_COMMANDS: Readonly<Record<string, number>> = { deploy: 2, rollback: 1, status: 1, maintenance: 2 };

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const known = new Set(
    args.command === "up"
      ? ["dir", "http-port", "https-port", "registry-port", "ssh-port", "docker-host"]
      : args.command === "status"
        ? ["dir", "json"]
        : ["dir"],
  );
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
      sshPort: port(args.flags, "ssh-port"),
      dockerHost: args.flags.get("docker-host"),
      log: (l) => console.error(`local: ${l}`),
    });
    console.log(JSON.stringify(endpoints, null, 2));
    console.error(`local: up; stop with: npm run local -- down --dir ${dir}`);
  } else if (args.command === "down") {
    if (!dir || args.positional.length > 0) throw new Error(USAGE);
    const r = await down(dir);
    console.log(`nginx: ${r.nginx}; registry: ${r.registry}; docker: ${r.docker}; sshd: ${r.sshd}`);
  } else if (args.command !== undefined && args.command in DEPLOY_COMMANDS) {
    if (!dir || args.positional.length !== DEPLOY_COMMANDS[args.command]) throw new Error(USAGE);
    // The request travels as one string, like `ssh deploy@host deploy web v2` from CI; the program
    // on the other end splits (shlex) and validates it; each word is quoted by the one rule in components/render/hostCommands.ts.
    const request = shellJoin([args.command, ...args.positional, ...(args.flags.has("json") ? ["--json"] : [])]);
    const r = await runOverSsh(readState(dir), request);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
  } else {
    throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`local: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
