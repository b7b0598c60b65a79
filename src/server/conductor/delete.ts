// Deleting an instance: the agent destroys and undefines the domain, then reports `deleted`, and
// only then are the row finished and the claim and fixed IPs freed. An instance that never reached
// a host, or whose host is down, is deleted locally as Nova does; its domain is reaped when that
// agent reconnects (it destroys domains the database no longer places on it).
import type { RequestContext } from "@/lib/agent-protocol";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { AgentUnavailable, callAgent } from "@/server/realtime/agent-rpc";
import { publishInstanceRemoved } from "@/server/realtime/publish";
import { release } from "@/server/scheduler/claims";
import { COMPUTE_BINARY, isUp } from "@/server/services/service-registry";
import { deallocateForInstance } from "./build-network";
import { instanceSpec } from "./specs";

export async function terminateInstance(uuid: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance || instance.deletedAt) return;
  if (instance.host) {
    const service = await db.service.findUnique({ where: { binary_host: { binary: COMPUTE_BINARY, host: instance.host } } });
    if (service && isUp(service)) {
      try {
        await callAgent(instance.host, { method: "terminate_instance", context: ctx, instance: instanceSpec(instance) });
        return; // the agent reports `deleted`, and finishDelete runs then
      } catch (err) {
        if (!(err instanceof AgentUnavailable)) throw err;
        log.warn(`${err.message}; deleting the instance locally`);
      }
    } else {
      log.warn(`Compute host ${instance.host} is down; deleting the instance locally, its domain is reaped when the host returns`);
    }
  }
  await recordEventStart(uuid, ctx.requestId, "conductor_local_delete", controllerHost);
  await finishDelete(uuid, ctx.requestId);
  await recordEventFinish(uuid, ctx.requestId, "conductor_local_delete", controllerHost, { result: "Success" });
}

/** Marks the row deleted, frees its claims and fixed IPs and tells the dashboards. Idempotent. */
export async function finishDelete(uuid: string, requestId: string | null): Promise<void> {
  const now = new Date();
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance) return;
  await release(uuid);
  if (!instance.deletedAt) {
    await db.instance.update({
      where: { uuid },
      data: {
        vmState: "deleted",
        taskState: null,
        taskStartedAt: null,
        powerState: 0,
        progress: 0,
        step: null,
        deletedAt: now,
        terminatedAt: now,
      },
    });
  }
  // Last: a build allocating at this moment finds the instance no longer scheduling and gives its
  // address back itself, so no address stays held by a deleted instance.
  await deallocateForInstance(uuid, requestId);
  if (requestId) await recordActionFinish(uuid, requestId);
  getLogger("stratus.conductor.manager", { requestId, instanceUuid: uuid }).info("Instance deleted and its resources freed");
  publishInstanceRemoved(uuid, instance.projectId);
}
