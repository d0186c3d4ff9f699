// The app runtime's config rules (config/validate/apps.ts and the part keys in config/schema.ts): each bad
// input is refused before any cloud call, naming the key and, for secrets, the exact command to fix it.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../config";
import { toRawConfigInput } from "../../../offline/stackFile";
import { rejection, section, stackWith } from "../../helpers/stack";

/** The dev stack with its one app's front end (and the app) changed. */
function devWith(part: Record<string, unknown>, app: Record<string, unknown> = {}, appSecrets?: unknown, proxyApps?: unknown) {
  const proxy = section("dev", "proxy") as { apps: Array<Record<string, unknown>> };
  const web = proxy.apps[0];
  const apps = proxyApps ?? [{ ...web, ...app, frontend: { ...(web.frontend as object), ...part } }];
  return stackWith("dev", { proxy: { ...proxy, apps } }, appSecrets === undefined ? {} : { appSecrets: JSON.stringify(appSecrets) });
}
const problems = (...args: Parameters<typeof devWith>): string => rejection(toRawConfigInput(devWith(...args))).message;
const parses = (...args: Parameters<typeof devWith>) => parseConfig(toRawConfigInput(devWith(...args)));

describe("app env and secrets", () => {
  it("accepts clear values, declared secrets with values, a release argv and a database", () => {
    const cfg = parses(
      { env: { GREETING: "hello", LOG_LEVEL: "info" }, secrets: ["API_TOKEN"], release: ["node", "migrate.js"], releaseTimeoutSeconds: 120 },
      { database: true },
      { web: { API_TOKEN: "t0k", DB_PASSWORD: "a-long-db-password" } },
    );
    const web = cfg.proxy.apps[0];
    expect(web.frontend.env).toEqual({ GREETING: "hello", LOG_LEVEL: "info" });
    expect(web.frontend.release).toEqual(["node", "migrate.js"]);
    expect(web.backend?.releaseTimeoutSeconds).toBe(600);
    expect(web.database).toBe(true);
    expect(cfg.appSecrets).toEqual({ web: { API_TOKEN: "t0k", DB_PASSWORD: "a-long-db-password" } });
  });

  it.each([
    [{ env: { "api-token": "x" } }, "berth:proxy.apps[0].frontend.env", "must be an environment variable name"],
    [{ env: { "1X": "x" } }, "berth:proxy.apps[0].frontend.env", "must be an environment variable name"],
    [{ secrets: ["api token"] }, "berth:proxy.apps[0].frontend.secrets[0]", "must be an environment variable name"],
    [{ env: { PORT: "8080" } }, "berth:proxy.apps[0].frontend.env.PORT", "is reserved: Berth sets PORT to the part's containerPort"],
    [{ env: { BERTH_COLOR: "x" } }, "berth:proxy.apps[0].frontend.env.BERTH_COLOR", "is reserved: BERTH_* names are Berth's"],
    [{ env: { DATABASE_URL: "x" } }, "berth:proxy.apps[0].frontend.env.DATABASE_URL", "is reserved: Berth sets it for an app with database: true"],
    [
      { release: "npm run migrate" },
      "berth:proxy.apps[0].frontend.release",
      'must be a list of arguments (argv), e.g. ["npm", "run", "migrate"], not one string',
    ],
    [{ release: [] }, "berth:proxy.apps[0].frontend.release", ""],
    [{ releaseTimeoutSeconds: 0 }, "berth:proxy.apps[0].frontend.releaseTimeoutSeconds", ""],
  ])("refuses %j naming %s", (part, key, message) => {
    const text = problems(part);
    expect(text).toContain(key);
    expect(text).toContain(message);
  });

  it("a declared secret with no value names the key and the exact pulumi config set command", () => {
    expect(problems({ secrets: ["API_TOKEN"] })).toContain(
      "berth:appSecrets.web.API_TOKEN = (not set): is declared by berth:proxy.apps[0].frontend.secrets but has no value; set it: pulumi config set --secret --path 'berth:appSecrets.web.API_TOKEN' <value>",
    );
  });

  it("a value no part declares (a typo) is refused, with the command that removes it; the value is never shown", () => {
    const text = problems({ secrets: ["API_TOKEN"] }, {}, { web: { API_TOKEN: "x", API_TOKNE: "secret-value" } });
    expect(text).toContain(
      "berth:appSecrets.web.API_TOKNE = \"(hidden)\": is set but no part of web declares it in secrets; declare it, or remove it: pulumi config rm --path 'berth:appSecrets.web.API_TOKNE'",
    );
    expect(text).not.toContain("secret-value");
  });

  it("a secret value for an app that does not exist is refused", () => {
    expect(problems({}, {}, { shop: { TOKEN: "x" } })).toContain('berth:appSecrets.shop = "(hidden)": names no app of berth:proxy.apps (web)');
  });

  it("DB_PASSWORD needs no declaration, but only an app with a database takes it, and it must be long enough", () => {
    expect(problems({}, {}, { web: { DB_PASSWORD: "a-long-db-password" } })).toContain("only an app with database: true takes DB_PASSWORD");
    expect(problems({}, { database: true }, { web: { DB_PASSWORD: "short" } })).toContain("berth:appSecrets.web.DB_PASSWORD");
  });

  it("berth:appSecrets must be stored encrypted", () => {
    const file = devWith({});
    const plain = { ...file, config: { ...file.config, "berth:appSecrets": JSON.stringify({ web: {} }) } };
    expect(rejection(toRawConfigInput(plain)).message).toContain('berth:appSecrets = "(hidden)": must be stored encrypted: pulumi config set --secret --path');
  });

  it("a name given twice, or clashing with a multi-line secret's _FILE name, is refused", () => {
    expect(problems({ env: { TOKEN: "x" }, secrets: ["TOKEN"] }, {}, { web: { TOKEN: "y" } })).toContain("is also in berth:proxy.apps[0].frontend.secrets");
    expect(problems({ env: { KEY_FILE: "x" }, secrets: ["KEY"] }, {}, { web: { KEY: "y" } })).toContain("KEY_FILE is Berth's for this secret");
  });
});

describe("app databases", () => {
  it("refuses an app whose database or user would be a name the server keeps, or the master's", () => {
    const proxy = section("dev", "proxy") as { apps: Array<Record<string, unknown>> };
    const named = (name: string) => [{ ...proxy.apps[0], name, database: true }];
    expect(problems({}, {}, undefined, named("mysql"))).toContain("berth:proxy.apps[0].database = true: app mysql would get database and user");
    const master = parseConfig(toRawConfigInput(stackWith("dev"))).database.username;
    expect(problems({}, {}, undefined, named(master))).toContain(`the stack's master user`);
  });

  it("refuses an app name too long for a MySQL user name (32), naming the key", () => {
    const proxy = section("dev", "proxy") as { apps: Array<Record<string, unknown>> };
    const text = problems({}, {}, undefined, [{ ...proxy.apps[0], name: "a".repeat(33), database: true }]);
    expect(text).toContain("berth:proxy.apps[0].name");
  });
});
