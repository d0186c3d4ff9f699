// The settings the host layer reads, declared here rather than borrowed from config/: components
// and renderers depend on these shapes only, and wiring/args.ts checks at compile time that the
// validated Config still satisfies them (so a schema change that drifts from them fails typecheck).
// Every value arrives resolved: defaults are the schema's business, none is applied here. What a
// field means is said once, on the config key it mirrors (config/schema.ts, the README's tables):
// each comment below names that key (under the berth: key in its interface's comment) and adds only
// what the host layer does with it.
import type { TlsMode } from "../../lib/certificates";

/** How the deploy program decides that a freshly started container serves (berth:proxy.apps[].frontend.health). */
export interface HealthSettings {
  /** See `path`. */
  readonly path: string;
  /** See `intervalSeconds`. */
  readonly intervalSeconds: number;
  /** See `timeoutSeconds`. */
  readonly timeoutSeconds: number;
  /** See `successes`. */
  readonly successes: number;
  /** See `deadlineSeconds`. */
  readonly deadlineSeconds: number;
}

/** A directory of the app on the host (berth:proxy.apps[].frontend.volumes[] as an object). */
export interface AppVolumeSettings {
  /** See `name`. */
  readonly name: string;
  /** See `path`. */
  readonly path: string;
  /** See `owner`. */
  readonly owner: string;
  /** See `mode`. */
  readonly mode: string;
}

/** A scheduled job of an app part (berth:proxy.apps[].frontend.jobs[]). */
export interface JobSettings {
  /** See `name`. */
  readonly name: string;
  /** See `schedule`. */
  readonly schedule: string;
  /** See `command`. */
  readonly command: readonly string[];
  /** See `timeoutSeconds`. */
  readonly timeoutSeconds: number;
}

/** One part of an app (berth:proxy.apps[].frontend or .backend): its ports, image repository and how it runs. */
export interface UpstreamSettings {
  /** See `bluePort`. */
  readonly bluePort: number;
  /** See `greenPort`. */
  readonly greenPort: number;
  /** See `livePort`. */
  readonly livePort: number;
  /** See `containerPort`. */
  readonly containerPort: number;
  /** See `repository`; unset = `<app>-frontend` or `<app>-backend` (the deploy renderer's rule). */
  readonly repository?: string;
  /** See `health`. */
  readonly health: HealthSettings;
  /** See `envFile`; unset = none. */
  readonly envFile?: string;
  /** See `volumes`: a string goes to `docker run -v` as it is, an object is a directory under /srv/berth/volumes/<app>/. */
  readonly volumes: readonly (string | AppVolumeSettings)[];
  /** See `jobs`. */
  readonly jobs: readonly JobSettings[];
  /** See `env`. */
  readonly env: Readonly<Record<string, string>>;
  /** See `secrets`. */
  readonly secrets: readonly string[];
  /** See `release`; unset = no release step. */
  readonly release?: readonly string[];
  /** See `releaseTimeoutSeconds`. */
  readonly releaseTimeoutSeconds: number;
}

/** One blue/green app behind nginx (berth:proxy.apps[]). */
export interface AppSettings {
  /** See `name`: server block, container and repository names derive from it. */
  readonly name: string;
  /** See `hostnames`. */
  readonly hostnames: readonly string[];
  /** See `frontend`. */
  readonly frontend: UpstreamSettings;
  /** See `backend`; unset = frontend only. */
  readonly backend?: UpstreamSettings;
  /** See `backendPath`. */
  readonly backendPath: string;
  /** See `initialColor`. */
  readonly initialColor: "blue" | "green";
  /** See `restart`. */
  readonly restart: "no" | "always" | "unless-stopped" | "on-failure";
  /** See `database`. */
  readonly database: boolean;
}

/** A name nginx forwards to a service on the host's loopback (berth:proxy.extraHosts[]). */
export interface ExtraHostSettings {
  /** See `hostname`. */
  readonly hostname: string;
  /** See `upstream`. */
  readonly upstream: string;
  /** See `basicAuthUser`; unset = no password. */
  readonly basicAuthUser?: string;
  /** See `websockets`. */
  readonly websockets: boolean;
  /** See `passAuthorization`. */
  readonly passAuthorization: boolean;
}

/** nginx on the host (berth:proxy). */
export interface ProxySettings {
  /** See `enabled`. */
  readonly enabled: boolean;
  /** See `apps`, in config order. */
  readonly apps: readonly AppSettings[];
  /** See `extraHosts`, in config order. */
  readonly extraHosts: readonly ExtraHostSettings[];
  /** See `hstsMaxAgeSeconds`. */
  readonly hstsMaxAgeSeconds: number;
  /** See `hstsIncludeSubdomains`. */
  readonly hstsIncludeSubdomains: boolean;
  /** See `hstsPreload`. */
  readonly hstsPreload: boolean;
  /** See `clientMaxBodySize`: nginx's `client_max_body_size` of app servers. */
  readonly clientMaxBodySize: string;
}

/** How many old tags the registry keeps, and when it prunes (berth:registry.retention). */
export interface RetentionSettings {
  /** See `keep`. */
  readonly keep: number;
  /** See `schedule`. */
  readonly schedule: string;
}

/** The private registry on the host (berth:registry). */
export interface RegistrySettings {
  /** See `enabled`. */
  readonly enabled: boolean;
  /** See `image`. */
  readonly image: string;
  /** See `username`. */
  readonly username: string;
  /** See `port`. */
  readonly port: number;
  /** See `expose`. */
  readonly expose: "direct" | "proxy";
  /** See `hostname`; unset in direct mode. */
  readonly hostname?: string;
  /** See `storage`. */
  readonly storage: "s3" | "filesystem";
  /** See `dataDir`. */
  readonly dataDir: string;
  /** See `retention`. */
  readonly retention: RetentionSettings;
}

/** The served certificate's mode (berth:tls.mode): decides whether certbot owns the files on the host. */
export interface TlsSettings {
  /** See `mode`. */
  readonly mode: TlsMode;
}

/** Host users the host layer needs (berth:host). */
export interface HostUserSettings {
  /** See `deployUser`. */
  readonly deployUser: string;
  /** See `dataVolume`: set, app volume directories must be on it (mounted at /srv/berth). */
  readonly dataVolume?: unknown;
}
