// Rules for the logins Berth generates or accepts (registry, basic auth), stated once: config
// validation reports them per key, the htpasswd renderer guards its input with the same functions.
// Pure: no Pulumi, no I/O.

/** bcrypt reads at most this many bytes of a password and silently ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** Why `password` cannot be hashed into an htpasswd line without loss, or undefined when it can. */
export function bcryptPasswordProblem(password: string): string | undefined {
  if (password.length === 0) return "is empty";
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes > BCRYPT_MAX_PASSWORD_BYTES) return `is ${bytes} bytes; bcrypt reads at most ${BCRYPT_MAX_PASSWORD_BYTES} bytes and would ignore the rest`;
  return undefined;
}

/** berth:registryPassword: long enough to resist guessing, whole to bcrypt, and safe in `user:password`. */
export function registryPasswordProblem(password: string): string | undefined {
  if (password.length < 12) return `must be at least 12 characters; it has ${password.length}`;
  if (password.includes(":")) return "must not contain ':'";
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes > BCRYPT_MAX_PASSWORD_BYTES) return `must be at most ${BCRYPT_MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores the rest); it has ${bytes}`;
  return undefined;
}
