// What a user sees when the program fails under `pulumi up`: the program run by @pulumi/pulumi's
// own run module, as the Node language host starts it, with what it logs read from the engine
// side (test/helpers/languageHost.ts). A ConfigError must read as the problem list, once, with no
// stack frames and no dump of its `problems` array; a component's guard as its message tied to
// the component's URN. A control program with the old kind of error shows that the detectors
// below do see stack frames and dumps when they are there.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../config";
import { toRawConfigInput } from "../../offline/stackFile";
import { runUnderLanguageHost, type HostRun } from "../helpers/languageHost";
import { section, stackWith } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const fixture = (name: string): string => path.join(__dirname, "fixtures", `${name}.ts`);

/** A V8 stack frame line, with or without a source position. */
const STACK_FRAME = /^\s+at .+/m;
/** util.inspect's rendering of the error's own `problems` property. */
const PROBLEMS_DUMP = /problems: \[/;
/** The exit code with which the run module says "the error was logged for the user; add nothing". */
const LOGGED_FOR_USER = 32;

const errors = (r: HostRun) => r.logs.filter((l) => l.severity === "error");
/** Everything the user could see: what reached the engine and what the process printed. */
const everything = (r: HostRun): string => [...r.logs.map((l) => l.message), r.stdout, r.stderr].join("\n");
const count = (text: string, part: string): number => text.split(part).length - 1;

describe("a ConfigError under pulumi up (the real program, dev with two mistakes)", () => {
  const file = stackWith("dev", { host: { ...section("dev", "host"), instanceType: "big", rootVolumeGiB: 2 } });
  let expected: ConfigError;
  let r: HostRun;
  beforeAll(async () => {
    try {
      // What `pulumi up` validates: the real target, not the offline one.
      parseConfig({ ...toRawConfigInput(file), target: "cloud" });
    } catch (e) {
      if (e instanceof ConfigError) expected = e;
    }
    r = await runUnderLanguageHost({ program: ROOT, project: file.project, stack: file.stack, config: file.config, secretKeys: file.secretKeys });
  });

  it("logs one error: exactly the problem list, tied to no resource", () => {
    expect(expected.problems).toHaveLength(2);
    expect(errors(r)).toEqual([{ severity: "error", message: expected.message, urn: "" }]);
  });

  it("says each problem once, with no stack frame and no dump of the problems array anywhere", () => {
    const all = everything(r);
    for (const p of expected.problems) expect(count(all, `  - ${p.key} = `), p.key).toBe(1);
    expect(all).not.toMatch(STACK_FRAME);
    expect(all).not.toMatch(PROBLEMS_DUMP);
    expect(all).not.toContain("unhandled exception");
  });

  it("exits telling the host the error was already shown, after registering nothing but the stack", () => {
    expect(r.code).toBe(LOGGED_FOR_USER);
    expect(r.registered).toEqual(["urn:pulumi:dev::berth::pulumi:pulumi:Stack::berth-dev"]);
  });
});

describe("the control: a plain Error carrying problems, as ConfigError was", () => {
  let r: HostRun;
  beforeAll(async () => {
    r = await runUnderLanguageHost({ program: fixture("plain-error-with-problems"), project: "berth", stack: "dev", config: {} });
  });

  it("is printed as an unhandled exception with stack frames and the problems array again", () => {
    expect(errors(r)).toHaveLength(1);
    const message = errors(r)[0].message;
    expect(message).toContain("failed with an unhandled exception");
    expect(message).toMatch(STACK_FRAME);
    expect(message).toMatch(PROBLEMS_DUMP);
    expect(count(message, "berth:firewall.adminCidrs[0]")).toBe(2);
  });
});

describe("a component guard under pulumi up", () => {
  it("in a constructor: the message under the component's URN, no stack", async () => {
    const r = await runUnderLanguageHost({ program: fixture("tls-without-email"), project: "berth", stack: "dev", config: {} });
    expect(errors(r)).toEqual([
      { severity: "error", message: "mode letsencrypt needs an ACME account e-mail: set berth:tls.email", urn: "urn:pulumi:dev::berth::berth:tls:Tls::tls" },
    ]);
    expect(everything(r)).not.toMatch(STACK_FRAME);
    expect(r.code).toBe(LOGGED_FOR_USER);
  });

  it("inside an apply whose output the stack exports: the message under the component's URN, no stack", async () => {
    const r = await runUnderLanguageHost({
      program: fixture("network-one-zone"),
      project: "berth",
      stack: "dev",
      config: { "aws:region": "ap-northeast-2" },
      invokes: { "aws:index/getAvailabilityZones:getAvailabilityZones": { names: ["ap-northeast-2a"], zoneIds: ["apne2-az1"], id: "ap-northeast-2" } },
    });
    // The SDK prefixes the message each time it passes through a resource input it was serialising.
    expect(errors(r)).toEqual([
      {
        severity: "error",
        message: expect.stringMatching(
          /^(error serializing property "availabilityZone": )*the region offers 1 availability zone\(s\); Berth needs two \(set berth:network\.availabilityZones\)$/,
        ),
        urn: "urn:pulumi:dev::berth::berth:network:Network::network",
      },
    ]);
    expect(everything(r)).not.toMatch(STACK_FRAME);
    expect(r.code).toBe(LOGGED_FOR_USER);
  });
});
