import { describe, expect, it } from "vitest";
import { ipMatchesPrefix, ipPrefixRanges } from "@/lib/ip-filter";
import { formatIpv4, parseIpv4 } from "@/lib/ipv4";

const dotted = (ranges: [number, number][]) => ranges.map(([lo, hi]) => `${formatIpv4(lo)}-${formatIpv4(hi)}`);
const inRanges = (n: number, ranges: [number, number][]) => ranges.some(([lo, hi]) => n >= lo && n <= hi);

/** A deterministic pseudo-random sequence, so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("IP filter ranges", () => {
  it("turns a whole address into itself, and a partial last octet into its few ranges", () => {
    expect(dotted(ipPrefixRanges("10.0.0.5"))).toEqual(["10.0.0.5-10.0.0.5", "10.0.0.50-10.0.0.59"]);
    expect(dotted(ipPrefixRanges("10.0.0.1"))).toEqual(["10.0.0.1-10.0.0.1", "10.0.0.10-10.0.0.19", "10.0.0.100-10.0.0.199"]);
    expect(dotted(ipPrefixRanges("10.0.0.25"))).toEqual(["10.0.0.25-10.0.0.25", "10.0.0.250-10.0.0.255"]);
    expect(dotted(ipPrefixRanges("10.0.0.0"))).toEqual(["10.0.0.0-10.0.0.0"]);
  });

  it("spans every address below a partial earlier octet, and a trailing dot means the octet is whole", () => {
    expect(dotted(ipPrefixRanges("10.0.2"))).toEqual(["10.0.2.0-10.0.2.255", "10.0.20.0-10.0.29.255", "10.0.200.0-10.0.255.255"]);
    expect(dotted(ipPrefixRanges("10.0.2."))).toEqual(["10.0.2.0-10.0.2.255"]);
    expect(dotted(ipPrefixRanges("10."))).toEqual(["10.0.0.0-10.255.255.255"]);
    expect(dotted(ipPrefixRanges("1"))).toEqual(["1.0.0.0-1.255.255.255", "10.0.0.0-19.255.255.255", "100.0.0.0-199.255.255.255"]);
  });

  it("has no range for text no IPv4 address starts with", () => {
    for (const text of ["", ".", "10..", "10.0.0.1.", "10.0.0.256", "10.0.0.01", "256", "10.0.0.1000", "a", "10.0.%", "10.0.0.1.2"]) {
      expect(ipPrefixRanges(text), text).toEqual([]);
    }
  });

  it("matches exactly the addresses whose dotted form starts with the prefix, as the browser tests it", () => {
    const random = lcg(7);
    const octet = () => Math.floor(random() * 256);
    for (let i = 0; i < 3000; i++) {
      const address = [octet(), octet(), octet(), octet()].join(".");
      const n = parseIpv4(address)!;
      // A prefix of this address (so it must match), and one of another address (which may not).
      const own = address.slice(0, 1 + Math.floor(random() * address.length));
      const other = [octet() % 20, octet(), octet(), octet()].join(".").slice(0, 1 + Math.floor(random() * 15));
      expect(inRanges(n, ipPrefixRanges(own)), `${address} / ${own}`).toBe(true);
      for (const prefix of [own, other]) {
        const ranges = ipPrefixRanges(prefix);
        // The address itself, and each range's edges and their neighbours outside it.
        const probes = [n, ...ranges.flatMap(([lo, hi]) => [lo - 1, lo, hi, hi + 1])].filter((p) => p >= 0 && p < 2 ** 32);
        for (const p of probes) expect(inRanges(p, ranges), `${formatIpv4(p)} / ${prefix}`).toBe(ipMatchesPrefix(formatIpv4(p), prefix));
      }
    }
  });
});
