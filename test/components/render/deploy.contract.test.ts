// The contract between the renderer and the deploy program on the host: the program's own parser
// reads the rendered apps.json of both shipped stacks, validates the same sample arguments as the
// TypeScript patterns do, and its command table is the list the sudoers rule and apps.json carry.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderAppsFile, renderSudoers } from "../../../components/render/deploy";
import { APPS_NETWORK, colorAddress, DEPLOY_PATTERNS, DEPLOY_USER_COMMANDS, networkGateway } from "../../../lib/deployRules";
import { stackConfig } from "../../helpers/renderFixtures";

const PROGRAM = path.resolve(__dirname, "../../../host/berth-deploy");

/** Runs Python code with the deploy program loaded as `bd`; returns its JSON answer. */
function python<T>(code: string, input: string): T {
  const prelude = [
    "import importlib.machinery, importlib.util, json, sys",
    `loader = importlib.machinery.SourceFileLoader("bd", ${JSON.stringify(PROGRAM)})`,
    'spec = importlib.util.spec_from_loader("bd", loader); bd = importlib.util.module_from_spec(spec); loader.exec_module(bd)',
    "data = json.loads(sys.stdin.read())",
  ].join("\n");
  return JSON.parse(execFileSync("/usr/bin/python3", ["-I", "-c", `${prelude}\n${code}`], { input, encoding: "utf8" })) as T;
}

const SAMPLES = {
  app: ["web", "shop-api", "a", "Web", "1web", "web_api", "x".repeat(31), "x".repeat(32), "web;id", ""],
  tag: ["v1", "1.2.3-rc_4", "latest", ".hidden", "-x", "v1;id", "$(id)", "a".repeat(128), "a".repeat(129), ""],
  envName: ["DATABASE_URL", "_X", "A1", "a", "1A", "A-B", ""],
};

describe("deploy program contract", () => {
  it.each(["dev", "prod"])("the program parses the rendered apps.json of %s, with the same apps, ports and addresses", (stack) => {
    const text = renderAppsFile(stackConfig(stack));
    const parsed = python<{ apps: Array<{ name: string; parts: Array<[string, number, string, string]> }>; users: string[] }>(
      [
        "cfg = bd.parse_config(data)",
        "print(json.dumps({'apps': [{'name': a.name, 'parts': [[p.role, p.livePort, p.blueAddress, p.greenAddress] for p in a.parts]} for a in cfg.apps], 'users': list(bd.USER_COMMANDS)}))",
      ].join("\n"),
      text,
    );
    const config = stackConfig(stack);
    expect(parsed.apps.map((a) => a.name)).toEqual(config.proxy.apps.map((a) => a.name));
    for (const [i, app] of config.proxy.apps.entries()) {
      const parts = (["frontend", "backend"] as const).flatMap((r) =>
        app[r] ? [[r, app[r].livePort, colorAddress(APPS_NETWORK.subnet, app[r].bluePort), colorAddress(APPS_NETWORK.subnet, app[r].greenPort)]] : [],
      );
      expect(parsed.apps[i].parts).toEqual(parts);
    }
    expect(parsed.users).toEqual([...DEPLOY_USER_COMMANDS]);
  });

  it("the program's patterns (read from apps.json) accept and refuse exactly what the TypeScript patterns do", () => {
    const verdicts = python<Record<string, boolean[]>>(
      "cfg = bd.parse_config(data['apps'])\nprint(json.dumps({k: [bool(cfg.patterns[k].match(s)) for s in v] for k, v in data['samples'].items()}))",
      JSON.stringify({ apps: JSON.parse(renderAppsFile(stackConfig("dev"))) as unknown, samples: SAMPLES }),
    );
    for (const [kind, samples] of Object.entries(SAMPLES)) {
      const re = new RegExp(DEPLOY_PATTERNS[kind as keyof typeof DEPLOY_PATTERNS]);
      expect(verdicts[kind], kind).toEqual(samples.map((s) => re.test(s)));
    }
    // And they say something: each accepts some samples and refuses others.
    for (const v of Object.values(verdicts)) expect(new Set(v)).toEqual(new Set([true, false]));
  });

  it("the sudoers rule allows exactly the program's user commands", () => {
    const rule = renderSudoers("deploy", "/usr/local/lib/berth/berth-deploy");
    const allowed = [...rule.matchAll(/\/usr\/local\/lib\/berth\/berth-deploy (\w+) \*/g)].map((m) => m[1]);
    expect(allowed).toEqual([...DEPLOY_USER_COMMANDS]);
  });

  it("gives each color port a fixed address in the apps network, and refuses ports without one", () => {
    expect(colorAddress("172.29.0.0/16", 3001)).toBe("172.29.11.185");
    expect(colorAddress("10.150.0.0/16", 8082)).toBe("10.150.31.146");
    expect(networkGateway("172.29.0.0/16")).toBe("172.29.0.1");
    expect(() => colorAddress("172.29.0.0/16", 1)).toThrow("color port 1 has no address (2-65534)");
    expect(() => colorAddress("172.29.0.0/16", 65535)).toThrow("color port 65535 has no address");
    expect(() => colorAddress("172.29.0.0/24", 3001)).toThrow("must be a /16");
  });
});
