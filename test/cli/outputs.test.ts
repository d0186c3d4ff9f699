// The outputs contract (schema/outputs.schema.json) checked with a real JSON Schema validator
// (ajv, draft 2020-12 with formats) against both stacks' outputs, and the `npm run outputs` tool
// that hands them to CI: formats, secret handling, the certificate expiry check.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkCertificateExpiry,
  envName,
  loadOutputsSchema,
  main,
  outputsValidator,
  plainOutputs,
  renderOutputs,
  secretOutputNames,
  type OutputValues,
} from "../../cli/outputs";
import { isSecretValue, sharedRun, type RunResult } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const schema = loadOutputsSchema();
const validate = outputsValidator(schema);
const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
  runs.scale = await sharedRun("scale");
});

describe.each(["dev", "prod", "scale"])("%s outputs against the contract", (stack) => {
  it("validate", () => {
    expect(validate(plainOutputs(runs[stack].outputs))).toEqual([]);
  });
  it("are secret exactly where the schema says x-secret", () => {
    const secrets = secretOutputNames(schema);
    for (const [name, v] of Object.entries(runs[stack].outputs)) expect(isSecretValue(v), name).toBe(secrets.has(name));
  });
  it.each<[string, (o: OutputValues) => OutputValues, RegExp]>([
    [
      "a removed output",
      (o) => {
        const { registryHost: _, ...rest } = o;
        return rest;
      },
      /must have required property 'registryHost'/,
    ],
    [
      "a renamed output",
      (o) => {
        const { registryHost, ...rest } = o;
        return { ...rest, registryHostname: registryHost };
      },
      /must NOT have additional properties: registryHostname/,
    ],
    ["a port as text", (o) => ({ ...o, databasePort: "3306" }), /\/databasePort must be integer/],
    [
      "expiry as prose",
      (o) => ({ ...o, tlsCertificateExpiry: "auto-renewed by certbot on the host" }),
      /\/tlsCertificateExpiry must match exactly one schema in anyOf|\/tlsCertificateExpiry must match a schema in anyOf/,
    ],
    ["an unknown TLS mode", (o) => ({ ...o, tlsMode: "acme" }), /\/tlsMode must be equal to one of the allowed values/],
  ])("reject %s", (_what, change, message) => {
    expect(validate(change(plainOutputs(runs[stack].outputs))).join("\n")).toMatch(message);
  });
});

describe("the schema", () => {
  it("says what every output is for", () => {
    for (const [name, p] of Object.entries(schema.properties)) expect(p.description.length, name).toBeGreaterThan(10);
    // Optional are the outputs of apps on ECS only, and each says so.
    const optional = Object.keys(schema.properties).filter((n) => schema.properties[n].description.startsWith("Only with an app on ECS"));
    expect(optional.sort()).toEqual(["ciDeployPolicy", "ecrLoginCommand", "ecrRepositoryUrls", "ecsClusterName", "ecsDeployTargets", "loadBalancerDnsName"]);
    expect(schema.required.sort()).toEqual(
      Object.keys(schema.properties)
        .filter((n) => !optional.includes(n))
        .sort(),
    );
  });
  it("lists the same outputs and secrecy as the README's outputs reference", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Outputs reference"));
    const rows = [...table.matchAll(/^\| `([a-zA-Z0-9]+)` \| (yes)? *\|/gm)].map((m) => [m[1], m[2] === "yes"] as const);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(schema.properties).map(([n, p]) => [n, p["x-secret"]])));
  });
});

describe("renderOutputs", () => {
  const values: OutputValues = {
    registryHost: "docker.example.com",
    databasePort: 3306,
    tlsNames: ["a.example", "b.example"],
    sshCommand: "ssh -i k.pem ubuntu@203.0.113.9",
    registryPassword: "pa'ss word",
    hostSshPrivateKey: "-----BEGIN KEY-----\nabcdef\n-----END KEY-----\n",
  };
  const secrets = new Set(["registryPassword", "hostSshPrivateKey"]);
  it.each<[string, string]>([
    ["registryHost", "REGISTRY_HOST"],
    ["hostSshPrivateKey", "HOST_SSH_PRIVATE_KEY"],
    ["tlsCaCertificate", "TLS_CA_CERTIFICATE"],
    ["vpcId", "VPC_ID"],
  ])("env name of %s is %s", (n, e) => {
    expect(envName(n)).toBe(e);
  });
  it("env: shell words a POSIX shell reads back exactly, secrets left out", () => {
    const out = renderOutputs(values, secrets, "env", false);
    expect(out.stdout).toBe(
      `DATABASE_PORT=3306\nREGISTRY_HOST=docker.example.com\nSSH_COMMAND='ssh -i k.pem ubuntu@203.0.113.9'\nTLS_NAMES='["a.example","b.example"]'\n`,
    );
    expect(out.omitted).toEqual(["hostSshPrivateKey", "registryPassword"]);
    const withSecrets = renderOutputs(values, secrets, "env", true).stdout;
    const read = spawnSync("sh", ["-c", `${withSecrets}printf '%s|' "$REGISTRY_PASSWORD" "$HOST_SSH_PRIVATE_KEY" "$SSH_COMMAND"`], { encoding: "utf8" }).stdout;
    expect(read).toBe(`pa'ss word|-----BEGIN KEY-----\nabcdef\n-----END KEY-----\n|ssh -i k.pem ubuntu@203.0.113.9|`);
  });
  it("json: values as they are, secrets only when asked", () => {
    expect(JSON.parse(renderOutputs(values, secrets, "json", false).stdout)).toEqual({
      registryHost: "docker.example.com",
      databasePort: 3306,
      tlsNames: ["a.example", "b.example"],
      sshCommand: "ssh -i k.pem ubuntu@203.0.113.9",
    });
    expect(JSON.parse(renderOutputs(values, secrets, "json", true).stdout)).toEqual(values);
  });
  it("github: masks every secret line first, multi-line values as heredocs", () => {
    const out = renderOutputs(values, secrets, "github", true);
    expect(out.stdout).toBe("::add-mask::-----BEGIN KEY-----\n::add-mask::abcdef\n::add-mask::-----END KEY-----\n::add-mask::pa'ss word\n");
    expect(out.githubOutput).toBe(
      `databasePort=3306\nhostSshPrivateKey<<BERTH_EOF\n-----BEGIN KEY-----\nabcdef\n-----END KEY-----\nBERTH_EOF\nregistryHost=docker.example.com\nregistryPassword=pa'ss word\nsshCommand=ssh -i k.pem ubuntu@203.0.113.9\ntlsNames=["a.example","b.example"]\n`,
    );
    expect(renderOutputs(values, secrets, "github", false).stdout).toBe("");
  });
});

describe("checkCertificateExpiry", () => {
  const now = new Date("2027-01-01T00:00:00Z");
  it.each<[string, OutputValues, boolean, RegExp]>([
    ["far away", { tlsCertificateExpiry: "2027-06-01T00:00:00Z", tlsRenewal: "pulumi-up" }, true, /in 151 day/],
    ["within 21 days", { tlsCertificateExpiry: "2027-01-15T00:00:00Z", tlsRenewal: "pulumi-up" }, false, /in 14 day\(s\) \(< 21\): run `pulumi up`/],
    ["expired, manual", { tlsCertificateExpiry: "2026-12-01T00:00:00Z", tlsRenewal: "manual" }, false, /expired on 2026-12-01.*replace it/],
    ["certbot renews", { tlsCertificateExpiry: "", tlsRenewal: "certbot" }, true, /certbot renews/],
    ["empty but nobody renews", { tlsCertificateExpiry: "", tlsRenewal: "manual" }, false, /nothing renews/],
  ])("%s", (_c, values, ok, message) => {
    const r = checkCertificateExpiry(values, now, 21);
    expect(r.ok).toBe(ok);
    expect(r.message).toMatch(message);
  });
});

describe("npm run outputs (the CLI)", () => {
  /** The CLI in this process, as the real process would run it with this stdin and $GITHUB_OUTPUT. */
  const cli = async (args: string[], input?: string, githubOutput?: string): Promise<{ status: number; stdout: string; stderr: string }> => {
    let stdout = "";
    let stderr = "";
    const status = await main(args, {
      stdin: () => input ?? "",
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      githubOutput,
    });
    return { status, stdout, stderr };
  };

  it("never prints a secret without --show-secrets, and takes redacted input as it is", async () => {
    const plain = plainOutputs(runs.dev.outputs);
    const redacted = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, secretOutputNames(schema).has(k) ? "[secret]" : v]));
    for (const input of [plain, redacted]) {
      const r = await cli(["dev", "--stdin", "--format", "env"], JSON.stringify(input));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`REGISTRY_HOST=${String(plain.registryHost)}\n`);
      for (const n of secretOutputNames(schema)) expect(r.stdout).not.toContain(envName(n));
      expect(r.stdout).not.toContain(String(plain.registryPassword));
      expect(r.stderr).toMatch(/left out 5 secret output\(s\)/);
    }
  });

  it.each<[string, string[], string | undefined, number, RegExp]>([
    ["an unknown format", ["dev", "--format", "xml"], undefined, 2, /^usage: npm run -s outputs[\s\S]*outputs: --format xml: use env, json or github\n$/],
    ["no stack", ["--format", "env"], undefined, 2, /^usage:/],
    ["a bad day count", ["dev", "--expires-within", "soon"], undefined, 2, /^usage:[\s\S]*outputs: --expires-within soon: a number of days above 0\n$/],
    ["an unknown stack", ["staging"], undefined, 2, /^outputs: the offline plan of staging failed: no stack file Pulumi\.staging\.yaml/],
    ["input that is not JSON", ["dev", "--stdin"], "nope", 2, /is not the JSON of `pulumi stack output --json`/],
    [
      "input that breaks the contract",
      ["dev", "--stdin"],
      JSON.stringify({ vpcId: "vpc-1" }),
      2,
      /break the contract[\s\S]*must have required property 'registryHost'/,
    ],
  ])("refuses %s", async (_w, args, input, status, stderr) => {
    const r = await cli(args, input);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(stderr);
  });
});
