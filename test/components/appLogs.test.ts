// AppLogs on its own (public mock API): one CloudWatch Logs group per app, with the retention given.
import { beforeEach, describe, expect, it } from "vitest";
import { AppLogs, withoutWildcard } from "../../components/appLogs";
import { ACCOUNT, REGION, failure, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("AppLogs", () => {
  it("minimal args (one app): one group named after the stack and the app, with the retention", async () => {
    const logs = new AppLogs("app-logs", { apps: ["web"], retentionDays: 7, naming }, m.opts);
    const [names, arns] = await Promise.all([valueOf(logs.groupNames), Promise.all(logs.groupArns.map((a) => valueOf(a)))]);
    await m.settle();
    expect(m.ofType("aws:cloudwatch/logGroup:LogGroup").map((r) => [r.name, r.parent, r.inputs])).toEqual([
      ["app-logs-web", "app-logs", { name: "/berth/test/apps/web", retentionInDays: 7, tags: { Name: "berth-test-app-logs-web" } }],
    ]);
    expect(names).toEqual({ web: "/berth/test/apps/web" });
    // The provider's ARN may end in ":*"; the policy wants the group's own ARN.
    expect(arns).toEqual([`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/berth/test/apps/web`]);
  });

  it("full args (several apps): a group each, in config order", async () => {
    const logs = new AppLogs("app-logs", { apps: ["shop", "landing"], retentionDays: 90, naming: { project: "berth", stack: "prod" } }, m.opts);
    expect(await valueOf(logs.groupNames)).toEqual({ shop: "/berth/prod/apps/shop", landing: "/berth/prod/apps/landing" });
    await m.settle();
    expect(m.ofType("aws:cloudwatch/logGroup:LogGroup").map((r) => r.inputs.retentionInDays)).toEqual([90, 90]);
  });

  it("refuses to make nothing", async () => {
    const err = await failure(() => new AppLogs("app-logs", { apps: [], retentionDays: 7, naming }, m.opts));
    expect(err.message).toMatch(/AppLogs needs at least one app/);
  });

  it("withoutWildcard strips only a trailing :*", () => {
    expect(withoutWildcard("arn:aws:logs:r:1:log-group:/a:*")).toBe("arn:aws:logs:r:1:log-group:/a");
    expect(withoutWildcard("arn:aws:logs:r:1:log-group:/a")).toBe("arn:aws:logs:r:1:log-group:/a");
  });
});
