// IPv4 addresses and subnets as the address manager keeps them: a 32-bit unsigned number in the
// database (a pool is a numeric range, and the IP filter an index range scan), a dotted quad
// everywhere a person reads one. Shared by the server, the seed and the browser.
import { z } from "zod";

/** Neutron's bounds, tightened: a /8 at most (the pool stays a sane size), a /30 at least (one address). */
export const MIN_PREFIX_LENGTH = 8;
export const MAX_PREFIX_LENGTH = 30;

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** The dotted quad's number, or null when `text` is not one (four octets 0–255, no leading zeros). */
export function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return null;
    n = n * 256 + Number(part);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A subnet and its allocation pool, Neutron's defaults: the gateway is the first host address, the pool the rest. */
export interface Ipv4Subnet {
  cidr: string;
  network: number;
  prefixLength: number;
  gateway: number;
  poolStart: number;
  poolEnd: number;
}

/** "10.0.0.0/16" → its subnet; a clear message for anything else (a set host bit included). */
export const ipv4CidrSchema = z
  .string()
  .trim()
  .transform((text, ctx): Ipv4Subnet => {
    const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
    const network = match ? parseIpv4(match[1]!) : null;
    const prefixLength = match ? Number(match[2]) : NaN;
    if (network === null || !(prefixLength >= MIN_PREFIX_LENGTH && prefixLength <= MAX_PREFIX_LENGTH)) {
      ctx.addIssue({
        code: "custom",
        message: `must be an IPv4 network in CIDR notation with a prefix length from ${MIN_PREFIX_LENGTH} to ${MAX_PREFIX_LENGTH}, e.g. 10.0.0.0/16`,
      });
      return z.NEVER;
    }
    const size = 2 ** (32 - prefixLength);
    if (network % size !== 0) {
      ctx.addIssue({ code: "custom", message: `${text} has host bits set; the network is ${formatIpv4(network - (network % size))}/${prefixLength}` });
      return z.NEVER;
    }
    // network + 0 is the network address, + size − 1 the broadcast address.
    return { cidr: text, network, prefixLength, gateway: network + 1, poolStart: network + 2, poolEnd: network + size - 2 };
  });
