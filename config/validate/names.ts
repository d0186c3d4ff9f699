// Names the APIs limit: physical names built from the project and stack, record comments, and the
// reserved example names that a real preview or update must not send (lib/apiRules.ts).
import { CLOUDFLARE_COMMENT_MAX, isReservedName, ROUTE53_COMMENT_MAX, s3BucketNameProblem, securityGroupNameProblem } from "../../lib/apiRules";
import { recordComment } from "../../lib/dnsPlan";
import { NAME_LIMITS, physicalName, registryBucketPrefix, stackNameProblem } from "../../lib/naming";
import type { ConfigProblem } from "../errors";
import type { RawConfigInput } from "../input";
import type { Raw } from "../schema";

/** Names built from the project and stack that AWS and Cloudflare limit in length, case or characters. */
export function validateNameLengths(input: RawConfigInput, raw: Raw, add: (p: ConfigProblem) => void): void {
  const caseProblem = stackNameProblem(input.stack);
  if (caseProblem) add({ key: "(stack name)", value: input.stack, message: caseProblem });
  // Both security groups' names start with the project: `<project>-<stack>-host-...`.
  const groupPrefix = `${input.project}-${input.stack}-host-`.toLowerCase();
  const groupProblem = securityGroupNameProblem(groupPrefix);
  if (groupProblem)
    add({
      key: "(project name)",
      value: input.project,
      message: `the security groups' name prefix "${groupPrefix}" ${groupProblem}; rename the project (name: in Pulumi.yaml)`,
    });
  for (const role of ["db", "db-final", "db-subnets", "db-params", "host-key"]) {
    try {
      physicalName(input.project, input.stack, role, NAME_LIMITS.rdsIdentifier);
    } catch (e) {
      add({ key: "(stack name)", value: input.stack, message: (e as Error).message });
    }
  }
  if (raw.registry.enabled && raw.registry.storage === "s3") {
    const prefix = registryBucketPrefix(input);
    const problem = s3BucketNameProblem(prefix, true);
    if (problem)
      add({
        key: "(stack name)",
        value: input.stack,
        message: `the registry bucket name prefix "${prefix}" ${problem} (shorten or change the project or stack name)`,
      });
  }
  const comment = recordComment(input.project, input.stack);
  if (raw.dns.zones.some((z) => z.provider === "cloudflare") && comment.length > CLOUDFLARE_COMMENT_MAX) {
    add({
      key: "(stack name)",
      value: input.stack,
      message: `the Cloudflare record comment "${comment}" is ${comment.length} characters; Cloudflare's Free plan allows ${CLOUDFLARE_COMMENT_MAX} (shorten the project or stack name)`,
    });
  }
  if (raw.dns.zones.some((z) => z.provider === "route53" && z.zoneId === undefined) && comment.length > ROUTE53_COMMENT_MAX) {
    add({
      key: "(stack name)",
      value: input.stack,
      message: `the Route53 zone comment is ${comment.length} characters; Route53 allows ${ROUTE53_COMMENT_MAX} (shorten the project or stack name)`,
    });
  }
}

/**
 * A real preview or update: reserved example names (RFC 2606 / RFC 6761) would be refused by
 * Route53, unknown to Cloudflare and refused by Let's Encrypt. Report them together as one
 * problem that lists every key to set, instead of a cloud error halfway through.
 */
export function validateRealNames(raw: Raw, add: (p: ConfigProblem) => void): void {
  const found: string[] = [];
  raw.dns.zones.forEach((z, i) => {
    if (isReservedName(z.domain)) found.push(`berth:dns.zones[${i}].domain (${z.domain})`);
  });
  if (raw.registry.hostname !== undefined && isReservedName(raw.registry.hostname)) found.push(`berth:registry.hostname (${raw.registry.hostname})`);
  raw.proxy.apps.forEach((a, i) =>
    a.hostnames.forEach((h, j) => {
      if (isReservedName(h)) found.push(`berth:proxy.apps[${i}].hostnames[${j}] (${h})`);
    }),
  );
  raw.proxy.extraHosts.forEach((h, i) => {
    if (isReservedName(h.hostname)) found.push(`berth:proxy.extraHosts[${i}].hostname (${h.hostname})`);
  });
  raw.tls.extraNames.forEach((n, i) => {
    if (isReservedName(n.replace(/^\*\./, ""))) found.push(`berth:tls.extraNames[${i}] (${n})`);
  });
  const email = raw.tls.email;
  if (raw.tls.mode === "letsencrypt" && email !== undefined && isReservedName(email.split("@").pop() ?? "")) found.push(`berth:tls.email (${email})`);
  raw.alerts.email.forEach((e, i) => {
    if (isReservedName(e.split("@").pop() ?? "")) found.push(`berth:alerts.email[${i}] (${e})`);
  });
  if (found.length > 0) {
    add({
      key: "(reserved example names)",
      value: found.length,
      message: `these keys hold reserved example names, which Route53, Cloudflare and Let's Encrypt refuse (RFC 2606/6761 names: example.com/net/org, .example, .test, .invalid, .localhost). The offline plan accepts them; a real preview or update needs your own domain and e-mail addresses. Set: ${found.join("; ")}`,
    });
  }
}
