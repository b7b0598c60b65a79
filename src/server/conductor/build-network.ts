// Nova's _build_networks_for_instance, done by the conductor between the claim and the cast: the
// instance gets its fixed IP before its host is told to build it, so the address is in its view
// from then on. Following Nova with libvirt, the address is kept when the build is rescheduled to
// an alternate, and given back when the build fails for good: NoValidHost never allocates one, and
// MaxRetriesExceeded or any build that ends in ERROR frees it (Nova's conductor and compute manager
// deallocate the network then), so an ERROR instance from a failed build holds no address.
import type { RequestContext } from "@/lib/agent-protocol";
import type { Instance } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { allocateFixedIp, deallocateFixedIps } from "@/server/network/fixed-ips";
import { AllocationFailed } from "@/server/network/ipam";
import { saveInstance } from "./instance-state";

/**
 * Allocates the instance's fixed IP; false when the instance was deleted or reset meanwhile (the
 * address goes straight back: its delete may have freed addresses before this one was taken).
 * Throws AllocationFailed, worded as Nova's fault, when the network is missing or full.
 */
export async function allocateForBuild(instance: Instance, ctx: RequestContext): Promise<boolean> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: instance.uuid });
  let ip;
  try {
    ip = await allocateFixedIp(instance.uuid);
  } catch (err) {
    if (err instanceof AllocationFailed) throw new AllocationFailed(`Failed to allocate the network(s): ${err.message}`);
    throw err;
  }
  const kept = await saveInstance(instance.uuid, { step: `Allocated ${ip.address} on network ${ip.network}` }, ["scheduling"]);
  if (!kept) {
    await deallocateFixedIps(instance.uuid);
    log.info(`Instance changed while its network was allocated; ${ip.address} given back`);
    return false;
  }
  log.info(`Allocated fixed IP ${ip.address} (MAC ${ip.macAddress}) on network ${ip.network}`);
  return true;
}

/** Nova's deallocate_for_instance / _cleanup_allocated_networks: every address back to its pool. */
export async function deallocateForInstance(uuid: string, requestId: string | null): Promise<void> {
  const count = await deallocateFixedIps(uuid);
  if (count > 0) getLogger("stratus.conductor.manager", { requestId, instanceUuid: uuid }).info(`Deallocated ${count} fixed IP(s)`);
}
