// The plan diff's core over real offline runs: a base stack against the same stack with config
// changed, compared as `--diff` compares them (snapshots with one shared digest key). Table-driven:
// what each change adds, removes, replaces or updates, what is flagged loudly, which host-file
// lines change, and that no secret value ever reaches the report.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { diffSnapshots, type PlanDiff } from "../../cli/planDiff";
import { renderMarkdown, renderText } from "../../cli/diffRender";
import { canonicalJson, secretDigests, toSnapshot, type Snapshot } from "../../cli/snapshot";
import { run, secretStrings, section, sharedRun, stackWith, type RunResult } from "../helpers/stack";

const KEY = randomBytes(32);
const base: Record<string, { run: RunResult; snap: Snapshot }> = {};
beforeAll(async () => {
  for (const s of ["dev", "prod"] as const) {
    const r = await sharedRun(s);
    base[s] = { run: r, snap: toSnapshot(r, KEY) };
  }
});

interface Case {
  readonly name: string;
  readonly stack: "dev" | "prod";
  readonly edits: () => Record<string, unknown>;
  readonly secrets?: Record<string, string>;
  readonly check: (d: PlanDiff, text: string) => void;
}

const action = (d: PlanDiff, name: string): string | undefined => d.resources.find((r) => r.name === name)?.action;
const change = (d: PlanDiff, name: string, path: string) => d.resources.find((r) => r.name === name)?.changes.find((c) => c.path === path);

const CASES: Case[] = [
  {
    name: "nothing changed",
    stack: "prod",
    edits: () => ({}),
    check: (d, text) => {
      expect(d.resources).toEqual([]);
      expect(d.dangers).toEqual([]);
      expect(text).toContain("No changes.");
    },
  },
  {
    name: "a pinned AMI replaces the host, and the instance id moves every host step",
    stack: "dev",
    edits: () => ({ host: { ...section("dev", "host"), amiId: "ami-0123456789abcdef0" } }),
    check: (d, text) => {
      expect(action(d, "host-instance")).toBe("replace");
      expect(change(d, "host-instance", "ami")?.replaces).toBe("provider schema");
      expect(d.dangers.map((x) => x.message)).toEqual([expect.stringMatching(/^REPLACES THE HOST host-instance: ami\./)]);
      for (const step of ["services-provisioned", "services-tls-apply", "services-proxy-config-apply", "services-registry-config-apply"]) {
        expect(action(d, step), step).toBe("replace");
        expect(change(d, step, "triggers[0]")).toMatchObject({ becauseReplaced: "host-instance", replaces: "replaceOnChanges option" });
      }
      expect(action(d, "host-eip")).toBe("update"); // the association moves, the address stays
      expect(change(d, "firewall-database-in-host", "cidrIpv4")).toMatchObject({ becauseReplaced: "host-instance" });
      expect(action(d, "firewall-database-in-host")).toBe("update"); // ModifySecurityGroupRules: no new rule
      expect(text.split("\n")[3]).toMatch(/^!!! REPLACES THE HOST/);
    },
  },
  {
    name: "prod: a host replacement keeps the data volume; only its attachment follows the new instance",
    stack: "prod",
    edits: () => ({ host: { ...section("prod", "host"), amiId: "ami-0123456789abcdef0" } }),
    check: (d) => {
      expect(action(d, "host-instance")).toBe("replace");
      for (const kept of ["data-volume", "data-snapshots", "data-snapshot-role", "data-snapshot-policy"]) expect(action(d, kept), kept).toBeUndefined();
      expect(action(d, "data-attachment")).toBe("replace");
      expect(change(d, "data-attachment", "instanceId")).toMatchObject({ becauseReplaced: "host-instance", replaces: "provider schema" });
      expect(d.dangers.map((x) => x.message)).toEqual([expect.stringMatching(/^REPLACES THE HOST host-instance: ami\./)]);
    },
  },
  {
    name: "prod: a bigger data volume is an in-place update that re-runs the host step, not a danger",
    stack: "prod",
    edits: () => ({ host: { ...section("prod", "host"), dataVolume: { sizeGiB: 80, snapshots: { retainDays: 14 } } } }),
    check: (d) => {
      expect(d.resources.map((r) => `${r.action} ${r.name}`)).toEqual(["update data-volume", "update services-data-volume-apply"]);
      expect(change(d, "data-volume", "size")).toMatchObject({ before: 50, after: 80 });
      expect(d.dangers).toEqual([]);
    },
  },
  {
    name: "prod: moving the host subnet to another AZ would replace the data volume, and says so first",
    stack: "prod",
    edits: () => ({ network: { ...section("prod", "network"), availabilityZones: ["ap-northeast-2c", "ap-northeast-2b"] } }),
    check: (d) => {
      expect(action(d, "data-volume")).toBe("replace");
      expect(d.dangers.map((x) => x.message)).toContain(
        "REPLACES THE DATA VOLUME data-volume: availabilityZone. The new volume starts empty: restore from a snapshot.",
      );
    },
  },
  {
    name: "a bigger instance type updates the host in place, with a note that it restarts",
    stack: "dev",
    edits: () => ({ host: { ...section("dev", "host"), instanceType: "m6i.xlarge" } }),
    check: (d) => {
      expect(action(d, "host-instance")).toBe("update");
      expect(change(d, "host-instance", "instanceType")).toMatchObject({ before: "t3.xlarge", after: "m6i.xlarge", disrupts: "stops and starts the instance" });
      expect(d.dangers).toEqual([]);
    },
  },
  {
    name: "a new SSH port changes user data, which ignoreChanges keeps off the running host",
    stack: "dev",
    edits: () => ({ firewall: { ...section("dev", "firewall"), sshPort: 2222 } }),
    check: (d) => {
      expect(action(d, "host-instance")).toBeUndefined();
      expect(d.resources.filter((r) => r.action === "add").map((r) => r.name)).toContain("firewall-host-in-tcp-2222-198-51-100-0-24");
      expect(d.resources.filter((r) => r.action === "remove").map((r) => r.name)).toContain("firewall-host-in-tcp-22-198-51-100-0-24");
      expect(d.files.map((f) => f.path)).not.toContain("(cloud-init user data)");
    },
  },
  {
    name: "a renamed database replaces it; more storage is flagged as a storage change",
    stack: "prod",
    edits: () => ({ database: { ...section("prod", "database"), name: "store", allocatedStorageGiB: 80 } }),
    check: (d) => {
      expect(action(d, "database-instance")).toBe("replace");
      expect(d.dangers.map((x) => x.message)).toEqual([
        expect.stringMatching(/^REPLACES THE DATABASE database-instance: dbName\./),
        "CHANGES THE DATABASE'S ENGINE OR STORAGE (database-instance): allocatedStorage 50 -> 80.",
      ]);
    },
  },
  {
    name: "an engine version change updates the database in place but is flagged",
    stack: "prod",
    edits: () => ({ database: { ...section("prod", "database"), engineVersion: "8.4.3" } }),
    check: (d) => {
      expect(action(d, "database-instance")).toBe("update");
      expect(d.dangers.map((x) => x.message)).toEqual([
        expect.stringMatching(/^CHANGES THE DATABASE'S ENGINE OR STORAGE \(database-instance\): engineVersion "8\.4" -> "8\.4\.3"/),
      ]);
    },
  },
  {
    name: "an nginx setting re-runs the nginx delivery only, with the changed line as a unified diff",
    stack: "prod",
    edits: () => ({ proxy: { ...section("prod", "proxy"), hstsMaxAgeSeconds: 600 } }),
    check: (d, text) => {
      expect(d.resources.map((r) => `${r.action} ${r.name}`)).toEqual(["update services-proxy-config-apply"]);
      expect(d.files.map((f) => f.path)).toEqual(["/etc/nginx/berth/snippets/security-headers.conf"]);
      expect(text).toContain('-add_header Strict-Transport-Security "max-age=63072000" always;\n  +add_header Strict-Transport-Security "max-age=600" always;');
    },
  },
  {
    name: "a new registry password shows as a changed secret, never as a value",
    stack: "dev",
    edits: () => ({}),
    secrets: { registryPassword: "correct-horse-battery-staple" },
    check: (d, text) => {
      expect(change(d, "services-registry-secrets-apply", "stdin")).toMatchObject({ secret: true, secretChanged: true, before: "[secret]", after: "[secret]" });
      expect(d.outputs).toContainEqual(expect.objectContaining({ path: "registryPassword", secret: true, secretChanged: true }));
      expect(action(d, "services-registry-password")).toBe("remove");
      expect(text).not.toContain("correct-horse-battery-staple");
    },
  },
  {
    name: "another admin network adds its rules",
    stack: "prod",
    edits: () => ({ firewall: { ...section("prod", "firewall"), adminCidrs: ["198.51.100.0/24", "192.0.2.10/32", "203.0.113.64/28"] } }),
    check: (d) => {
      expect(d.resources.filter((r) => r.action !== "add")).toEqual([]);
      expect(d.resources.map((r) => r.name).sort()).toEqual(["firewall-host-in-tcp-22-203-0-113-64-28", "firewall-host-in-tcp-2376-203-0-113-64-28"]);
    },
  },
  {
    name: "a removed app volume and job: a note that the volume's data stays on the host; the host and database stay",
    stack: "dev",
    edits: () => {
      const proxy = section("dev", "proxy") as { apps: Array<Record<string, Record<string, unknown>>> };
      const web = proxy.apps[0];
      return { proxy: { ...proxy, apps: [{ ...web, backend: { ...web.backend, volumes: [], jobs: [] } }] } };
    },
    check: (d, text) => {
      expect(d.removedVolumes).toEqual([expect.stringContaining("volume web/data is no longer declared")]);
      expect(text).toContain(
        "note: Volume web/data is no longer declared: its directory /srv/berth/volumes/web/data and the data in it stay on the host (berth-deploy never deletes a volume) until an admin removes it.",
      );
      expect(d.dangers).toEqual([]);
      expect(d.resources.map((r) => `${r.action} ${r.name}`)).toEqual(["update services-deploy-files-apply"]);
      expect(d.files.map((f) => f.path)).toContain("/etc/systemd/system/berth-job-web_nightly-cleanup.timer");
    },
  },
];

describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_n, c) => {
  it("is reported as expected, with no secret value in text or markdown", async () => {
    const after = await run(stackWith(c.stack, c.edits(), c.secrets ?? {}));
    const d = diffSnapshots(base[c.stack].snap, toSnapshot(after, KEY));
    const opts = { before: "main (1234567)", after: "working tree" };
    const text = renderText(d, { ...opts, format: "text" });
    const md = renderMarkdown(d, { ...opts, format: "markdown" });
    c.check(d, text);
    for (const s of [...secretStrings(base[c.stack].run), ...secretStrings(after)]) {
      expect(text.includes(s), "secret in text").toBe(false);
      expect(md.includes(s), "secret in markdown").toBe(false);
    }
    expect(md.startsWith(`<!-- berth-plan-diff stack=${c.stack} -->\n`)).toBe(true);
    if (d.dangers.length) expect(md).toContain("> [!CAUTION]");
    if (d.files.length) expect(md).toMatch(/```diff\n--- a\//);
  });
});

describe("what a replacement reaches", () => {
  const TD = "ecs-shop-backend-task-definition";
  const ARN = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend";
  /** The scale plan, and the same plan with the back end's task definition in the part's family (as before issue #20). */
  async function plans(): Promise<{ now: Snapshot; old: Snapshot }> {
    const now = toSnapshot(await sharedRun("scale"), KEY);
    const old: Snapshot = {
      ...now,
      resources: now.resources.map((r) =>
        r.name === TD
          ? {
              ...r,
              id: "berth-scale-shop-backend",
              inputs: { ...r.inputs, family: "berth-scale-shop-backend" },
              state: { ...r.state, arn: `${ARN}:1`, arnWithoutRevision: ARN },
            }
          : r,
      ),
    };
    return { now, old };
  }

  it("only the properties built from the replaced resource: a service's Name tag holding its id (an ECS family) is not one", async () => {
    const { now, old } = await plans();
    const d = diffSnapshots(old, now);
    expect(d.resources.map((r) => `${r.action} ${r.name}`)).toEqual([`replace ${TD}`]);
    // The service's one property built from it, taskDefinition, is under ignoreChanges.
    const svc = now.resources.find((r) => r.name === "ecs-shop-backend-service")!;
    expect(svc.options.propertyDependencies.taskDefinition).toEqual([now.resources.find((r) => r.name === TD)!.urn]);
    expect(svc.options.ignoreChanges).toContain("taskDefinition");
  });

  it("every input of a dependent when the snapshot has no per-property record", async () => {
    const { now, old } = await plans();
    const unrecorded: Snapshot = {
      ...now,
      resources: now.resources.map((r) => (r.name === "ecs-shop-backend-service" ? { ...r, options: { ...r.options, propertyDependencies: {} } } : r)),
    };
    const svc = diffSnapshots(old, unrecorded).resources.find((r) => r.name === "ecs-shop-backend-service");
    expect(svc?.action).toBe("update");
    expect(svc?.changes.map((c) => [c.path, c.becauseReplaced])).toContainEqual(["tags.Name", TD]);
  });
});

describe("secret digests", () => {
  it("are keyed: equal values equal under one key, unrelated under another, never the value itself", () => {
    const v = { x: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter22" } };
    const a = secretDigests(v, KEY),
      b = secretDigests(v, KEY),
      c = secretDigests(v, randomBytes(32));
    expect(a).toEqual(b);
    expect(a.x).not.toBe(c.x);
    expect(a.x).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(a)).not.toContain("hunter22");
  });
  it("hash canonical JSON, so key order does not matter", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
  it("are absent without a key, so the snapshot stays identical across runs", () => {
    expect(toSnapshot(base.dev.run).digests).toBe(false);
    expect(JSON.stringify(toSnapshot(base.dev.run))).toBe(JSON.stringify(toSnapshot(base.dev.run)));
  });
});
