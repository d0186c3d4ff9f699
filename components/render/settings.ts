// The settings the host layer reads, declared here rather than borrowed from config/: components
// and renderers depend on these shapes only, and wiring/args.ts checks at compile time that the
// validated Config still satisfies them (so a schema change that drifts from them fails typecheck).
// Every value arrives resolved: defaults are the schema's business, none is applied here.
import type { TlsMode } from "../../lib/certificates";

/** How the deploy program decides that a freshly started container serves (berth:proxy.apps[].frontend.health). */
export interface HealthSettings {
  /** URL path probed on the container's loopback port, e.g. "/healthz"; any 2xx or 3xx answer counts. */
  readonly path: string;
  /** Seconds between two probes. */
  readonly intervalSeconds: number;
  /** Seconds one probe may take. */
  readonly timeoutSeconds: number;
  /** Healthy answers in a row before the part counts as healthy. */
  readonly successes: number;
  /** Seconds the whole check may take before the deploy fails and the old color keeps serving. */
  readonly deadlineSeconds: number;
}

/** One part of an app (frontend or backend): its ports, image repository and how it runs. */
export interface UpstreamSettings {
  /** Host port of the blue color's container. */
  readonly bluePort: number;
  /** Host port of the green color's container. */
  readonly greenPort: number;
  /** Fixed loopback port nginx proxies to; the switch forwards it to the live color's port. */
  readonly livePort: number;
  /** Port the container listens on inside. */
  readonly containerPort: number;
  /** Repository in the stack's registry; unset = `<app>-frontend` or `<app>-backend` (the deploy renderer's rule). */
  readonly repository?: string;
  /** The health check a new color must pass. */
  readonly health: HealthSettings;
  /** Absolute path of an env file on the host (`docker run --env-file`); unset = none. */
  readonly envFile?: string;
  /** `docker run -v` specs, `HOST_PATH:CONTAINER_PATH[:ro|:rw]` or `VOLUME_NAME:CONTAINER_PATH[:ro|:rw]`. */
  readonly volumes: readonly string[];
}

/** One blue/green app behind nginx (berth:proxy.apps[]). */
export interface AppSettings {
  /** App name: server block, container and repository names derive from it. */
  readonly name: string;
  /** Names the app answers to; empty = the catch-all server reached by IP. */
  readonly hostnames: readonly string[];
  /** The part that serves `/`. */
  readonly frontend: UpstreamSettings;
  /** The part that serves `backendPath`; unset = frontend only. */
  readonly backend?: UpstreamSettings;
  /** Path prefix the backend serves, e.g. "/api". */
  readonly backendPath: string;
  /** Color that is live when the host is first set up; afterwards the deploy program owns it. */
  readonly initialColor: "blue" | "green";
  /** Docker restart policy of the app's containers. */
  readonly restart: "no" | "always" | "unless-stopped" | "on-failure";
}

/** A name nginx forwards to a service on the host's loopback (berth:proxy.extraHosts[]). */
export interface ExtraHostSettings {
  /** The served name, e.g. "jenkins.example.com". */
  readonly hostname: string;
  /** Loopback URL nginx forwards to, e.g. "http://127.0.0.1:8080". */
  readonly upstream: string;
  /** Basic-auth login nginx asks for before forwarding; unset = no password. */
  readonly basicAuthUser?: string;
  /** Pass WebSocket upgrades through. */
  readonly websockets: boolean;
  /** Forward the client's Authorization header to the upstream. */
  readonly passAuthorization: boolean;
}

/** nginx on the host (berth:proxy). */
export interface ProxySettings {
  /** Whether nginx runs on the host at all. */
  readonly enabled: boolean;
  /** Blue/green apps, in config order. */
  readonly apps: readonly AppSettings[];
  /** Names forwarded to loopback services, in config order. */
  readonly extraHosts: readonly ExtraHostSettings[];
  /** HSTS max-age in seconds; 0 tells browsers to forget the policy. */
  readonly hstsMaxAgeSeconds: number;
  /** HSTS for every subdomain of each served name too. */
  readonly hstsIncludeSubdomains: boolean;
  /** Ask browsers to preload the HSTS policy. */
  readonly hstsPreload: boolean;
  /** nginx `client_max_body_size` of app servers, e.g. "10m". */
  readonly clientMaxBodySize: string;
}

/** How many old tags the registry keeps, and when it prunes (berth:registry.retention). */
export interface RetentionSettings {
  /** Newest tags kept per repository. */
  readonly keep: number;
  /** systemd OnCalendar expression of the retention run, e.g. "Sun *-*-* 04:00:00". */
  readonly schedule: string;
}

/** The private registry on the host (berth:registry). */
export interface RegistrySettings {
  /** Whether the registry runs at all. */
  readonly enabled: boolean;
  /** Exact registry image, e.g. "registry:3.0.0". */
  readonly image: string;
  /** The registry's single basic-auth login. */
  readonly username: string;
  /** Port the registry listens on (direct: the public port; proxy: on 127.0.0.1 behind nginx). */
  readonly port: number;
  /** direct: clients reach https://<ip>:<port>; proxy: nginx serves it as `hostname`. */
  readonly expose: "direct" | "proxy";
  /** Public name in proxy mode, e.g. "docker.example.com"; unset in direct mode. */
  readonly hostname?: string;
  /** Where image data lives: the stack's S3 bucket, or `dataDir` on the host. */
  readonly storage: "s3" | "filesystem";
  /** Absolute host directory for image data (storage: filesystem). */
  readonly dataDir: string;
  /** Tag retention on the host. */
  readonly retention: RetentionSettings;
}

/** The served certificate's mode (berth:tls.mode): decides whether certbot owns the files on the host. */
export interface TlsSettings {
  /** How the served certificate is made. */
  readonly mode: TlsMode;
}

/** Host users the host layer needs (berth:host). */
export interface HostUserSettings {
  /** Non-root login CI deploys as; its key runs the deploy program only. */
  readonly deployUser: string;
}
