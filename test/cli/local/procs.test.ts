// cli/local/procs.ts: run() feeds a program its input; a program that exits without reading it all
// closes the pipe, and that EPIPE must neither crash the caller nor hide the program's exit code.
import { describe, expect, it } from "vitest";
import { run } from "../../../cli/local/procs";

describe("run", () => {
  it("returns the exit code of a program that never reads its input (EPIPE is not an error)", async () => {
    const big = "x".repeat(8 * 1024 * 1024);
    for (const [bin, code] of [
      ["true", 0],
      ["false", 1],
    ] as const) {
      const r = await run(bin, [], { input: big });
      expect(r.code).toBe(code);
    }
  });

  it("still feeds a program that reads its input", async () => {
    const r = await run("cat", [], { input: "hello\n" });
    expect(r).toEqual({ code: 0, stdout: "hello\n", stderr: "" });
  });
});
