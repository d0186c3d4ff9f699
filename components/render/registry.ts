// The distribution registry's config.yml, rendered from typed input.
//
// Paths are inputs, not constants: on the host the registry container mounts the host's
// directories at the same paths, and the local rehearsal points the same renderer at a scratch
// directory. The text is written by hand (not via a YAML library) so the golden files show
// exactly what the registry reads, in a fixed order.

/** Image data in a host directory (the root volume: it goes with the host). */
export interface FilesystemStorage {
  readonly kind: "filesystem";
  /** `storage.filesystem.rootdirectory`. */
  readonly rootDirectory: string;
}

/** Image data in the stack's S3 bucket, reached with the host's instance profile (no keys in the file). */
export interface S3Storage {
  readonly kind: "s3";
  readonly bucket: string;
  readonly region: string;
}

/** Everything the registry's config depends on. */
export interface RegistryConfigSpec {
  /** `http.addr`: ":5000" inside a container, "127.0.0.1:<port>" in the rehearsal. */
  readonly listenAddress: string;
  /** Where image data lives. */
  readonly storage: FilesystemStorage | S3Storage;
  /** htpasswd file with bcrypt entries; must exist before the registry starts. */
  readonly htpasswdPath: string;
  /** Basic-auth realm shown to clients. @default "Berth registry" */
  readonly realm?: string;
  /** Serve TLS directly (dev's `expose: direct`); omit when nginx terminates TLS. */
  readonly tls?: {
    /** PEM certificate chain (server certificate first). */
    readonly certificatePath: string;
    /** PEM private key. */
    readonly keyPath: string;
  };
}

function quote(s: string): string {
  // JSON strings are valid YAML double-quoted scalars.
  return JSON.stringify(s);
}

function storageLines(storage: FilesystemStorage | S3Storage): string[] {
  if (storage.kind === "filesystem") return ["  filesystem:", `    rootdirectory: ${quote(storage.rootDirectory)}`];
  if (!/^[a-z0-9-]{3,63}$/.test(storage.bucket)) throw new Error(`registry: bucket name ${JSON.stringify(storage.bucket)} is not a plain S3 bucket name`);
  return [
    "  # No access keys: the driver takes the host role's short-lived credentials from IMDSv2.",
    "  s3:",
    `    region: ${quote(storage.region)}`,
    `    bucket: ${quote(storage.bucket)}`,
    "    # Objects are encrypted at rest (SSE-S3) besides the bucket's own default.",
    "    encrypt: true",
    "    secure: true",
    "    # The bucket has ACLs disabled (bucket owner enforced): S3 accepts only this canned ACL.",
    "    objectacl: bucket-owner-full-control",
    "  # Blobs go through the registry instead of pre-signed S3 links: clients need to reach only",
    "  # the registry, and no link that bypasses its authentication ever leaves the host.",
    "  redirect:",
    "    disable: true",
  ];
}

/**
 * config.yml for `registry serve`. `http.secret` is never in this file (it is public: a preview
 * shows it): the container gets it as REGISTRY_HTTP_SECRET, a secret of the stack.
 */
export function renderRegistryConfig(spec: RegistryConfigSpec): string {
  const lines = [
    "# Managed by Berth (components/render/registry.ts). Changes here are overwritten on the next update.",
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    ...storageLines(spec.storage),
    "  # Lets the retention job delete manifests; blobs are reclaimed by an offline garbage-collect.",
    "  delete:",
    "    enabled: true",
    "  # Abandoned uploads (a push cut off halfway) are removed after a week.",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: true",
    "      age: 168h",
    "      interval: 24h",
    "      dryrun: false",
    "http:",
    `  addr: ${quote(spec.listenAddress)}`,
    "  headers:",
    "    X-Content-Type-Options: [nosniff]",
  ];
  if (spec.tls) {
    lines.push("  tls:", `    certificate: ${quote(spec.tls.certificatePath)}`, `    key: ${quote(spec.tls.keyPath)}`, "    minimumtls: tls1.2");
  }
  lines.push(
    "auth:",
    "  htpasswd:",
    `    realm: ${quote(spec.realm ?? "Berth registry")}`,
    `    path: ${quote(spec.htpasswdPath)}`,
    "health:",
    "  storagedriver:",
    "    enabled: true",
    "    interval: 10s",
    "    threshold: 3",
  );
  return `${lines.join("\n")}\n`;
}
