// Properties of the CIDR arithmetic (lib/cidr.ts) over generated addresses and blocks, with
// fast-check: what the table tests in cidr.test.ts show for a few cases holds for all of them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockSize, contains, containsIp, formatCidr, formatIpv4, hostAddress, overlaps, parseCidr, parseIpv4, subnet, type Cidr } from "../../lib/cidr";

/** Any IPv4 address as an unsigned 32-bit integer (fc.integer stops at 2^31 - 1). */
const address = fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 0x10000 + lo);
/** Any valid block: a prefix and an address with the host bits cleared. */
const cidr: fc.Arbitrary<Cidr> = fc.tuple(fc.integer({ min: 0, max: 32 }), address).map(([prefix, a]) => ({ prefix, base: a - (a % blockSize(prefix)) }));
/** A block and a way to carve it: a longer prefix (at most 8 bits more, so indices stay small) and an index. */
const carving = cidr
  .chain((parent) => fc.tuple(fc.constant(parent), fc.integer({ min: parent.prefix, max: Math.min(32, parent.prefix + 8) })))
  .chain(([parent, p]) => fc.tuple(fc.constant(parent), fc.constant(p), fc.integer({ min: 0, max: 2 ** (p - parent.prefix) - 1 })));

describe("addresses", () => {
  it("format and parse back to the same number", () => {
    fc.assert(fc.property(address, (a) => parseIpv4(formatIpv4(a)) === a));
  });

  it("refuse any octet above 255 or a wrong number of octets", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 6 }), (octets) => {
        const valid = octets.length === 4 && octets.every((o) => o <= 255);
        expect(parseIpv4(octets.join(".")) !== undefined).toBe(valid);
      }),
    );
  });
});

describe("blocks", () => {
  it("format and parse back to the same block", () => {
    fc.assert(
      fc.property(cidr, (c) => {
        expect(parseCidr(formatCidr(c))).toEqual(c);
      }),
    );
  });

  it("are refused when host bits are set", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), address, (prefix, a) => {
        fc.pre(a % blockSize(prefix) !== 0);
        expect(parseCidr(`${formatIpv4(a)}/${prefix}`)).toBeUndefined();
      }),
    );
  });

  it("contain themselves, and contain each other only when equal", () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        expect(contains(a, a)).toBe(true);
        if (contains(a, b) && contains(b, a)) expect(a).toEqual(b);
      }),
    );
  });

  it("overlap symmetrically, and overlap exactly when one contains the other (blocks nest or are apart)", () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        expect(overlaps(a, b)).toBe(overlaps(b, a));
        expect(overlaps(a, b)).toBe(contains(a, b) || contains(b, a));
      }),
    );
  });

  it("hold exactly the addresses from the base to the last one", () => {
    fc.assert(
      fc.property(cidr, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (c, f) => {
        const size = blockSize(c.prefix);
        const n = Math.floor(f * size);
        expect(containsIp(c, hostAddress(c, n))).toBe(true);
        if (c.base + size <= 0xffffffff) expect(containsIp(c, formatIpv4(c.base + size))).toBe(false);
        if (c.base > 0) expect(containsIp(c, formatIpv4(c.base - 1))).toBe(false);
      }),
    );
  });
});

describe("subnet (cidrsubnet)", () => {
  it("carves a block of the new prefix inside the parent", () => {
    fc.assert(
      fc.property(carving, ([parent, p, i]) => {
        const s = subnet(parent, p, i);
        expect(s.prefix).toBe(p);
        expect(contains(parent, s)).toBe(true);
        expect(parseCidr(formatCidr(s))).toEqual(s);
      }),
    );
  });

  it("gives different indices disjoint blocks, in address order", () => {
    fc.assert(
      fc.property(carving, fc.nat(255), ([parent, p, i], j0) => {
        const j = j0 % 2 ** (p - parent.prefix);
        fc.pre(i !== j);
        const [a, b] = [subnet(parent, p, i), subnet(parent, p, j)];
        expect(overlaps(a, b)).toBe(false);
        expect(a.base < b.base).toBe(i < j);
      }),
    );
  });

  it("tiles the parent: all indices together cover it exactly", () => {
    fc.assert(
      fc.property(cidr, fc.integer({ min: 0, max: 6 }), (parent, bits) => {
        fc.pre(parent.prefix + bits <= 32);
        const blocks = Array.from({ length: 2 ** bits }, (_, i) => subnet(parent, parent.prefix + bits, i));
        expect(blocks[0].base).toBe(parent.base);
        for (let i = 1; i < blocks.length; i++) expect(blocks[i].base).toBe(blocks[i - 1].base + blockSize(blocks[i - 1].prefix));
        const last = blocks[blocks.length - 1];
        expect(last.base + blockSize(last.prefix)).toBe(parent.base + blockSize(parent.prefix));
      }),
    );
  });

  it("refuses an index past the last block and a prefix shorter than the parent's", () => {
    fc.assert(
      fc.property(carving, ([parent, p]) => {
        expect(() => subnet(parent, p, 2 ** (p - parent.prefix))).toThrow(/holds/);
        if (parent.prefix > 0) expect(() => subnet(parent, parent.prefix - 1, 0)).toThrow(/cannot carve/);
      }),
    );
  });
});
