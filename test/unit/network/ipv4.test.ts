import { describe, expect, it } from "vitest";
import { formatIpv4, ipv4CidrSchema, parseIpv4 } from "@/lib/ipv4";

function cidrError(text: string): string | undefined {
  const parsed = ipv4CidrSchema.safeParse(text);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

describe("IPv4 addresses", () => {
  it("parses dotted quads to numbers and formats them back", () => {
    expect(parseIpv4("0.0.0.0")).toBe(0);
    expect(parseIpv4("10.0.0.2")).toBe(167772162);
    expect(parseIpv4("255.255.255.255")).toBe(2 ** 32 - 1);
    for (const text of ["10.0.0.2", "192.168.254.1", "255.255.255.255", "1.2.3.4"]) expect(formatIpv4(parseIpv4(text)!)).toBe(text);
  });

  it("refuses anything that is not exactly four decimal octets", () => {
    for (const text of ["10.0.0", "10.0.0.0.1", "10.0.0.256", "10.0.0.01", "10.0.0.-1", "10.0.0.x", "", "10..0.1"]) {
      expect(parseIpv4(text), text).toBeNull();
    }
  });
});

describe("IPv4 subnets", () => {
  it("puts the gateway first and the pool between it and the broadcast address", () => {
    expect(ipv4CidrSchema.parse("10.0.0.0/16")).toEqual({
      cidr: "10.0.0.0/16",
      network: parseIpv4("10.0.0.0"),
      prefixLength: 16,
      gateway: parseIpv4("10.0.0.1"),
      poolStart: parseIpv4("10.0.0.2"),
      poolEnd: parseIpv4("10.0.255.254"),
    });
    const tiny = ipv4CidrSchema.parse("192.168.1.4/30");
    expect([tiny.poolStart, tiny.poolEnd].map(formatIpv4)).toEqual(["192.168.1.6", "192.168.1.6"]);
  });

  it("refuses a bad CIDR with a message that says what is wanted", () => {
    expect(cidrError("10.0.0.0")).toMatch(/^must be an IPv4 network in CIDR notation with a prefix length from 8 to 30, e\.g\. 10\.0\.0\.0\/16$/);
    expect(cidrError("10.0.0.0/31")).toMatch(/prefix length from 8 to 30/);
    expect(cidrError("10.0.0.0/7")).toMatch(/prefix length from 8 to 30/);
    expect(cidrError("10.0.300.0/24")).toMatch(/CIDR notation/);
    expect(cidrError("10.0.1.0/16")).toBe("10.0.1.0/16 has host bits set; the network is 10.0.0.0/16");
  });
});
