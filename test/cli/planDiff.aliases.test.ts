// The plan diff follows aliases (cli/planDiff.ts): a resource that moved to another parent or
// logical name, with an alias naming its old URN, is compared with its old self (Pulumi carries its
// state over), never reported as one deleted and one created. Over the real prod plan: the host
// role, its S3 policy and the instance profile moved from RegistryStorage to HostRole.
import { beforeAll, describe, expect, it } from "vitest";
import { diffSnapshots } from "../../cli/planDiff";
import { renderMarkdown, renderText } from "../../cli/diffRender";
import { toSnapshot, type Snapshot, type SnapshotResource } from "../../cli/snapshot";
import { NO_OPTIONS } from "../../offline/engine";
import { sharedRun } from "../helpers/stack";

let prod: Snapshot;
beforeAll(async () => {
  prod = toSnapshot(await sharedRun("prod"));
});

/** The snapshot as it was before the move: HostRole's aliased resources back at their first alias, without the alias. */
function beforeTheMove(s: Snapshot): Snapshot {
  return {
    ...s,
    resources: s.resources.map((r) => {
      const [old] = r.options.aliases ?? [];
      if (old === undefined || !r.name.startsWith("host-iam-")) return r;
      const { aliases: _dropped, ...options } = r.options;
      return { ...r, urn: old, name: old.split("::").pop()!, options };
    }),
  };
}

const res = (urn: string, inputs: Record<string, unknown>, aliases?: string[]): SnapshotResource => ({
  urn,
  type: urn.split("::")[2].split("$").pop()!,
  name: urn.split("::").pop()!,
  id: "id",
  parent: null,
  inputs,
  state: inputs,
  options: { ...NO_OPTIONS, ...(aliases ? { aliases } : {}) },
  secretDigests: {},
});
const snap = (resources: SnapshotResource[]): Snapshot => ({
  format: "berth-plan-snapshot/1",
  stack: "prod",
  project: "berth",
  digests: true,
  resources,
  outputs: {},
  outputSecretDigests: {},
});
const U = (qualified: string, name: string): string => `urn:pulumi:prod::berth::${qualified}::${name}`;

describe("plan diff with aliases", () => {
  it("prod: the host role, its S3 policy and the profile moved to HostRole without replacement", () => {
    const moved = prod.resources.filter((r) => r.name.startsWith("host-iam-") && r.options.aliases);
    expect(moved.map((r) => [r.name, r.options.aliases])).toEqual([
      ["host-iam-role", [U("berth:registry:RegistryStorage$aws:iam/role:Role", "registry-storage-host-role")]],
      ["host-iam-profile", [U("berth:registry:RegistryStorage$aws:iam/instanceProfile:InstanceProfile", "registry-storage-host-profile")]],
      ["host-iam-registry-bucket", [U("berth:registry:RegistryStorage$aws:iam/rolePolicy:RolePolicy", "registry-storage-host-policy")]],
    ]);
    const d = diffSnapshots(beforeTheMove(prod), prod);
    expect(d.resources.map((r) => [r.action, r.name, r.movedFrom?.split("::").pop(), r.changes])).toEqual([
      ["update", "host-iam-profile", "registry-storage-host-profile", []],
      ["update", "host-iam-role", "registry-storage-host-role", []],
      ["update", "host-iam-registry-bucket", "registry-storage-host-policy", []],
    ]);
    expect(d.dangers).toEqual([]);
    expect(renderText(d, { format: "text", before: "a", after: "b" })).toContain("host-iam-role  (update, moved from registry-storage-host-role)");
    expect(renderMarkdown(d, { format: "markdown", before: "a", after: "b" })).toContain("| update, moved from registry-storage-host-role | `host-iam-role` |");
  });

  it("compares a moved resource's inputs with its old ones (a replace-on-change input still replaces)", () => {
    const oldUrn = U("berth:registry:RegistryStorage$aws:iam/rolePolicy:RolePolicy", "old-policy");
    const before = snap([res(oldUrn, { role: "r", name: "registry-bucket", policy: "{}" })]);
    const after = snap([res(U("berth:host:HostRole$aws:iam/rolePolicy:RolePolicy", "new-policy"), { role: "r", name: "renamed", policy: "{}" }, [oldUrn])]);
    const [r] = diffSnapshots(before, after).resources;
    expect([r.action, r.movedFrom, r.changes.map((c) => [c.path, c.replaces !== undefined])]).toEqual(["replace", oldUrn, [["name", true]]]);
  });

  it("an alias that names nothing old, or a URN the new plan still uses, moves nothing", () => {
    const a = U("aws:iam/role:Role", "a");
    const before = snap([res(a, { description: "x" })]);
    const after = snap([res(a, { description: "x" }), res(U("aws:iam/role:Role", "b"), { description: "x" }, [a, U("aws:iam/role:Role", "gone")])]);
    const d = diffSnapshots(before, after);
    expect(d.resources.map((r) => [r.action, r.name, r.movedFrom])).toEqual([["add", "b", undefined]]);
    expect(d.unchanged).toBe(1);
  });
});
