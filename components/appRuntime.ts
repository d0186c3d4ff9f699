// AppRuntime: what each app's containers get at run time, delivered by `pulumi up` so nobody needs a
// shell on the host: per app one secret delivery of its env files and multi-line secrets (root only,
// over command stdin marked secret: never argv, user data, plan output or logs). One delivery per app,
// so changing one app's values re-runs only that app's step; delivering never restarts anything
// (`berth-deploy restart <app>` applies new values, health-gated like a deploy).
import * as pulumi from "@pulumi/pulumi";
import { RemoteFiles, type HostTarget } from "./remoteFiles";
import { appEnvAfter, appEnvFiles, type AppEnvValues } from "./render/appEnv";
import type { AppSettings } from "./render/settings";
import { tiedTo } from "./resourceErrors";

export interface AppRuntimeArgs {
  /** The host the files go to (SSH connection and instance id). */
  readonly target: HostTarget;
  /** The apps (berth:proxy.apps), in config order. */
  readonly apps: readonly AppSettings[];
  /** Per app: its secret values (and database values), as secret outputs. */
  readonly values: Readonly<Record<string, pulumi.Input<AppEnvValues>>>;
  /** Must be in place first (cloud-init finished). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class AppRuntime extends pulumi.ComponentResource {
  /** The delivery of each app's runtime files, by app name (for dependsOn). */
  public readonly delivered: Readonly<Record<string, pulumi.Resource>>;

  constructor(name: string, args: AppRuntimeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:apps:AppRuntime", name, {}, opts);
    const delivered: Record<string, pulumi.Resource> = {};
    for (const app of args.apps) {
      // Secret whatever the caller passed: these are the apps' secrets and database passwords.
      const values = pulumi.secret(pulumi.output(args.values[app.name] ?? { secrets: {} }));
      const files = values.apply((v) => tiedTo(this, () => appEnvFiles(app, v)));
      const set = new RemoteFiles(
        `${name}-${app.name}`,
        {
          target: args.target,
          files,
          secret: true,
          bundle: { mode: "install" },
          afterFiles: (delivered) => appEnvAfter(app, delivered),
        },
        { parent: this, dependsOn: args.dependsOn },
      );
      delivered[app.name] = set.command;
    }
    this.delivered = delivered;
    this.registerOutputs({});
  }
}
