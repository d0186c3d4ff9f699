// How every CLI in cli/ starts when run as a program: `main(argv)` resolves to the exit code; an
// error it did not turn into one (a Berth bug) prints its stack and exits with `crashCode`.
export function runAsProgram(main: (argv: string[]) => Promise<number>, crashCode: number): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = crashCode;
    },
  );
}
