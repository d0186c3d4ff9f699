// `npm run deploy -- <stack> <app> <tag>` as a command: its arguments, the stack outputs it reads
// (the Pulumi CLI by default, a file with --outputs) and checks against the contract, every refusal
// before any AWS call (a bad tag or app name, an app on the host, an app the stack does not have),
// and its exit codes, with the AWS clients stubbed (aws-sdk-client-mock). The outputs are the scale
// stack's own, from the offline plan. The real processes (the start through runAsProgram, the Pulumi CLI
// run from PATH or missing) are in test/integration/cli-processes.test.ts.
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_WAIT_SECONDS, DEPLOY_CLI, deployOutputsProblems, main, type DeployCliIo } from "../../cli/deploy";
import { EXIT, usage } from "../../cli/entry";
import { plainOutputs } from "../../cli/outputs";
import { sharedRun } from "../helpers/stack";

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
beforeEach(() => {
  ecs.reset();
  ecr.reset();
});

let scale: Record<string, unknown>;
let dev: Record<string, unknown>;
beforeAll(async () => {
  scale = plainOutputs((await sharedRun("scale")).outputs);
  dev = plainOutputs((await sharedRun("dev")).outputs);
});
afterAll(() => {
  ecs.restore();
  ecr.restore();
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the CLI read its outputs from, and which regions it made clients for. */
  readonly asked: string[];
}

/** Runs main in process with the outputs given (as the Pulumi CLI's or a file's text) and a fake clock. */
async function deploy(argv: string[], outputs: Record<string, unknown> | string = scale): Promise<Run> {
  let stdout = "";
  let stderr = "";
  let t = 0;
  const asked: string[] = [];
  const text = typeof outputs === "string" ? outputs : JSON.stringify(outputs);
  const io: DeployCliIo = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readFile: (f) => (asked.push(`file ${f}`), text),
    stackOutputs: (s) => (asked.push(`pulumi ${s}`), text),
    clients: (region) => (asked.push(`clients ${region}`), { ecs: new ECSClient({ region }), ecr: new ECRClient({ region }) }),
    now: () => t,
    sleep: (ms) => ((t += ms), Promise.resolve()),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, asked };
}

const nothingCalled = (): void => {
  expect(ecs.calls()).toEqual([]);
  expect(ecr.calls()).toEqual([]);
};

describe("the arguments, refused before anything is read (exit 2, the help, then the reason)", () => {
  it.each<[string, string[], string]>([
    ["too few words", ["scale", "shop"], "expected <stack> <app> <tag>, got 2 word(s)"],
    ["a bad tag", ["scale", "shop", "v1;id"], 'tag "v1;id" is not an image tag (letters, digits, _ . -, not starting with . or -, at most 128)'],
    ["a tag starting with -", ["scale", "shop", "--", "-v1"], 'tag "-v1" is not an image tag (letters, digits, _ . -, not starting with . or -, at most 128)'],
    ["a bad app name", ["scale", "Shop", "v1"], 'app "Shop" is not an app name (lower-case letters, digits and -, starting with a letter)'],
    ["a bad stack name", ["scale stack", "shop", "v1"], 'stack "scale stack" is not a stack name'],
    ["a bad timeout", ["scale", "shop", "v1", "--timeout", "10m"], "--timeout 10m: a whole number of seconds from 1 to 86400"],
    ["an unknown option", ["scale", "shop", "v1", "--wait"], "Unknown option '--wait'"],
  ])("%s", async (_w, argv, reason) => {
    const r = await deploy(argv);
    expect(r).toMatchObject({ code: EXIT.refused, stdout: "", asked: [] });
    expect(r.stderr).toBe(`${usage(DEPLOY_CLI)}deploy: ${reason}\n`);
    nothingCalled();
  });

  it("lists every option in its help, the timeout's default included", () => {
    expect(usage(DEPLOY_CLI)).toContain(`--outputs FILE  `);
    expect(usage(DEPLOY_CLI)).toContain(`--timeout SECONDS  how long to wait for each service's deployment to finish (default ${DEFAULT_WAIT_SECONDS})`);
  });
});

describe("the app, refused from the stack's outputs before any AWS call (exit 2)", () => {
  it("an app that runs on the host", async () => {
    const r = await deploy(["scale", "site", "v1"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe(
      "deploy: app site runs on the host (runtime: host), not on ECS: deploy it with the host's deploy program (`deploy site v1` over SSH, examples/ci/berth-deploy.sh)\n",
    );
    expect(r.asked).toEqual(["pulumi scale"]);
    nothingCalled();
  });

  it("an app the stack does not have, naming the ones it has on ECS", async () => {
    const r = await deploy(["scale", "blog", "v1"]);
    expect(r).toMatchObject({ code: EXIT.refused, stderr: "deploy: stack scale has no app blog; its apps on ECS: shop\n" });
    nothingCalled();
  });

  it("a stack without apps on ECS (no ecsDeployTargets output)", async () => {
    expect(dev.ecsDeployTargets).toBeUndefined();
    const r = await deploy(["dev", "shop", "v1"], dev);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain("deploy: stack dev has no ecsDeployTargets output: it has no app with runtime: ecs");
    nothingCalled();
  });

  it("outputs that break the contract, or are not outputs at all", async () => {
    const targets = scale.ecsDeployTargets as Record<string, Record<string, Record<string, unknown>>>;
    const broken = { ...scale, ecsDeployTargets: { shop: { frontend: { ...targets.shop.frontend, release: "bin/migrate" } } } };
    const r = await deploy(["scale", "shop", "v1"], broken);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe(
      "deploy: the outputs of stack scale break the contract in schema/outputs.schema.json:\n  /ecsDeployTargets/shop/frontend/release must be array\n",
    );
    expect((await deploy(["scale", "shop", "v1"], "not json")).stderr).toMatch(
      /^deploy: `pulumi stack output --json --stack scale` is not the JSON of `pulumi stack output --json`: /,
    );
    expect((await deploy(["scale", "shop", "v1", "--outputs", "o.json"], "[]")).stderr).toBe("deploy: o.json is not a JSON object of outputs\n");
    nothingCalled();
  });

  it("outputs of a stack whose last `pulumi up` ran a Berth from before the shape family: says to run it again", async () => {
    const targets = scale.ecsDeployTargets as Record<string, Record<string, Record<string, unknown>>>;
    const { shapeFamily: _gone, ...older } = targets.shop.frontend;
    const r = await deploy(["scale", "shop", "v1"], { ...scale, ecsDeployTargets: { shop: { frontend: older } } });
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe(
      "deploy: the outputs of stack scale break the contract in schema/outputs.schema.json:\n  /ecsDeployTargets/shop/frontend must have required property 'shapeFamily'\n" +
        "the stack's last `pulumi up` ran an older Berth, whose task definitions shared the deploys' family: run `pulumi up` again, then deploy\n",
    );
    nothingCalled();
  });

  it("accepts the scale stack's own outputs, and only checks the ones it reads", () => {
    expect(deployOutputsProblems(scale)).toEqual([]);
    expect(deployOutputsProblems({ ...scale, registryPassword: "[secret]", hostSshPrivateKey: "[secret]" })).toEqual([]);
    expect(deployOutputsProblems({ ecsDeployTargets: { shop: {} } })).toEqual(["/ecsDeployTargets/shop must have required property 'frontend'"]);
  });
});

describe("a deploy through the command", () => {
  /** ECR has every tag; each service runs its stack revision and completes at once. */
  function stubs(): void {
    const targets = (
      scale.ecsDeployTargets as Record<
        string,
        Record<string, { family: string; shapeFamily: string; taskDefinition: string; repositoryUrl: string; service: string }>
      >
    ).shop;
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: "sha256:00" }] });
    for (const [part, t] of Object.entries(targets)) {
      const old = `arn:aws:ecs:ap-northeast-2:123456789012:task-definition/${t.family}:5`;
      const next = `arn:aws:ecs:ap-northeast-2:123456789012:task-definition/${t.family}:6`;
      ecs
        .on(DescribeServicesCommand, { services: [t.service] })
        .resolvesOnce({
          services: [
            { status: "ACTIVE", taskDefinition: old, deployments: [{ id: "old", status: "PRIMARY", taskDefinition: old, rolloutState: "COMPLETED" }] },
          ],
        })
        .resolves({
          services: [
            { status: "ACTIVE", taskDefinition: next, deployments: [{ id: "new", status: "PRIMARY", taskDefinition: next, rolloutState: "COMPLETED" }] },
          ],
        });
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: t.taskDefinition }).resolves({
        taskDefinition: { family: t.shapeFamily, containerDefinitions: [{ name: part, image: `${t.repositoryUrl}:initial`, essential: true }] },
      });
      ecs.on(RegisterTaskDefinitionCommand, { family: t.family }).resolves({ taskDefinition: { taskDefinitionArn: next } });
      ecs.on(UpdateServiceCommand, { service: t.service }).resolves({ service: { deployments: [{ id: "new", status: "PRIMARY", taskDefinition: next }] } });
    }
  }

  it("exits 0 with one line per step, reading the outputs from --outputs FILE and making clients for the stack's region", async () => {
    stubs();
    // The scale stack's back end has a release step: leave it out here (cli/ecsDeploy.test.ts runs releases).
    const targets = scale.ecsDeployTargets as Record<string, Record<string, Record<string, unknown>>>;
    const noRelease = { ...scale, ecsDeployTargets: { shop: { ...targets.shop, backend: { ...targets.shop.backend, release: [] } } } };
    const r = await deploy(["scale", "shop", "v2", "--outputs", "outputs.json", "--timeout", "60"], noRelease);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.asked).toEqual(["file outputs.json", "clients ap-northeast-2"]);
    expect(r.stdout.split("\n")[0]).toBe("deploy: shop v2 to backend, then frontend (cluster berth-scale-apps)");
    expect(r.stdout).toContain("backend: service shop-backend updated to berth-scale-shop-backend:6; waiting for its deployment (up to 60 s)\n");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("deploy: shop v2 is live: backend berth-scale-shop-backend:6, frontend berth-scale-shop-frontend:6");
  });

  it("exits 2 for a tag ECR does not have, having changed nothing", async () => {
    stubs();
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "not found", $metadata: {} }));
    const r = await deploy(["scale", "shop", "v9"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe(
      "deploy: backend: no image 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/scale/shop-backend:v9: push it first (nothing was changed)\n",
    );
    expect(ecs.calls()).toEqual([]);
  });

  it("exits 1 with FAILED and the reason when a step fails (here an AWS error)", async () => {
    stubs();
    ecs.on(RegisterTaskDefinitionCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    const r = await deploy(["scale", "shop", "v2"]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toBe("deploy: FAILED: RegisterTaskDefinition berth-scale-shop-backend failed: ThrottlingException: Rate exceeded\n");
  });
});
