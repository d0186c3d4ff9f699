// The SDK-internals adapter (sdk/internals.ts) against the @pulumi/pulumi that is installed: the
// pinned range is the one the adapter was checked with, each internal it reaches for still exists
// with the shape it expects, and each function does its job under the public mock API. An SDK
// update that breaks one of them fails here, by name, before the offline engine fails obscurely.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as semver from "semver";
import { describe, expect, it } from "vitest";
import { deserializeInputs, isConfigSecret, mockMonitor, onRegister, waitForRPCs, type RegisterRequest } from "../../sdk/internals";

const ROOT = path.resolve(__dirname, "../..");
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>) {
    super("berthtest:index:Thing", name, props);
  }
}

describe("sdk/internals.ts", () => {
  it("is pinned to the SDK range its header says it was checked against, and that range is installed", () => {
    const range = (readJson(path.join(ROOT, "package.json")).dependencies as Record<string, string>)["@pulumi/pulumi"];
    const header = /Checked against @pulumi\/pulumi (\d+\.\d+)\.x; package\.json pins `([^`]+)`/.exec(
      fs.readFileSync(path.join(ROOT, "sdk/internals.ts"), "utf8"),
    );
    expect(header, "the adapter's header names the checked version and the pin").not.toBeNull();
    expect(range).toBe(header![2]);
    // A tilde range: patch releases only, so a minor SDK update is a deliberate edit of package.json.
    expect(range).toMatch(/^~\d+\.\d+\.\d+$/);
    expect(semver.minVersion(range)!.version.startsWith(`${header![1]}.`)).toBe(true);
    const installed = readJson(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json")).version as string;
    expect(semver.satisfies(installed, range), `installed @pulumi/pulumi ${installed} is outside ${range}`).toBe(true);
  });

  it("finds every internal it uses, with the expected shape", () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const config = require("@pulumi/pulumi/runtime/config") as Record<string, unknown>;
    const settings = require("@pulumi/pulumi/runtime/settings") as Record<string, unknown>;
    const rpc = require("@pulumi/pulumi/runtime/rpc") as Record<string, unknown>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect(typeof config.isConfigSecret).toBe("function");
    expect(typeof settings.getMonitor).toBe("function");
    expect(typeof settings.waitForRPCs).toBe("function");
    expect(typeof rpc.deserializeProperties).toBe("function");
  });

  it("isConfigSecret tells secret config keys from plain ones", () => {
    pulumi.runtime.setAllConfig({ "berthsdktest:plain": "a", "berthsdktest:hidden": "b" }, ["berthsdktest:hidden"]);
    expect(isConfigSecret("berthsdktest:hidden")).toBe(true);
    expect(isConfigSecret("berthsdktest:plain")).toBe(false);
    expect(isConfigSecret("berthsdktest:absent")).toBe(false);
  });

  it("records registrations from the mock monitor, with inputs deserialized and secrets kept", async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: () => ({}),
      },
      "berthsdktest",
      "unit",
      true,
    );
    const monitor = mockMonitor();
    expect(monitor.getRegisteredResources()).toBeInstanceOf(Map);
    const seen: { urn: string; type: string; inputs: Record<string, unknown> }[] = [];
    onRegister(monitor, (urn: string, req: RegisterRequest) => seen.push({ urn, type: req.getType(), inputs: deserializeInputs(req.getObject()) }));

    new Thing("one", { plain: "p", hidden: pulumi.secret("s") });
    await waitForRPCs();
    await pulumi.runtime.disconnect();

    expect(seen).toHaveLength(1);
    expect(seen[0].type).toBe("berthtest:index:Thing");
    expect(seen[0].urn).toContain("berthtest:index:Thing::one");
    expect(seen[0].inputs.plain).toBe("p");
    // A secret input stays a secret (Pulumi's signature object), not a plain "s".
    expect(seen[0].inputs.hidden).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s" });
  });
});
