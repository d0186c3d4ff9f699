// Offline plan: `npm run plan -- <stack> [--format text|json|mermaid|snapshot] [--out FILE]`, or
// `--diff <git-ref> [--format text|markdown]` against the plan at a revision (cli/diff.ts). Runs
// the real program under the mock engine with the stack's own Pulumi.<stack>.yaml and plausible
// cloud-assigned values. Needs no credentials and no Pulumi CLI. Secrets print as "[secret]";
// invalid config exits 2, bad arguments 64.
import * as fs from "node:fs";
import { ConfigError } from "../config";
import { redactSecrets, runStack, type RunResult } from "../offline/engine";
import { PROJECT_DIR, readStackFile, StackFileError, type StackFile } from "../offline/stackFile";
import { runAsProgram } from "./entry";

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
  lines.push("", `${count} cloud resources in ${components} components.`, "", "Outputs:");
  for (const [k, v] of Object.entries(plan.outputs as Record<string, unknown>)) lines.push(`  ${k}: ${short(v)}`);
  return lines.join("\n");
}

const USAGE = `usage: npm run plan -- <stack> [--format text|json|mermaid|snapshot] [--json] [--out FILE] [--stack-dir DIR]
       npm run plan -- <stack> --diff <git-ref> [--format text|markdown] [--out FILE]
  e.g. npm run plan -- dev
       npm run plan -- prod --json --out plan.json
       npm run plan -- prod --diff main --format markdown
`;

const PLAN_FORMATS = ["text", "json", "mermaid", "snapshot"] as const;
const DIFF_FORMATS = ["text", "markdown"] as const;

/** Where the plan writes, and how it runs a stack (tests hand in a shared run). */
export interface PlanIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** @default runStack: the program under the mock engine */
  readonly run?: (file: StackFile) => Promise<RunResult>;
}

const PROCESS_IO: PlanIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** The whole CLI: arguments in, exit code out (0 plan printed, 2 invalid config or stack, 64 usage). */
export async function main(argv: readonly string[], io: PlanIo = PROCESS_IO): Promise<number> {
  const args = [...argv];
  const given = new Set(args.filter((a) => a.startsWith("--")));
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value === undefined || value.startsWith("--") ? undefined : value;
  };
  const stackDir = flag("--stack-dir");
  const out = flag("--out");
  const ref = flag("--diff");
  const formatArg = flag("--format");
  const json = args.includes("--json");
  const positional = args.filter((a) => !a.startsWith("--"));
  const unknown = args.filter((a) => a.startsWith("--") && a !== "--json");
  const format = formatArg ?? (json ? "json" : "text");
  const missingValue = ["--stack-dir", "--out", "--diff", "--format"].some(
    (f) =>
      given.has(f) && ({ "--stack-dir": stackDir, "--out": out, "--diff": ref, "--format": formatArg } as Record<string, string | undefined>)[f] === undefined,
  );
  const formats: readonly string[] = ref !== undefined ? DIFF_FORMATS : PLAN_FORMATS;
  if (
    positional.length !== 1 ||
    unknown.length > 0 ||
    missingValue ||
    !formats.includes(format) ||
    (json && format !== "json") ||
    (ref !== undefined && stackDir !== undefined)
  ) {
    io.stderr(USAGE);
    return 64;
  }
  const write = (text: string): void => {
    // --out: `npm run` prints its own banner on stdout, so `> file` would not hold the plan alone.
    if (out) fs.writeFileSync(out, text);
    else io.stdout(text);
  };
  try {
    if (ref !== undefined) {
      const { planDiff } = await import("./diff");
      write(await planDiff({ stack: positional[0], ref, format: format as "text" | "markdown" }));
      return 0;
    }
    const run = await (io.run ?? runStack)(readStackFile(positional[0], stackDir ?? PROJECT_DIR));
    if (format === "snapshot") {
      const { digestKeyFromEnv, toSnapshot } = await import("./snapshot");
      write(`${JSON.stringify(toSnapshot(run, digestKeyFromEnv()), null, 2)}\n`);
      return 0;
    }
    const plan = toPlanJson(run);
    if (format === "mermaid") {
      const { renderMermaid } = await import("./mermaid");
      write(renderMermaid(plan));
      return 0;
    }
    write(format === "json" ? `${JSON.stringify(plan, null, 2)}\n` : `${renderTree(plan)}\n`);
    return 0;
  } catch (e) {
    const err = e instanceof ConfigError ? e : findConfigError(e);
    // Errors meant for the user print as their message; anything else is a Berth bug, with its stack.
    const diffError = (e as { name?: string }).constructor?.name === "DiffError";
    const text = err
      ? err.message
      : diffError
        ? `plan diff: ${(e as Error).message}`
        : e instanceof StackFileError
          ? `plan: ${e.message}`
          : ((e as Error).stack ?? String(e));
    io.stderr(`${text}\n`);
    return 2;
  }
}

function findConfigError(e: unknown): ConfigError | undefined {
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

if (require.main === module) runAsProgram(main, 1);
