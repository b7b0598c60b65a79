// Hypervisors (Nova's os-hypervisors, with Placement's view folded in): per compute host its vCPU,
// RAM and disk — used, total, reserved, allocation ratio and the resulting capacity — its running
// VMs, state and status, zone, failed builds, and how many more instances of each flavor fit.
// Admin only. `update` sets a host's allocation ratios and reservations (Nova's per-compute
// *_allocation_ratio and reserved_host_* options), which the scheduler sees at once.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { config } from "@/server/config";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { versionToString } from "@/server/scheduler/filters/version-predicate";
import { loadedHostStateCache } from "@/server/scheduler/host-state-cache";
import { instancesThatFit, limits, requestFor } from "@/server/scheduler/resources";
import { isUp } from "@/server/services/service-registry";
import { adminProcedure, createTRPCRouter } from "../trpc";
import { BOOTABLE_FLAVOR } from "./catalog";

const ratio = z.number().positive("Allocation ratios must be positive").max(1000);
const reserved = z.number().int().min(0);

const updateInput = z.object({
  host: z.string().trim().min(1).max(255),
  cpuAllocationRatio: ratio.optional(),
  ramAllocationRatio: ratio.optional(),
  diskAllocationRatio: ratio.optional(),
  reservedHostCpus: reserved.optional(),
  reservedHostMemoryMb: reserved.optional(),
  reservedHostDiskMb: reserved.optional(),
});

function resource(used: number, total: number, reservedAmount: number, allocationRatio: number, capacity: number) {
  return { used, total, reserved: reservedAmount, allocationRatio, capacity, free: capacity - used };
}

export const hypervisorRouter = createTRPCRouter({
  list: adminProcedure.query(async () => {
    const [nodes, flavors, instances, zoneRows] = await Promise.all([
      db.computeNode.findMany({ include: { service: true }, orderBy: { host: "asc" } }),
      db.flavor.findMany({ where: BOOTABLE_FLAVOR, orderBy: [{ memoryMb: "asc" }, { vcpus: "asc" }, { name: "asc" }] }),
      db.instance.groupBy({ by: ["host"], where: { deletedAt: null, host: { not: null } }, _count: { _all: true } }),
      db.aggregateHost.findMany({ include: { aggregate: true } }),
    ]);
    const instanceCount = new Map(instances.map((r) => [r.host!, r._count._all]));
    const zoneOf = new Map<string, string>();
    for (const r of zoneRows) if (r.aggregate.availabilityZone) zoneOf.set(r.host, r.aggregate.availabilityZone);
    const now = Date.now();
    return nodes.map((n) => {
      const l = limits(n);
      return {
        id: n.id,
        host: n.host,
        hypervisorHostname: n.hypervisorHostname,
        hypervisorType: n.hypervisorType,
        hypervisorVersion: versionToString(n.hypervisorVersion),
        libvirtUri: n.libvirtUri,
        cpuModel: n.cpuModel,
        state: isUp(n.service, now) ? ("up" as const) : ("down" as const),
        status: n.service.disabled ? ("disabled" as const) : ("enabled" as const),
        disabledReason: n.service.disabledReason,
        zone: zoneOf.get(n.host) ?? config.scheduler.defaultAvailabilityZone,
        vcpus: resource(n.vcpusUsed, n.vcpus, n.reservedHostCpus, n.cpuAllocationRatio, l.vcpus),
        memoryMb: resource(n.memoryMbUsed, n.memoryMb, n.reservedHostMemoryMb, n.ramAllocationRatio, l.memoryMb),
        localGb: resource(n.localGbUsed, n.localGb, n.reservedHostDiskMb / 1024, n.diskAllocationRatio, l.diskGb),
        runningVms: n.runningVms,
        instances: instanceCount.get(n.host) ?? 0,
        failedBuilds: n.failedBuilds,
        fits: flavors.map((f) => ({ flavorId: f.id, name: f.name, count: instancesThatFit(n, requestFor(f)) })),
      };
    });
  }),

  update: adminProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const node = await db.computeNode.findUnique({ where: { host: input.host } });
    if (!node) throw new TRPCError({ code: "NOT_FOUND", message: `Compute host ${input.host} could not be found.` });
    const { host, ...changes } = input;
    const next = { ...node, ...changes };
    // Placement refuses a reservation that leaves nothing (reserved must stay below the total).
    if (next.reservedHostCpus >= next.vcpus || next.reservedHostMemoryMb >= next.memoryMb || next.reservedHostDiskMb >= next.localGb * 1024) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Reserved resources must stay below the host's totals (${node.vcpus} vCPUs, ${node.memoryMb} MB, ${node.localGb} GB).` });
    }
    await db.computeNode.update({ where: { host }, data: changes });
    getLogger("stratus.api.hypervisors", ctx.rpcContext).info(`Hypervisor ${host} updated: ${JSON.stringify(changes)}`);
    await loadedHostStateCache()?.refreshHost(host);
    return { host };
  }),
});
