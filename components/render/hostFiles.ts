// The complete set of host files for one stack: nginx, registry config, htpasswd, TLS material.
//
// One function serves the real host (root "/", ports 80/443, the registry on <registry.port>: in its
// container, or on the host's network with storage s3) and the local rehearsal (root <dir>, 127.0.0.1, free ports): only HostFilesOptions
// differ, never the renderers. Pure: no Pulumi, no file system, no processes.
import * as posix from "node:path/posix";
import { htpasswdFile } from "./htpasswd";
import { renderNginxFiles, type NginxSpec } from "./nginx";
import { HOST_PATHS, reroot, type HostFile, type HostService } from "./paths";
import { renderRegistryConfig } from "./registry";
import type { ProxySettings, RegistrySettings, TlsSettings } from "./settings";

/** The settings the host files are rendered from (Config satisfies it: see wiring/args.ts). */
export interface HostLayerConfig {
  /** The registry: its config file, htpasswd, container and nginx server block. Retention is the deploy tooling's. */
  readonly registry: Omit<RegistrySettings, "retention">;
  /** nginx: apps, extra hosts, HSTS and body size. */
  readonly proxy: ProxySettings;
  /** Only the mode: letsencrypt hands the served files to certbot. */
  readonly tls: TlsSettings;
}

/** PEM material served by nginx (and by the registry in direct mode). */
export interface TlsMaterial {
  /** Server certificate, followed by any intermediates. */
  readonly certPem: string;
  /** Private key of the server certificate. */
  readonly keyPem: string;
  /** CA that clients should trust (self-signed mode); written next to the certificate when set. */
  readonly caPem?: string;
}

/** The registry's single user. */
export interface RegistryCredentials {
  /** The registry's login; must be the configured `registry.username`. */
  readonly username: string;
  /** `username:$2y$...` as produced by htpasswdEntry (deterministic). */
  readonly htpasswdLine: string;
}

/** Where and how the files are laid out; defaults describe the real host. */
export interface HostFilesOptions {
  /** Prefix for every path Berth writes. @default "/" */
  readonly root?: string;
  /** Address nginx binds. @default all addresses */
  readonly listenAddress?: string;
  /** @default 80 */
  readonly httpPort?: number;
  /** @default 443 */
  readonly httpsPort?: number;
  /** Host port where nginx reaches the plain-HTTP registry on 127.0.0.1. @default config.registry.port */
  readonly registryPort?: number;
  /** The registry's own `http.addr`. @default registryListenAddress(config) */
  readonly registryListenAddress?: string;
  /** More names for the proxied registry's server block (the rehearsal adds 127.0.0.1 and localhost). @default [] */
  readonly registryExtraServerNames?: readonly string[];
  /** nginx worker user; null = no `user` line. @default "www-data" (Debian/Ubuntu) */
  readonly nginxUser?: string | null;
  /** Put nginx's temp files under root (the rehearsal runs without /var/lib/nginx). @default false */
  readonly nginxTempUnderRoot?: boolean;
}

/** The registry's S3 bucket (storage: s3); known once the bucket exists. */
export interface RegistryBucket {
  /** Bucket name. */
  readonly bucket: string;
  /** AWS region of the bucket (the stack's region). */
  readonly region: string;
}

/** Names served through a CDN proxy, and the proxy's address ranges (nginx restores the client address). */
export interface RealIpSource {
  /** Served names whose DNS record is proxied by Cloudflare. */
  readonly names: readonly string[];
  /** Cloudflare's IPv4 and IPv6 ranges: only connections from these may set the client address. */
  readonly ranges: readonly string[];
}

/** Everything `hostFiles` renders from. */
export interface HostFilesInput {
  /** The settings the files are rendered from. */
  readonly config: HostLayerConfig;
  /** Required when the registry stores its data in S3. */
  readonly registryBucket?: RegistryBucket;
  /** Cloudflare-proxied names and Cloudflare's ranges; unset = no name is proxied. */
  readonly realIp?: RealIpSource;
  /**
   * Served certificate and key. Required unless tls.mode is letsencrypt; in that mode, when given,
   * it is written once at the served paths (tlsFilePaths) as a bootstrap so nginx can start before
   * the first issuance, after which certbot's deploy hook replaces it.
   */
  readonly tls?: TlsMaterial;
  /** Required when the registry is enabled. */
  readonly registry?: RegistryCredentials;
  /** htpasswd line(s) per extra-host name that has basicAuthUser. */
  readonly extraHostAuth?: Readonly<Record<string, string>>;
  /** Layout; unset = the real host's. */
  readonly options?: HostFilesOptions;
}

/** Paths of the served certificate and key on the host (before re-rooting). */
export interface TlsFilePaths {
  /** Served certificate chain. */
  readonly certificate: string;
  /** Its private key. */
  readonly key: string;
  /** Where the client CA goes when one is given; unset for letsencrypt. */
  readonly ca?: string;
  /** True when certbot's deploy hook writes the files (letsencrypt), so Berth writes them only once if at all. */
  readonly certbotManaged: boolean;
}

/**
 * Where the served certificate and key live. Always /etc/berth/tls/server.{crt,key}, so nginx and
 * the registry never depend on the TLS mode. letsencrypt: certbot keeps its own lineage under
 * /etc/letsencrypt and its deploy hook copies each new pair here (render/certbot.ts
 * renderDeployHook); Berth writes a bootstrap pair once so nginx can start before the first issuance.
 */
export function tlsFilePaths(config: HostLayerConfig): TlsFilePaths {
  const certbotManaged = config.tls.mode === "letsencrypt";
  return {
    certificate: HOST_PATHS.tlsCertificate,
    key: HOST_PATHS.tlsPrivateKey,
    ...(certbotManaged ? {} : { ca: HOST_PATHS.tlsCa }),
    certbotManaged,
  };
}

/** A bind mount for the registry container. */
export interface ContainerMount {
  /** Directory on the host. */
  readonly hostPath: string;
  /** Where it appears inside the container. */
  readonly containerPath: string;
  /** Mounted read-only. */
  readonly readOnly: boolean;
}

/** How the registry container runs so that the rendered paths are valid inside it. */
export interface RegistryContainerSpec {
  /** Exact image from config, e.g. registry:3.0.0. */
  readonly image: string;
  /** Arguments to the image's entrypoint: the config file path. */
  readonly command: readonly string[];
  /** Host directories mounted at the same paths inside, so one config serves both. */
  readonly mounts: readonly ContainerMount[];
  /**
   * bridge: Docker's network, `port` published on `publishIp`. host: the host's own network, where
   * the registry binds its `http.addr` itself: the only way it reaches the instance metadata
   * service (IMDSv2 with a hop limit of 1 keeps every bridged container away from the host role).
   */
  readonly network: "bridge" | "host";
  /** bridge: publish `port` on this host IP: 127.0.0.1 behind nginx, 0.0.0.0 in direct mode. */
  readonly publishIp: string;
  /** Container and host port. */
  readonly port: number;
}

/** Container settings matching `hostFiles` on the real host. */
export function registryContainerSpec(config: HostLayerConfig): RegistryContainerSpec {
  const reg = config.registry;
  const mounts: ContainerMount[] = [{ hostPath: HOST_PATHS.registryConfigDir, containerPath: HOST_PATHS.registryConfigDir, readOnly: true }];
  if (reg.storage === "filesystem") mounts.push({ hostPath: reg.dataDir, containerPath: reg.dataDir, readOnly: false });
  if (reg.expose === "direct") {
    mounts.push({ hostPath: HOST_PATHS.tlsDir, containerPath: HOST_PATHS.tlsDir, readOnly: true });
  }
  return {
    image: reg.image,
    command: [HOST_PATHS.registryConfig],
    mounts,
    network: reg.storage === "s3" ? "host" : "bridge",
    publishIp: reg.expose === "proxy" ? "127.0.0.1" : "0.0.0.0",
    port: reg.port,
  };
}

/**
 * The registry's own `http.addr` on the host. In Docker's bridge network it listens on every
 * address inside its container (the publish address limits it); on the host network it binds
 * 127.0.0.1 itself behind nginx, and every address in direct mode (the firewall limits it).
 */
export function registryListenAddress(config: HostLayerConfig): string {
  const reg = config.registry;
  return registryContainerSpec(config).network === "host" && reg.expose === "proxy" ? `127.0.0.1:${reg.port}` : `:${reg.port}`;
}

/** Directories that must exist besides the files' parents (created empty, never removed). */
export function hostDirectories(config: HostLayerConfig, options: HostFilesOptions = {}): string[] {
  const registryData = config.registry.enabled && config.registry.storage === "filesystem" ? [reroot(options.root ?? "/", config.registry.dataDir)] : [];
  return [...nginxDirectories(config, options), ...registryData];
}

/** The directories nginx writes to (ACME webroot, logs, maintenance flags, pid, temp files under a scratch root); none without the proxy. */
export function nginxDirectories(config: Pick<HostLayerConfig, "proxy">, options: HostFilesOptions = {}): string[] {
  if (!config.proxy.enabled) return [];
  const dirs = [HOST_PATHS.acmeWebroot, HOST_PATHS.nginxLogDir, HOST_PATHS.maintenanceDir, posix.dirname(HOST_PATHS.nginxPid)];
  if (options.nginxTempUnderRoot) dirs.push("/var/lib/nginx");
  return dirs.map((d) => reroot(options.root ?? "/", d));
}

/** The nginx spec `hostFiles` renders from (exported for the deploy tooling and tests). */
export function nginxSpec(input: HostFilesInput): NginxSpec {
  const { config } = input;
  const o = input.options ?? {};
  const root = o.root ?? "/";
  const r = (p: string): string => reroot(root, p);
  const tlsPaths = tlsFilePaths(config);
  const reg = config.registry;
  const user = o.nginxUser === undefined ? "www-data" : o.nginxUser;
  return {
    paths: {
      mainConfig: r(HOST_PATHS.nginxConf),
      berthDir: r(HOST_PATHS.nginxBerthDir),
      pidFile: r(HOST_PATHS.nginxPid),
      logDir: r(HOST_PATHS.nginxLogDir),
      acmeWebroot: r(HOST_PATHS.acmeWebroot),
      maintenanceDir: r(HOST_PATHS.maintenanceDir),
      // Shipped by the nginx package, so never re-rooted.
      mimeTypes: HOST_PATHS.nginxMimeTypes,
      ...(o.nginxTempUnderRoot ? { tempDir: r("/var/lib/nginx") } : {}),
    },
    ...(user !== null ? { user } : {}),
    ...(o.listenAddress ? { listenAddress: o.listenAddress } : {}),
    httpPort: o.httpPort ?? 80,
    httpsPort: o.httpsPort ?? 443,
    certificatePath: r(tlsPaths.certificate),
    keyPath: r(tlsPaths.key),
    hstsMaxAgeSeconds: config.proxy.hstsMaxAgeSeconds,
    hstsIncludeSubdomains: config.proxy.hstsIncludeSubdomains,
    hstsPreload: config.proxy.hstsPreload,
    ...(input.realIp && input.realIp.names.length > 0 ? { realIp: input.realIp } : {}),
    clientMaxBodySize: config.proxy.clientMaxBodySize,
    apps: config.proxy.apps,
    extraHosts: config.proxy.extraHosts.map((h) => {
      if (h.basicAuthUser === undefined) return { hostname: h.hostname, upstream: h.upstream, websockets: h.websockets };
      const line = input.extraHostAuth?.[h.hostname];
      if (line === undefined) throw new Error(`extra host ${h.hostname} has basicAuthUser but no htpasswd entry was given`);
      if (!line.startsWith(`${h.basicAuthUser}:`)) throw new Error(`htpasswd entry for ${h.hostname} must be for user ${h.basicAuthUser}`);
      return {
        hostname: h.hostname,
        upstream: h.upstream,
        websockets: h.websockets,
        basicAuthHtpasswd: htpasswdFile([line]),
        passAuthorization: h.passAuthorization,
      };
    }),
    ...(reg.enabled && reg.expose === "proxy" && reg.hostname
      ? { registry: { hostnames: [reg.hostname, ...(o.registryExtraServerNames ?? [])], upstream: `127.0.0.1:${o.registryPort ?? reg.port}` } }
      : {}),
  };
}

/** Every file the stack puts on the host, in a stable order (nginx, registry, TLS). */
export function hostFiles(input: HostFilesInput): HostFile[] {
  const { config } = input;
  const o = input.options ?? {};
  const root = o.root ?? "/";
  const r = (p: string): string => reroot(root, p);
  const reg = config.registry;
  const files: HostFile[] = [];
  const needsTls = config.proxy.enabled || (reg.enabled && reg.expose === "direct");
  const tlsPaths = tlsFilePaths(config);

  if (config.proxy.enabled) files.push(...renderNginxFiles(nginxSpec(input)));

  if (reg.enabled) {
    if (!input.registry) throw new Error("the registry is enabled but no credentials were given");
    if (input.registry.username !== reg.username) throw new Error(`registry credentials are for "${input.registry.username}", config says "${reg.username}"`);
    if (!input.registry.htpasswdLine.startsWith(`${reg.username}:$2`))
      throw new Error("the registry htpasswd entry must be a bcrypt line for the configured user");
    if (reg.storage === "s3" && !input.registryBucket) throw new Error("registry storage is s3 but no bucket was given");
    files.push({
      path: r(HOST_PATHS.registryConfig),
      mode: 0o644,
      usedBy: ["registry"],
      content: renderRegistryConfig({
        listenAddress: o.registryListenAddress ?? registryListenAddress(config),
        storage:
          reg.storage === "s3"
            ? { kind: "s3", bucket: input.registryBucket!.bucket, region: input.registryBucket!.region }
            : { kind: "filesystem", rootDirectory: r(reg.dataDir) },
        htpasswdPath: r(HOST_PATHS.registryHtpasswd),
        ...(reg.expose === "direct" ? { tls: { certificatePath: r(tlsPaths.certificate), keyPath: r(tlsPaths.key) } } : {}),
      }),
    });
    files.push({ path: r(HOST_PATHS.registryHtpasswd), mode: 0o600, secret: true, usedBy: ["registry"], content: htpasswdFile([input.registry.htpasswdLine]) });
  }

  if (needsTls) {
    if (input.tls) {
      // For letsencrypt these are a bootstrap: written only when absent, then certbot's hook owns them.
      const once = tlsPaths.certbotManaged ? { createOnly: true } : {};
      const usedBy: HostService[] = [
        ...(config.proxy.enabled ? ["nginx" as const] : []),
        ...(reg.enabled && reg.expose === "direct" ? ["registry" as const] : []),
      ];
      files.push({ path: r(tlsPaths.certificate), mode: 0o644, usedBy, content: ensureNewline(input.tls.certPem), ...once });
      files.push({ path: r(tlsPaths.key), mode: 0o600, secret: true, usedBy, content: ensureNewline(input.tls.keyPem), ...once });
      // For clients to download; no service reads it.
      if (input.tls.caPem !== undefined && tlsPaths.ca) files.push({ path: r(tlsPaths.ca), mode: 0o644, usedBy: [], content: ensureNewline(input.tls.caPem) });
    } else if (!tlsPaths.certbotManaged) {
      throw new Error(`tls.mode ${config.tls.mode} needs the certificate and key to put on the host`);
    }
  }
  return files;
}

function ensureNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}
