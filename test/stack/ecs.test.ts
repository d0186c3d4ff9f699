// The scale stack's apps on ECS, as planned: what each ECS resource is sent (images, tasks, values,
// roles, groups, the load balancer, DNS) and the whole policy pack passing on it, with the database
// rule still firing on anything wider than the host's /32 and the tasks' own group.
import { beforeAll, describe, expect, it } from "vitest";
import { policies, databaseFromHostOnly } from "../../policy/policies";
import { evaluatePolicies, runPolicies } from "../helpers/policyHarness";
import { isSecretValue, ofType, plain, run, section, sharedRun, stackWith, type RecordedResource, type RunResult } from "../helpers/stack";
import { ALB_TLS_POLICY } from "../../components/loadBalancer";

let scale: RunResult;
beforeAll(async () => {
  scale = await sharedRun("scale");
});

const byName = (name: string): RecordedResource => {
  const r = scale.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};
const json = (v: unknown): Record<string, unknown>[] => JSON.parse(String(plain(v))) as Record<string, unknown>[];

describe("scale: images and tasks", () => {
  it("keeps one immutable, scanned, KMS-encrypted repository per part, with the lifecycle of berth:registry.retention.keep", () => {
    const repos = ofType(scale, "aws:ecr/repository:Repository");
    expect(repos.map((r) => r.inputs.name)).toEqual(["scale/shop-frontend", "scale/shop-backend"]);
    for (const r of repos) {
      expect(r.inputs).toMatchObject({ imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } });
      expect(r.inputs.encryptionConfigurations).toEqual([{ encryptionType: "KMS", kmsKey: byName("ecs-key").state.arn }]);
    }
    const rules = (JSON.parse(String(byName("ecs-shop-backend-repo-lifecycle").inputs.policy)) as { rules: Record<string, unknown>[] }).rules;
    expect(rules[0]).toMatchObject({ selection: { tagStatus: "untagged", countNumber: 1, countUnit: "days" } });
    expect(rules[1]).toMatchObject({ selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 15 } });
  });

  it("gives each task the size, PORT, clear env and, by parameter ARN, the database contract", () => {
    const td = byName("ecs-shop-backend-task-definition").inputs;
    expect(td).toMatchObject({ cpu: "512", memory: "1024", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"] });
    const [c] = json(td.containerDefinitions);
    expect(c.environment).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "PORT", value: "8080" },
    ]);
    const secrets = c.secrets as Array<{ name: string; valueFrom: string }>;
    expect(secrets.map((s) => s.name)).toEqual(["DATABASE_URL", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER"]);
    for (const s of secrets) expect(s.valueFrom).toBe(`arn:aws:ssm:ap-northeast-2:123456789012:parameter/berth/scale/shop/backend/${s.name}`);
    expect(c.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-group": "/berth/scale/apps/shop",
        "awslogs-region": "ap-northeast-2",
        "awslogs-stream-prefix": "backend",
        mode: "non-blocking",
        "max-buffer-size": "25m",
      },
    });
    expect(c.stopTimeout).toBe(30);
  });

  it("keeps every value in SecureString parameters under /berth/scale/shop/ with the stack's key, as secrets", () => {
    const params = ofType(scale, "aws:ssm/parameter:Parameter");
    expect(params).toHaveLength(12);
    for (const p of params) {
      expect(p.inputs.name).toMatch(/^\/berth\/scale\/shop\/(frontend|backend)\/(DATABASE_URL|DB_[A-Z]+)$/);
      expect(p.inputs).toMatchObject({ type: "SecureString", keyId: byName("ecs-key").state.arn });
      expect(isSecretValue(p.inputs.value), String(p.inputs.name)).toBe(true);
    }
    expect(plain(params.find((p) => String(p.inputs.name).endsWith("backend/DATABASE_URL"))!.inputs.value)).toMatch(
      /^mysql:\/\/shop:[^@]+@berth-scale-db\..*:3306\/shop\?ssl-mode=REQUIRED$/,
    );
    expect(byName("ecs-key").inputs).toMatchObject({ enableKeyRotation: true });
  });

  it("lets the execution role pull the part's images, write its log group and read its parameters only; the task role has no policy", () => {
    const doc = JSON.parse(String(byName("ecs-shop-frontend-execution-policy").inputs.policy)) as {
      Statement: Array<{ Sid: string; Action: string[]; Resource: string | string[] }>;
    };
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid)).toEqual(["EcrLogin", "PullAppImages", "WriteAppLogs", "ReadAppParameters", "DecryptAppParameters"]);
    expect(bySid.PullAppImages.Resource).toEqual([byName("ecs-shop-frontend-repo").state.arn]);
    expect(bySid.WriteAppLogs.Resource).toBe("arn:aws:logs:ap-northeast-2:123456789012:log-group:/berth/scale/apps/shop:log-stream:*");
    expect((bySid.ReadAppParameters.Resource as string[]).every((a) => a.includes(":parameter/berth/scale/shop/frontend/"))).toBe(true);
    expect(scale.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.includes("-task"))).toEqual([]);
  });
});

describe("scale: services and network", () => {
  it("deploys with capacity kept and rollback on failure, ignoring task definition drift (the deploy owns the image)", () => {
    const svc = byName("ecs-shop-frontend-service");
    expect(svc.inputs).toMatchObject({
      launchType: "FARGATE",
      desiredCount: 2,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      networkConfiguration: { assignPublicIp: true, securityGroups: [byName("ecs-tasks-sg").id] },
    });
    expect(svc.options.ignoreChanges).toEqual(["taskDefinition", "desiredCount"]);
    expect(byName("ecs-shop-frontend-scaling").inputs).toMatchObject({ minCapacity: 2, maxCapacity: 6, scalableDimension: "ecs:service:DesiredCount" });
  });

  it("admits the tasks only from the load balancer's group, and the database only from the host's /32 and the tasks' group", () => {
    const tasksIn = scale.resources.filter((r) => r.name.startsWith("ecs-tasks-in-"));
    expect(tasksIn.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4])).toEqual([
      [3000, byName("alb-sg").id, undefined],
      [8080, byName("alb-sg").id, undefined],
    ]);
    const dbIn = scale.resources.filter((r) => r.name.startsWith("firewall-database-in-"));
    expect(dbIn.map((r) => [r.name, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId])).toEqual([
      ["firewall-database-in-host", `${String(scale.outputs.hostPrivateIp)}/32`],
      ["firewall-database-in-ecs-tasks", byName("ecs-tasks-sg").id],
    ]);
  });

  it("serves HTTPS only, TLS 1.2/1.3, invalid headers dropped, strictest desync mitigation; HTTP redirects", () => {
    expect(byName("alb-alb").inputs).toMatchObject({
      name: "berth-scale-alb",
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "strictest",
      idleTimeout: 60,
    });
    expect(byName("alb-https").inputs).toMatchObject({ port: 443, protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY, certificateArn: byName("alb-cert").state.arn });
    expect(byName("alb-http").inputs.defaultActions).toEqual([{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]);
  });

  it("writes access logs to a private, TLS-only, expiring bucket that only the region's ELB account may put logs into", () => {
    const bucket = byName("alb-logs-bucket");
    expect(byName("alb-alb").inputs.accessLogs).toEqual({ bucket: bucket.state.bucket ?? bucket.id, prefix: "alb", enabled: true });
    expect(byName("alb-logs-public-access").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(byName("alb-logs-encryption").inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect((byName("alb-logs-lifecycle").inputs.rules as Array<Record<string, unknown>>)[0]).toMatchObject({ expiration: { days: 90 } });
    const policy = JSON.parse(String(byName("alb-logs-policy").inputs.policy)) as { Statement: Array<Record<string, unknown>> };
    expect(policy.Statement[0]).toMatchObject({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::600734575887:root" }, Action: "s3:PutObject" });
    expect(String(policy.Statement[0].Resource)).toMatch(/\/alb\/AWSLogs\/\*$/);
    expect(policy.Statement[1]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(byName("alb-alb").options.dependencies).toContain(byName("alb-logs-policy").urn);
  });

  it("routes the hostnames to the front end and /api to the back end, checks health from config, drains briefly", () => {
    const back = byName("ecs-shop-backend-rule").inputs;
    const front = byName("ecs-shop-frontend-rule").inputs;
    expect(back.conditions).toEqual([{ hostHeader: { values: ["shop.example.org"] } }, { pathPattern: { values: ["/api", "/api/*"] } }]);
    expect(front.conditions).toEqual([{ hostHeader: { values: ["shop.example.org"] } }]);
    expect(Number(back.priority)).toBeLessThan(Number(front.priority));
    expect(byName("ecs-shop-backend-tg").inputs).toMatchObject({
      targetType: "ip",
      deregistrationDelay: 5,
      healthCheck: { path: "/api/health", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3, matcher: "200-399" },
    });
  });

  it("points the hostname at the load balancer and validates its certificate by DNS", () => {
    const alias = byName("alb-record-shop.example.org");
    expect(alias.inputs).toMatchObject({
      name: "shop.example.org",
      type: "A",
      aliases: [{ name: byName("alb-alb").state.dnsName, zoneId: "ZWKZPGTI48KDX", evaluateTargetHealth: true }],
    });
    expect(byName("alb-cert").inputs).toMatchObject({ domainName: "shop.example.org", validationMethod: "DNS" });
    expect(byName("alb-validation-shop.example.org").inputs).toMatchObject({ type: "CNAME" });
    expect(byName("alb-cert-validation").inputs.validationRecordFqdns).toEqual([
      String(byName("alb-validation-shop.example.org").inputs.name).replace(/\.$/, ""),
    ]);
  });

  it("exports the ECR login command, repository URLs and a CI policy limited to these repositories and services", () => {
    expect(scale.outputs.ecrLoginCommand).toBe(
      "aws ecr get-login-password --region ap-northeast-2 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com",
    );
    expect(scale.outputs.ecrRepositoryUrls).toEqual({
      "shop-frontend": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/scale/shop-frontend",
      "shop-backend": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/scale/shop-backend",
    });
    const doc = JSON.parse(String(scale.outputs.ciDeployPolicy)) as { Statement: Array<{ Sid: string; Resource: string | string[] }> };
    const deploy = doc.Statement.find((s) => s.Sid === "DeployServices")!;
    expect(deploy.Resource).toEqual([byName("ecs-shop-frontend-service").id, byName("ecs-shop-backend-service").id]);
    // The parts' families, where the deploy registers (tagged) and runs the release; never the stack's -shape ones.
    const families = [
      "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-frontend:*",
      "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/berth-scale-shop-backend:*",
    ];
    expect(doc.Statement.find((s) => s.Sid === "ReleaseTasks")!.Resource).toEqual(families);
    expect(doc.Statement.find((s) => s.Sid === "TagNewRevisions")!.Resource).toEqual(families);
    expect(String(scale.outputs.ciDeployPolicy)).not.toContain("-shape");
  });
});

describe("scale: what the deploy reads (ecsDeployTargets)", () => {
  it("names, per part, the service, the deploys' family, the stack's shape family and revision, container and repository, the release, and the service's own network", () => {
    const targets = scale.outputs.ecsDeployTargets as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(targets)).toEqual(["shop"]);
    expect(Object.keys(targets.shop).sort()).toEqual(["backend", "frontend"]);
    for (const part of ["frontend", "backend"]) {
      const t = targets.shop[part];
      const svc = byName(`ecs-shop-${part}-service`);
      const net = svc.inputs.networkConfiguration as { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
      expect(t).toMatchObject({
        region: "ap-northeast-2",
        cluster: scale.outputs.ecsClusterName,
        service: svc.inputs.name,
        family: `berth-scale-shop-${part}`,
        shapeFamily: `berth-scale-shop-${part}-shape`,
        taskDefinition: byName(`ecs-shop-${part}-task-definition`).state.arn,
        container: part,
        repositoryUrl: (scale.outputs.ecrRepositoryUrls as Record<string, string>)[`shop-${part}`],
        subnets: net.subnets,
        securityGroups: net.securityGroups,
        assignPublicIp: net.assignPublicIp,
      });
      expect((svc.inputs.loadBalancers as Array<{ containerName: string }>)[0].containerName).toBe(t.container);
      // The stack's task definition is the shape, and the service starts on it (the first deploy moves it to the part's family).
      expect(byName(`ecs-shop-${part}-task-definition`).inputs.family).toBe(t.shapeFamily);
      expect(t.taskDefinition).toMatch(new RegExp(`:task-definition/${String(t.shapeFamily)}:\\d+$`));
      expect(svc.inputs.taskDefinition).toBe(t.taskDefinition);
    }
    expect(targets.shop.backend).toMatchObject({ release: ["bin/migrate"], releaseTimeoutSeconds: 600 });
    expect(targets.shop.frontend).toMatchObject({ release: [], releaseTimeoutSeconds: 600 });
  });
});

describe("scale: policy pack", () => {
  it("passes every Berth policy", async () => {
    const { violations } = await evaluatePolicies(policies, scale);
    expect(violations).toEqual([]);
  });

  /** The run with one resource's props patched; a referenced group is also what the value depends on (as the engine records it). */
  const patched = (name: string, patch: Record<string, unknown>, from?: string): RunResult => ({
    ...scale,
    resources: scale.resources.map((x) => {
      if (x.name !== name) return x;
      const propertyDependencies = from ? { ...x.options.propertyDependencies, referencedSecurityGroupId: [byName(from).urn] } : x.options.propertyDependencies;
      return { ...x, inputs: { ...x.inputs, ...patch }, state: { ...x.state, ...patch }, options: { ...x.options, propertyDependencies } };
    }),
  });

  it.each<[string, () => Record<string, unknown>, string | undefined, RegExp]>([
    ["the load balancer's group instead of the tasks'", () => ({ referencedSecurityGroupId: byName("alb-sg").id }), "alb-sg", /admits another security group/],
    ["the host's group", () => ({ referencedSecurityGroupId: byName("firewall-host-sg").id }), "firewall-host-sg", /admits another security group/],
    ["a prefix list beside the tasks' group", () => ({ prefixListId: "pl-0123" }), undefined, /admits another security group/],
    ["the VPC's CIDR", () => ({ referencedSecurityGroupId: undefined, cidrIpv4: "10.40.0.0/16" }), undefined, /admits 10\.40\.0\.0\/16/],
  ])("still fires when the database admits %s", async (_what, patch, from, fires) => {
    const violations = await runPolicies([databaseFromHostOnly], patched("firewall-database-in-ecs-tasks", patch(), from));
    expect(violations.map((v) => v.message).join("\n")).toMatch(fires);
  });
});

describe("scale: secrets of an ECS app", () => {
  it("become SecureString parameters the task reads by ARN, never clear text in the task definition", async () => {
    const proxy = section("scale", "proxy") as { apps: Array<Record<string, unknown>> };
    const apps = proxy.apps.map((a) => (a.name === "shop" ? { ...a, frontend: { ...(a.frontend as object), secrets: ["API_TOKEN"] } } : a));
    const r = await run(stackWith("scale", { proxy: { ...proxy, apps } }, { appSecrets: JSON.stringify({ shop: { API_TOKEN: "s3cret-token-value" } }) }));
    const param = r.resources.find((x) => x.name === "ecs-shop-frontend-param-API_TOKEN")!;
    expect(param.inputs).toMatchObject({ name: "/berth/scale/shop/frontend/API_TOKEN", type: "SecureString" });
    expect(isSecretValue(param.inputs.value)).toBe(true);
    const td = r.resources.find((x) => x.name === "ecs-shop-frontend-task-definition")!;
    expect(JSON.stringify(td.inputs)).not.toContain("s3cret-token-value");
    expect(JSON.stringify(td.inputs)).toContain("parameter/berth/scale/shop/frontend/API_TOKEN");
  });
});
