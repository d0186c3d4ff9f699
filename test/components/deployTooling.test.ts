// DeployTooling on its own (public mock API): the deploy program, its apps file, sudoers rule,
// forced-command key and systemd units as one public delivery with its install lines; with the
// registry enabled, the registry login as a separate secret delivery that goes first.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { DEPLOY_PROGRAM, DeployTooling, type DeployToolingArgs } from "../../components/deployTooling";
import { renderBundle } from "../../components/render/bundle";
import { deployToolingAfter, deployToolingFiles, renderRegistryAuth, type DeployConfig } from "../../components/render/deploy";
import { enableUnits, installSudoersChecked } from "../../components/render/hostCommands";
import { HOST_PATHS } from "../../components/render/paths";
import type { AppSettings } from "../../components/render/settings";
import { FAKE_TARGET, failure, mockComponents, secretOf, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const target = FAKE_TARGET;
const DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEdeploykey ci@berth";
const PASSWORD = "Registry0Password0123";
const PROGRAM = fs.readFileSync(DEPLOY_PROGRAM, "utf8");
const health = { path: "/healthz", intervalSeconds: 2, timeoutSeconds: 2, successes: 2, deadlineSeconds: 60 };
const web: AppSettings = {
  name: "web",
  hostnames: ["example.com"],
  frontend: {
    bluePort: 3001,
    greenPort: 3002,
    livePort: 3000,
    containerPort: 3000,
    health,
    volumes: [],
    jobs: [],
    env: {},
    secrets: [],
    releaseTimeoutSeconds: 600,
  },
  backend: {
    bluePort: 8081,
    greenPort: 8082,
    livePort: 8080,
    containerPort: 8080,
    health,
    volumes: [],
    jobs: [],
    env: {},
    secrets: [],
    releaseTimeoutSeconds: 600,
  },
  backendPath: "/api",
  initialColor: "blue",
  restart: "unless-stopped",
  database: false,
};
const registry: DeployConfig["registry"] = {
  enabled: false,
  username: "ci",
  port: 5000,
  expose: "direct",
  storage: "filesystem",
  dataDir: "/var/lib/berth/registry",
  retention: { keep: 10, schedule: "Sun *-*-* 04:00:00" },
};
const disabled: DeployConfig = { proxy: { apps: [] }, registry, host: { deployUser: "deploy" } };
const enabled: DeployConfig = { proxy: { apps: [web] }, registry: { ...registry, enabled: true, port: 5050 }, host: { deployUser: "ci-deploy" } };
const RETENTION = enableUnits(["berth-registry-retention.timer"], { now: true, quiet: true });

const COMMAND = "command:remote:Command";
const REMOTE_FILES = "berth:host:RemoteFiles";

// registryPassword is the one optional member: minimal leaves it out, with the registry disabled.
const minimal: DeployToolingArgs = { target, config: disabled, deployPublicKey: DEPLOY_KEY, dependsOn: [] };

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("DeployTooling, registry disabled (minimal args)", () => {
  it("delivers the program, apps file, sudoers rule, key and units in the clear, and no registry login", async () => {
    const dt = new DeployTooling("dt", minimal, m.opts);
    const applied = await valueOf((dt.applied as pulumi.CustomResource).urn);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.parent, r.dependsOn])).toEqual([["dt-files", "dt", []]]);
    expect(m.ofType(COMMAND).map((c) => c.name)).toEqual(["dt-files-apply"]);
    const files = deployToolingFiles({ config: disabled, program: PROGRAM, deployPublicKey: DEPLOY_KEY });
    expect(files.map((f) => f.path)).toEqual([
      HOST_PATHS.deployProgram,
      HOST_PATHS.deployApps,
      HOST_PATHS.deploySudoersStaged,
      "/home/deploy/.ssh/authorized_keys",
      "/etc/systemd/system/berth-switch.service",
    ]);
    const after = deployToolingAfter(disabled);
    const c = m.one(COMMAND, "dt-files-apply").inputs;
    expect(c.create).toBe("sudo bash -s");
    expect(c.stdin).toBe(renderBundle(files, { mode: "install", after, label: "dt-files" }));
    // The after-lines: sudoers installed only once visudo accepts it, the switch restored; no retention units without a registry.
    for (const line of installSudoersChecked(HOST_PATHS.deploySudoersStaged, HOST_PATHS.sudoers)) expect(c.stdin).toContain(line);
    expect(c.stdin).toContain("/usr/local/lib/berth/berth-deploy restore");
    expect(after).not.toContain(RETENTION);
    expect(c.stdin).not.toContain(HOST_PATHS.deployDockerConfig);
    expect(c.stdin).toContain(`restrict,command="${HOST_PATHS.deployProgram} --ssh" ${DEPLOY_KEY}`);
    expect(applied).toMatch(/::dt-files-apply$/);
  });

  it("makes no login delivery even when a password is given", async () => {
    new DeployTooling("dt", { ...minimal, registryPassword: pulumi.secret(PASSWORD) }, m.opts);
    await m.settle();
    expect(m.ofType(REMOTE_FILES).map((r) => r.name)).toEqual(["dt-files"]);
    expect(JSON.stringify(m.resources)).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));
  });
});

describe("DeployTooling, registry enabled (full args)", () => {
  it("delivers the registry login as a secret, root-only file first, then the tooling with the retention timer", async () => {
    const ready = new pulumi.ComponentResource("test:index:Ready", "ready", {}, m.opts);
    const dt = new DeployTooling(
      "dt",
      { target, config: enabled, deployPublicKey: pulumi.output(DEPLOY_KEY), registryPassword: pulumi.secret(PASSWORD), dependsOn: [ready] },
      m.opts,
    );
    const applied = await valueOf((dt.applied as pulumi.CustomResource).urn);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.parent, r.dependsOn])).toEqual([
      ["dt-auth", "dt", ["ready"]],
      ["dt-files", "dt", ["ready", "dt-auth-apply"]],
    ]);
    const login = { path: HOST_PATHS.deployDockerConfig, mode: 0o600, secret: true, usedBy: [], content: renderRegistryAuth("127.0.0.1:5050", "ci", PASSWORD) };
    expect(m.one(COMMAND, "dt-auth-apply").inputs.stdin).toEqual(secretOf(renderBundle([login], { mode: "install", label: "dt-auth" })));
    expect(login.content).toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));

    const after = deployToolingAfter(enabled);
    expect(after).toContain(RETENTION);
    const stdin = m.one(COMMAND, "dt-files-apply").inputs.stdin;
    expect(stdin).toBe(
      renderBundle(deployToolingFiles({ config: enabled, program: PROGRAM, deployPublicKey: DEPLOY_KEY }), { mode: "install", after, label: "dt-files" }),
    );
    expect(stdin).toContain("/home/ci-deploy/.ssh/authorized_keys");
    expect(stdin).toContain('"name": "web"');
    expect(stdin).toContain("'/etc/systemd/system/berth-registry-retention.timer'");
    // The public delivery never holds the login.
    expect(stdin).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));
    expect(applied).toMatch(/::dt-files-apply$/);
  });
});

// config/ validates the deploy user, the apps and the registry before the component exists; what
// still reaches it wrong is refused as a ResourceError of the component, never a bare Error.
describe("DeployTooling guards", () => {
  it("refuses an enabled registry without the password the host pulls with", async () => {
    const err = await failure(() => new DeployTooling("dt", { target, config: enabled, deployPublicKey: DEPLOY_KEY, dependsOn: [] }, m.opts));
    expect(err.message).toContain("the registry is enabled but no registry password was given");
  });

  it("ties a renderer's refusal to the component (a deploy key that is not a public key)", async () => {
    const err = await failure(() => new DeployTooling("dt", { ...minimal, deployPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }, m.opts));
    expect(err.message).toContain("deploy: the deploy key must be one OpenSSH public key line");
  });
});
