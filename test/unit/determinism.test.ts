// Two runs with the same config must send identical inputs: otherwise `pulumi preview` after
// `pulumi up` shows changes that nobody made.
import { describe, expect, it } from "vitest";
import { run, type RunResult } from "../helpers/stack";

function inputsByUrn(r: RunResult): Record<string, unknown> {
  return Object.fromEntries(r.resources.map((x) => [x.urn, x.inputs]));
}

describe.each(["dev", "prod"])("%s", (stack) => {
  it("produces identical resource inputs and outputs on a second run", async () => {
    const a = await run(stack);
    const b = await run(stack);
    expect(Object.keys(inputsByUrn(b)).sort()).toEqual(Object.keys(inputsByUrn(a)).sort());
    expect(inputsByUrn(b)).toEqual(inputsByUrn(a));
    expect(b.outputs).toEqual(a.outputs);
  });
});
