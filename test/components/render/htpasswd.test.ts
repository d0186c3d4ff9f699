// htpasswd lines: bcrypt, cost >= 10, and identical for identical inputs (no perpetual diff).
import * as bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { deterministicBcryptSalt, htpasswdEntry, htpasswdFile } from "../../../components/render/htpasswd";

const KEY = "a-secret-salt-key-kept-in-state";

describe("htpasswdEntry", () => {
  it("is a $2y$ bcrypt line with cost 10", () => {
    expect(htpasswdEntry("ci", "s3cret", KEY)).toMatch(/^ci:\$2y\$10\$[./A-Za-z0-9]{53}$/);
  });

  it("is deterministic for the same seed, user and password", () => {
    expect(htpasswdEntry("ci", "s3cret", KEY)).toBe(htpasswdEntry("ci", "s3cret", KEY));
  });

  it.each([
    ["another seed", "ci", "s3cret", "another-secret-key-2"],
    ["another password", "ci", "s3cret2", KEY],
    ["another user", "cd", "s3cret", KEY],
  ])("changes salt with %s", (_what, user, password, seed) => {
    const a = htpasswdEntry("ci", "s3cret", KEY).split(":")[1].slice(0, 29);
    const b = htpasswdEntry(user, password, seed).split(":")[1].slice(0, 29);
    expect(b).not.toBe(a);
  });

  it("verifies with the right password only", () => {
    const hash = htpasswdEntry("ci", "s3cret", KEY).split(":")[1];
    expect(bcrypt.compareSync("s3cret", hash)).toBe(true);
    expect(bcrypt.compareSync("wrong", hash)).toBe(false);
  });

  it("needs a secret key for its salt, and the salt is no plain hash of the password", async () => {
    expect(() => htpasswdEntry("ci", "pw", "short")).toThrow(/salt key/);
    // Without the key, the salt of a known line cannot be recomputed from a guessed password.
    const { createHash } = await import("node:crypto");
    const salt = htpasswdEntry("ci", "s3cret", KEY).split(":")[1].slice(7, 29);
    const unkeyed = bcrypt.encodeBase64(createHash("sha256").update("ci\0s3cret").digest().subarray(0, 16), 16).slice(0, 22);
    expect(salt).not.toBe(unkeyed);
  });

  it("honours a higher cost and refuses a lower one", () => {
    expect(htpasswdEntry("ci", "pw", KEY, 11)).toMatch(/^ci:\$2y\$11\$/);
    expect(() => deterministicBcryptSalt("ci", "pw", KEY, 9)).toThrow(/cost/);
  });

  it.each([
    ["a colon in the user name", "a:b", "pw", /user name/],
    ["an empty user name", "", "pw", /user name/],
    ["an empty password", "ci", "", /empty/],
    ["a password bcrypt would truncate", "ci", "x".repeat(73), /72 bytes/],
  ])("refuses %s", (_what, user, password, message) => {
    expect(() => htpasswdEntry(user, password, KEY)).toThrow(message);
  });
});

describe("htpasswdFile", () => {
  it("joins lines, newline-terminated", () => {
    expect(htpasswdFile(["a:x", "b:y"])).toBe("a:x\nb:y\n");
  });
});
