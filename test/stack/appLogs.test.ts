// The apps' logs in both shipped stacks: a CloudWatch Logs group per app with the stack's
// retention, the host's one role allowed to write only there, its instance profile on the host,
// and the docker arguments apps.json hands the deploy program pointing at those groups.
import { beforeAll, describe, expect, it } from "vitest";
import { bundleFiles } from "../../lib/hostBundle";
import { appLogArgs } from "../../components/render/logs";
import { ofType, one, section, sharedRun, type RunResult } from "../helpers/stack";

const runs: Record<string, RunResult> = {};
beforeAll(async () => {
  runs.dev = await sharedRun("dev");
  runs.prod = await sharedRun("prod");
});

const EXPECTED = {
  dev: { retention: 7, apps: ["web"] },
  prod: { retention: 30, apps: ["shop", "landing"] },
} as const;

describe.each(["dev", "prod"] as const)("%s", (stack) => {
  const r = (): RunResult => runs[stack];
  const appGroups = () => ofType(r(), "aws:cloudwatch/logGroup:LogGroup").filter((g) => String(g.inputs.name).startsWith(`/berth/${stack}/apps/`));

  it("has one log group per app, named /berth/<stack>/apps/<app>, with the stack's retention", () => {
    expect(section(stack, "proxy").appLogRetentionDays).toBe(EXPECTED[stack].retention);
    expect(appGroups().map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual(
      EXPECTED[stack].apps.map((a) => [`/berth/${stack}/apps/${a}`, EXPECTED[stack].retention]),
    );
    expect(r().outputs.appLogGroups).toEqual(Object.fromEntries(EXPECTED[stack].apps.map((a) => [a, `/berth/${stack}/apps/${a}`])));
  });

  it("gives the host one role, on the host as its instance profile", () => {
    const roles = ofType(r(), "aws:iam/role:Role").filter((x) => String(x.inputs.assumeRolePolicy).includes("ec2.amazonaws.com"));
    expect(roles).toHaveLength(1);
    const profile = one(r(), "aws:iam/instanceProfile:InstanceProfile");
    expect(profile.inputs.role).toBe(roles[0].state.name);
    expect(one(r(), "aws:ec2/instance:Instance").inputs.iamInstanceProfile).toBe(profile.state.name);
  });

  it("lets the role create streams and put events in exactly the app groups, and nothing else about logs", () => {
    const arns = appGroups().map((g) => String(g.state.arn));
    const logsPolicies = ofType(r(), "aws:iam/rolePolicy:RolePolicy").filter((p) => String(p.inputs.policy).includes("logs:"));
    const role = ofType(r(), "aws:iam/role:Role").find((x) => String(x.inputs.assumeRolePolicy).includes("ec2.amazonaws.com"))!;
    const hostLogs = logsPolicies.filter((p) => p.inputs.role === role.id);
    // Both also ship the deploy log (the agent runs wherever the host runs apps): that policy names its own groups (test/stack/alerts.test.ts).
    expect(hostLogs.map((p) => p.inputs.name)).toEqual(["app-logs", "monitoring"]);
    expect(JSON.parse(String(hostLogs[0].inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AppLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: arns.flatMap((a) => [a, `${a}:log-stream:*`]) },
      ],
    });
  });

  it("puts each part's awslogs arguments into apps.json, pointing at its app's group in the stack's region", () => {
    const deliver = one(r(), "command:remote:Command", "services-deploy-files-apply");
    const apps = bundleFiles(String(deliver.inputs.stdin)).find((f) => f.path === "/etc/berth/deploy/apps.json")!;
    const file = JSON.parse(apps.content) as { apps: Array<{ name: string; parts: Array<{ logArgs: string[] }> }> };
    for (const a of file.apps)
      for (const p of a.parts) expect(p.logArgs).toEqual(appLogArgs({ driver: "awslogs", region: "ap-northeast-2", group: `/berth/${stack}/apps/${a.name}` }));
    expect(file.apps.map((a) => a.name)).toEqual([...EXPECTED[stack].apps]);
  });
});

describe("prod: the registry's role moved into HostRole", () => {
  it("keeps the role, its S3 policy and the profile RegistryStorage made (aliases; their names as before)", () => {
    const r = runs.prod;
    const U = (type: string, name: string) => `urn:pulumi:prod::berth::berth:registry:RegistryStorage$${type}::${name}`;
    expect(one(r, "aws:iam/role:Role", "host-iam-role").options.aliases).toEqual([U("aws:iam/role:Role", "registry-storage-host-role")]);
    expect(one(r, "aws:iam/rolePolicy:RolePolicy", "host-iam-registry-bucket").options.aliases).toEqual([
      U("aws:iam/rolePolicy:RolePolicy", "registry-storage-host-policy"),
    ]);
    expect(one(r, "aws:iam/instanceProfile:InstanceProfile", "host-iam-profile").options.aliases).toEqual([
      U("aws:iam/instanceProfile:InstanceProfile", "registry-storage-host-profile"),
    ]);
    // The fake cloud keeps a moved resource's assigned name, as IAM does: the host's profile is the old one.
    expect(String(one(r, "aws:ec2/instance:Instance").inputs.iamInstanceProfile)).toMatch(/^registry-storage-host-profile-[0-9a-f]{7}$/);
    expect(one(r, "aws:iam/rolePolicy:RolePolicy", "host-iam-registry-bucket").inputs.name).toBe("registry-bucket");
  });
});
