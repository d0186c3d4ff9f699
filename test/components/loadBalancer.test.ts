// LoadBalancer on its own (public mock API): Route53 and Cloudflare names, the listeners, what it refuses.
import { beforeEach, describe, expect, it } from "vitest";
import { ALB_TLS_POLICY, LoadBalancer, type LoadBalancerArgs } from "../../components/loadBalancer";
import { failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const args = (over: Partial<LoadBalancerArgs> = {}): LoadBalancerArgs => ({
  vpcId: "vpc-1",
  vpcCidr: "10.0.0.0/16",
  subnetIds: ["subnet-a", "subnet-b"],
  names: [{ hostname: "shop.example.org", zone: "example.org", provider: "route53" }],
  zoneIds: { "example.org": "Z1", "example.net": "cf-zone" },
  idleTimeoutSeconds: 60,
  naming,
  ...over,
});

const resources = {
  "aws:lb/loadBalancer:LoadBalancer": () => ({ state: { arn: "arn:lb", dnsName: "berth-test-alb-1.elb.amazonaws.com", zoneId: "ZALB" } }),
  "aws:acm/certificate:Certificate": (_n: string, i: Record<string, unknown>) => ({
    state: {
      arn: "arn:cert",
      domainValidationOptions: [String(i.domainName), ...((i.subjectAlternativeNames as string[] | undefined) ?? [])].map((d) => ({
        domainName: d,
        resourceRecordName: `_v.${d}.`,
        resourceRecordType: "CNAME",
        resourceRecordValue: `_x.acm-validations.aws.`,
      })),
    },
  }),
  "aws:acm/certificateValidation:CertificateValidation": (_n: string, i: Record<string, unknown>) => ({ state: { certificateArn: i.certificateArn } }),
  "aws:route53/record:Record": (_n: string, i: Record<string, unknown>) => ({ state: { fqdn: String(i.name).replace(/\.$/, "") } }),
};

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents({ resources });
});

describe("LoadBalancer", () => {
  it("minimal args (one Route53 name): HTTPS with the validated certificate, HTTP redirect, an alias record", async () => {
    const lb = new LoadBalancer("alb", args(), m.opts);
    expect(await valueOf(lb.dnsName)).toBe("berth-test-alb-1.elb.amazonaws.com");
    await m.settle();
    expect(m.one("aws:lb/loadBalancer:LoadBalancer").inputs).toMatchObject({
      name: "berth-test-alb",
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "strictest",
    });
    expect(m.one("aws:lb/listener:Listener", "alb-https").inputs).toMatchObject({ protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY, certificateArn: "arn:cert" });
    expect(m.one("aws:lb/listener:Listener", "alb-http").inputs.defaultActions).toEqual([
      { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
    ]);
    expect(m.one("aws:route53/record:Record", "alb-record-shop.example.org").inputs).toMatchObject({ name: "shop.example.org", type: "A", zoneId: "Z1" });
    expect(m.one("aws:route53/record:Record", "alb-validation-shop.example.org").inputs).toMatchObject({ name: "_v.shop.example.org.", type: "CNAME" });
    expect(m.one("aws:acm/certificateValidation:CertificateValidation").inputs.validationRecordFqdns).toEqual(["_v.shop.example.org"]);
  });

  it("full args (a Cloudflare name too): a CNAME to the load balancer and a validation record, neither proxied", async () => {
    new LoadBalancer("alb", args({ names: [...args().names, { hostname: "shop.example.net", zone: "example.net", provider: "cloudflare" }] }), m.opts);
    await m.settle();
    const cf = m.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => [r.name, r.inputs.type, r.inputs.proxied, r.inputs.zoneId]);
    expect(cf).toEqual([
      ["alb-validation-shop.example.net", "CNAME", false, "cf-zone"],
      ["alb-record-shop.example.net", "CNAME", false, "cf-zone"],
    ]);
    expect(m.one("aws:acm/certificate:Certificate").inputs).toMatchObject({ domainName: "shop.example.org", subjectAlternativeNames: ["shop.example.net"] });
  });

  it("refuses to serve no name", async () => {
    expect((await failure(() => new LoadBalancer("alb", args({ names: [] }), m.opts))).message).toMatch(/at least one hostname/);
  });
});
