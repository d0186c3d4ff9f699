// Pure IPv4/CIDR arithmetic used by config validation and the offline plan.
// No Pulumi, no I/O: table-tested in test/lib/cidr.test.ts.

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted IPv4 address; returns undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/**
 * Parses "a.b.c.d/n". Returns undefined when malformed or when host bits are set
 * (10.0.1.5/24 is almost always a typo for 10.0.1.0/24, and AWS rejects it).
 */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const base = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  if (base % blockSize(prefix) !== 0) return undefined;
  return { base, prefix };
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + blockSize(b.prefix) && b.base < a.base + blockSize(a.prefix);
}

/** The index-th block of `newPrefix` inside `parent` (like Terraform's cidrsubnet). */
export function subnet(parent: Cidr, newPrefix: number, index: number): Cidr {
  if (newPrefix < parent.prefix || newPrefix > 32) {
    throw new Error(`cannot carve a /${newPrefix} out of ${formatCidr(parent)}`);
  }
  const count = 2 ** (newPrefix - parent.prefix);
  if (index < 0 || index >= count) {
    throw new Error(`${formatCidr(parent)} holds ${count} /${newPrefix} blocks, not ${index + 1}`);
  }
  return { base: parent.base + index * blockSize(newPrefix), prefix: newPrefix };
}

/** The n-th address of a block (AWS reserves .0-.3 and the last one in each subnet). */
export function hostAddress(c: Cidr, n: number): string {
  return formatIpv4(c.base + n);
}

/** True for an IPv4 address inside the block. */
export function containsIp(c: Cidr, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && n >= c.base && n < c.base + blockSize(c.prefix);
}
