// The stack diagram (`npm run plan -- <stack> --format mermaid`): well-formed Mermaid, and drawn
// from the plan: every security-group rule appears as an edge with its port, every DNS record,
// nginx site and upstream as a node; the README's diagrams are the current ones.
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DIAGRAM_STACKS, withDiagram } from "../../cli/docsDiagrams";
import { renderMermaid } from "../../cli/mermaid";
import { toPlanJson, type PlanJson } from "../../cli/plan";
import { run, section, sharedRun, stackWith } from "../helpers/stack";

const ROOT = path.resolve(__dirname, "../..");
const plans: Record<string, PlanJson> = {};
const diagrams: Record<string, string> = {};
beforeAll(async () => {
  for (const s of DIAGRAM_STACKS) {
    plans[s] = toPlanJson(await sharedRun(s));
    diagrams[s] = renderMermaid(plans[s]);
  }
});

const NODE = /^\s*([A-Za-z][A-Za-z0-9_]*)(\[\(|\(\(|\[)"[^"]*"(\)\]|\)\)|\])$/;
const SUBGRAPH = /^\s*subgraph ([A-Za-z][A-Za-z0-9_]*)\["[^"]*"\]$/;
const EDGE = /^\s*([A-Za-z][A-Za-z0-9_]*) (-->|-\.->)(\|"[^"|]*"\|)? ([A-Za-z][A-Za-z0-9_]*)$/;

/** Parses the subset of Mermaid the renderer writes; throws on anything else. */
function parse(text: string): { nodes: Map<string, string>; subgraphs: Set<string>; edges: Array<{ from: string; to: string; label: string }> } {
  const lines = text.trimEnd().split("\n");
  expect(lines[0]).toBe("flowchart LR");
  const nodes = new Map<string, string>(),
    subgraphs = new Set<string>(),
    edges: Array<{ from: string; to: string; label: string }> = [];
  let depth = 0;
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = SUBGRAPH.exec(line))) {
      subgraphs.add(m[1]);
      depth++;
    } else if (line.trim() === "end") {
      depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    } else if ((m = NODE.exec(line))) {
      expect(nodes.has(m[1]), `node ${m[1]} declared twice`).toBe(false);
      nodes.set(m[1], /"([^"]*)"/.exec(line)![1]);
    } else if ((m = EDGE.exec(line))) edges.push({ from: m[1], to: m[4], label: m[3] ? m[3].slice(2, -2) : "" });
    else throw new Error(`not Mermaid the renderer writes: ${line}`);
  }
  expect(depth).toBe(0);
  return { nodes, subgraphs, edges };
}

const props = (r: PlanJson["resources"][number]): Record<string, unknown> => ({ ...(r.state as object), ...(r.inputs as object) });

describe.each(DIAGRAM_STACKS)("%s diagram", (stack) => {
  it("is well-formed: balanced subgraphs, every edge between declared nodes, no id twice", () => {
    const { nodes, subgraphs, edges } = parse(diagrams[stack]);
    expect(edges.length).toBeGreaterThan(5);
    for (const e of edges) for (const end of [e.from, e.to]) expect(nodes.has(end) || subgraphs.has(end), `${end} is not declared`).toBe(true);
    for (const id of subgraphs) expect(nodes.has(id), `${id} is both a node and a subgraph`).toBe(false);
  });

  it("draws every ingress rule as an edge with its port, and the database only from the host's private IP", () => {
    const { nodes, edges } = parse(diagrams[stack]);
    const rules = plans[stack].resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(props);
    for (const r of rules) {
      const cidr = String(r.cidrIpv4);
      const into = edges.filter((e) => e.label.includes(`tcp ${String(r.fromPort)}`));
      expect(into.length, `rule ${cidr} ${String(r.fromPort)}`).toBeGreaterThan(0);
      // Apps on ECS: group-to-group rules (load balancer -> tasks, tasks -> database).
      if (r.referencedSecurityGroupId !== undefined)
        expect(into.some((e) => (e.from === "alb" && e.to === "ecs_tasks") || (e.from === "ecs_tasks" && e.to === "db"))).toBe(true);
      else if (cidr === "0.0.0.0/0" && edges.some((e) => e.to === "alb") && into.some((e) => e.from === "internet" && e.to === "alb")) continue;
      else if (cidr === "0.0.0.0/0") expect(into.some((e) => e.from === "internet" && e.to === "eip")).toBe(true);
      else if (String(r.fromPort) === "3306") expect(into.some((e) => e.from === "hostip" && e.to === "db" && e.label.endsWith(`from ${cidr}`))).toBe(true);
      else expect(into.some((e) => nodes.get(e.from) === `admin ${cidr}` && e.to === "eip")).toBe(true);
    }
    const host = plans[stack].resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    expect(nodes.get("hostip")).toBe(`private IP ${String(props(host).privateIp)}`);
  });

  it("shows every DNS record, nginx site and upstream server from the plan", () => {
    const { nodes } = parse(diagrams[stack]);
    const labels = [...nodes.values()].join("\n");
    // ACM's validation records (names starting with "_") are left out.
    for (const r of plans[stack].resources.filter(
      (x) => (x.type === "aws:route53/record:Record" || x.type === "cloudflare:index/dnsRecord:DnsRecord") && !String(props(x).name).startsWith("_"),
    ))
      expect(labels).toContain(`${String(props(r).name)}  ${String(props(r).type)}`);
    for (const m of diagrams[stack].matchAll(/127\.0\.0\.1:(\d+)/g)) expect(Number(m[1])).toBeGreaterThan(0);
    const apps = plans[stack].resources.find((r) => r.name === "services-proxy-config-apply");
    expect(String((apps!.inputs as { stdin: string }).stdin)).toContain("upstream berth_");
    for (const m of String((apps!.inputs as { stdin: string }).stdin).matchAll(/upstream (berth_\w+) \{\n\s+server ([\d.:]+);/g)) {
      expect(labels.includes(`${m[1]}<br>${m[2]}`) || (m[1] === "berth_registry" && labels.includes(`registry:`))).toBe(true);
    }
  });

  it("is what the README embeds (npm run docs:diagrams)", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(withDiagram(readme, stack, diagrams[stack]), "README diagrams are out of date: run npm run docs:diagrams").toBe(readme);
  });
});

describe("diagram details", () => {
  it("scale: the ECS app's name points at the load balancer, whose rules reach each service; the tasks reach the database", () => {
    const scale = parse(diagrams.scale);
    expect(scale.edges).toContainEqual({ from: "dns_shop_example_org", to: "alb", label: "alias" });
    expect(scale.edges.filter((e) => e.from === "alb" && e.to.startsWith("svc_")).map((e) => e.label.split(" (")[0])).toEqual([
      "shop.example.org",
      "shop.example.org /api /api/*",
    ]);
    expect(scale.edges).toContainEqual({ from: "ecs_tasks", to: "db", label: "tcp 3306 MySQL from the tasks' group" });
    expect(scale.edges).toContainEqual({ from: "internet", to: "alb", label: "tcp 80 HTTP, tcp 443 HTTPS" });
  });

  it("scale: the job's schedule sits outside the VPC and runs a one-off task of the back end's family; dev and prod have none", () => {
    const scale = parse(diagrams.scale);
    expect(scale.edges).toContainEqual({
      from: "job_ecs_shop_backend_job_nightly_report",
      to: "svc_ecs_shop_backend_service",
      label: "RunTask: a one-off task of the latest revision",
    });
    expect(diagrams.scale).toContain('job_ecs_shop_backend_job_nightly_report["shop-nightly-report<br>cron(0 3 * * ? *) UTC"]');
    expect(diagrams.dev + diagrams.prod).not.toContain("Scheduler");
  });

  it("scale with private task subnets: the tasks in their own subnets with the endpoints they reach; the load balancer alone in the public ones", async () => {
    const cluster = section("scale", "cluster");
    const text = renderMermaid(toPlanJson(await run(stackWith("scale", { cluster: { ...cluster, taskSubnets: "private" } }))));
    const d = parse(text);
    const lines = text.split("\n");
    const block = (id: string): string[] => {
      const start = lines.findIndex((l) => new RegExp(`^\\s+subgraph ${id}\\[`).test(l));
      const indent = /^\s*/.exec(lines[start])![0];
      return lines.slice(start + 1, lines.indexOf(`${indent}end`, start));
    };
    expect(lines.find((l) => /subgraph ecs\[/.test(l))).toContain('"both public subnets: load balancer"');
    expect(block("ecs").map((l) => l.trim().split("[")[0])).toEqual(["alb"]);
    expect(lines.find((l) => /subgraph tasknet\[/.test(l))).toContain(
      "task subnets 10.40.16.0/20 · ap-northeast-2a, 10.40.32.0/20 · ap-northeast-2c · no route out, no public IP",
    );
    expect(block("tasknet").map((l) => l.trim().split("[")[0])).toEqual([
      "svc_ecs_shop_frontend_service",
      "svc_ecs_shop_backend_service",
      "ecs_tasks",
      "vpce",
      "gw_s3",
    ]);
    expect(d.nodes.get("vpce")).toBe("interface endpoints, private DNS<br>ecr.api, ecr.dkr, logs, ssm");
    expect(d.nodes.get("gw_s3")).toBe("S3 gateway endpoint<br>ECR's image layers only");
    expect(d.edges).toContainEqual({ from: "ecs_tasks", to: "vpce", label: "tcp 443 HTTPS from the tasks' group" });
    expect(d.edges).toContainEqual({ from: "ecs_tasks", to: "gw_s3", label: "route table" });
    expect(d.edges).toContainEqual({ from: "ecs_tasks", to: "db", label: "tcp 3306 MySQL from the tasks' group" });
    expect(d.edges.filter((e) => e.from === "alb" && e.to.startsWith("svc_"))).toHaveLength(2);
  });

  it("dev: the registry is published on all addresses and reached on :5000; prod: only through nginx by its name", () => {
    const dev = parse(diagrams.dev),
      prod = parse(diagrams.prod);
    expect(dev.edges).toContainEqual({ from: "eip", to: "registry", label: ":5000 TLS" });
    expect(prod.edges.some((e) => e.from === "eip" && e.to === "registry")).toBe(false);
    const site = [...prod.nodes].find(([, l]) => l === "docker.example.com")![0];
    expect(prod.edges).toContainEqual({ from: site, to: "registry", label: "/" });
  });
  it("prod: proxied Cloudflare records are labelled, and CNAMEs point at their targets", () => {
    const prod = parse(diagrams.prod);
    expect(prod.edges).toContainEqual({ from: "dns_example_net", to: "eip", label: "proxied by Cloudflare" });
    expect(prod.edges).toContainEqual({ from: "dns_docker_example_com", to: "dns_host_example_com", label: "" });
  });
  it("prod: the data volume sits beside the host in its subnet, mounted at /srv/berth, with its daily snapshots; dev has none", () => {
    const prod = parse(diagrams.prod),
      dev = parse(diagrams.dev);
    expect(prod.nodes.get("datavol")).toBe("EBS data volume 50 GiB gp3, encrypted<br>kept when the host is replaced");
    expect(prod.edges).toContainEqual({ from: "host", to: "datavol", label: "mounted at /srv/berth" });
    expect(prod.nodes.get("datasnap")).toBe("daily snapshots at 03:00 UTC, 14 kept (DLM)");
    expect(prod.edges).toContainEqual({ from: "datavol", to: "datasnap", label: "" });
    // Inside the host's subnet subgraph (its AZ), not inside the host.
    const text = diagrams.prod.split("\n");
    const hostEnd = text.findIndex((l, i) => i > text.findIndex((x) => /subgraph host\[/.test(x)) && /^ {6}end$/.test(l));
    expect(text.findIndex((l) => /^\s+datavol\[/.test(l))).toBeGreaterThan(hostEnd);
    expect(dev.nodes.has("datavol")).toBe(false);
  });
  it("refuses a README without the markers", () => {
    expect(() => withDiagram("# nothing here\n", "dev", "flowchart LR\n")).toThrow(/no diagram block for dev/);
  });
});
