// AppLogs: one CloudWatch Logs group per app, `/<project>/<stack>/apps/<app>`, with the stack's
// retention (berth:proxy.appLogRetentionDays). Docker's awslogs driver on the host writes each
// container's output into its app's group (components/render/logs.ts); the host role may create
// streams and put events in exactly these groups (components/hostRole.ts), never create a group,
// so nothing outside the stack's groups, and nothing without a retention, is ever written.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { appLogGroupName, physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";

export interface AppLogsArgs {
  /** The apps' names (berth:proxy.apps[].name), in config order; at least one. */
  readonly apps: readonly string[];
  /** Days CloudWatch Logs keeps the lines (a value CloudWatch Logs accepts as a retention). */
  readonly retentionDays: number;
  /** Project and stack: the groups' names and Name tags. */
  readonly naming: Naming;
}

export class AppLogs extends pulumi.ComponentResource {
  /** Log group name by app name, e.g. { web: "/berth/dev/apps/web" }. */
  public readonly groupNames: pulumi.Output<Record<string, string>>;
  /** The groups' ARNs (without the `:*` suffix), in the order of `apps`: what the host role may write to. */
  public readonly groupArns: pulumi.Output<string>[];

  constructor(name: string, args: AppLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:logs:AppLogs", name, {}, opts);
    if (args.apps.length === 0) throw new pulumi.ResourceError("AppLogs needs at least one app", this);
    const groups = args.apps.map(
      (app) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${app}`,
          {
            name: appLogGroupName(args.naming, app),
            retentionInDays: args.retentionDays,
            // A tag value, not a resource name: up to 256 characters.
            tags: nameTag(physical(args.naming, `app-logs-${app}`, 256)),
          },
          { parent: this },
        ),
    );
    this.groupNames = pulumi.all(groups.map((g) => g.name)).apply((names) => Object.fromEntries(args.apps.map((app, i) => [app, names[i]])));
    this.groupArns = groups.map((g) => g.arn.apply(withoutWildcard));
    this.registerOutputs({ groupNames: this.groupNames });
  }
}

/** A log group's ARN without the `:*` some APIs append, so `:log-stream:*` can follow it. */
export function withoutWildcard(arn: string): string {
  return arn.replace(/:\*$/, "");
}
