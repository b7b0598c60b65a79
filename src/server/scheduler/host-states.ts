// Reads the scheduler's view of every compute host from the database. (The filter scheduler of a
// later issue keeps this in memory, fed by agent reports; the shape stays the same.)
import { db } from "@/server/db";
import { isUp } from "@/server/services/service-registry";
import type { HostState } from "./scheduler";

export async function loadHostStates(): Promise<HostState[]> {
  const nodes = await db.computeNode.findMany({ include: { service: true }, orderBy: { host: "asc" } });
  const now = Date.now();
  return nodes.map((n) => ({
    nodeId: n.id,
    host: n.host,
    serviceDisabled: n.service.disabled,
    serviceUp: isUp(n.service, now),
    vcpus: n.vcpus,
    memoryMb: n.memoryMb,
    localGb: n.localGb,
    vcpusUsed: n.vcpusUsed,
    memoryMbUsed: n.memoryMbUsed,
    localGbUsed: n.localGbUsed,
    cpuAllocationRatio: n.cpuAllocationRatio,
    ramAllocationRatio: n.ramAllocationRatio,
    diskAllocationRatio: n.diskAllocationRatio,
    reservedHostCpus: n.reservedHostCpus,
    reservedHostMemoryMb: n.reservedHostMemoryMb,
    reservedHostDiskMb: n.reservedHostDiskMb,
  }));
}
