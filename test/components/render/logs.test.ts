// The apps' docker logging arguments (components/render/logs.ts) and where apps.json carries them:
// CloudWatch Logs on AWS (awslogs, non-blocking with a buffer), Docker's local driver in the rehearsal.
import { describe, expect, it } from "vitest";
import { appLogArgs } from "../../../components/render/logs";
import { renderAppsFile } from "../../../components/render/deploy";
import { stackConfig } from "../../helpers/renderFixtures";

interface AppsFile {
  apps: Array<{ name: string; parts: Array<{ role: string; logArgs: string[] }> }>;
}

describe("appLogArgs", () => {
  it("awslogs: region, the app's group, a stream per container, non-blocking with a 4m buffer", () => {
    expect(appLogArgs({ driver: "awslogs", region: "ap-northeast-2", group: "/berth/prod/apps/shop" })).toEqual([
      "--log-driver",
      "awslogs",
      "--log-opt",
      "awslogs-region=ap-northeast-2",
      "--log-opt",
      "awslogs-group=/berth/prod/apps/shop",
      "--log-opt",
      "tag={{.Name}}/{{.ID}}",
      "--log-opt",
      "mode=non-blocking",
      "--log-opt",
      "max-buffer-size=4m",
    ]);
  });

  it("awslogs never asks the driver to create a group (the stack does; the role may not)", () => {
    expect(appLogArgs({ driver: "awslogs", region: "eu-west-1", group: "/x" }).join(" ")).not.toMatch(/create-group/);
  });

  it("local: Docker's local driver, 10m files, three kept", () => {
    expect(appLogArgs({ driver: "local" })).toEqual(["--log-driver", "local", "--log-opt", "max-size=10m", "--log-opt", "max-file=3"]);
  });

  it.each([
    [{ region: "Mars-1", group: "/berth/dev/apps/web" }, /region "Mars-1" must be an AWS region/],
    [{ region: "us-east-1", group: "/berth/dev/apps/web app" }, /log group "\/berth\/dev\/apps\/web app" must be/],
    [{ region: "us-east-1", group: "" }, /log group "" must be/],
  ])("refuses %j", (t, message) => {
    expect(() => appLogArgs({ driver: "awslogs", ...t })).toThrow(message);
  });
});

describe("renderAppsFile: logArgs of every part", () => {
  const prod = stackConfig("prod");
  const parse = (text: string): AppsFile => JSON.parse(text) as AppsFile;

  it("on AWS each part logs to its app's group", () => {
    const groups = { shop: "/berth/prod/apps/shop", landing: "/berth/prod/apps/landing" };
    const file = parse(renderAppsFile(prod, { logs: { driver: "awslogs", region: "ap-northeast-2", groups } }));
    const byPart = file.apps.flatMap((a) => a.parts.map((p) => [`${a.name}/${p.role}`, p.logArgs[5]]));
    expect(byPart).toEqual([
      ["shop/frontend", "awslogs-group=/berth/prod/apps/shop"],
      ["shop/backend", "awslogs-group=/berth/prod/apps/shop"],
      ["landing/frontend", "awslogs-group=/berth/prod/apps/landing"],
    ]);
    for (const a of file.apps)
      for (const p of a.parts)
        expect(p.logArgs).toEqual(appLogArgs({ driver: "awslogs", region: "ap-northeast-2", group: groups[a.name as keyof typeof groups] }));
  });

  it("the rehearsal (and the default) renders the local driver", () => {
    const local = parse(renderAppsFile(prod, { logs: { driver: "local" } }));
    expect(local.apps.flatMap((a) => a.parts.map((p) => p.logArgs))).toEqual(Array(3).fill(appLogArgs({ driver: "local" })));
    expect(renderAppsFile(prod)).toBe(renderAppsFile(prod, { logs: { driver: "local" } }));
  });

  it("names the app that has no log group", () => {
    expect(() => renderAppsFile(prod, { logs: { driver: "awslogs", region: "ap-northeast-2", groups: { shop: "/g" } } })).toThrow(
      /app landing has no CloudWatch Logs group \(logs\.groups names shop\)/,
    );
  });
});
