// The distribution registry's config.yml, rendered from typed input.
//
// Paths are inputs, not constants: on the host the registry container mounts the host's
// directories at the same paths, and the local rehearsal points the same renderer at a scratch
// directory. The text is written by hand (not via a YAML library) so the golden files show
// exactly what the registry reads, in a fixed order.

/** Everything the registry's config depends on. */
export interface RegistryConfigSpec {
  /** `http.addr`: ":5000" inside a container, "127.0.0.1:<port>" in the rehearsal. */
  readonly listenAddress: string;
  /** Where image data lives (`storage.filesystem.rootdirectory`). */
  readonly dataDir: string;
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

/** config.yml for `registry serve`. */
export function renderRegistryConfig(spec: RegistryConfigSpec): string {
  const lines = [
    "# Managed by Berth (components/render/registry.ts). Changes here are overwritten on the next update.",
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${quote(spec.dataDir)}`,
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
    lines.push(
      "  tls:",
      `    certificate: ${quote(spec.tls.certificatePath)}`,
      `    key: ${quote(spec.tls.keyPath)}`,
      "    minimumtls: tls1.2",
    );
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
