import { describe, expect, it } from "vitest";
import { contains, containsIp, formatCidr, overlaps, parseCidr, parseIpv4, subnet } from "../../lib/cidr";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/16", "10.0.0.0/16"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["192.0.2.10/32", "192.0.2.10/32"],
  ])("accepts %s", (text, expected) => expect(formatCidr(parseCidr(text)!)).toBe(expected));
  it.each(["10.0.0.0", "10.0.0.0/33", "10.0.0.256/24", "10.0.1.5/24", "a.b.c.d/8", "10.0.0.0/-1", "010.0.0.0/8", " 10.0.0.0/8", "10.0.0/8"])(
    "rejects %s",
    (text) => expect(parseCidr(text)).toBeUndefined(),
  );
});

describe("set relations", () => {
  const c = (s: string) => parseCidr(s)!;
  it.each([
    ["10.0.0.0/16", "10.0.1.0/24", true],
    ["10.0.0.0/16", "10.1.0.0/24", false],
    ["10.0.0.0/16", "10.0.0.0/8", false],
    ["10.0.0.0/16", "10.0.0.0/16", true],
  ])("contains(%s, %s) = %s", (a, b, want) => expect(contains(c(a), c(b))).toBe(want));
  it.each([
    ["10.0.0.0/24", "10.0.0.128/25", true],
    ["10.0.0.0/24", "10.0.1.0/24", false],
    ["10.0.0.0/8", "10.200.0.0/16", true],
  ])("overlaps(%s, %s) = %s", (a, b, want) => expect(overlaps(c(a), c(b))).toBe(want));
  it("carves subnets like cidrsubnet", () => {
    expect(formatCidr(subnet(c("10.0.0.0/16"), 20, 3))).toBe("10.0.48.0/20");
    expect(() => subnet(c("10.0.0.0/24"), 26, 4)).toThrow(/holds 4/);
  });
  it("knows which addresses a block holds", () => {
    expect(containsIp(c("10.20.0.0/24"), "10.20.0.200")).toBe(true);
    expect(containsIp(c("10.20.0.0/24"), "10.20.1.1")).toBe(false);
    expect(parseIpv4("1.2.3")).toBeUndefined();
  });
});
