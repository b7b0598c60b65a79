import { describe, expect, it } from "vitest";
import { formatIpv4, ipv4CidrSchema, parseIpv4 } from "@/lib/ipv4";
import { allocateAddress, AllocationFailed, randomMac, type AddressStore } from "@/server/network/ipam";

/**
 * The database's behaviour in memory: a set of held addresses and MACs whose take is atomic (the
 * unique indexes), and a lowestFree that yields first, so concurrent allocators read the same
 * free address and race for it as builds on several controllers do.
 */
class MemoryStore implements AddressStore {
  readonly held = new Map<number, string>();
  readonly macs = new Set<string>();
  lostRaces = 0;

  async lowestFree(start: number, end: number): Promise<number | null> {
    await new Promise((r) => setImmediate(r));
    for (let a = start; a <= end; a++) if (!this.held.has(a)) return a;
    return null;
  }

  async tryTake(address: number, mac: string): Promise<boolean> {
    await new Promise((r) => setImmediate(r));
    if (this.held.has(address) || this.macs.has(mac)) {
      this.lostRaces++;
      return false;
    }
    this.held.set(address, mac);
    this.macs.add(mac);
    return true;
  }
}

const network = (cidr: string, name = "private") => ({ name, subnet: ipv4CidrSchema.parse(cidr) });

describe("fixed IP allocation", () => {
  it("hands out the pool's lowest free address, skipping the gateway, and reuses a freed one", async () => {
    const store = new MemoryStore();
    const net = network("10.0.0.0/24");
    const got = [];
    for (let i = 0; i < 3; i++) got.push(formatIpv4((await allocateAddress(store, net)).address));
    expect(got).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    store.held.delete(parseIpv4("10.0.0.3")!);
    expect(formatIpv4((await allocateAddress(store, net)).address)).toBe("10.0.0.3");
    expect(formatIpv4((await allocateAddress(store, net)).address)).toBe("10.0.0.5");
  });

  it("never gives one address twice when many allocate at once, and the losers of a race retry", async () => {
    const store = new MemoryStore();
    const net = network("10.0.0.0/24");
    const got = await Promise.all(Array.from({ length: 200 }, () => allocateAddress(store, net)));
    const addresses = got.map((g) => g.address);
    expect(new Set(addresses).size).toBe(200);
    expect(Math.min(...addresses)).toBe(parseIpv4("10.0.0.2"));
    expect(Math.max(...addresses)).toBe(parseIpv4("10.0.0.201"));
    expect(new Set(got.map((g) => g.macAddress)).size).toBe(200);
    expect(store.lostRaces).toBeGreaterThan(0); // they did race, and every race was settled by the store
  });

  it("fails with Neutron's message when the pool is exhausted, also for allocators racing for the last addresses", async () => {
    const store = new MemoryStore();
    const net = network("192.168.7.0/29", "tiny"); // pool .2–.6: five addresses
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => allocateAddress(store, net)));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(5);
    expect(lost).toHaveLength(3);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(AllocationFailed);
      expect((r.reason as Error).message).toBe("No more IP addresses available on network tiny.");
    }
    expect([...store.held.keys()].sort().map(formatIpv4)).toEqual(["192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5", "192.168.7.6"]);
  });

  it("draws another MAC when the one it drew is held", async () => {
    const store = new MemoryStore();
    store.macs.add("fa:16:3e:00:00:01");
    const macs = ["fa:16:3e:00:00:01", "fa:16:3e:00:00:02"];
    const got = await allocateAddress(store, network("10.0.0.0/24"), () => macs.shift()!);
    expect(got).toEqual({ address: parseIpv4("10.0.0.2"), macAddress: "fa:16:3e:00:00:02" });
  });

  it("stops, rather than spin, when a store keeps offering an address it will not take", async () => {
    const stuck: AddressStore = { lowestFree: async (start) => start, tryTake: async () => false };
    await expect(allocateAddress(stuck, network("10.0.0.0/29"))).rejects.toThrow(/Could not allocate an address on network private in \d+ attempts/);
  });

  it("draws MACs under Neutron's fa:16:3e prefix", () => {
    for (let i = 0; i < 20; i++) expect(randomMac()).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
  });
});
