// htpasswd lines: bcrypt, cost >= 10, and identical for identical inputs (no perpetual diff).
import * as bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { deterministicBcryptSalt, htpasswdEntry, htpasswdFile } from "../../components/render/htpasswd";

describe("htpasswdEntry", () => {
  it("is a $2y$ bcrypt line with cost 10", () => {
    expect(htpasswdEntry("ci", "s3cret", "seed")).toMatch(/^ci:\$2y\$10\$[./A-Za-z0-9]{53}$/);
  });

  it("is deterministic for the same seed, user and password", () => {
    expect(htpasswdEntry("ci", "s3cret", "seed")).toBe(htpasswdEntry("ci", "s3cret", "seed"));
  });

  it.each([
    ["another seed", "ci", "s3cret", "seed2"],
    ["another password", "ci", "s3cret2", "seed"],
    ["another user", "cd", "s3cret", "seed"],
  ])("changes salt with %s", (_what, user, password, seed) => {
    const a = htpasswdEntry("ci", "s3cret", "seed").split(":")[1].slice(0, 29);
    const b = htpasswdEntry(user, password, seed).split(":")[1].slice(0, 29);
    expect(b).not.toBe(a);
  });

  it("verifies with the right password only", () => {
    const hash = htpasswdEntry("ci", "s3cret", "seed").split(":")[1];
    expect(bcrypt.compareSync("s3cret", hash)).toBe(true);
    expect(bcrypt.compareSync("wrong", hash)).toBe(false);
  });

  it("honours a higher cost and refuses a lower one", () => {
    expect(htpasswdEntry("ci", "pw", "seed", 11)).toMatch(/^ci:\$2y\$11\$/);
    expect(() => deterministicBcryptSalt("ci", "pw", "seed", 9)).toThrow(/cost/);
  });

  it.each([
    ["a colon in the user name", "a:b", "pw", /user name/],
    ["an empty user name", "", "pw", /user name/],
    ["an empty password", "ci", "", /empty/],
    ["a password bcrypt would truncate", "ci", "x".repeat(73), /72 bytes/],
  ])("refuses %s", (_what, user, password, message) => {
    expect(() => htpasswdEntry(user, password, "seed")).toThrow(message);
  });
});

describe("htpasswdFile", () => {
  it("joins lines, newline-terminated", () => {
    expect(htpasswdFile(["a:x", "b:y"])).toBe("a:x\nb:y\n");
  });
});
