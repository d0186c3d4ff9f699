// Offline plan: `npm run plan -- <stack> [--format text|json|mermaid|snapshot] [--out FILE]`, or
// `--diff <git-ref> [--format text|markdown]` against the plan at a revision (cli/diff.ts). Runs
// the real program under the mock engine with the stack's own Pulumi.<stack>.yaml and plausible
// cloud-assigned values. Needs no credentials and no Pulumi CLI. Secrets print as "[secret]";
// bad arguments, invalid config and a wrong PULUMI_CONFIG_PASSPHRASE exit 2 (EXIT.refused in
// cli/entry.ts). Secure values it cannot read are stand-ins, named once (standInNote).
import * as fs from "node:fs";
import { ConfigError } from "../config";
import { redactSecrets, runStack, type RunResult } from "../offline/engine";
import { PROJECT_DIR, readStackFile, StackFileError, type Env, type StackFile } from "../offline/stackFile";
import { EXIT, parseCli, Refused, runAsProgram, usageError, type CliSpec } from "./entry";
import { DATA_VOLUME_COMPONENT } from "../lib/dataVolume";
import { appsFileIn, planVolumeLines } from "./volumeNotes";

export interface PlanJson {
  stack: string;
  project: string;
  resources: Array<{ urn: string; type: string; name: string; id: string | null; parent: string | null; inputs: unknown; state: unknown }>;
  outputs: unknown;
}

/** The --json document: exactly the documented shape, secrets redacted. */
export function toPlanJson(run: RunResult): PlanJson {
  return {
    stack: run.stack,
    project: run.project,
    resources: run.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      id: r.id,
      parent: r.parent,
      inputs: redactSecrets(r.inputs),
      state: redactSecrets(r.state),
    })),
    outputs: redactSecrets(run.outputs),
  };
}

/** Inputs worth showing per type in the human-readable tree (everything else is in --json). */
const KEY_FIELDS: Record<string, string[]> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone"],
  "aws:ec2/routeTable:RouteTable": ["routes"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ipProtocol", "fromPort", "toPort", "cidrIpv4", "description"],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["ipProtocol", "cidrIpv4"],
  "aws:ec2/securityGroup:SecurityGroup": ["name"],
  "aws:ec2/instance:Instance": ["instanceType", "ami", "privateIp", "metadataOptions", "rootBlockDevice"],
  "aws:ec2/eip:Eip": ["publicIp"],
  "aws:ebs/volume:Volume": ["availabilityZone", "size", "type", "iops", "throughput", "encrypted"],
  "aws:ec2/volumeAttachment:VolumeAttachment": ["instanceId", "deviceName", "stopInstanceBeforeDetaching"],
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": ["state", "policyDetails"],
  "aws:ec2/keyPair:KeyPair": ["keyName"],
  "aws:rds/instance:Instance": [
    "identifier",
    "engineVersion",
    "instanceClass",
    "allocatedStorage",
    "storageEncrypted",
    "publiclyAccessible",
    "backupRetentionPeriod",
    "deletionProtection",
    "skipFinalSnapshot",
    "endpoint",
  ],
  "aws:rds/parameterGroup:ParameterGroup": ["family"],
  "aws:route53/zone:Zone": ["name", "nameServers"],
  "aws:route53/record:Record": ["name", "type", "ttl", "records"],
  "cloudflare:index/dnsRecord:DnsRecord": ["name", "type", "content", "proxied", "ttl", "comment"],
  "cloudflare:index/originCaCertificate:OriginCaCertificate": ["hostnames", "requestType", "requestedValidity", "expiresOn"],
  "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
  "tls:index/selfSignedCert:SelfSignedCert": ["isCaCertificate", "allowedUses", "ipAddresses", "dnsNames", "validityEndTime"],
  "tls:index/locallySignedCert:LocallySignedCert": ["allowedUses", "validityEndTime"],
  "tls:index/certRequest:CertRequest": ["dnsNames", "ipAddresses"],
};

function short(v: unknown): string {
  // One line per field: a PEM or a script shows as its first characters, newlines escaped.
  const s = (typeof v === "string" ? v : JSON.stringify(v)).replace(/\n/g, "\\n");
  return s.length > 110 ? `${s.slice(0, 107)}...` : s;
}

/** The default, human-readable rendering: a tree of resources, key settings, then outputs. */
export function renderTree(plan: PlanJson): string {
  const children = new Map<string | null, PlanJson["resources"]>();
  for (const r of plan.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [`Plan for stack "${plan.stack}" of project "${plan.project}" (offline: mock engine, no cloud calls)`, ""];
  const walk = (parent: string | null, depth: number): void => {
    for (const r of children.get(parent) ?? []) {
      const pad = "  ".repeat(depth);
      lines.push(`${pad}+ ${r.type}  ${r.name}${r.id ? `  [${r.id}]` : ""}`);
      const merged = { ...(r.state as Record<string, unknown>), ...(r.inputs as Record<string, unknown>) };
      for (const f of KEY_FIELDS[r.type] ?? []) {
        const v = (r.inputs as Record<string, unknown>)[f] ?? (r.state as Record<string, unknown>)[f] ?? merged[f];
        if (v !== undefined) lines.push(`${pad}    ${f}: ${short(v)}`);
      }
      walk(r.urn, depth + 1);
    }
  };
  walk(null, 0);
  const count = plan.resources.filter((r) => !r.type.startsWith("berth:") && !r.type.startsWith("pulumi:")).length;
  const components = plan.resources.filter((r) => r.type.startsWith("berth:")).length;
  // App volumes live on the data volume when the plan has one (berth:host.dataVolume), else on the root disk.
  const onDataVolume = plan.resources.some((r) => r.type === DATA_VOLUME_COMPONENT);
  lines.push(...planVolumeLines(appsFileIn(plan.resources.map((r) => (r.inputs as Record<string, unknown>).stdin)), onDataVolume));
  lines.push("", `${count} cloud resources in ${components} components.`, "", "Outputs:");
  for (const [k, v] of Object.entries(plan.outputs as Record<string, unknown>)) lines.push(`  ${k}: ${short(v)}`);
  return lines.join("\n");
}

/** The plan's options: the one table its arguments are read by and its help is printed from. */
export const PLAN_CLI: CliSpec = {
  name: "plan",
  synopsis: ["npm run plan -- <stack> [options]", "npm run plan -- <stack> --diff <git-ref> [--format text|markdown] [--out FILE]"],
  options: [
    { name: "format", type: "string", value: "FORMAT", help: "text (default), json, mermaid or snapshot; with --diff: text (default) or markdown" },
    { name: "json", type: "boolean", help: "the same as --format json" },
    { name: "out", type: "string", value: "FILE", help: "write to FILE instead of standard output (npm run prints its own banner there)" },
    { name: "stack-dir", type: "string", value: "DIR", help: "read Pulumi.yaml and Pulumi.<stack>.yaml from DIR (not with --diff)" },
    { name: "diff", type: "string", value: "GIT-REF", help: "compare this working tree's plan with the plan at a revision" },
  ],
  examples: ["npm run plan -- dev", "npm run plan -- prod --json --out plan.json", "npm run plan -- prod --diff main --format markdown"],
};

const PLAN_FORMATS = ["text", "json", "mermaid", "snapshot"] as const;
const DIFF_FORMATS = ["text", "markdown"] as const;

/** What the plan was asked for. */
interface PlanRequest {
  readonly stack: string;
  readonly format: string;
  readonly out?: string;
  readonly stackDir?: string;
  readonly ref?: string;
}

/** The arguments by PLAN_CLI, and the rules between them; throws a usage error (Refused). */
function planRequest(argv: readonly string[]): PlanRequest {
  const { values, positionals } = parseCli(PLAN_CLI, argv);
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const [ref, stackDir, json] = [str("diff"), str("stack-dir"), values.json === true];
  const format = str("format") ?? (json ? "json" : "text");
  const formats: readonly string[] = ref !== undefined ? DIFF_FORMATS : PLAN_FORMATS;
  const problem =
    positionals.length !== 1
      ? `expected one stack name, got ${positionals.length}`
      : !formats.includes(format)
        ? `--format ${format}: use ${formats.join(", ")}${ref !== undefined ? " with --diff" : ""}`
        : json && format !== "json"
          ? `--json and --format ${format} disagree`
          : ref !== undefined && stackDir !== undefined
            ? "--stack-dir cannot be used with --diff"
            : undefined;
  if (problem) throw usageError(PLAN_CLI, problem);
  return { stack: positionals[0], format, out: str("out"), stackDir, ref };
}

/** Where the plan writes, and how it runs a stack (tests hand in a shared run). */
export interface PlanIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** @default runStack: the program under the mock engine */
  readonly run?: (file: StackFile) => Promise<RunResult>;
  /** Where PULUMI_CONFIG_PASSPHRASE(_FILE) are read from. @default process.env */
  readonly env?: Env;
}

const PROCESS_IO: PlanIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** The whole CLI: arguments in, exit code out (EXIT: ok, failed when the plan at a revision fails, refused for usage errors and invalid config or stack). */
export async function main(argv: readonly string[], io: PlanIo = PROCESS_IO): Promise<number> {
  try {
    const req = planRequest(argv);
    const write = (text: string): void => {
      // --out: `npm run` prints its own banner on stdout, so `> file` would not hold the plan alone.
      if (req.out) fs.writeFileSync(req.out, text);
      else io.stdout(text);
    };
    const text = await planText(req, io);
    try {
      write(text);
    } catch (e) {
      io.stderr(`plan: cannot write ${req.out ?? "the plan"}: ${(e as Error).message}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } catch (e) {
    // Errors meant for the user print as their message; anything else is a Berth bug (runAsProgram prints its stack).
    if (e instanceof Refused) {
      io.stderr(e.message);
      return EXIT.refused;
    }
    const config = findConfigError(e);
    if (config) {
      io.stderr(`${config.message}\n`);
      return EXIT.refused;
    }
    if (e instanceof StackFileError) {
      io.stderr(`plan: ${e.message}\n`);
      return EXIT.refused;
    }
    if ((e as { name?: string }).constructor?.name === "DiffError") {
      io.stderr(`plan diff: ${(e as Error).message}\n`);
      return (e as { refused?: boolean }).refused === false ? EXIT.failed : EXIT.refused;
    }
    throw e;
  }
}

/** The plan (or the diff) as the text to write. */
async function planText(req: PlanRequest, io: PlanIo): Promise<string> {
  if (req.ref !== undefined) {
    const { planDiff } = await import("./diff");
    return planDiff({ stack: req.stack, ref: req.ref, format: req.format as "text" | "markdown" });
  }
  const file = readStackFile(req.stack, req.stackDir ?? PROJECT_DIR, io.env);
  const run = await (io.run ?? runStack)(file);
  const note = standInNote(file);
  // The human output says it at its end; a document for tools stays as documented, so it goes to stderr.
  if (note && req.format !== "text") io.stderr(`plan: ${note}\n`);
  if (req.format === "snapshot") {
    const { digestKeyFromEnv, toSnapshot } = await import("./snapshot");
    return `${JSON.stringify(toSnapshot(run, digestKeyFromEnv()), null, 2)}\n`;
  }
  const plan = toPlanJson(run);
  if (req.format === "mermaid") {
    const { renderMermaid } = await import("./mermaid");
    return renderMermaid(plan);
  }
  return req.format === "json" ? `${JSON.stringify(plan, null, 2)}\n` : `${renderTree(plan)}\n${note ? `\n${note}\n` : ""}`;
}

/** One sentence naming the secure values that hold stand-ins, and why; undefined when there are none. */
export function standInNote(file: StackFile): string | undefined {
  const standIns = file.standIns ?? [];
  if (standIns.length === 0) return undefined;
  const reasons = [...new Set(standIns.map((s) => s.reason))].join("; ");
  return `Stand-ins: ${standIns.map((s) => s.name).join(", ")} hold "[stand-in for <key>]" instead of their secure values (${reasons}).`;
}

/** The ConfigError inside `e`, if any (the runtime may wrap the program's exception). */
export function findConfigError(e: unknown): ConfigError | undefined {
  // The runtime may wrap the program's exception; look for ours inside.
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    if (cur instanceof ConfigError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

if (require.main === module) runAsProgram(main);
