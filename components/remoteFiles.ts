// RemoteFiles: one set of host files delivered over SSH as a bundle script on stdin (see
// render/bundle.ts). The bundle re-runs only when its own files change, so each set is its
// own small blast radius. Secret sets travel as secret stdin and never appear in a diff.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderBundle, type BundleOptions } from "./render/bundle";
import type { HostFile } from "./render/paths";

export type Connection = command.types.input.remote.ConnectionArgs;

export interface RemoteFilesArgs {
  readonly connection: pulumi.Input<Connection>;
  readonly files: pulumi.Input<HostFile[]>;
  readonly bundle: Omit<BundleOptions, "label">;
  /** The files hold keys or password hashes: the whole script is a secret. */
  readonly secret: boolean;
  /** Values whose change re-runs the delivery even when the files did not change (the host's instance id). */
  readonly triggers?: pulumi.Input<unknown>[];
}

export class RemoteFiles extends pulumi.ComponentResource {
  /** The delivery command, for dependsOn. */
  public readonly command: command.remote.Command;

  constructor(name: string, args: RemoteFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:RemoteFiles", name, {}, opts);
    const script = pulumi.output(args.files).apply((files) => renderBundle(files, { ...args.bundle, label: name }));
    this.command = new command.remote.Command(`${name}-apply`, {
      connection: args.connection,
      // `sudo bash -s` reads the bundle from stdin; nothing about the files is in the command line.
      create: "sudo bash -s",
      stdin: args.secret ? pulumi.secret(script) : script,
      triggers: args.triggers,
      // The scripts print only status lines; never their input.
      logging: "stdoutAndStderr",
    }, { parent: this });
    this.registerOutputs({});
  }
}
