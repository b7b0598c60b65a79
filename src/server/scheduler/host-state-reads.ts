// What the database says about the compute hosts, read and turned into the scheduler's terms:
// compute node rows (with their service) into host records, aggregates, instances and I/O-heavy
// tasks per host, server group members and allocations. Plain reads with no state: merging them
// into the host table without undoing a pick in flight is host-state-cache.ts's job.
import { db } from "@/server/db";
import { supportedInstancesOf } from "./filters/canonical";
import type { AggregateRecord, Consumption, HostRecord } from "./host-table";

/** Task states Nova's io_workload counts (nova/compute/stats.py). */
export const IO_TASK_STATES = [
  "scheduling",
  "networking",
  "block_device_mapping",
  "spawning",
  "resize_migrating",
  "resize_prep",
  "image_snapshot",
  "image_backup",
  "rebuilding",
  "rescuing",
  "unshelving",
  "shelving",
  "migrating",
];

export type NodeRow = Awaited<ReturnType<typeof readNodes>>[number];

/** Compute node rows with their service, all or one host's. */
export function readNodes(where: { host?: string } = {}) {
  return db.computeNode.findMany({ where, include: { service: true }, orderBy: { id: "asc" } });
}

export function hostRecord(n: NodeRow): HostRecord {
  let arch = "";
  try {
    arch = String((JSON.parse(n.cpuInfo) as { arch?: unknown }).arch ?? "");
  } catch {
    // no cpu_info: no supported instances
  }
  const usableMem = n.memoryMb - n.reservedHostMemoryMb;
  return {
    name: n.host,
    enabled: !n.service.disabled,
    disabledReason: n.service.disabledReason,
    forcedDown: n.service.forcedDown,
    lastSeenMs: (n.service.lastSeenAt ?? n.service.createdAt).getTime(),
    vcpus: n.vcpus,
    vcpusUsed: n.vcpusUsed,
    memoryMb: n.memoryMb,
    memoryMbUsed: n.memoryMbUsed,
    localGb: n.localGb,
    localGbUsed: n.localGbUsed,
    // Nova's resource tracker: free = total − reserved − used by instances.
    freeRamMb: usableMem - n.memoryMbUsed,
    freeDiskMb: (n.localGb - n.localGbUsed) * 1024 - n.reservedHostDiskMb,
    diskMbUsed: n.localGbUsed * 1024 + n.reservedHostDiskMb,
    reservedHostCpus: n.reservedHostCpus,
    reservedHostMemoryMb: n.reservedHostMemoryMb,
    reservedHostDiskMb: n.reservedHostDiskMb,
    cpuAllocationRatio: n.cpuAllocationRatio,
    ramAllocationRatio: n.ramAllocationRatio,
    diskAllocationRatio: n.diskAllocationRatio,
    numInstances: n.runningVms,
    numIoOps: 0,
    failedBuilds: n.failedBuilds,
    hypervisorType: n.hypervisorType,
    hypervisorVersion: n.hypervisorVersion,
    hypervisorHostname: n.hypervisorHostname,
    cpuInfo: n.cpuInfo,
    supportedInstances: supportedInstancesOf(arch, n.hypervisorType),
    stats: {},
  };
}

/** Every aggregate, in id order: its hosts, zone and metadata. */
export async function readAggregates(): Promise<AggregateRecord[]> {
  const aggregates = await db.aggregate.findMany({ include: { hosts: true }, orderBy: { id: "asc" } });
  return aggregates.map((a) => ({
    hosts: a.hosts.map((h) => h.host),
    availabilityZone: a.availabilityZone,
    metadata: parseStringRecord(a.metadata),
  }));
}

/** Instances and I/O-heavy tasks per host name (Nova's num_instances and io_workload stats). */
export async function readWorkload(): Promise<{ instances: Map<string, number>; io: Map<string, number> }> {
  const [all, busy] = await Promise.all([
    db.instance.groupBy({ by: ["host"], where: { deletedAt: null, host: { not: null } }, _count: { _all: true } }),
    db.instance.groupBy({
      by: ["host"],
      where: { deletedAt: null, host: { not: null }, taskState: { in: IO_TASK_STATES } },
      _count: { _all: true },
    }),
  ]);
  const count = (rows: typeof all) => new Map(rows.map((r) => [r.host!, r._count._all]));
  return { instances: count(all), io: count(busy) };
}

/** Server group members with a host (not deleted, not in error), as the database has them. */
export async function readGroupMembers(): Promise<{ uuid: string; groupId: string; host: string }[]> {
  const rows = await db.instance.findMany({
    where: { serverGroupId: { not: null }, deletedAt: null, host: { not: null }, vmState: { not: "error" } },
    select: { uuid: true, serverGroupId: true, host: true, updatedAt: true },
  });
  return rows.map((r) => ({ uuid: r.uuid, groupId: r.serverGroupId!, host: r.host! }));
}

/** Every allocation: its consumer, its compute node and what it takes there. */
export async function readAllocations(): Promise<{ consumerId: string; nodeId: number; use: Consumption }[]> {
  const allocations = await db.allocation.findMany({
    include: { instance: { select: { rootGb: true, ephemeralGb: true } } },
  });
  return allocations.map((a) => ({
    consumerId: a.consumerId,
    nodeId: a.nodeId,
    use: { vcpus: a.vcpus, memoryMb: a.memoryMb, diskGb: a.diskGb, freeDiskMb: (a.instance.rootGb + a.instance.ephemeralGb) * 1024 },
  }));
}

function parseStringRecord(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  } catch {
    return {};
  }
}
