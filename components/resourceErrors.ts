// Errors tied to the component they concern. Under `pulumi up`, Pulumi's Node runtime prints a
// ResourceError's message under the resource's URN (without a stack when `hideStack`), where any
// other error is "failed with an unhandled exception" plus the whole inspected error. The pure
// layers (lib/, components/render/) throw plain Errors; a component tying them to itself here is
// what makes them readable (test/integration/runtime-errors.test.ts runs that path for real).
import * as pulumi from "@pulumi/pulumi";
import { frameless } from "../lib/errors";

/**
 * A ResourceError whose `resource` does not show in util.inspect. The runtime's handler of
 * uncaught errors inspects every error it reports (@pulumi/pulumi 3.248, cmd/run/run.js, for a
 * tracing event), and inspecting an enumerable `resource` walks the component's whole graph of
 * outputs: about 20 s of garbage collection before `pulumi up` exits. The handler reads
 * `err.resource` directly, so the message still lands under the resource's URN.
 */
function tied(message: string, resource: pulumi.Resource | undefined, hideStack: boolean): pulumi.ResourceError {
  const err = new pulumi.ResourceError(message, resource, hideStack);
  Object.defineProperty(err, "resource", { value: resource, enumerable: false, writable: true, configurable: true });
  // A hidden stack is never printed; dropping its frames spares the same handler a slow format of
  // them (see lib/errors.ts).
  if (hideStack) err.stack = frameless(err);
  return err;
}

/** A problem the user can act on (a setting, an argument), tied to `resource`; printed without a stack. */
export function resourceProblem(message: string, resource: pulumi.Resource): pulumi.ResourceError {
  return tied(message, resource, true);
}

/** A broken invariant of Berth's own (a bug to report), tied to `resource`; printed with its stack. */
export function resourceBug(message: string, resource: pulumi.Resource | undefined): pulumi.ResourceError {
  return tied(message, resource, false);
}

/**
 * Runs a pure step (a renderer, a lookup) for `resource`: an Error it throws becomes a
 * ResourceError tied to the resource, message kept and the original as its cause. Such a failure
 * means config validation let something through, so the stack stays visible for the bug report.
 */
export function tiedTo<T>(resource: pulumi.Resource | undefined, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (pulumi.ResourceError.isInstance(e) || pulumi.RunError.isInstance(e)) throw e;
    const err = resourceBug(e instanceof Error ? e.message : String(e), resource);
    if (e instanceof Error) err.cause = e;
    throw err;
  }
}
