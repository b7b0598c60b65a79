// The conductor's half of the instance actions that run on the instance's host (stop, start,
// reboot, pause, suspend, rescue and their reverses): the RPC is built from the database's view of
// the instance and cast to its host's agent, which reports the rest. When the host cannot take the
// call (agent not connected, no answer, refusal) the task state the API set is rolled back with a
// fault and an Error event, so the instance never waits for a deadline to learn the action never
// started.
import type { ComputeRpc, ImageRef, RebootType, RequestContext } from "@/lib/agent-protocol";
import type { TaskState } from "@/lib/states";
import { db } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { callAgent } from "@/server/realtime/agent-rpc";
import { addFault, publishInstanceView, saveInstance } from "./instance-state";
import { imageRef, instanceSpec } from "./specs";

/** What the API asks the host to do. */
export type ComputeAction =
  | {
      method:
        | "stop_instance"
        | "start_instance"
        | "pause_instance"
        | "unpause_instance"
        | "suspend_instance"
        | "resume_instance"
        | "unrescue_instance";
    }
  | { method: "reboot_instance"; rebootType: RebootType }
  | { method: "rescue_instance"; rescueImage: ImageRef };

export function toComputeRpc(
  action: ComputeAction,
  base: Pick<Extract<ComputeRpc, { method: "start_instance" }>, "context" | "instance" | "image">,
): ComputeRpc {
  switch (action.method) {
    case "stop_instance":
    case "pause_instance":
    case "unpause_instance":
      return { method: action.method, context: base.context, instance: base.instance };
    case "reboot_instance":
      return { ...base, method: action.method, rebootType: action.rebootType };
    case "rescue_instance":
      return { ...base, method: action.method, rescueImage: action.rescueImage };
    default:
      return { ...base, method: action.method };
  }
}

/**
 * Casts `action` to the instance's host. `taskState` is what the API set: if the instance is no
 * longer in it (deleted, reset, timed out meanwhile) nothing is sent.
 */
export async function castToCompute(
  uuid: string,
  action: ComputeAction,
  ctx: RequestContext,
  controllerHost: string,
  taskState: TaskState,
): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance || instance.deletedAt || instance.taskState !== taskState) {
    log.info(`Instance left task state ${taskState} before ${action.method} was cast; nothing to do`);
    return;
  }
  try {
    if (!instance.host) throw new Error(`Instance ${uuid} is not placed on any host`);
    const image = await db.image.findUnique({ where: { id: instance.imageId } });
    const rpc = toComputeRpc(action, { context: ctx, instance: instanceSpec(instance), image: imageRef(image, instance.imageId) });
    await callAgent(instance.host, rpc);
    log.info(`Cast ${action.method} to ${instance.host}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`${action.method} could not be cast: ${message}; rolling back task state ${taskState}`);
    const rolledBack = await saveInstance(uuid, { taskState: null, step: null }, [taskState]);
    if (!rolledBack) return; // someone else moved the instance on; theirs is the last word
    const event = `conductor_${action.method}`;
    await addFault(uuid, { code: 500, message, host: controllerHost });
    // The view pushed by the rollback had no fault yet: the dashboards get the one that explains it.
    await publishInstanceView(uuid);
    await recordEventStart(uuid, ctx.requestId, event, controllerHost);
    await recordEventFinish(uuid, ctx.requestId, event, controllerHost, { result: "Error", details: message });
    await recordActionFinish(uuid, ctx.requestId, message);
  }
}
