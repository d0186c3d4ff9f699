// Apps on ECS (and their jobs) change nothing for stacks without one: dev and prod plan exactly as they did, with
// berth:cluster set to other values (the cluster code path switched on in config but given no app),
// and with every app's runtime spelled out as `host`.
import { describe, expect, it } from "vitest";
import { run, section, sharedRun, stackWith, type RunResult, type ShippedStack } from "../helpers/stack";

/** Resource types only an ECS app brings. */
// KMS keys are left out: the alerts topic has one of its own (berth:alerts), with or without ECS.
const ECS_TYPES = /^aws:(ecs|lb|ecr|ssm|acm|appautoscaling|scheduler)\/|^aws:ec2\/vpcEndpoint:|^berth:network:TaskNetwork$/;

const plan = (r: RunResult) => ({
  resources: Object.fromEntries(r.resources.map((x) => [x.urn, { inputs: x.inputs, parent: x.parent }])),
  outputs: r.outputs,
});

describe.each<ShippedStack>(["dev", "prod"])("%s", (stack) => {
  it("has no ECS resource", async () => {
    const shared = await sharedRun(stack);
    expect(shared.resources.filter((r) => ECS_TYPES.test(r.type)).map((r) => r.urn)).toEqual([]);
  });

  it("plans the same with berth:cluster set and with runtime: host spelled out", async () => {
    const shared = await sharedRun(stack);
    const proxy = section(stack, "proxy") as { apps: Array<Record<string, unknown>> };
    const edited = await run(
      stackWith(stack, {
        // Private task subnets too: without an ECS app there are no tasks, so no task network either.
        cluster: { containerInsights: false, deregistrationDelaySeconds: 30, idleTimeoutSeconds: 120, stopTimeoutSeconds: 60, taskSubnets: "private" },
        proxy: { ...proxy, apps: proxy.apps.map((a) => ({ ...a, runtime: "host" })) },
      }),
    );
    expect(plan(edited)).toEqual(plan(shared));
  });
});
