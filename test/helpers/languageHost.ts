// Runs a program the way Pulumi's Node.js language host does, without the Pulumi CLI: a child
// `node .../@pulumi/pulumi/cmd/run` process with the host's flags and environment, talking gRPC to a
// resource monitor and an engine on 127.0.0.1. Both are fakes in this process: the monitor answers
// every registration (so components get URNs), the engine records what the program logs. That is
// where `pulumi up` takes what it prints: run.js's handler of uncaught errors logs a RunError's
// message alone, a ResourceError's message tied to its URN, and anything else as "failed with an
// unhandled exception" with the whole inspected error.
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";

/* eslint-disable @typescript-eslint/no-require-imports */
// The SDK's generated protobuf modules ship no types for their service objects: the slices used here.
interface Message {
  serializeBinary(): Uint8Array;
}
type Unary = (call: { request: Record<string, (...a: unknown[]) => unknown> }, cb: (e: Error | null, res: Message) => void) => void;
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as { ResourceMonitorService: grpc.ServiceDefinition };
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as { EngineService: grpc.ServiceDefinition };
const resourcePb = require("@pulumi/pulumi/proto/resource_pb") as Record<string, new () => Message & Record<string, (v: unknown) => void>>;
const enginePb = require("@pulumi/pulumi/proto/engine_pb") as Record<string, new () => Message & Record<string, (v: unknown) => void>>;
const providerPb = require("@pulumi/pulumi/proto/provider_pb") as Record<string, new () => Message & Record<string, (v: unknown) => void>>;
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js") as { Empty: new () => Message };
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js") as { Struct: { fromJavaScript(v: Record<string, unknown>): unknown } };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "../..");

/** One message the program logged through the engine (what `pulumi up` shows). */
export interface EngineLog {
  readonly severity: "debug" | "info" | "warning" | "error";
  readonly message: string;
  /** The resource the message is tied to; "" for none. */
  readonly urn: string;
}

export interface HostRun {
  /** The run module's exit code: 32 means "an error was logged for the user, print nothing more". */
  readonly code: number | null;
  readonly logs: readonly EngineLog[];
  /** URNs the monitor registered, in order. */
  readonly registered: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
}

export interface HostOptions {
  /** The program: a directory with package.json (as Pulumi.yaml's `main`) or a file. */
  readonly program: string;
  readonly project: string;
  readonly stack: string;
  /** PULUMI_CONFIG: every "namespace:key" as the CLI passes it (objects as JSON text). */
  readonly config: Record<string, string>;
  readonly secretKeys?: readonly string[];
  /** What the fake cloud answers to invokes (data-source lookups), by token. */
  readonly invokes?: Record<string, Record<string, unknown>>;
}

const SEVERITY = ["debug", "info", "warning", "error"] as const;

/** Starts the fakes, runs the program under @pulumi/pulumi's run module, and stops everything. */
export async function runUnderLanguageHost(options: HostOptions): Promise<HostRun> {
  const logs: EngineLog[] = [];
  const registered: string[] = [];
  const server = new grpc.Server();
  const monitor: Record<string, Unary> = {
    supportsFeature: (call, cb) => {
      const res = new resourcePb.SupportsFeatureResponse();
      // As the CLI: everything but output values (so inputs stay plain in registrations).
      res.setHassupport(call.request.getId() !== "outputValues");
      cb(null, res);
    },
    registerResource: (call, cb) => {
      const r = call.request;
      const parent = String(r.getParent());
      const type = String(r.getType());
      // As the engine builds URNs: a child's type carries its parent's, except under the stack itself.
      const parentType = parent ? parent.split("::")[2] : "pulumi:pulumi:Stack";
      const qualified = parentType === "pulumi:pulumi:Stack" ? type : `${parentType}$${type}`;
      const urn = `urn:pulumi:${options.stack}::${options.project}::${qualified}::${String(r.getName())}`;
      registered.push(urn);
      const res = new resourcePb.RegisterResourceResponse();
      res.setUrn(urn);
      res.setId(r.getCustom() ? `${String(r.getName())}-id` : "");
      res.setObject(r.getObject());
      cb(null, res);
    },
    registerResourceOutputs: (_call, cb) => cb(null, new Empty()),
    invoke: (call, cb) => {
      const token = String(call.request.getTok());
      const answer = options.invokes?.[token];
      if (!answer) return cb(Object.assign(new Error(`no fake answer for invoke ${token}`), { code: grpc.status.UNIMPLEMENTED }), new Empty());
      const res = new providerPb.InvokeResponse();
      res.setReturn(Struct.fromJavaScript(answer));
      cb(null, res);
    },
  };
  let root = "";
  const engine: Record<string, Unary> = {
    log: (call, cb) => {
      const r = call.request;
      logs.push({ severity: SEVERITY[Number(r.getSeverity())] ?? "error", message: String(r.getMessage()), urn: String(r.getUrn()) });
      cb(null, new Empty());
    },
    setRootResource: (call, cb) => {
      root = String(call.request.getUrn());
      cb(null, new enginePb.SetRootResourceResponse());
    },
    getRootResource: (_call, cb) => {
      const res = new enginePb.GetRootResourceResponse();
      res.setUrn(root);
      cb(null, res);
    },
  };
  server.addService(resourceGrpc.ResourceMonitorService, monitor);
  server.addService(engineGrpc.EngineService, engine);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p)));
  });
  try {
    const address = `127.0.0.1:${port}`;
    // The flags and environment pulumi-language-nodejs gives the run module (TypeScript through
    // ts-node, transpiled only: the type check is the typecheck layer's job, not this test's).
    const args = [
      path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run"),
      `--monitor=${address}`,
      `--engine=${address}`,
      `--project=${options.project}`,
      `--stack=${options.stack}`,
      `--pwd=${ROOT}`,
      "--dry-run=false",
      "--parallel=4",
      options.program,
    ];
    const env = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(options.config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys ?? []),
      PULUMI_NODEJS_TYPESCRIPT: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
    return await new Promise<HostRun>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, logs, registered, stdout, stderr });
      });
    });
  } finally {
    server.forceShutdown();
  }
}
