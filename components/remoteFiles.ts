// RemoteFiles: one set of host files delivered over SSH as a bundle script on stdin (see
// render/bundle.ts). The bundle re-runs only when its own files change, so each set is its
// own small blast radius. Secret sets travel as secret stdin and never appear in a diff.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderBundle, type BundleOptions } from "./render/bundle";
import { runAsRootFromStdin } from "./render/hostCommands";
import type { HostFile } from "./render/paths";
import { tiedTo } from "./resourceErrors";

export type Connection = command.types.input.remote.ConnectionArgs;

/**
 * Where host-side steps run: the SSH connection, and the EC2 instance underneath it. The Elastic
 * IP (and so the connection) survives a host replacement; the instance id is what tells every
 * step that the host is new and bare, so it triggers each of them.
 */
export interface HostTarget {
  /** SSH connection to the host (address, user, port, private key): the command provider makes it a secret. */
  readonly connection: pulumi.Input<Connection>;
  /** The EC2 instance id: a new id (a replaced host) re-runs every step. */
  readonly hostId: pulumi.Input<string>;
}

/** A command run on the host as `create`, re-run when the host is replaced. */
export function hostCommand(
  name: string,
  target: HostTarget,
  args: { readonly create: string; readonly stdin?: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return new command.remote.Command(
    name,
    {
      connection: target.connection,
      create: args.create,
      stdin: args.stdin,
      triggers: [target.hostId],
      // The scripts print only status lines; never their input.
      logging: "stdoutAndStderr",
    },
    opts,
  );
}

export interface RemoteFilesArgs {
  /** Where the files go: the SSH connection and the instance underneath it. */
  readonly target: HostTarget;
  /** The files of this set (path, content, mode, group, secret); the bundle re-runs when any of them changes. */
  readonly files: pulumi.Input<HostFile[]>;
  /** How the bundle writes them (install or nginx mode, directories, commands after); its label is the component's name. */
  readonly bundle: Omit<BundleOptions, "label">;
  /** The files hold keys or password hashes: the whole script is a secret. */
  readonly secret: boolean;
  /** Shell lines after the files that depend on the files themselves (appended to `bundle.after`). */
  readonly afterFiles?: (files: readonly HostFile[]) => string[];
  /** Shell lines after those that depend on values known only once other resources exist (the data volume's size). */
  readonly afterLater?: pulumi.Input<string[]>;
}

export class RemoteFiles extends pulumi.ComponentResource {
  /** The delivery command, for dependsOn. */
  public readonly command: command.remote.Command;

  constructor(name: string, args: RemoteFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:RemoteFiles", name, {}, opts);
    const script = pulumi
      .all([args.files, args.afterLater ?? []])
      .apply(([files, later]) =>
        tiedTo(this, () =>
          renderBundle(files, { ...args.bundle, after: [...(args.bundle.after ?? []), ...(args.afterFiles?.(files) ?? []), ...later], label: name }),
        ),
      );
    // `sudo bash -s` reads the bundle from stdin; nothing about the files is in the command line.
    this.command = hostCommand(
      `${name}-apply`,
      args.target,
      {
        create: runAsRootFromStdin(),
        stdin: args.secret ? pulumi.secret(script) : script,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}

/**
 * A secret set installed as it is (keys, password hashes, basic-auth files): the delivery Proxy
 * and Registry both make before the step that reads the files.
 */
export function secretFiles(name: string, target: HostTarget, files: pulumi.Input<HostFile[]>, opts: pulumi.ComponentResourceOptions): RemoteFiles {
  return new RemoteFiles(name, { target, files, secret: true, bundle: { mode: "install" } }, opts);
}
