// How every CLI in cli/ starts and ends. Its options are one table (`CliSpec`): Node's
// util.parseArgs reads the arguments from it and `usage()` prints the help from it. Its `main(argv)`
// resolves to one of the exit codes in EXIT, the convention of host/berth-deploy too (README, "Exit
// codes"); an error it did not turn into one is a Berth bug: its stack is printed and the exit
// code is EXIT.crashed.
import { parseArgs } from "node:util";

/** Exit codes of every Berth command. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command ran and what it did or checked failed (a certificate expiring, diagrams out of date, a step of the rehearsal). */
  failed: 1,
  /** Nothing was done: a usage error, invalid config or stack, input that breaks a contract. */
  refused: 2,
  /** A bug in Berth: the stack trace is printed. */
  crashed: 70,
} as const;

/** A refusal the CLI prints as its message alone (no stack) and exits EXIT.refused. */
export class Refused extends Error {}

/** One option of a CLI's table. */
export interface CliOption {
  /** Long name without the dashes. */
  readonly name: string;
  /** A string option takes a value (`--out FILE` or `--out=FILE`); a boolean one takes none. */
  readonly type: "string" | "boolean";
  /** The value's placeholder in the help, e.g. FILE. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
}

/** A CLI's arguments: how it is called (positionals), its options, and examples for the help. */
export interface CliSpec {
  /** The name its messages start with, e.g. "plan". */
  readonly name: string;
  /** How it is called, e.g. "npm run plan -- <stack> [options]". */
  readonly synopsis: readonly string[];
  readonly options: readonly CliOption[];
  readonly examples?: readonly string[];
}

/** Parsed arguments: option values by name (absent when not given) and the positional words. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** The help text of a CLI, generated from its table. */
export function usage(spec: CliSpec): string {
  const synopsis = spec.synopsis.map((s, i) => `${i === 0 ? "usage: " : "       "}${s}`);
  const left = spec.options.map((o) => `--${o.name}${o.value ? ` ${o.value}` : ""}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  const options = spec.options.map((o, i) => `  ${left[i].padEnd(width)}  ${o.help}`);
  const examples = (spec.examples ?? []).map((e, i) => `${i === 0 ? "  e.g. " : "       "}${e}`);
  return `${[...synopsis, ...(options.length > 0 ? ["options:", ...options] : []), ...examples].join("\n")}\n`;
}

/** A usage error: the help, then the reason as the last line. */
export function usageError(spec: CliSpec, reason: string): Refused {
  return new Refused(`${usage(spec)}${spec.name}: ${reason}\n`);
}

/**
 * Reads `argv` by the table with util.parseArgs (strict: an unknown option, a missing value or a
 * value given to a boolean is refused). Throws a usage error (Refused) with the help and the reason.
 */
export function parseCli(spec: CliSpec, argv: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(spec.options.map((o) => [o.name, { type: o.type }])),
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (e) {
    // Node's messages add advice about `--` and `=` on further sentences and lines: keep the first.
    throw usageError(spec, (e as Error).message.split("\n")[0].replace(/\. To specify .*$/, ""));
  }
}

/** Runs a CLI's `main` as the process: its result is the exit code; a Refused prints alone; anything else crashed. */
export function runAsProgram(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof Refused) {
        process.stderr.write(`${e.message.trimEnd()}\n`);
        process.exitCode = EXIT.refused;
        return;
      }
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = EXIT.crashed;
    },
  );
}
