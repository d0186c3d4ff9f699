// Deterministic bcrypt htpasswd lines for the registry and for nginx basic auth.
//
// The registry only accepts bcrypt entries, and a fresh random salt on every `pulumi preview` would
// make the htpasswd file differ on every run (a perpetual diff that re-copies the file and restarts
// the registry). So the salt is HMAC(saltKey, username, password): the same inputs always give the
// same line, and a new password gives a new salt. The key must be a secret kept in the stack's
// state (the components generate one): with a public key the salt would be a fast hash of the
// password, letting anyone who holds the htpasswd line test guesses without paying bcrypt's cost.
import { createHash, createHmac } from "node:crypto";
import * as bcrypt from "bcryptjs";
import { bcryptPasswordProblem } from "../../lib/credentials";

/** bcrypt work factor. 10 is the registry's and Apache's default; lower is refused. */
export const HTPASSWD_BCRYPT_COST = 10;

/**
 * Salt for `htpasswdEntry`: the first 16 bytes of HMAC-SHA256(saltKey, username NUL password), in
 * bcrypt's base64. The NUL keeps ("ab", "c") and ("a", "bc") apart.
 */
export function deterministicBcryptSalt(username: string, password: string, saltKey: string, cost: number = HTPASSWD_BCRYPT_COST): string {
  if (!Number.isInteger(cost) || cost < 10 || cost > 31) throw new Error(`bcrypt cost must be an integer from 10 to 31, got ${cost}`);
  if (saltKey.length < 16) throw new Error("htpasswd salt key must be a secret of at least 16 characters");
  const digest = createHmac("sha256", saltKey).update(`${username}\0${password}`, "utf8").digest();
  // $2b$ and $2y$ are the same algorithm; bcryptjs wants $2b$ (or $2a$) in the salt it is given.
  return `$2b$${String(cost).padStart(2, "0")}$${bcrypt.encodeBase64(digest.subarray(0, 16), 16)}`;
}

/** Lines already computed in this process, by a hash of their inputs (see htpasswdEntry). */
const lines = new Map<string, string>();

/**
 * One htpasswd line, `username:$2y$10$...`, with a salt derived under `saltKey` (see above).
 * `$2y$` is what Apache's `htpasswd -B` writes; Apache, nginx (via crypt) and the registry accept it.
 * Throws for a username that cannot appear in an htpasswd file or a password bcrypt would truncate.
 */
export function htpasswdEntry(username: string, password: string, saltKey: string, cost: number = HTPASSWD_BCRYPT_COST): string {
  if (!/^[^:\s]{1,255}$/.test(username)) throw new Error(`htpasswd user name "${username}" must be non-empty, without ':' or whitespace`);
  const problem = bcryptPasswordProblem(password);
  if (problem !== undefined) throw new Error(`htpasswd password for "${username}" ${problem}`);
  // bcrypt is slow on purpose, and a program run (preview, plan, every mock-engine test) hashes the
  // same inputs again; the line is a pure function of them, so one process computes it once.
  const key = createHash("sha256")
    .update(JSON.stringify([username, password, saltKey, cost]))
    .digest("hex");
  let line = lines.get(key);
  if (line === undefined) {
    const hash = bcrypt.hashSync(password, deterministicBcryptSalt(username, password, saltKey, cost));
    line = `${username}:$2y$${hash.slice(4)}`;
    lines.set(key, line);
  }
  return line;
}

/** An htpasswd file from its lines (one per user), newline-terminated. */
export function htpasswdFile(entries: readonly string[]): string {
  return entries.map((e) => `${e}\n`).join("");
}
