// cli/local/procs.ts: run() feeds a program its input; a program that exits without reading it all
// closes the pipe, and that EPIPE must neither crash the caller nor hide the program's exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimFreePort, claimPort, freePort, releasePorts, run } from "../../../cli/local/procs";

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

describe("port claims", () => {
  const made: string[] = [];
  const tmp = (prefix: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("gives a port to one rehearsal only, until it releases it", () => {
    const claims = tmp("claims-");
    const a = tmp("rehearsal-a-");
    const b = tmp("rehearsal-b-");
    expect(claimPort(40001, a, claims)).toBe(true);
    expect(claimPort(40001, a, claims)).toBe(true); // its own claim again
    expect(claimPort(40001, b, claims)).toBe(false);
    expect(fs.readFileSync(path.join(claims, "40001"), "utf8")).toBe(fs.realpathSync(a));
    releasePorts(b, claims);
    expect(claimPort(40001, b, claims)).toBe(false);
    releasePorts(a, claims);
    expect(claimPort(40001, b, claims)).toBe(true);
  });

  it("drops a claim whose rehearsal directory is gone", () => {
    const claims = tmp("claims-");
    const a = tmp("rehearsal-a-");
    const b = tmp("rehearsal-b-");
    expect(claimPort(40002, a, claims)).toBe(true);
    fs.rmSync(a, { recursive: true });
    expect(claimPort(40002, b, claims)).toBe(true);
  });

  it("never hands out a claimed port, even when the kernel calls it free", async () => {
    const claims = tmp("claims-");
    const a = tmp("rehearsal-a-");
    expect(claimPort(40003, a, claims)).toBe(true);
    const offers = [40003, 40003, 40004];
    expect(await freePort(claims, () => Promise.resolve(offers.shift()!))).toBe(40004);
  });

  it("claims a free port the kernel offers", async () => {
    const claims = tmp("claims-");
    const a = tmp("rehearsal-a-");
    const port = await claimFreePort(a, claims);
    expect(fs.readFileSync(path.join(claims, String(port)), "utf8")).toBe(fs.realpathSync(a));
  });
});
