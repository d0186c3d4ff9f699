// `npm run local -- up <stack> --dir <dir> [--http-port N] [--https-port N] [--registry-port N] [--ssh-port N] [--docker-host URL]`
// `npm run local -- deploy <app> <tag> | rollback <app> | status <app> [--json] | maintenance <app> on|off | job <app> <name> --dir <dir>`
// `npm run local -- down --dir <dir>`
// Thin shell over cli/local/rehearsal.ts: parse arguments, print, set the exit code. The deploy
// commands go over the rehearsal's SSH to the deploy program installed under <dir>: the same
// program, the same forced command and sudo rule as on the host, and its exit code.
import * as path from "node:path";
import { shellJoin } from "../components/render/hostCommands";
import { ConfigError } from "../config";
import { StackFileError } from "../offline/stackFile";
import { EXIT, parseCli, Refused, runAsProgram, usageError, type CliOption, type CliSpec } from "./entry";
import { runHostCheck } from "./local/hostCheck";
import { down, readState, runOverSsh, up } from "./local/rehearsal";

/** A subcommand: its positional words and the options it takes besides --dir. */
interface LocalCommand {
  readonly name: string;
  readonly args: readonly string[];
  readonly options: readonly string[];
}

const COMMANDS: readonly LocalCommand[] = [
  { name: "up", args: ["<stack>"], options: ["http-port", "https-port", "registry-port", "ssh-port", "docker-host", "stack-dir"] },
  { name: "deploy", args: ["<app>", "<tag>"], options: [] },
  { name: "rollback", args: ["<app>"], options: [] },
  { name: "restart", args: ["<app>"], options: [] },
  { name: "status", args: ["<app>"], options: ["json"] },
  { name: "env", args: ["<app>"], options: [] },
  { name: "logs", args: ["<app>"], options: [] },
  { name: "maintenance", args: ["<app>", "on|off"], options: [] },
  { name: "check", args: [], options: ["emf-port"] },
  // A declared job now: the rehearsal runs no systemd, so its timers only sit in <dir>/etc/systemd/system.
  { name: "job", args: ["<app>", "<name>"], options: [] },
  { name: "down", args: [], options: [] },
];

const OPTIONS: readonly CliOption[] = [
  { name: "dir", type: "string", value: "DIR", help: "the rehearsal's directory (every command)" },
  { name: "http-port", type: "string", value: "N", help: "up: nginx's HTTP port on 127.0.0.1 (default: a free port)" },
  { name: "https-port", type: "string", value: "N", help: "up: nginx's HTTPS port on 127.0.0.1 (default: a free port)" },
  { name: "registry-port", type: "string", value: "N", help: "up: the registry's port on 127.0.0.1 (default: a free port)" },
  { name: "ssh-port", type: "string", value: "N", help: "up: sshd's port on 127.0.0.1 (default: a free port)" },
  { name: "docker-host", type: "string", value: "URL", help: "up: use this Docker Engine (unix:///path.sock) instead of a private dockerd" },
  { name: "stack-dir", type: "string", value: "DIR", help: "up: read Pulumi.yaml and Pulumi.<stack>.yaml from DIR (default: this checkout)" },
  { name: "json", type: "boolean", help: "status: print the deploy program's JSON" },
  {
    name: "emf-port",
    type: "string",
    value: "N",
    help: "check: send the host check's metric lines to this UDP port on 127.0.0.1 (default: the agent's, 25888)",
  },
];

const placeholder = (name: string): string => {
  const o = OPTIONS.find((x) => x.name === name)!;
  return `--${name}${o.value ? ` ${o.value}` : ""}`;
};

/** The rehearsal's options: the one table its arguments are read by and its help is printed from. */
export const LOCAL_CLI: CliSpec = {
  name: "local",
  synopsis: COMMANDS.map((c) => ["npm run local --", c.name, ...c.args, placeholder("dir"), ...c.options.map((o) => `[${placeholder(o)}]`)].join(" ")),
  options: OPTIONS,
};

function port(values: Readonly<Record<string, string | boolean | undefined>>, name: string): number | undefined {
  const v = values[name] as string | undefined;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw usageError(LOCAL_CLI, `--${name} must be a port number from 1 to 65535, got "${v}"`);
  return n;
}

/** The whole CLI: arguments in, exit code out (EXIT; the deploy commands exit with the deploy program's code). */
export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCli(LOCAL_CLI, argv);
  const [name, ...words] = positionals;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw usageError(LOCAL_CLI, name === undefined ? "which command?" : `unknown command ${name}`);
  for (const k of Object.keys(values)) if (k !== "dir" && !command.options.includes(k)) throw usageError(LOCAL_CLI, `${command.name} takes no --${k}`);
  const dir = values.dir as string | undefined;
  if (!dir) throw usageError(LOCAL_CLI, `${command.name} needs --dir`);
  if (words.length !== command.args.length) throw usageError(LOCAL_CLI, `${command.name} takes ${command.args.join(" ") || "no arguments"}`);
  const ports = {
    httpPort: port(values, "http-port"),
    httpsPort: port(values, "https-port"),
    registryPort: port(values, "registry-port"),
    sshPort: port(values, "ssh-port"),
  };
  try {
    return await runCommand(command.name, words, dir, {
      ...ports,
      dockerHost: values["docker-host"] as string | undefined,
      stackDir: values["stack-dir"] as string | undefined,
      json: values.json === true,
      emfPort: port(values, "emf-port"),
    });
  } catch (e) {
    // Refusals (a rehearsal already running, invalid config, an unknown stack) and failed steps print as one line.
    const refused = e instanceof Refused || e instanceof StackFileError || e instanceof ConfigError;
    process.stderr.write(`local: ${e instanceof Error ? e.message : String(e)}\n`);
    return refused ? EXIT.refused : EXIT.failed;
  }
}

/** Options a command reads, checked. */
interface CommandOptions {
  readonly httpPort?: number;
  readonly httpsPort?: number;
  readonly registryPort?: number;
  readonly sshPort?: number;
  readonly dockerHost?: string;
  readonly stackDir?: string;
  readonly json: boolean;
  readonly emfPort?: number;
}

async function runCommand(name: string, words: readonly string[], dir: string, o: CommandOptions): Promise<number> {
  if (name === "up") {
    const endpoints = await up({
      stack: words[0],
      dir,
      httpPort: o.httpPort,
      httpsPort: o.httpsPort,
      registryPort: o.registryPort,
      sshPort: o.sshPort,
      dockerHost: o.dockerHost,
      ...(o.stackDir ? { projectDir: path.resolve(o.stackDir) } : {}),
      log: (l) => console.error(`local: ${l}`),
    });
    console.log(JSON.stringify(endpoints, null, 2));
    console.error(`local: up; stop with: npm run local -- down --dir ${dir}`);
    return EXIT.ok;
  }
  if (name === "check") {
    // The stack's host check, once, against this rehearsal: one line per figure on stdout.
    const r = await runHostCheck(readState(dir), o.emfPort);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code === 0 ? EXIT.ok : EXIT.failed;
  }
  if (name === "down") {
    const r = await down(dir);
    console.log(`nginx: ${r.nginx}; registry: ${r.registry}; docker: ${r.docker}; sshd: ${r.sshd}`);
    return EXIT.ok;
  }
  // The request travels as one string, like `ssh deploy@host deploy web v2` from CI; the program
  // on the other end splits (shlex) and validates it; each word is quoted by the one rule in components/render/hostCommands.ts.
  const request = shellJoin([name, ...words, ...(o.json ? ["--json"] : [])]);
  const r = await runOverSsh(readState(dir), request);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.code;
}

if (require.main === module) runAsProgram(main);
