// Provider data the wiring reads (invokes, not resources). Apart from args.ts because these call a
// provider: the decision whether to call is args.ts's (realIpNames), the call is here.
import * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Cloudflare's IPv4 and IPv6 ranges, read from Cloudflare, when nginx must trust them: only when
 * a Cloudflare provider exists and some served name is proxied (`proxiedNames` non-empty).
 */
export function cloudflareIpRanges(provider: cloudflare.Provider | undefined, proxiedNames: readonly string[]): pulumi.Output<string[]> | undefined {
  if (!provider || proxiedNames.length === 0) return undefined;
  return cloudflare.getIpRangesOutput({}, { provider }).apply((r) => [...r.ipv4Cidrs, ...r.ipv6Cidrs]);
}
