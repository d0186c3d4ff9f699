// `npm run plan -- <stack> --format mermaid`: the stack as a Mermaid flowchart, drawn from the
// offline plan (the resources and host files the stack would really create): VPC and subnets,
// the host with its Elastic IP, nginx's sites and routes to their upstreams, the registry, the
// database, DNS names by zone, apps on ECS (with their jobs' schedules, and their private subnets
// and VPC endpoints when they have them), and security-group edges labelled with ports. Pure: plan
// in, text out; README's diagrams come from here (`npm run docs:diagrams`).
import { runnableFamily } from "../lib/ecsRules";
import { bundleFiles, isBundle } from "../lib/hostBundle";
import { nginxRoutes, type NginxSite } from "../lib/nginxRead";

/** The part of the --json plan (plan.ts's PlanJson) the diagram reads. */
export interface PlanJsonLike {
  readonly resources: ReadonlyArray<{
    readonly type: string;
    readonly name: string;
    readonly id: string | null;
    readonly inputs: unknown;
    readonly state: unknown;
  }>;
}

type Res = PlanJsonLike["resources"][number];
type Props = Record<string, unknown>;

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  instance: "aws:ec2/instance:Instance",
  eip: "aws:ec2/eip:Eip",
  db: "aws:rds/instance:Instance",
  volume: "aws:ebs/volume:Volume",
  snapshots: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  zone: "aws:route53/zone:Zone",
  r53: "aws:route53/record:Record",
  cf: "cloudflare:index/dnsRecord:DnsRecord",
  container: "docker:index/container:Container",
  image: "docker:index/remoteImage:RemoteImage",
  command: "command:remote:Command",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  rule: "aws:lb/listenerRule:ListenerRule",
  tg: "aws:lb/targetGroup:TargetGroup",
  service: "aws:ecs/service:Service",
  taskDef: "aws:ecs/taskDefinition:TaskDefinition",
  schedule: "aws:scheduler/schedule:Schedule",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
};

/** Text safe inside a quoted Mermaid label. */
function label(s: string): string {
  return `"${s
    .replace(/"/g, "#quot;")
    .replace(/\|/g, "#124;")
    .replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"))
    .replace(/\n/g, "<br>")}"`;
}

/** A Mermaid id from any text. */
function nid(prefix: string, s: string): string {
  return `${prefix}_${s.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")}`;
}

const props = (r: Res): Props => ({ ...(r.state as Props), ...(r.inputs as Props) });
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const PORT_NAMES: Record<number, string> = { 22: "SSH", 80: "HTTP", 443: "HTTPS", 2376: "Docker API", 3306: "MySQL", 5000: "registry" };

function portText(p: Props): string {
  const proto = typeof p.ipProtocol === "string" ? p.ipProtocol : typeof p.ipProtocol === "number" ? String(p.ipProtocol) : "tcp";
  if (proto === "-1") return "all traffic";
  const from = Number(p.fromPort),
    to = Number(p.toPort);
  const ports = from === to ? `${from}` : `${from}-${to}`;
  return `${proto} ${ports}${from === to && PORT_NAMES[from] ? ` ${PORT_NAMES[from]}` : ""}`;
}

type Of = (type: string) => Res[];
type Edge = (from: string, to: string, text?: string, dotted?: boolean) => void;

export function renderMermaid(plan: PlanJsonLike): string {
  const of: Of = (type) => plan.resources.filter((r) => r.type === type);
  const lines: string[] = ["flowchart LR"];
  const edges: string[] = [];
  const edge: Edge = (from, to, text, dotted = false) => {
    edges.push(`  ${from} ${dotted ? "-.->" : "-->"}${text ? `|${label(text)}|` : ""} ${to}`);
  };
  const { sources, sgEdges } = securityGroupEdges(of);
  lines.push(...sources.values());
  lines.push(...dnsLines(of, edge));
  lines.push(...vpcLines(of, edge));
  lines.push(...scheduleLines(of, edge));
  for (const [key, ports] of sgEdges) {
    const [from, to] = key.split(" ");
    edge(from, to, ports.join(", "));
  }
  return `${[...lines, ...edges].join("\n")}\n`;
}

/** Who connects from outside the VPC (nodes by source CIDR), and one security-group edge per source and target with its ports joined. */
function securityGroupEdges(of: Of): { sources: Map<string, string>; sgEdges: Map<string, string[]> } {
  const hostSg = of(T.sg).find((s) => s.name.includes("host"));
  const dbSg = of(T.sg).find((s) => s.name.includes("database"));
  const albSg = of(T.sg).find((s) => s.name === "alb-sg");
  const tasksSg = of(T.sg).find((s) => s.name === "ecs-tasks-sg");
  const endpointsSg = of(T.sg).find((s) => s.name === "task-network-endpoints-sg");
  const sources = new Map<string, string>();
  const source = (cidr: string): string => {
    if (WORLD.has(cidr)) {
      sources.set("internet", `  internet((${label("Internet")}))`);
      return "internet";
    }
    const id = nid("net", cidr);
    sources.set(id, `  ${id}((${label(`admin ${cidr}`)}))`);
    return id;
  };
  const sgEdges = new Map<string, string[]>();
  for (const rule of of(T.ingress)) {
    const p = props(rule);
    const cidr = str(p.cidrIpv4 || p.cidrIpv6);
    const target =
      p.securityGroupId === dbSg?.id ? "db" : p.securityGroupId === hostSg?.id ? "eip" : albSg && p.securityGroupId === albSg.id ? "alb" : undefined;
    // The ECS tasks' group as the database's client (components/ecsApps.ts).
    if (target === "db" && !cidr && p.referencedSecurityGroupId) {
      sgEdges.set("ecs_tasks db", [...(sgEdges.get("ecs_tasks db") ?? []), `${portText(p)} from the tasks' group`]);
      continue;
    }
    // The VPC endpoints of private task subnets admit the tasks' group only (components/taskNetwork.ts).
    if (endpointsSg && p.securityGroupId === endpointsSg.id && p.referencedSecurityGroupId) {
      sgEdges.set("ecs_tasks vpce", [...(sgEdges.get("ecs_tasks vpce") ?? []), `${portText(p)} from the tasks' group`]);
      continue;
    }
    // The tasks admit the load balancer's group only.
    if (tasksSg && p.securityGroupId === tasksSg.id && p.referencedSecurityGroupId) {
      sgEdges.set("alb ecs_tasks", [...(sgEdges.get("alb ecs_tasks") ?? []), `${portText(p)} from the load balancer's group`]);
      continue;
    }
    if (!target || !cidr) continue;
    const from = target === "db" ? "hostip" : source(cidr);
    const key = `${from} ${target}`;
    sgEdges.set(key, [...(sgEdges.get(key) ?? []), target === "db" ? `${portText(p)} from ${cidr}` : portText(p)]);
  }
  return { sources, sgEdges };
}

/** DNS: one subgraph per zone (Route53 zones Berth created, Cloudflare zones it writes to). */
function dnsLines(of: Of, edge: Edge): string[] {
  const lines: string[] = [];
  // ACM's validation records (`_...`) are plumbing, not names anyone visits.
  const records = [...of(T.r53).map((r) => ({ r, provider: "Route53" })), ...of(T.cf).map((r) => ({ r, provider: "Cloudflare" }))].filter(
    (x) => !str(props(x.r).name).startsWith("_"),
  );
  const zones = new Map<string, Array<{ r: Res; provider: string }>>();
  for (const x of records) {
    const name = str(props(x.r).name);
    const zone =
      of(T.zone)
        .map((z) => str(props(z).name))
        .filter((z) => name === z || name.endsWith(`.${z}`))
        .sort((a, b) => b.length - a.length)[0] ?? name.split(".").slice(-2).join(".");
    const key = `${x.provider} ${zone}`;
    zones.set(key, [...(zones.get(key) ?? []), x]);
  }
  const recordId = (name: string): string => nid("dns", name);
  if (zones.size > 0) {
    lines.push(`  subgraph dns[${label("DNS")}]`);
    for (const [zone, xs] of zones) {
      lines.push(`    subgraph ${nid("zone", zone)}[${label(`${zone}`)}]`);
      for (const { r } of xs) {
        const p = props(r);
        const name = str(p.name);
        const albDns = of(T.alb).map((a) => str(props(a).dnsName));
        if (((p.aliases as unknown[] | undefined) ?? []).length > 0 || albDns.includes(str(p.content))) {
          lines.push(`      ${recordId(name)}[${label(`${name}  ${str(p.type)}`)}]`);
          edge(recordId(name), "alb", r.type === T.r53 ? "alias" : undefined);
          continue;
        }
        lines.push(`      ${recordId(name)}[${label(`${name}  ${str(p.type)}`)}]`);
        const targets = r.type === T.r53 ? ((p.records as string[] | undefined) ?? []) : [str(p.content)];
        const proxied = p.proxied === true ? "proxied by Cloudflare" : undefined;
        if (p.type === "A") edge(recordId(name), "eip", proxied);
        else if (p.type === "CNAME") for (const t of targets) edge(recordId(name), recordId(t.replace(/\.$/, "")), proxied);
      }
      lines.push("    end");
    }
    lines.push("  end");
  }
  return lines;
}

/** The network: the VPC, its public subnets (the host's with the host inside), the database subnets. */
function vpcLines(of: Of, edge: Edge): string[] {
  const lines: string[] = [];
  const vpc = of(T.vpc)[0];
  const instance = of(T.instance)[0];
  const db = of(T.db)[0];
  const subnets = of(T.subnet);
  const hostSubnet = instance ? subnets.find((s) => s.id === props(instance).subnetId) : undefined;
  const cidrOf = (s: Res): string => `${str(props(s).cidrBlock)} · ${str(props(s).availabilityZone)}`;
  lines.push(`  subgraph vpc[${label(`VPC ${str(vpc ? props(vpc).cidrBlock : "")}`)}]`);
  const publicSubnets = subnets.filter((s) => /public/.test(s.name));
  const databaseSubnets = subnets.filter((s) => /database/.test(s.name));
  for (const s of publicSubnets) {
    lines.push(`    subgraph ${nid("subnet", s.name)}[${label(`public subnet ${cidrOf(s)}`)}]`);
    if (s === hostSubnet && instance) lines.push(...hostLines(of, instance, edge), ...dataVolumeLines(of, edge));
    else lines.push(`      ${nid("spare", s.name)}[${label("no resources")}]`);
    lines.push("    end");
  }
  if (db) {
    const p = props(db);
    lines.push(`    subgraph dbnet[${label(`database subnets ${databaseSubnets.map(cidrOf).join(", ")} · no route out`)}]`);
    lines.push(`      db[(${label(`RDS MySQL ${str(p.engineVersion)} ${str(p.instanceClass)}\n${str(p.identifier)} :${str(p.port ?? 3306)}`)})]`);
    lines.push("    end");
  }
  lines.push(...ecsLines(of, edge));
  lines.push("  end");
  return lines;
}

/** The data volume beside the host in its AZ (it outlives the host), mounted at /srv/berth, and its daily snapshots. */
function dataVolumeLines(of: Of, edge: Edge): string[] {
  const volume = of(T.volume)[0];
  if (!volume) return [];
  const p = props(volume);
  const lines = [
    `      datavol[(${label(`EBS data volume ${str(p.size)} GiB ${str(p.type)}${p.encrypted === true ? ", encrypted" : ""}\nkept when the host is replaced`)})]`,
  ];
  edge("host", "datavol", "mounted at /srv/berth");
  const policy = of(T.snapshots)[0];
  if (policy) {
    const schedule = (((props(policy).policyDetails as Props | undefined)?.schedules as Props[] | undefined) ?? [])[0] ?? {};
    const keep = str(((schedule.retainRule ?? {}) as Props).count);
    const at = str(((schedule.createRule ?? {}) as Props).times);
    lines.push(`      datasnap[${label(`daily snapshots at ${at} UTC, ${keep} kept (DLM)`)}]`);
    edge("datavol", "datasnap", undefined, true);
  }
  return lines;
}

/**
 * Apps on ECS: the load balancer in both public subnets, its rules to each service, the services' task
 * size and count; the tasks beside it, or in their private subnets with the VPC endpoints they reach.
 */
function ecsLines(of: Of, edge: Edge): string[] {
  const alb = of(T.alb)[0];
  if (!alb) return [];
  const taskSubnets = of(T.subnet).filter((s) => (props(s).tags as Props | undefined)?.Tier === "tasks");
  const albLine = `      alb[${label(`ALB ${str(props(alb).name)}\nHTTPS :443 · HTTP :80 redirects`)}]`;
  if (taskSubnets.length === 0)
    return [`    subgraph ecs[${label("both public subnets: load balancer and ECS Fargate tasks")}]`, albLine, ...serviceLines(of, edge), "    end"];
  const where = taskSubnets.map((s) => `${str(props(s).cidrBlock)} · ${str(props(s).availabilityZone)}`).join(", ");
  return [
    `    subgraph ecs[${label("both public subnets: load balancer")}]`,
    albLine,
    "    end",
    `    subgraph tasknet[${label(`task subnets ${where} · no route out, no public IP`)}]`,
    ...serviceLines(of, edge),
    ...endpointLines(of, edge),
    "    end",
  ];
}

/** Each ECS service with its task size and count, the tasks' group, and the load balancer's rules to the services. */
function serviceLines(of: Of, edge: Edge): string[] {
  const lines: string[] = [];
  const tgArn = (tg: Res): string => str(props(tg).arn ?? tg.id);
  const services = of(T.service);
  for (const svc of services) {
    const p = props(svc);
    const td = of(T.taskDef).find((t) => str(props(t).arn ?? t.id) === str(p.taskDefinition));
    const size = td ? `${str(props(td).cpu)} CPU · ${str(props(td).memory)} MiB` : "";
    lines.push(`      ${nid("svc", svc.name)}[${label(`ECS service ${str(p.name)}\n${size} × ${str(p.desiredCount)}`)}]`);
    edge(nid("svc", svc.name), "ecs_tasks", undefined, true);
  }
  lines.push(`      ecs_tasks[${label("tasks' security group")}]`);
  for (const rule of of(T.rule)) {
    const p = props(rule);
    const actions = (p.actions as Props[] | undefined) ?? [];
    const conditions = (p.conditions as Props[] | undefined) ?? [];
    const words = conditions.flatMap((c) => [
      ...(((c.hostHeader as Props | undefined)?.values as string[] | undefined) ?? []),
      ...(((c.pathPattern as Props | undefined)?.values as string[] | undefined) ?? []),
    ]);
    const tg = of(T.tg).find((t) => tgArn(t) === str(actions[0]?.targetGroupArn));
    const svc = services.find((s) => ((props(s).loadBalancers as Props[] | undefined) ?? []).some((lb) => tg && str(lb.targetGroupArn) === tgArn(tg)));
    if (svc) edge("alb", nid("svc", svc.name), `${words.join(" ")} (priority ${str(p.priority)})`);
  }
  return lines;
}

/** The private task subnets' way to AWS: interface endpoints (by service, private DNS) and the S3 gateway endpoint for image layers. */
function endpointLines(of: Of, edge: Edge): string[] {
  const short = (e: Res): string => str(props(e).serviceName).replace(/^(?:cn\.)?com\.amazonaws\.[a-z0-9-]+\./, "");
  const endpoints = of(T.endpoint);
  const interfaces = endpoints.filter((e) => props(e).vpcEndpointType === "Interface");
  const gateways = endpoints.filter((e) => props(e).vpcEndpointType !== "Interface");
  const lines: string[] = [];
  if (interfaces.length > 0) {
    const dns = interfaces.every((e) => props(e).privateDnsEnabled === true) ? ", private DNS" : "";
    lines.push(`      vpce[${label(`interface endpoints${dns}\n${interfaces.map(short).join(", ")}`)}]`);
  }
  for (const g of gateways) {
    const layersOnly = str(props(g).policy).includes("-starport-layer-bucket/");
    lines.push(
      `      ${nid("gw", short(g))}[${label(`${short(g) === "s3" ? "S3" : short(g)} gateway endpoint${layersOnly ? "\nECR's image layers only" : ""}`)}]`,
    );
    edge("ecs_tasks", nid("gw", short(g)), "route table", true);
  }
  return lines;
}

/** Jobs on ECS: each EventBridge Scheduler schedule (outside the VPC) and the service whose task family it runs. */
function scheduleLines(of: Of, edge: Edge): string[] {
  const schedules = of(T.schedule);
  if (schedules.length === 0) return [];
  const lines = [`  subgraph scheduler[${label("EventBridge Scheduler: jobs on ECS")}]`];
  for (const s of schedules) {
    const p = props(s);
    const target = (p.target ?? {}) as Props;
    const family = str(((target.ecsParameters ?? {}) as Props).taskDefinitionArn);
    lines.push(`    ${nid("job", s.name)}[${label(`${str(p.name)}\n${str(p.scheduleExpression)} ${str(p.scheduleExpressionTimezone || "UTC")}`)}]`);
    // The schedule names the part's family without a revision; the service was made with a revision of the part's shape family.
    const svc = of(T.service).find((x) => runnableFamily(str(props(x).taskDefinition).replace(/:\d+$/, "")) === family);
    if (svc) edge(nid("job", s.name), nid("svc", svc.name), "RunTask: a one-off task of the latest revision", true);
  }
  lines.push("  end");
  return lines;
}

/** The host: its addresses, then nginx and the registry as the host files and the registry container describe them. */
function hostLines(of: Of, instance: Res, edge: Edge): string[] {
  const lines: string[] = [];
  const eip = of(T.eip)[0];
  // Host files delivered over SSH: nginx sites and upstreams.
  const files = of(T.command).flatMap((c) =>
    typeof (c.inputs as Props).stdin === "string" && isBundle((c.inputs as Props).stdin as string) ? bundleFiles((c.inputs as Props).stdin as string) : [],
  );
  const routes = nginxRoutes(files.filter((f) => f.path.startsWith("/etc/nginx/")));
  const registry = of(T.container).find((c) => /registry/.test(str(props(c).name)));
  const registryImage = of(T.image).find((i) => /^registry:/.test(str(props(i).name)));
  const registryPorts = registry ? ((props(registry).ports as Props[] | undefined) ?? []) : [];
  const ip = str(props(instance).privateIp);
  lines.push(`      subgraph host[${label(`EC2 host ${str(props(instance).instanceType)}`)}]`);
  lines.push(`        eip[${label(`Elastic IP ${eip ? str(props(eip).publicIp) : ""}`)}]`);
  lines.push(`        hostip[${label(`private IP ${ip}`)}]`);
  renderHost(
    lines,
    edge,
    routes.sites,
    routes.upstreams,
    registry
      ? { ports: registryPorts, hostNetwork: props(registry).networkMode === "host", image: registryImage ? str(props(registryImage).name) : "registry" }
      : undefined,
  );
  lines.push("      end");
  return lines;
}

function renderHost(
  lines: string[],
  edge: (a: string, b: string, t?: string, dotted?: boolean) => void,
  sites: NginxSite[],
  upstreams: Record<string, string[]>,
  registry: { ports: Props[]; hostNetwork: boolean; image: string } | undefined,
): void {
  const published = (registry?.ports ?? []).map((p) => ({
    ip: str(p.ip || "0.0.0.0"),
    external: Number(p.external ?? p.internal),
    internal: Number(p.internal),
  }));
  const registryAddr = new Set(published.map((p) => `${p.ip}:${p.external}`));
  if (registry) {
    const where = registry.hostNetwork ? "host network" : published.map((p) => `${p.ip}:${p.external}`).join(", ");
    lines.push(`        registry[${label(`${registry.image} container\n${where}`)}]`);
    for (const p of published.filter((x) => x.ip !== "127.0.0.1" && x.ip !== "::1")) edge("eip", "registry", `:${p.external} TLS`);
  }
  if (sites.length === 0) return;
  const ports = [...new Set(sites.flatMap((s) => s.listen.map((l) => l.split(/\s+/)[0])))];
  for (const port of ports) {
    lines.push(`        ${nid("nginx", port)}[${label(`nginx :${port}`)}]`);
    edge("eip", nid("nginx", port));
  }
  const upstreamNodes = new Set<string>();
  const target = (pass: string): string => {
    const servers = upstreams[pass] ?? [pass];
    // On the host network the registry publishes nothing: nginx's registry upstream (components/render/nginx.ts) is how it is reached.
    if (registry && (servers.some((s) => registryAddr.has(s)) || (registry.hostNetwork && pass === "berth_registry"))) return "registry";
    const id = nid("up", pass);
    if (!upstreamNodes.has(id)) {
      upstreamNodes.add(id);
      lines.push(`        ${id}[${label(upstreams[pass] ? `${pass}\n${servers.join(", ")}` : pass)}]`);
    }
    return id;
  };
  sites.forEach((s, i) => {
    const id = `site_${i}`;
    const names = s.names.filter((n) => n !== "_");
    const what = names.length ? names.join("\n") : "default server: any other name, or the IP";
    lines.push(`        ${id}[${label(`${what}${s.basicAuth ? "\n(basic auth)" : ""}`)}]`);
    for (const l of s.listen) edge(nid("nginx", l.split(/\s+/)[0]), id);
    for (const r of s.routes) {
      if (r.proxyPass) edge(id, target(r.proxyPass), r.path);
      else if (r.returns) {
        const rid = nid(`ret_${i}`, r.path);
        lines.push(`        ${rid}[${label(`return ${r.returns}`)}]`);
        edge(id, rid, r.path, true);
      }
    }
  });
}
