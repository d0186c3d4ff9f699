// A harness for testing one component on its own under Pulumi's PUBLIC mock API
// (`pulumi.runtime.setMocks`), the way pulumi-awsx and aws-cdk test their constructs: build the
// component with chosen args, then look at the resources it registered and the outputs it exposes.
// It does not use the offline engine (offline/) or sdk/internals.ts: no recorded URNs, only what
// the public API shows (MockResourceArgs, and a `transformations` option that sees each child's
// parent and the few resource options a test asks about: dependsOn, provider, deleteBeforeReplace).
//
// Sharing a worker with the offline engine (vitest.config.mts: isolate false): `setMocks` resets
// the runtime's settings (monitor, project, stack, stack resource) every time it is called, and
// the engine calls it at the start of every run, so a shared run after these tests starts clean.
// In the other direction, `mockComponents()` calls setMocks itself for each test, so nothing an
// earlier run left behind is seen here. `settle()` waits for the runtime's queue of registrations
// to drain (public `pulumi.runtime.disconnect`), so no registration of one test lands in the next
// test's fake or in a later engine run; the next setMocks installs a fresh monitor.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";

/** One registered resource, as the mock monitor received it. */
export interface Registered {
  /** Pulumi type token, e.g. "aws:ec2/vpc:Vpc" or "berth:network:Network". */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Inputs as the engine received them: Outputs resolved, secret values in Pulumi's secret marker (see `secretOf`). */
  readonly inputs: Record<string, unknown>;
  /** Logical name of the parent resource, or undefined for a resource with no parent. */
  readonly parent: string | undefined;
  /** True for a provider-managed (custom) resource, false for a component. */
  readonly custom: boolean;
  /**
   * Logical names of the resources in its `dependsOn` option, in order; "?" for one these mocks did
   * not see constructed (made without `opts`) or given as an Output.
   */
  readonly dependsOn: string[];
  /** Logical name of its explicit `provider` option, if any. */
  readonly provider: string | undefined;
  /** Its `deleteBeforeReplace` option. */
  readonly deleteBeforeReplace: boolean;
}

/** One provider function call (invoke). */
export interface Invoked {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
}

/** The answer of a fake resource: its id and the state it reports (merged over its inputs). */
export type FakeState = (name: string, inputs: Record<string, unknown>) => { id?: string; state?: Record<string, unknown> };

export interface MockOptions {
  /** Per-token replacement answers of invokes (token -> result). */
  readonly invokes?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
  /** Per-type replacement answers of resources (type token -> id and state). */
  readonly resources?: Record<string, FakeState>;
  /** Run as a preview. */
  readonly preview?: boolean;
}

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
export const FAKE_PUBLIC_IP = "203.0.113.10";
export const FAKE_PRIVATE_IP = "10.20.1.10";
export const FAKE_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
/** Where host-side steps run in the component tests: the admin login at the fake Elastic IP, and a fake instance id. */
export const FAKE_TARGET = { connection: { host: FAKE_PUBLIC_IP, user: "ubuntu", port: 22 }, hostId: "i-0host" };

const fakePem = (label: string, name: string): string => `-----BEGIN ${label}-----\nFAKE-${name}\n-----END ${label}-----\n`;

/** validityEndTime of every fake tls.LocallySignedCert (RFC 3339, as the tls provider reports it). */
export const FAKE_SIGNED_CERT_END = "2027-01-01T00:00:00Z";
/** validityEndTime of every fake tls.SelfSignedCert (a CA: later than the certificates it signs). */
export const FAKE_SELF_SIGNED_CERT_END = "2036-01-01T00:00:00Z";
/** expiresOn of every fake cloudflare.OriginCaCertificate, in Cloudflare's own format. */
export const FAKE_ORIGIN_CERT_EXPIRES_ON = "2041-11-14 06:44:30 +0000 UTC";

/** Plausible outputs of the resources the components in test/components/ create. */
const RESOURCES: Record<string, FakeState> = {
  "aws:cloudwatch/logGroup:LogGroup": (_n, i) => ({ state: { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(i.name)}:*` } }),
  "aws:iam/role:Role": (n) => ({ state: { name: `${n}-0001`, arn: `arn:aws:iam::${ACCOUNT}:role/${n}-0001` } }),
  "aws:iam/instanceProfile:InstanceProfile": (n) => ({ state: { name: `${n}-0001`, arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${n}-0001` } }),
  "aws:ec2/keyPair:KeyPair": (_n, i) => ({ state: { keyName: `${String(i.keyNamePrefix)}0001` } }),
  "aws:ec2/instance:Instance": () => ({ state: { privateIp: FAKE_PRIVATE_IP } }),
  "aws:ec2/eip:Eip": () => ({ state: { publicIp: FAKE_PUBLIC_IP } }),
  "aws:rds/parameterGroup:ParameterGroup": (_n, i) => ({ state: { name: `${String(i.namePrefix)}0001` } }),
  "aws:rds/instance:Instance": (_n, i) => ({ state: { address: `${String(i.identifier)}.abcdefghijkl.${REGION}.rds.amazonaws.com` } }),
  "aws:s3/bucket:Bucket": (_n, i) => ({
    id: `${String(i.bucketPrefix)}0001`,
    state: { bucket: `${String(i.bucketPrefix)}0001`, arn: `arn:aws:s3:::${String(i.bucketPrefix)}0001` },
  }),
  "aws:route53/zone:Zone": (_n, i) => ({
    state: { zoneId: `Z-${String(i.name)}`, nameServers: [`ns-1.${String(i.name)}.example`, `ns-2.${String(i.name)}.example`] },
  }),
  "random:index/randomPassword:RandomPassword": (n) => ({ state: { result: `generated-${n}` } }),
  "tls:index/privateKey:PrivateKey": (n, i) => ({
    state: {
      publicKeyOpenssh: `${fakePublicKey(n, i.algorithm === "RSA" ? "RSA" : "ED25519")}\n`,
      privateKeyOpenssh: fakePem("OPENSSH PRIVATE KEY", n),
      privateKeyPem: fakePem("PRIVATE KEY", n),
    },
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (n) => ({ state: { certPem: fakePem("CERTIFICATE", n), validityEndTime: FAKE_SELF_SIGNED_CERT_END } }),
  "tls:index/locallySignedCert:LocallySignedCert": (n) => ({ state: { certPem: fakePem("CERTIFICATE", n), validityEndTime: FAKE_SIGNED_CERT_END } }),
  "tls:index/certRequest:CertRequest": (n) => ({ state: { certRequestPem: fakePem("CERTIFICATE REQUEST", n) } }),
  "cloudflare:index/originCaCertificate:OriginCaCertificate": (n) => ({
    state: { certificate: fakePem("CERTIFICATE", n), expiresOn: FAKE_ORIGIN_CERT_EXPIRES_ON },
  }),
  "docker:index/remoteImage:RemoteImage": (_n, i) => ({ state: { imageId: `sha256:fake-${String(i.name)}` } }),
};

/** Plausible answers of the invokes those components make. */
const INVOKES: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: FAKE_ZONES, zoneIds: FAKE_ZONES.map((_z, i) => `use1-az${i + 1}`), id: REGION }),
  "aws:ec2/getAmi:getAmi": () => ({ id: "ami-0fake0newest", name: "ubuntu-fake", architecture: "x86_64" }),
  "aws:ec2/getVpcEndpointService:getVpcEndpointService": (i) => ({ serviceName: `com.amazonaws.${REGION}.${String(i.service)}`, serviceType: i.serviceType }),
  "cloudflare:index/getZone:getZone": (i) => {
    const name = String((i.filter as { name?: string } | undefined)?.name);
    return { id: `cf-zone-${name}`, name, nameServers: [`ada.ns.cloudflare.com`, `bob.ns.cloudflare.com`] };
  },
};

export interface ComponentMocks {
  /** Every resource registered so far, in order (components and their children). */
  readonly resources: Registered[];
  /** Every invoke made so far, in order. */
  readonly invokes: Invoked[];
  /**
   * Options to construct the component under test with: they record each child's parent (a
   * `transformations` option applies to the component and everything under it).
   */
  readonly opts: pulumi.ComponentResourceOptions;
  /** Waits until every registration started so far has finished. */
  settle(): Promise<void>;
  /** The resources of one type (after `settle`). */
  ofType(type: string): Registered[];
  /** The one resource of this type (and name, when given); fails the test otherwise. */
  one(type: string, name?: string): Registered;
}

/**
 * Installs fresh mocks for one test and returns what they record. Call it first in every test
 * (or in beforeEach), before constructing the component.
 */
export async function mockComponents(options: MockOptions = {}): Promise<ComponentMocks> {
  const resources: Registered[] = [];
  const invokes: Invoked[] = [];
  const parents = new Map<string, string | undefined>();
  const recorded = new Map<string, Pick<Registered, "dependsOn" | "provider" | "deleteBeforeReplace">>();
  const names = new WeakMap<pulumi.Resource, string>();
  const answers = { ...RESOURCES, ...options.resources };
  const calls = { ...INVOKES, ...options.invokes };

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        const key = `${args.type}::${args.name}`;
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          parent: parents.get(key),
          custom: args.custom ?? true,
          ...(recorded.get(key) ?? { dependsOn: [], provider: undefined, deleteBeforeReplace: false }),
        });
        const answer = answers[args.type]?.(args.name, inputs) ?? {};
        return { id: answer.id ?? `${args.name}-id`, state: { ...inputs, ...answer.state } };
      },
      call(args) {
        const inputs = args.inputs as Record<string, unknown>;
        invokes.push({ token: args.token, inputs });
        const fn = calls[args.token];
        if (!fn) throw new Error(`unmocked invoke ${args.token}: add it to test/helpers/componentMocks.ts`);
        return fn(inputs);
      },
    },
    "berth",
    "test",
    options.preview ?? false,
  );

  const nameOf = (r: unknown): string => (pulumi.Resource.isInstance(r) ? (names.get(r) ?? "?") : "?");
  const record: pulumi.ResourceTransformation = (a) => {
    names.set(a.resource, a.name);
    const key = `${a.type}::${a.name}`;
    parents.set(key, a.opts.parent ? names.get(a.opts.parent) : undefined);
    const deps = a.opts.dependsOn;
    recorded.set(key, {
      dependsOn: (deps === undefined ? [] : Array.isArray(deps) ? deps : [deps]).map(nameOf),
      provider: a.opts.provider ? nameOf(a.opts.provider) : undefined,
      deleteBeforeReplace: (a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace ?? false,
    });
    return undefined;
  };

  const ofType = (type: string): Registered[] => resources.filter((r) => r.type === type);
  return {
    resources,
    invokes,
    opts: { transformations: [record] },
    settle: () => pulumi.runtime.disconnect(),
    ofType,
    one(type, name) {
      const found = ofType(type).filter((r) => name === undefined || r.name === name);
      expect(
        found.map((r) => r.name),
        `exactly one ${type}${name ? ` named ${name}` : ""}`,
      ).toHaveLength(1);
      return found[0];
    },
  };
}

/**
 * The value of an Output, through the public `apply`. An Output that fails never calls its apply,
 * so this gives up after `timeoutMs` (use `failure` to test a failure).
 */
export function valueOf<T>(o: pulumi.Input<T>, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Output did not resolve within ${timeoutMs} ms (did it fail?)`)), timeoutMs);
    pulumi.output(o).apply((v) => {
      clearTimeout(timer);
      resolve(v as T);
      return v;
    });
  });
}

/** The fake OpenSSH public key line of the tls.PrivateKey named `name`. */
export function fakePublicKey(name: string, algorithm: "ED25519" | "RSA" = "ED25519"): string {
  return `${algorithm === "RSA" ? "ssh-rsa" : "ssh-ed25519"} AAAAFAKE${Buffer.from(name).toString("base64")}`;
}

/** A secret input value as the mock monitor receives it: Pulumi's wire marker around the value. */
export function secretOf(value: unknown): Record<string, unknown> {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

/** Whether an Output is marked secret. */
export function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/**
 * The ResourceError `build` raises: thrown by the constructor itself, or raised later inside an
 * Output (an apply that throws), which the runtime reports as an unhandled rejection; it is caught
 * here (with a listener that is removed again) so it does not fail the test run. Fails the test
 * when nothing is raised within `timeoutMs`, or when the error is not a ResourceError.
 */
export async function failure(build: () => unknown, timeoutMs = 5_000): Promise<pulumi.ResourceError> {
  let onRejection: ((e: unknown) => void) | undefined;
  const raised = new Promise<unknown>((resolve) => {
    onRejection = resolve;
    process.on("unhandledRejection", onRejection);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    let err: unknown;
    try {
      build();
      err = await Promise.race([
        raised,
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(new Error(`nothing was raised within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      err = e;
    }
    // Let the rejections that follow the first (outputs that depend on the failed one) arrive
    // while the listener still swallows them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!pulumi.ResourceError.isInstance(err)) throw new Error(`expected a ResourceError, got: ${err instanceof Error ? err.stack : String(err)}`);
    return err;
  } finally {
    clearTimeout(timer);
    process.off("unhandledRejection", onRejection!);
  }
}
