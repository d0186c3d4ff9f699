// Pure: the host's inbound rules, resolved from config into one flat list (one entry per
// source CIDR) with stable logical names. The Firewall component turns each into a resource.

export interface HostIngressRule {
  /** Stable logical-name suffix, e.g. "tcp-22-198-51-100-0-24". */
  readonly key: string;
  readonly protocol: "tcp" | "udp";
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
  readonly description: string;
}

export const ANYWHERE = "0.0.0.0/0";

/** Every inbound rule of the host security group, admin-only ports first. */
/** What decides the host's inbound rules (a slice of the validated config). */
export interface HostIngressInput {
  readonly firewall: {
    readonly adminCidrs: readonly string[];
    readonly sshPort: number;
    readonly ingress: ReadonlyArray<{
      readonly port: number;
      readonly toPort?: number;
      readonly protocol: "tcp" | "udp";
      readonly from: "anywhere" | "admin";
      readonly description: string;
    }>;
  };
  readonly host: { readonly dockerApiPort: number };
  readonly registry: { readonly enabled: boolean; readonly expose: "direct" | "proxy"; readonly port: number; readonly allowFrom: "anywhere" | "admin" };
}

export function hostIngressRules(cfg: HostIngressInput): HostIngressRule[] {
  const admin = cfg.firewall.adminCidrs;
  const wanted: Array<{ protocol: "tcp" | "udp"; fromPort: number; toPort: number; cidrs: readonly string[]; description: string }> = [
    { protocol: "tcp", fromPort: cfg.firewall.sshPort, toPort: cfg.firewall.sshPort, cidrs: admin, description: "SSH from admin networks" },
  ];
  if (cfg.registry.enabled) {
    // Pulumi drives Docker on the host through the TLS-protected API port (client certificates).
    wanted.push({
      protocol: "tcp",
      fromPort: cfg.host.dockerApiPort,
      toPort: cfg.host.dockerApiPort,
      cidrs: admin,
      description: "Docker API (mutual TLS) from admin networks",
    });
    if (cfg.registry.expose === "direct") {
      wanted.push({
        protocol: "tcp",
        fromPort: cfg.registry.port,
        toPort: cfg.registry.port,
        cidrs: cfg.registry.allowFrom === "anywhere" ? [ANYWHERE] : admin,
        description: "Docker registry (TLS + basic auth)",
      });
    }
  }
  for (const r of cfg.firewall.ingress) {
    wanted.push({
      protocol: r.protocol,
      fromPort: r.port,
      toPort: r.toPort ?? r.port,
      cidrs: r.from === "anywhere" ? [ANYWHERE] : admin,
      description: r.description,
    });
  }
  const out: HostIngressRule[] = [];
  const seen = new Set<string>();
  for (const w of wanted) {
    for (const cidr of w.cidrs) {
      const ports = w.fromPort === w.toPort ? `${w.fromPort}` : `${w.fromPort}-${w.toPort}`;
      const key = `${w.protocol}-${ports}-${cidr.replace(/[./]/g, "-")}`;
      if (seen.has(key)) continue; // the same port and source listed twice is one rule
      seen.add(key);
      out.push({ key, protocol: w.protocol, fromPort: w.fromPort, toPort: w.toPort, cidr, description: w.description });
    }
  }
  return out;
}
