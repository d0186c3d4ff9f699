// What a DNS name may look like, stated once for config validation (zones, records, served names)
// and the nginx renderer (server_name), so a name the config accepts is exactly one nginx serves.
// Pure: no Pulumi, no I/O.

/** One label: a-z, 0-9 and inner hyphens, 1-63 characters (lower case only: Berth compares names as text). */
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True for a lower-case DNS name of at least two labels (e.g. example.com). */
export function isDomainName(s: string): boolean {
  return s.length <= 253 && s.split(".").length >= 2 && s.split(".").every((l) => DNS_LABEL.test(l));
}

/** True for a domain name or a wildcard over one (`*.example.com`), as a certificate may name it. */
export function isCertificateName(s: string): boolean {
  return isDomainName(s) || (s.startsWith("*.") && isDomainName(s.slice(2)));
}

/** True for a record name relative to its zone: "@" (apex), "www", "*.apps", "a.b". */
export function isRelativeRecordName(s: string): boolean {
  if (s === "@") return true;
  const labels = s.split(".");
  return labels.every((l, i) => DNS_LABEL.test(l) || (i === 0 && l === "*"));
}

/** Why `s` cannot be a served or zone name, or undefined when it can. */
export function domainNameProblem(s: string): string | undefined {
  return isDomainName(s) ? undefined : "must be a lower-case domain name like example.com";
}

/** Why `s` cannot be a certificate name, or undefined when it can. */
export function certificateNameProblem(s: string): string | undefined {
  return isCertificateName(s) ? undefined : "must be a lower-case domain name like example.com, or a wildcard like *.example.com";
}
