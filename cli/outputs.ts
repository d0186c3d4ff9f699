// Stack outputs for CI tools: `npm run outputs -- <stack> --format env|json|github`.
// Reads `pulumi stack output --json --show-secrets -s <stack>` from stdin (`--stdin`) or runs the
// offline plan, checks the values against the contract in schema/outputs.schema.json, and prints
// them the way a tool consumes them. Secret outputs (x-secret in the schema) print only with
// --show-secrets; in the github format they are masked with ::add-mask:: first.
// `--expires-within DAYS` instead checks tlsCertificateExpiry and exits 1 when it is that close.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { isSecretValue } from "../offline/mocks";
// Values are written as shell words by the one quoting rule host commands use (bare when safe, else
// single-quoted), so `. file` or `eval` reads them back exactly.
import { shellQuote } from "../components/render/hostCommands";
import { EXIT, parseCli, Refused, runAsProgram, usageError, type CliSpec } from "./entry";

export type OutputsFormat = "env" | "json" | "github";
export type OutputValues = Record<string, unknown>;

interface OutputsSchema {
  readonly required: string[];
  readonly properties: Record<string, { readonly "x-secret": boolean; readonly description: string }>;
}

export const SCHEMA_PATH = path.resolve(__dirname, "../schema/outputs.schema.json");

export function loadOutputsSchema(file: string = SCHEMA_PATH): OutputsSchema & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as OutputsSchema & Record<string, unknown>;
}

/** A validator for the outputs contract: ajv (JSON Schema 2020-12, formats), with x-secret as a known keyword. */
export function outputsValidator(schema: Record<string, unknown> = loadOutputsSchema()): (values: OutputValues) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: "x-secret", schemaType: "boolean" });
  const validate = ajv.compile(schema);
  return (values) =>
    validate(values)
      ? []
      : (validate.errors ?? []).map(
          (e) =>
            `${e.instancePath || "(outputs)"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`,
        );
}

/** Names the schema marks secret. */
export function secretOutputNames(schema: OutputsSchema = loadOutputsSchema()): Set<string> {
  return new Set(
    Object.entries(schema.properties)
      .filter(([, p]) => p["x-secret"])
      .map(([n]) => n),
  );
}

/** registryHost -> REGISTRY_HOST. */
export function envName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

export interface Rendered {
  /** What goes to stdout. */
  readonly stdout: string;
  /** github format: the lines for $GITHUB_OUTPUT (kept apart from the mask commands, which must reach the log). */
  readonly githubOutput?: string;
  /** Secret outputs left out (no --show-secrets). */
  readonly omitted: string[];
}

/** Renders the outputs; secret ones only with showSecrets. Pure: the caller does the I/O. */
export function renderOutputs(
  values: OutputValues,
  secrets: ReadonlySet<string>,
  format: OutputsFormat,
  showSecrets: boolean,
  delimiterSeed = "BERTH",
): Rendered {
  const names = Object.keys(values).sort();
  const omitted = names.filter((n) => secrets.has(n) && !showSecrets);
  const shown = names.filter((n) => !omitted.includes(n));
  switch (format) {
    case "json":
      return { stdout: `${JSON.stringify(Object.fromEntries(shown.map((n) => [n, values[n]])), null, 2)}\n`, omitted };
    case "env":
      return { stdout: shown.map((n) => `${envName(n)}=${shellQuote(text(values[n]))}\n`).join(""), omitted };
    case "github": {
      // Masks: one per line of each secret, since the runner matches log lines one at a time.
      const masks = shown
        .filter((n) => secrets.has(n))
        .flatMap((n) =>
          text(values[n])
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l.length >= 4),
        )
        .map((l) => `::add-mask::${l}\n`);
      const lines = shown.map((n) => {
        const v = text(values[n]);
        if (!v.includes("\n")) return `${n}=${v}\n`;
        let d = `${delimiterSeed}_EOF`;
        for (let i = 0; v.split("\n").includes(d); i++) d = `${delimiterSeed}_EOF_${i}`;
        return `${n}<<${d}\n${v.endsWith("\n") ? v : `${v}\n`}${d}\n`;
      });
      return { stdout: masks.join(""), githubOutput: lines.join(""), omitted };
    }
  }
}

/** Plain values from the offline plan's outputs (secret markers unwrapped). */
export function plainOutputs(outputs: Record<string, unknown>): OutputValues {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, isSecretValue(v) ? v.value : v]));
}

/** Result of the certificate expiry check. */
export interface ExpiryCheck {
  readonly ok: boolean;
  readonly message: string;
}

/** Checks tlsCertificateExpiry against `days` from `now`. An empty expiry is fine only when certbot renews on the host. */
export function checkCertificateExpiry(values: OutputValues, now: Date, days: number): ExpiryCheck {
  const expiry = asText(values.tlsCertificateExpiry);
  const renewal = asText(values.tlsRenewal);
  if (expiry === "") {
    return renewal === "certbot"
      ? { ok: true, message: "no expiry at deploy time: certbot renews the certificate on the host (check the live endpoint for its date)" }
      : { ok: false, message: `tlsCertificateExpiry is empty, but tlsRenewal is "${renewal}": nothing renews this certificate automatically` };
  }
  const at = new Date(expiry);
  if (Number.isNaN(at.getTime())) return { ok: false, message: `tlsCertificateExpiry is not a date: ${expiry}` };
  const left = (at.getTime() - now.getTime()) / 86_400_000;
  const how = renewal === "pulumi-up" ? "run `pulumi up` to re-issue it" : "replace it (tlsRenewal: manual)";
  if (left < 0) return { ok: false, message: `the certificate expired on ${expiry}: ${how}` };
  if (left < days) return { ok: false, message: `the certificate expires on ${expiry}, in ${Math.floor(left)} day(s) (< ${days}): ${how}` };
  return { ok: true, message: `the certificate expires on ${expiry}, in ${Math.floor(left)} day(s)` };
}

/** An output value as text: a string as it is, "" when unset, anything else as JSON. */
function asText(v: unknown): string {
  return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

/** The outputs CLI's options: the one table its arguments are read by and its help is printed from. */
export const OUTPUTS_CLI: CliSpec = {
  name: "outputs",
  synopsis: ["npm run -s outputs -- <stack> [options]"],
  options: [
    { name: "format", type: "string", value: "FORMAT", help: "env (default: lines a POSIX shell can source), json, or github ($GITHUB_OUTPUT)" },
    { name: "show-secrets", type: "boolean", help: "print secret outputs too (masked with ::add-mask:: in the github format)" },
    { name: "stdin", type: "boolean", help: "read `pulumi stack output --json --show-secrets -s <stack>` from standard input (default: the offline plan)" },
    { name: "expires-within", type: "string", value: "DAYS", help: "only check tlsCertificateExpiry: exit 1 when the certificate expires within DAYS" },
  ],
  examples: ["pulumi stack output --json --show-secrets -s prod | npm run -s outputs -- prod --stdin --format github --show-secrets"],
};

/** What the outputs CLI was asked for. */
interface OutputsRequest {
  readonly stack: string;
  readonly format: OutputsFormat;
  readonly showSecrets: boolean;
  readonly fromStdin: boolean;
  readonly days?: number;
}

/** The arguments by OUTPUTS_CLI, and the rules of their values; throws a usage error (Refused). */
function outputsRequest(argv: readonly string[]): OutputsRequest {
  const { values, positionals } = parseCli(OUTPUTS_CLI, argv);
  const format = (values.format as string | undefined) ?? "env";
  const within = values["expires-within"] as string | undefined;
  const days = within === undefined ? undefined : Number(within);
  const problem =
    positionals.length !== 1
      ? `expected one stack name, got ${positionals.length}`
      : !["env", "json", "github"].includes(format)
        ? `--format ${format}: use env, json or github`
        : days !== undefined && !(days > 0)
          ? `--expires-within ${within}: a number of days above 0`
          : undefined;
  if (problem) throw usageError(OUTPUTS_CLI, problem);
  return { stack: positionals[0], format: format as OutputsFormat, showSecrets: values["show-secrets"] === true, fromStdin: values.stdin === true, days };
}

/** Where the CLI reads and writes (tests run it in their own process with these). */
export interface OutputsIo {
  readonly stdin: () => string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The file GitHub Actions reads step outputs from ($GITHUB_OUTPUT), if any. */
  readonly githubOutput: string | undefined;
}

const PROCESS_IO: OutputsIo = {
  stdin: () => fs.readFileSync(0, "utf8"),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  githubOutput: process.env.GITHUB_OUTPUT,
};

/** The whole CLI: arguments in, exit code out (EXIT: ok, failed when the certificate expires soon, refused for usage errors, an invalid stack and input that breaks the contract). */
export async function main(argv: readonly string[], io: OutputsIo = PROCESS_IO): Promise<number> {
  let req: OutputsRequest;
  let values: OutputValues;
  try {
    req = outputsRequest(argv);
    values = await readValues(req, io);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    io.stderr(e.message);
    return EXIT.refused;
  }
  const { stack, days } = req;
  const schema = loadOutputsSchema();
  const secrets = secretOutputNames(schema);
  // `pulumi stack output --json` without --show-secrets prints "[secret]": nothing to show there.
  const redacted = Object.keys(values).filter((n) => secrets.has(n) && values[n] === "[secret]");
  for (const n of redacted) delete values[n];
  const relevant = outputsValidator(schema)(values).filter((e) => !redacted.some((n) => e.endsWith(`property '${n}'`)));
  if (relevant.length > 0) {
    io.stderr(`outputs of stack ${stack} break the contract in schema/outputs.schema.json:\n${relevant.map((e) => `  ${e}\n`).join("")}`);
    return EXIT.refused;
  }
  if (days !== undefined) {
    const check = checkCertificateExpiry(values, new Date(), days);
    io.stdout(`${stack}: ${check.message}\n`);
    return check.ok ? EXIT.ok : EXIT.failed;
  }
  const out = renderOutputs(values, secrets, req.format, req.showSecrets);
  io.stdout(out.stdout);
  if (out.githubOutput !== undefined) {
    if (io.githubOutput) fs.appendFileSync(io.githubOutput, out.githubOutput);
    else io.stdout(out.githubOutput);
  }
  const left = [...new Set([...out.omitted, ...redacted])];
  if (left.length > 0)
    io.stderr(
      `outputs: left out ${left.length} secret output(s) (${left.join(", ")}): ${redacted.length > 0 ? "the input had them redacted; pipe `pulumi stack output --json --show-secrets` and " : ""}pass --show-secrets to print them\n`,
    );
  return EXIT.ok;
}

/** The values: standard input (the JSON of `pulumi stack output --json`) or the offline plan; refused when neither can be read. */
async function readValues(req: OutputsRequest, io: OutputsIo): Promise<OutputValues> {
  if (req.fromStdin) {
    try {
      return JSON.parse(io.stdin()) as OutputValues;
    } catch (e) {
      throw new Refused(`outputs: standard input is not the JSON of \`pulumi stack output --json\`: ${(e as Error).message}\n`);
    }
  }
  const { runStack } = await import("../offline/engine");
  const { readStackFile, StackFileError } = await import("../offline/stackFile");
  const { findConfigError } = await import("./plan");
  try {
    return plainOutputs((await runStack(readStackFile(req.stack))).outputs);
  } catch (e) {
    // An invalid stack is refused; anything else is a Berth bug.
    if (e instanceof StackFileError || findConfigError(e)) throw new Refused(`outputs: the offline plan of ${req.stack} failed: ${(e as Error).message}\n`);
    throw e;
  }
}

if (require.main === module) runAsProgram(main);
