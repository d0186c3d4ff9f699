// Error text shared by the config layer and the components. Pure: no Pulumi, no I/O.

/**
 * The stack of an error whose frames nobody reads: just its first line. Pulumi never prints a
 * RunError's stack, yet its handler of uncaught errors formats every error with util.inspect in
 * colour, and on Node 20.20 that loops over the SDK's source-mapped frames
 * (".../node_modules/@pulumi/resource.ts", nodejs/node#64011) for about 20 s before `pulumi up`
 * can print the problem. (Measured through test/helpers/languageHost.ts: a run failing on a
 * ConfigError took about 20 s, 2.7 s once the frames were gone.)
 */
export function frameless(err: Error): string {
  return `${err.name}: ${err.message}`;
}
