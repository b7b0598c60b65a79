// The address manager's choice of a fixed IP, apart from the database that keeps them: the lowest
// free address of the pool, taken by an insert that the unique indexes guard. Whoever loses a race
// for an address (another build, on this controller or another, took it first) looks again. Every
// lost race means someone else got an address, so the loop ends: with an address, or with the pool
// exhausted.
import { randomBytes } from "node:crypto";
import { formatIpv4, type Ipv4Subnet } from "@/lib/ipv4";

/** Why no address could be had; a build fails with it and is not rescheduled (no host would help). */
export class AllocationFailed extends Error {
  override readonly name = "AllocationFailed";
}

/** Neutron's IpAddressGenerationFailure. */
export function exhausted(network: string): AllocationFailed {
  return new AllocationFailed(`No more IP addresses available on network ${network}.`);
}

export interface AddressStore {
  /** The lowest address of [start, end] no one holds, or null when every one is held. */
  lowestFree(start: number, end: number): Promise<number | null>;
  /** Takes `address` with `macAddress`; false when either is held already (a lost race). */
  tryTake(address: number, macAddress: string): Promise<boolean>;
}

export interface AllocatedAddress {
  address: number;
  macAddress: string;
}

/** Neutron's base_mac fa:16:3e:00:00:00 with the last three octets random. */
export function randomMac(): string {
  return ["fa", "16", "3e", ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

export async function allocateAddress(
  store: AddressStore,
  network: { name: string; subnet: Ipv4Subnet },
  mac: () => string = randomMac,
): Promise<AllocatedAddress> {
  const { poolStart, poolEnd } = network.subnet;
  // Only a store that answers wrongly could spin here: bound the loop by what the pool could take.
  const attempts = poolEnd - poolStart + 1 + 64;
  for (let i = 0; i < attempts; i++) {
    const address = await store.lowestFree(poolStart, poolEnd);
    if (address === null) throw exhausted(network.name);
    if (address < poolStart || address > poolEnd) throw new Error(`Address ${formatIpv4(address)} is outside the pool of ${network.name}`);
    const macAddress = mac();
    if (await store.tryTake(address, macAddress)) return { address, macAddress };
  }
  throw new Error(`Could not allocate an address on network ${network.name} in ${attempts} attempts`);
}
