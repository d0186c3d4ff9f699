// The policy pack as the Pulumi CLI runs it: policy/index.ts started in its own folder (it reads
// ./package.json and serves the Analyzer gRPC API, printing its port), then asked over gRPC what
// it enforces and to analyze resources, exactly the calls `pulumi preview --policy-pack policy`
// makes. Also keeps the pack's own package.json and lock file in step for `npm ci` there.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/policies";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
// The generated protobuf modules ship no types: the slices this test uses.
type Callback = (e: Error | null, res: unknown) => void;
interface AnalyzerClient {
  getAnalyzerInfo(req: unknown, cb: Callback): void;
  analyze(req: unknown, cb: Callback): void;
  close(): void;
}
interface AnalyzeRequest {
  setType(type: string): void;
  setName(name: string): void;
  setUrn(urn: string): void;
  setProperties(props: unknown): void;
  setOptions(options: unknown): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerClient: new (address: string, credentials: unknown) => AnalyzerClient };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const messages = require("@pulumi/pulumi/proto/analyzer_pb") as {
  AnalyzeRequest: new () => AnalyzeRequest;
  AnalyzerResourceOptions: new () => unknown;
  EnforcementLevel: { readonly MANDATORY: number };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js") as { Struct: { fromJavaScript(v: Record<string, unknown>): unknown } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js") as { Empty: new () => unknown };

const ROOT = path.resolve(__dirname, "../..");
const PACK = path.join(ROOT, "policy");

interface Diagnostic {
  policy: string;
  level: number;
  message: string;
}

let child: ChildProcess;
let client: AnalyzerClient;

beforeAll(async () => {
  child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["index.ts"], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`policy pack printed no port in 60 s: ${err}`)), 60_000);
  });
  client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  child?.kill();
});

function call<T>(method: "getAnalyzerInfo" | "analyze", req: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](req, (e, res) => (e ? reject(e) : resolve(res as T))));
}

async function analyze(stack: string, type: string, name: string, props: Record<string, unknown>): Promise<Diagnostic[]> {
  const req = new messages.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(`urn:pulumi:${stack}::berth::${type}::${name}`);
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(new messages.AnalyzerResourceOptions()); // the CLI always sends options
  const res = await call<{ getDiagnosticsList(): Array<{ getPolicyname(): string; getEnforcementlevel(): number; getMessage(): string }> }>("analyze", req);
  return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
}

const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

describe("policy pack over gRPC", () => {
  it("serves every policy of policy/policies.ts under the pack name berth", async () => {
    const info = await call<{ getName(): string; getPoliciesList(): Array<{ getName(): string }> }>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("berth");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(policies.map((p) => p.name));
  });

  it("rejects an SSH rule open to the world, mandatory", async () => {
    const d = await analyze("dev", RULE, "ssh-world", { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0", description: "SSH from anywhere" });
    expect(d).toEqual([
      {
        policy: "berth-no-admin-ports-from-world",
        level: messages.EnforcementLevel.MANDATORY,
        message: expect.stringMatching(/Port 22 \(SSH\) is open to 0\.0\.0\.0\/0/),
      },
    ]);
  });

  it("passes an SSH rule from the admin network, and applies prod-only rules by the stack in the URN", async () => {
    expect(
      await analyze("prod", RULE, "ssh-admin", {
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrIpv4: "198.51.100.0/24",
        description: "SSH from admin networks",
      }),
    ).toEqual([]);
    const db = { storageEncrypted: true, publiclyAccessible: false, backupRetentionPeriod: 14, deletionProtection: false, skipFinalSnapshot: false };
    expect(await analyze("dev", "aws:rds/instance:Instance", "db", db)).toEqual([]);
    expect((await analyze("prod", "aws:rds/instance:Instance", "db", db)).map((d) => d.policy)).toEqual(["berth-database-deletion-protection"]);
  });
});

describe("policy pack install", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8")) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(PACK, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; version?: string }>;
  };

  it("has a lock file that matches package.json, so `npm ci` works in policy/", () => {
    expect(lock.packages[""].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[""].devDependencies).toEqual(pkg.devDependencies);
    for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)])
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBeTruthy();
  });

  it("pins the same @pulumi/policy major as the root, whose copy the tests use", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(root.devDependencies["@pulumi/policy"]).toBe(pkg.dependencies["@pulumi/policy"]);
  });
});
