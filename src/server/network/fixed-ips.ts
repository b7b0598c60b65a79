// Fixed IPs in the database: one for an instance on the default network (Nova's
// allocate_for_instance), all of them back to their pools (deallocate_for_instance), and the
// addresses of a page of instances for their views, grouped by network as Nova's `addresses` are.
import { z } from "zod";
import type { InstanceAddresses } from "@/lib/instance-view";
import { formatIpv4, ipv4CidrSchema, type Ipv4Subnet } from "@/lib/ipv4";
import { config } from "@/server/config";
import { db, isUniqueViolation } from "@/server/db";
import { runExclusive } from "@/server/keyed-queue";
import { allocateAddress, AllocationFailed, type AddressStore } from "./ipam";

export interface FixedIpView {
  network: string;
  address: string;
  macAddress: string;
}

interface NetworkRef {
  id: string;
  name: string;
  subnet: Ipv4Subnet;
}

async function defaultNetwork(): Promise<NetworkRef> {
  const name = config.STRATUS_DEFAULT_NETWORK;
  const row = await db.network.findUnique({ where: { name } });
  if (!row) throw new AllocationFailed(`Network ${name} could not be found.`);
  const subnet = ipv4CidrSchema.safeParse(row.cidr);
  if (!subnet.success) throw new AllocationFailed(`Network ${name}'s subnet ${row.cidr} ${subnet.error.issues[0]?.message ?? "is invalid"}.`);
  return { id: row.id, name, subnet: subnet.data };
}

// MIN() comes back as a bigint (PostgreSQL) or a number (SQLite), or null over no rows.
const lowestFreeRows = z.array(z.object({ free: z.union([z.bigint(), z.number(), z.string()]).nullable() }));

/** The pool's lowest free address: its first address, or the one after a held one, if no one holds it. */
async function lowestFree(networkId: string, start: number, end: number): Promise<number | null> {
  const rows = lowestFreeRows.parse(
    await db.$queryRaw`
      SELECT MIN(c.candidate) AS "free" FROM (
        SELECT CAST(${BigInt(start)} AS BIGINT) AS candidate
        UNION ALL
        SELECT f."address" + 1 FROM "fixed_ips" f WHERE f."networkId" = ${networkId}
      ) c
      WHERE c.candidate BETWEEN ${BigInt(start)} AND ${BigInt(end)}
        AND NOT EXISTS (SELECT 1 FROM "fixed_ips" g WHERE g."networkId" = ${networkId} AND g."address" = c.candidate)`,
  );
  const free = rows[0]?.free ?? null;
  return free === null ? null : Number(free);
}

function storeFor(network: NetworkRef, instanceUuid: string): AddressStore {
  return {
    lowestFree: (start, end) => lowestFree(network.id, start, end),
    async tryTake(address, macAddress) {
      try {
        await db.fixedIp.create({ data: { networkId: network.id, address: BigInt(address), macAddress, instanceUuid } });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },
  };
}

/**
 * The instance's fixed IP on the default network: the one it holds there already (a rescheduled
 * build keeps its address), or a new one. AllocationFailed when the network is missing or full.
 */
export async function allocateFixedIp(instanceUuid: string): Promise<FixedIpView> {
  const network = await defaultNetwork();
  const held = await db.fixedIp.findFirst({ where: { instanceUuid, networkId: network.id }, orderBy: { address: "asc" } });
  if (held) return { network: network.name, address: formatIpv4(Number(held.address)), macAddress: held.macAddress };
  // One allocation at a time per network in this controller: concurrent builds would otherwise all
  // read the same lowest free address and all but one retry, over and over. Across controllers the
  // unique index still settles who gets it.
  const got = await runExclusive(`network:${network.id}`, () => allocateAddress(storeFor(network, instanceUuid), network));
  return { network: network.name, address: formatIpv4(got.address), macAddress: got.macAddress };
}

/** Every fixed IP the instance holds goes back to its pool. Idempotent; returns how many it held. */
export async function deallocateFixedIps(instanceUuid: string): Promise<number> {
  const { count } = await db.fixedIp.deleteMany({ where: { instanceUuid } });
  return count;
}

/** The addresses of many instances in one query (never one per row), by instance uuid. */
export async function addressesByInstance(uuids: string[]): Promise<Map<string, InstanceAddresses>> {
  const out = new Map<string, InstanceAddresses>();
  if (uuids.length === 0) return out;
  const rows = await db.fixedIp.findMany({
    where: { instanceUuid: { in: uuids } },
    select: { instanceUuid: true, address: true, macAddress: true, network: { select: { name: true } } },
  });
  // Networks by name, addresses lowest first: the same view whatever order the rows came in.
  rows.sort((a, b) => a.network.name.localeCompare(b.network.name) || Number(a.address - b.address));
  for (const r of rows) {
    const byNetwork = out.get(r.instanceUuid) ?? {};
    (byNetwork[r.network.name] ??= []).push({ address: formatIpv4(Number(r.address)), version: 4, type: "fixed", macAddress: r.macAddress });
    out.set(r.instanceUuid, byNetwork);
  }
  return out;
}
