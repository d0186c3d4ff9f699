// Pure: the TCP ports of the host, who holds each, and which configured port collides with one
// already held. One port, one owner: sshd, nginx, the Docker API, the registry and every app's
// blue, green and live port all share the host's network namespace (the apps' ports as Docker
// publications on 127.0.0.1, the live ports as DNAT rules in the nat OUTPUT chain, which catch
// every connection to 127.0.0.1 on that port, the host's own to nginx included).

/** A port and what holds it, for messages: a config key, or a fixed port with no key. */
export interface PortHolder {
  readonly port: number;
  /** The config key that sets the port, when one does. */
  readonly key?: string;
  /** What listens there, e.g. "sshd" or "nginx (HTTPS)". */
  readonly what: string;
}

/** A configured port that another holder already has. */
export interface PortCollision {
  /** The later key, the one to change. */
  readonly key: string;
  /** The value at `key`: the port, or an extra host's whole upstream URL. */
  readonly value: number | string;
  readonly port: number;
  /** Who had the port first. */
  readonly holder: PortHolder;
}

/** What decides the host's ports (a slice of the validated config). */
export interface HostPortsInput {
  readonly firewall: { readonly sshPort: number };
  readonly host: { readonly dockerApiPort: number };
  readonly registry: { readonly enabled: boolean; readonly port: number };
  readonly proxy: {
    readonly apps: ReadonlyArray<
      { readonly name: string } & {
        readonly [role in "frontend" | "backend"]?: { readonly bluePort: number; readonly greenPort: number; readonly livePort: number };
      }
    >;
    readonly extraHosts: ReadonlyArray<{ readonly upstream: string }>;
  };
}

/** nginx is installed and enabled on every host (cloud-init), so 80 and 443 are always its own. */
export const NGINX_PORTS: readonly PortHolder[] = [
  { port: 80, what: "nginx (HTTP), which runs on every Berth host" },
  { port: 443, what: "nginx (HTTPS), which runs on every Berth host" },
];

/** The port of an extra host's upstream URL (`http://127.0.0.1:8080/...`), or undefined without one. */
export function upstreamPort(upstream: string): number | undefined {
  const m = /^https?:\/\/(?:\[[^\]]*\]|[^/:]+):(\d{1,5})(?:\/|$)/.exec(upstream);
  return m ? Number(m[1]) : undefined;
}

/** How a holder reads in a message: "berth:registry.port (the registry)" or "nginx (HTTPS), ...". */
export function describeHolder(h: PortHolder): string {
  return h.key ? `${h.key} (${h.what})` : h.what;
}

/**
 * Every configured port that collides with one the host already uses, in config order. Holders
 * come first in this order: nginx's 80 and 443, sshd, the Docker API (when the registry runs,
 * which is when Berth turns it on), the registry, then each app's blue, green and live ports. An
 * extra host's upstream must be none of those, but two extra hosts may share one (two names for
 * one service).
 */
export function hostPortCollisions(cfg: HostPortsInput): PortCollision[] {
  const held = new Map<number, PortHolder>();
  const out: PortCollision[] = [];
  const claim = (h: PortHolder & { key: string }): void => {
    const prev = held.get(h.port);
    if (prev) out.push({ key: h.key, value: h.port, port: h.port, holder: prev });
    else held.set(h.port, h);
  };
  for (const h of NGINX_PORTS) held.set(h.port, h);
  claim({ port: cfg.firewall.sshPort, key: "berth:firewall.sshPort", what: "sshd" });
  if (cfg.registry.enabled) {
    claim({ port: cfg.host.dockerApiPort, key: "berth:host.dockerApiPort", what: "the Docker API" });
    claim({ port: cfg.registry.port, key: "berth:registry.port", what: "the registry" });
  }
  cfg.proxy.apps.forEach((app, ai) => {
    for (const role of ["frontend", "backend"] as const) {
      const part = app[role];
      if (!part) continue;
      for (const which of ["bluePort", "greenPort", "livePort"] as const) {
        claim({ port: part[which], key: `berth:proxy.apps[${ai}].${role}.${which}`, what: `app ${app.name}, ${role} ${which.replace("Port", "")}` });
      }
    }
  });
  cfg.proxy.extraHosts.forEach((h, i) => {
    const port = upstreamPort(h.upstream);
    const prev = port === undefined ? undefined : held.get(port);
    if (port !== undefined && prev) out.push({ key: `berth:proxy.extraHosts[${i}].upstream`, value: h.upstream, port, holder: prev });
  });
  return out;
}
