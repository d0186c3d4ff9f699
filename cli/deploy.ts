// Deploys a tag to an app on ECS: `npm run deploy -- <stack> <app> <tag>`, the one command CI runs
// after pushing the app's images to the stack's ECR repositories. What to move comes from the
// stack's `ecsDeployTargets` output (`pulumi stack output --json --stack <stack>`, or a file of it
// with --outputs), checked against schema/outputs.schema.json; the deploy itself is cli/ecsDeploy.ts.
// Apps on the host are deployed by the host's deploy program instead (examples/ci/berth-deploy.sh).
// Exit codes (cli/entry.ts): 0 live, 1 failed (a release, a rollback, a timeout, an AWS error),
// 2 refused (a usage error, an app or tag that is not there, nothing changed), 70 a Berth bug.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { DEPLOY_PATTERNS } from "../lib/deployRules";
import { partsInOrder, type EcsAppDeployTargets } from "../lib/ecsDeploy";
import { deployApp, DeployFailed, type DeployIo } from "./ecsDeploy";
import { EXIT, parseCli, Refused, runAsProgram, usageError, type CliSpec } from "./entry";
import { loadOutputsSchema, outputsValidator } from "./outputs";

/** Seconds each service's deployment may take by default (the release has its own bound, releaseTimeoutSeconds). */
export const DEFAULT_WAIT_SECONDS = 900;

/** The deploy's options: the one table its arguments are read by and its help is printed from. */
export const DEPLOY_CLI: CliSpec = {
  name: "deploy",
  synopsis: ["npm run deploy -- <stack> <app> <tag> [options]"],
  options: [
    {
      name: "outputs",
      type: "string",
      value: "FILE",
      help: "read the stack's outputs from FILE (what `pulumi stack output --json` prints) instead of running that command",
    },
    {
      name: "timeout",
      type: "string",
      value: "SECONDS",
      help: `how long to wait for each service's deployment to finish (default ${DEFAULT_WAIT_SECONDS}); the release step is bounded by its releaseTimeoutSeconds`,
    },
  ],
  examples: [
    "npm run deploy -- prod shop 1.4.2",
    "pulumi stack output --json -s prod > outputs.json && npm run deploy -- prod shop 1.4.2 --outputs outputs.json",
  ],
};

/** What the deploy was asked for. */
interface DeployArgs {
  readonly stack: string;
  readonly app: string;
  readonly tag: string;
  readonly outputsFile?: string;
  readonly waitSeconds: number;
}

/** A stack name as Pulumi takes it (`[org/][project/]stack`); never an option. */
const STACK = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*){0,2}$/;

/** The arguments by DEPLOY_CLI, and the rules of their values; throws a usage error (Refused). */
function deployArgs(argv: readonly string[]): DeployArgs {
  const { values, positionals } = parseCli(DEPLOY_CLI, argv);
  const [stack, app, tag] = positionals;
  const timeout = values.timeout as string | undefined;
  const waitSeconds = timeout === undefined ? DEFAULT_WAIT_SECONDS : Number(timeout);
  const problem =
    positionals.length !== 3
      ? `expected <stack> <app> <tag>, got ${positionals.length} word(s)`
      : !STACK.test(stack)
        ? `stack ${JSON.stringify(stack)} is not a stack name`
        : !new RegExp(DEPLOY_PATTERNS.app).test(app)
          ? `app ${JSON.stringify(app)} is not an app name (lower-case letters, digits and -, starting with a letter)`
          : !new RegExp(DEPLOY_PATTERNS.tag).test(tag)
            ? `tag ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -, not starting with . or -, at most 128)`
            : !(Number.isInteger(waitSeconds) && waitSeconds >= 1 && waitSeconds <= 86400)
              ? `--timeout ${timeout}: a whole number of seconds from 1 to 86400`
              : undefined;
  if (problem) throw usageError(DEPLOY_CLI, problem);
  const outputsFile = values.outputs as string | undefined;
  return { stack, app, tag, waitSeconds, ...(outputsFile !== undefined ? { outputsFile } : {}) };
}

/** Where the CLI reads, writes and reaches AWS (tests pass their own). */
export interface DeployCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (file: string) => string;
  /** `pulumi stack output --json --stack <stack>`: its standard output, or throws Refused. */
  readonly stackOutputs: (stack: string) => string;
  /** ECS and ECR clients for the stack's region (credentials: the SDK's default chain). */
  readonly clients: (region: string) => Pick<DeployIo, "ecs" | "ecr">;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Runs the Pulumi CLI (no shell); refused when it is missing or fails (an unknown stack, no login). */
export function pulumiStackOutputs(stack: string): string {
  const args = ["stack", "output", "--json", "--stack", stack];
  const r = spawnSync("pulumi", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error)
    throw new Refused(
      `deploy: could not run \`pulumi ${args.join(" ")}\` (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): install the Pulumi CLI and log in, or pass --outputs FILE\n`,
    );
  if (r.status !== 0)
    throw new Refused(`deploy: \`pulumi ${args.join(" ")}\` exited with ${r.status ?? r.signal}: ${r.stderr.trim().split("\n").slice(-3).join(" ")}\n`);
  return r.stdout;
}

const PROCESS_IO: DeployCliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (f) => fs.readFileSync(f, "utf8"),
  stackOutputs: pulumiStackOutputs,
  clients: (region) => ({ ecs: new ECSClient({ region }), ecr: new ECRClient({ region }) }),
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The whole CLI: arguments in, exit code out (EXIT: ok, failed, refused). */
export async function main(argv: readonly string[], io: DeployCliIo = PROCESS_IO): Promise<number> {
  try {
    const args = deployArgs(argv);
    const targets = appTargets(args, readOutputs(args, io));
    const region = partsInOrder(targets)[0].target.region;
    const log = (line: string): void => io.stdout(`${line}\n`);
    await deployApp({ app: args.app, tag: args.tag, targets, waitSeconds: args.waitSeconds }, { ...io.clients(region), now: io.now, sleep: io.sleep, log });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof Refused) {
      io.stderr(e.message);
      return EXIT.refused;
    }
    if (e instanceof DeployFailed) {
      io.stderr(`deploy: FAILED: ${e.message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
}

/** The stack's outputs as JSON: from --outputs FILE, else from the Pulumi CLI. */
function readOutputs(args: DeployArgs, io: DeployCliIo): Record<string, unknown> {
  let text: string;
  const source = args.outputsFile ?? `\`pulumi stack output --json --stack ${args.stack}\``;
  try {
    text = args.outputsFile !== undefined ? io.readFile(args.outputsFile) : io.stackOutputs(args.stack);
  } catch (e) {
    if (e instanceof Refused) throw e;
    throw new Refused(`deploy: cannot read ${source}: ${(e as Error).message}\n`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (e) {
    throw new Refused(`deploy: ${source} is not the JSON of \`pulumi stack output --json\`: ${(e as Error).message}\n`);
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) throw new Refused(`deploy: ${source} is not a JSON object of outputs\n`);
  return values as Record<string, unknown>;
}

/** Checks the outputs the deploy reads against their contract (the others are not its business). */
export function deployOutputsProblems(values: Record<string, unknown>): string[] {
  const schema = loadOutputsSchema() as Record<string, unknown> & { properties: Record<string, unknown>; $defs?: unknown };
  const read = ["ecsDeployTargets", "appLogGroups"];
  const partial = {
    $schema: schema.$schema,
    type: "object",
    properties: Object.fromEntries(read.map((n) => [n, schema.properties[n]])),
    ...(schema.$defs ? { $defs: schema.$defs } : {}),
  };
  return outputsValidator(partial)(Object.fromEntries(read.filter((n) => n in values).map((n) => [n, values[n]])));
}

/** The app's targets; refused for outputs that break the contract, an app on the host, or an app the stack does not have. */
function appTargets(args: DeployArgs, values: Record<string, unknown>): EcsAppDeployTargets {
  const problems = deployOutputsProblems(values);
  // Outputs of a stack whose last `pulumi up` ran a Berth from before the shape family (issue #20).
  const older = problems.some((p) => p.includes("required property 'shapeFamily'"))
    ? "the stack's last `pulumi up` ran an older Berth, whose task definitions shared the deploys' family: run `pulumi up` again, then deploy\n"
    : "";
  if (problems.length > 0)
    throw new Refused(
      `deploy: the outputs of stack ${args.stack} break the contract in schema/outputs.schema.json:\n${problems.map((p) => `  ${p}\n`).join("")}${older}`,
    );
  const targets = (values.ecsDeployTargets ?? {}) as Record<string, EcsAppDeployTargets>;
  const appNames = Object.keys(values.appLogGroups ?? {});
  const found = targets[args.app];
  if (found) return found;
  if (appNames.includes(args.app))
    throw new Refused(
      `deploy: app ${args.app} runs on the host (runtime: host), not on ECS: deploy it with the host's deploy program (\`deploy ${args.app} ${args.tag}\` over SSH, examples/ci/berth-deploy.sh)\n`,
    );
  if (values.ecsDeployTargets === undefined)
    throw new Refused(
      `deploy: stack ${args.stack} has no ecsDeployTargets output: it has no app with runtime: ecs, or its last \`pulumi up\` ran an older Berth (run it again)\n`,
    );
  const ecsApps = Object.keys(targets).sort();
  throw new Refused(`deploy: stack ${args.stack} has no app ${args.app}; its apps on ECS: ${ecsApps.join(", ") || "none"}\n`);
}

if (require.main === module) runAsProgram(main);
