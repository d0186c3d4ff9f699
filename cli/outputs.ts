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
import { runAsProgram } from "./entry";

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

const USAGE = `usage: npm run -s outputs -- <stack> [--format env|json|github] [--show-secrets] [--stdin] [--expires-within DAYS]
  --stdin       read \`pulumi stack output --json --show-secrets -s <stack>\` from standard input (default: the offline plan)
  e.g. pulumi stack output --json --show-secrets -s prod | npm run -s outputs -- prod --stdin --format github --show-secrets
`;

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

/** The whole CLI: arguments in, exit code out (0 done, 1 certificate expiring, 2 plan failed, 64 usage, 65 bad input). */
export async function main(argv: readonly string[], io: OutputsIo = PROCESS_IO): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined | null => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v === undefined || v.startsWith("--") ? null : v;
  };
  const format = take("--format") ?? "env";
  const within = take("--expires-within");
  const showSecrets = args.includes("--show-secrets");
  const fromStdin = args.includes("--stdin");
  const rest = args.filter((a) => a !== "--show-secrets" && a !== "--stdin");
  const bad = rest.filter((a) => a.startsWith("--"));
  const days = within === undefined ? undefined : Number(within);
  if (
    rest.length - bad.length !== 1 ||
    bad.length > 0 ||
    format === null ||
    !["env", "json", "github"].includes(format) ||
    within === null ||
    (days !== undefined && !(days > 0))
  ) {
    io.stderr(USAGE);
    return 64;
  }
  const stack = rest[0];
  let values: OutputValues;
  if (fromStdin) {
    try {
      values = JSON.parse(io.stdin()) as OutputValues;
    } catch (e) {
      io.stderr(`outputs: standard input is not the JSON of \`pulumi stack output --json\`: ${(e as Error).message}\n`);
      return 65;
    }
  } else {
    const { runStack } = await import("../offline/engine");
    const { readStackFile } = await import("../offline/stackFile");
    try {
      values = plainOutputs((await runStack(readStackFile(stack))).outputs);
    } catch (e) {
      io.stderr(`outputs: the offline plan of ${stack} failed: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const schema = loadOutputsSchema();
  const secrets = secretOutputNames(schema);
  // `pulumi stack output --json` without --show-secrets prints "[secret]": nothing to show there.
  const redacted = Object.keys(values).filter((n) => secrets.has(n) && values[n] === "[secret]");
  for (const n of redacted) delete values[n];
  const relevant = outputsValidator(schema)(values).filter((e) => !redacted.some((n) => e.endsWith(`property '${n}'`)));
  if (relevant.length > 0) {
    io.stderr(`outputs of stack ${stack} break the contract in schema/outputs.schema.json:\n${relevant.map((e) => `  ${e}\n`).join("")}`);
    return 65;
  }
  if (days !== undefined) {
    const check = checkCertificateExpiry(values, new Date(), days);
    io.stdout(`${stack}: ${check.message}\n`);
    return check.ok ? 0 : 1;
  }
  const out = renderOutputs(values, secrets, format as OutputsFormat, showSecrets);
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
  return 0;
}

if (require.main === module) runAsProgram(main, 2);
