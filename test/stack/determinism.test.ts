// Two runs with the same config must send identical inputs: otherwise `pulumi preview` after
// `pulumi up` shows changes that nobody made. The shared run usually comes from another test
// file's worker, so this compares two processes as well.
import { describe, expect, it } from "vitest";
import { run, sharedRun, type RunResult, type ShippedStack } from "../helpers/stack";

function inputsByUrn(r: RunResult): Record<string, unknown> {
  return Object.fromEntries(r.resources.map((x) => [x.urn, x.inputs]));
}

describe.each<ShippedStack>(["dev", "prod"])("%s", (stack) => {
  it("produces identical resource inputs and outputs on a second run", async () => {
    const a = await sharedRun(stack);
    const b = await run(stack);
    expect(Object.keys(inputsByUrn(b)).sort()).toEqual(Object.keys(inputsByUrn(a)).sort());
    expect(inputsByUrn(b)).toEqual(inputsByUrn(a));
    expect(b.outputs).toEqual(a.outputs);
  });
});
