// AppRuntime: what each app's containers get at run time, delivered by `pulumi up` so nobody needs a
// shell on the host: per app one secret delivery of its env files and multi-line secrets (root only,
// over command stdin marked secret: never argv, user data, plan output or logs). One delivery per app,
// so changing one app's values re-runs only that app's step; delivering never restarts anything
// (`berth-deploy restart <app>` applies new values, health-gated like a deploy).
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appDatabaseEnv, appDatabaseName, appDatabaseUser } from "../lib/appDatabase";
import { DB_PASSWORD_SECRET } from "../lib/appRuntime";
import { hostCommand, RemoteFiles, type HostTarget } from "./remoteFiles";
import { renderAppDatabaseScript } from "./render/appDatabase";
import { appEnvAfter, appEnvFiles, type AppEnvValues } from "./render/appEnv";
import { installMysqlClient, runAsRootFromStdin } from "./render/hostCommands";
import { HOST_PATHS } from "./render/paths";
import type { AppSettings } from "./render/settings";
import { resourceProblem, tiedTo } from "./resourceErrors";

export interface AppRuntimeArgs {
  /** The host the files go to (SSH connection and instance id). */
  readonly target: HostTarget;
  /** The apps (berth:proxy.apps), in config order. */
  readonly apps: readonly AppSettings[];
  /** Per app: its secret values (berth:appSecrets.<app>); DB_PASSWORD, when set, is its database password. */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The stack's database, for apps with `database: true`: where it is and its master login (secret). */
  readonly database?: AppDatabaseTarget;
  /** Apps elsewhere (ECS) whose database and user the same step creates; their values are in `databaseEnv`. */
  readonly otherDatabaseApps?: readonly string[];
  /** Must be in place first (cloud-init finished). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The RDS instance as the creation step reaches it from the host. */
export interface AppDatabaseTarget {
  /** The endpoint's address. */
  readonly host: pulumi.Input<string>;
  /** Its port. */
  readonly port: pulumi.Input<number>;
  /** Master user (only the creation step uses it). */
  readonly masterUser: pulumi.Input<string>;
  /** Master password (secret). */
  readonly masterPassword: pulumi.Input<string>;
  /** The instance: the creation step waits for it. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class AppRuntime extends pulumi.ComponentResource {
  /** The delivery of each app's runtime files, by app name (for dependsOn). */
  public readonly delivered: Readonly<Record<string, pulumi.Resource>>;
  /** DATABASE_URL and DB_* (secret) of every app with a database, host and other apps alike, by app name. */
  public readonly databaseEnv: Readonly<Record<string, pulumi.Output<Record<string, string>>>>;
  /** The step that creates the apps' databases and users; undefined when no app has one. */
  public readonly databasesCreated?: pulumi.Resource;

  constructor(name: string, args: AppRuntimeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:apps:AppRuntime", name, {}, opts);
    const delivered: Record<string, pulumi.Resource> = {};
    const db = this.databases(name, args);
    for (const app of args.apps) {
      const secrets = args.secrets[app.name] ?? {};
      const dbEnv = db?.env[app.name];
      // Secret whatever the inputs are: these are the apps' secrets and database passwords.
      const values = pulumi.secret(dbEnv ? dbEnv.apply((database): AppEnvValues => ({ secrets, database })) : pulumi.output<AppEnvValues>({ secrets }));
      const files = values.apply((v) => tiedTo(this, () => appEnvFiles(app, v)));
      const set = new RemoteFiles(
        `${name}-${app.name}`,
        {
          target: args.target,
          files,
          secret: true,
          bundle: { mode: "install" },
          afterFiles: (files) => appEnvAfter(app, files),
        },
        // An app's files name its database user: the user exists first.
        { parent: this, dependsOn: [...args.dependsOn, ...(dbEnv && db ? [db.created] : [])] },
      );
      delivered[app.name] = set.command;
    }
    this.delivered = delivered;
    this.databaseEnv = Object.fromEntries(Object.entries(db?.env ?? {}).map(([app, env]) => [app, pulumi.secret(env)]));
    this.databasesCreated = db?.created;
    this.registerOutputs({});
  }

  /**
   * Each app with `database: true`: its password (generated and kept in state, or DB_PASSWORD), and
   * one step on the host (the only address the database admits) that creates every app's database and
   * user with the master login, idempotently; the script and both passwords travel as secret stdin.
   */
  private databases(name: string, args: AppRuntimeArgs): { env: Record<string, pulumi.Output<Record<string, string>>>; created: pulumi.Resource } | undefined {
    const apps: ReadonlyArray<{ readonly name: string }> = [
      ...args.apps.filter((a) => a.database),
      ...(args.otherDatabaseApps ?? []).map((app) => ({ name: app })),
    ];
    if (apps.length === 0) return undefined;
    if (!args.database) throw resourceProblem(`apps ${apps.map((a) => a.name).join(", ")} ask for a database but the stack passed none`, this);
    const target = args.database;
    const passwords = apps.map((a) => {
      const given = args.secrets[a.name]?.[DB_PASSWORD_SECRET];
      return given !== undefined
        ? pulumi.secret(given)
        : new random.RandomPassword(`${name}-${a.name}-db-password`, { length: 32, special: false }, { parent: this }).result;
    });
    const script = pulumi
      .all([
        pulumi.output(target.host),
        pulumi.output(target.port),
        pulumi.output(target.masterUser),
        pulumi.output(target.masterPassword),
        pulumi.all(passwords),
      ])
      .apply(([host, port, user, password, apps_]) =>
        tiedTo(this, () =>
          [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            installMysqlClient(),
            renderAppDatabaseScript(
              { host, port, user, password },
              apps.map((a, i) => ({ app: a.name, password: apps_[i] })),
              "mysql8",
              // Kept root only: the deploy program discards old passwords with it (dual passwords).
              HOST_PATHS.dbAdminOptions,
            ),
          ].join("\n"),
        ),
      );
    const created = hostCommand(
      `${name}-databases`,
      args.target,
      { create: runAsRootFromStdin(), stdin: pulumi.secret(script) },
      { parent: this, dependsOn: [...args.dependsOn, ...target.dependsOn] },
    );
    const env: Record<string, pulumi.Output<Record<string, string>>> = {};
    apps.forEach((a, i) => {
      env[a.name] = pulumi
        .all([target.host, target.port, passwords[i]])
        .apply(([host, port, password]) =>
          appDatabaseEnv({ host, port, database: appDatabaseName(a.name), user: appDatabaseUser(a.name), password, tls: true }),
        );
    });
    return { env, created };
  }
}
