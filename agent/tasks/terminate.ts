// The delete (Nova's terminate_instance): the domain is destroyed and undefined, the instance's
// files removed, and the instance recorded as DELETED. A delete the controller no longer expects
// (the row changed meanwhile) is only logged: the guest is gone either way.
import { POWER_STATE } from "@/lib/states";
import type { InstanceTaskArgs } from "./power";
import { errorMessage, fault, seconds, UpdateRefused, type TaskRuntime } from "./task-runtime";

export const TERMINATE_EVENT = "compute_terminate_instance";

export type TerminateArgs = Pick<InstanceTaskArgs, "ctx" | "spec">;

export async function terminateInstance(rt: TaskRuntime, a: TerminateArgs): Promise<void> {
  const { ctx, spec } = a;
  const { uuid } = spec;
  const log = rt.logger(ctx, uuid);
  const started = Date.now();
  rt.event(ctx, uuid, TERMINATE_EVENT, "start");
  log.info("Terminating instance");
  try {
    await rt.removeDomain(uuid);
    // The instance directory goes with the domain; the base stays for the cache pass.
    await rt.storage?.removeInstanceFiles(uuid);
    rt.power?.forget(uuid);
    log.info(`Took ${seconds(started)} seconds to destroy the instance on the hypervisor.`);
    rt.event(ctx, uuid, TERMINATE_EVENT, "finish", { result: "Success" });
    await rt.update(log, ctx, {
      uuid,
      expectedTaskState: ["deleting"],
      vmState: "deleted",
      taskState: null,
      powerState: POWER_STATE.NOSTATE,
    });
  } catch (err) {
    if (err instanceof UpdateRefused) {
      log.warn(`Instance destroyed, but the controller did not record the deletion: ${err.message}`);
      return;
    }
    log.error({ err }, "Failed to terminate instance");
    await rt.tryUpdate(log, ctx, {
      uuid,
      expectedTaskState: ["deleting"],
      vmState: "error",
      taskState: null,
      fault: fault(err),
    });
    rt.event(ctx, uuid, TERMINATE_EVENT, "finish", {
      result: "Error",
      details: errorMessage(err),
      ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
    });
  }
}
