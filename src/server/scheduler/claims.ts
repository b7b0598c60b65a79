// Atomic claims of vCPU/RAM/disk on a compute node. The usage counters move under a conditional
// UPDATE that re-checks the limit in the same statement, so concurrent schedulers — in one
// controller or in several sharing PostgreSQL — can never push a host past its allocation ratios
// (Placement's rule: used + requested ≤ (total − reserved) × ratio, and no more than the total at once).
import { db } from "@/server/db";
import { loadedHostStateCache } from "./host-state-cache";
import type { ResourceRequest } from "./resources";

export class ClaimRefused extends Error {
  constructor(host: string) {
    super(`Claim refused on ${host}: not enough free resources left`);
  }
}

export async function claim(
  node: { nodeId: number; host: string },
  consumerId: string,
  instanceUuid: string,
  req: ResourceRequest,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const updated = await tx.$executeRaw`
      UPDATE "compute_nodes"
         SET "vcpusUsed" = "vcpusUsed" + ${req.vcpus},
             "memoryMbUsed" = "memoryMbUsed" + ${req.memoryMb},
             "localGbUsed" = "localGbUsed" + ${req.diskGb}
       WHERE "id" = ${node.nodeId}
         AND ${req.vcpus} <= "vcpus" AND ${req.memoryMb} <= "memoryMb" AND ${req.diskGb} <= "localGb"
         AND "vcpusUsed" + ${req.vcpus} <= ("vcpus" - "reservedHostCpus") * "cpuAllocationRatio"
         AND "memoryMbUsed" + ${req.memoryMb} <= ("memoryMb" - "reservedHostMemoryMb") * "ramAllocationRatio"
         AND "localGbUsed" + ${req.diskGb} <= ("localGb" - "reservedHostDiskMb" / 1024.0) * "diskAllocationRatio"`;
    if (updated !== 1) throw new ClaimRefused(node.host);
    await tx.allocation.create({
      data: { consumerId, instanceUuid, nodeId: node.nodeId, vcpus: req.vcpus, memoryMb: req.memoryMb, diskGb: req.diskGb },
    });
  });
}

/**
 * Frees every allocation of a consumer (an instance uuid, or a migration's id). Idempotent. The
 * scheduler's in-memory view gives the room back too.
 */
export async function release(consumerId: string): Promise<void> {
  const nodeIds: number[] = [];
  await db.$transaction(async (tx) => {
    const allocations = await tx.allocation.findMany({ where: { consumerId } });
    for (const a of allocations) {
      await tx.$executeRaw`
        UPDATE "compute_nodes"
           SET "vcpusUsed" = "vcpusUsed" - ${a.vcpus},
               "memoryMbUsed" = "memoryMbUsed" - ${a.memoryMb},
               "localGbUsed" = "localGbUsed" - ${a.diskGb}
         WHERE "id" = ${a.nodeId}`;
      await tx.allocation.delete({ where: { id: a.id } });
      nodeIds.push(a.nodeId);
    }
  });
  loadedHostStateCache()?.released(consumerId, nodeIds);
}

/** Whether a consumer holds any allocation (a move's hand-over to its migration has happened). */
export async function holdsAllocations(consumerId: string): Promise<boolean> {
  return (await db.allocation.count({ where: { consumerId } })) > 0;
}

/**
 * Hands a consumer's allocations to another consumer, usage unchanged (Nova's move of the source
 * allocation to the migration: the instance's own consumer then claims the destination).
 */
export async function moveAllocations(fromConsumer: string, toConsumer: string): Promise<void> {
  await db.allocation.updateMany({ where: { consumerId: fromConsumer }, data: { consumerId: toConsumer } });
  loadedHostStateCache()?.rekey(fromConsumer, toConsumer);
}
