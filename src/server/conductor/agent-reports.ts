// Applies what agents report: instance state changes (compare-and-swap), action events, power
// states seen on the hypervisor, and log batches. An agent may only touch instances placed on its
// own host; anything else is refused and logged.
import type { ActionEvent, InstanceUpdate, PowerReport } from "@/lib/agent-protocol";
import { POWER_STATE } from "@/lib/states";
import { db, type Prisma } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { release } from "@/server/scheduler/claims";
import { recordBuildSuccess, rescheduleFailedBuild } from "./build";
import { deallocateForInstance } from "./build-network";
import { finishDelete } from "./delete";
import { addFault, publishInstanceView, saveInstance } from "./instance-state";

const log = getLogger("stratus.conductor.agent_reports");

/** A move in flight: both its hosts work on the instance (Nova's migration context). */
export const OPEN_MIGRATION_STATUSES = [
  // cold migration and resize
  "pre-migrating",
  "migrating",
  "post-migrating",
  "finished",
  "confirming",
  "reverting",
  // live migration
  "accepted",
  "queued",
  "preparing",
  "running",
  "cancelling",
];

/**
 * The instance if `host` may report on it: its own host, or — for state changes, with `moving` —
 * either host of a move in flight; for action events (`"any-move"`) either host of any of its
 * moves, since a host cleaning up after a move that failed records what it did after the move
 * ended. Power reports only ever come from the instance's host: the source of a move still has the
 * powered-off domain.
 */
async function ownInstance(host: string, uuid: string, moving: boolean | "any-move" = false) {
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (instance && instance.host === host) return instance;
  if (instance && moving) {
    const migration = await db.migration.findFirst({
      where: {
        instanceUuid: uuid,
        ...(moving === "any-move" ? {} : { status: { in: OPEN_MIGRATION_STATUSES } }),
        OR: [{ sourceCompute: host }, { destCompute: host }],
      },
      select: { id: true },
    });
    if (migration) return instance;
  }
  log.warn(`Agent on ${host} reported on instance ${uuid}, which is not placed on that host; ignored`);
  return null;
}

export async function applyInstanceUpdate(host: string, u: InstanceUpdate): Promise<{ applied: boolean }> {
  const instance = await ownInstance(host, u.uuid, true);
  if (!instance || instance.deletedAt) return { applied: false };
  // A build that failed on this host moves to its next alternate when it has one (Nova's reschedule).
  if (instance.vmState === "building" && u.vmState === "error" && (await rescheduleFailedBuild(host, instance, u))) {
    return { applied: true };
  }
  if (u.vmState === "deleted") {
    await finishDelete(u.uuid, u.requestId);
    return { applied: true };
  }
  const data: Prisma.InstanceUpdateManyMutationInput = {};
  if (u.vmState !== undefined) data.vmState = u.vmState;
  if (u.taskState !== undefined) data.taskState = u.taskState;
  if (u.powerState !== undefined) data.powerState = u.powerState;
  if (u.progress !== undefined) data.progress = u.progress;
  if (u.step !== undefined) data.step = u.step;
  if (u.launchedAt !== undefined) data.launchedAt = new Date(u.launchedAt);
  // A finished operation leaves no step behind.
  if (u.taskState === null && u.step === undefined) data.step = null;
  const applied = await saveInstance(u.uuid, data, u.expectedTaskState);
  if (!applied) {
    getLogger("stratus.conductor.agent_reports", { requestId: u.requestId, instanceUuid: u.uuid }).info(
      `Update from ${host} skipped: task_state is no longer ${JSON.stringify(u.expectedTaskState)}`,
    );
    return { applied: false };
  }
  if (instance.vmState === "building" && u.vmState === "active") await recordBuildSuccess(host);
  if (u.fault) await addFault(u.uuid, { ...u.fault, host });
  // A build that failed on the host gives its claim back (Nova deletes the allocation) and its
  // fixed IP (Nova's _cleanup_allocated_networks); the view goes out again without the address.
  if (u.vmState === "error" && instance.vmState === "building") {
    await release(u.uuid);
    await deallocateForInstance(u.uuid, u.requestId);
    await publishInstanceView(u.uuid);
  }
  if (u.requestId && u.taskState === null && (u.vmState !== undefined || u.fault)) {
    await finishAction(u.uuid, u.requestId, u.fault?.message);
  }
  return { applied: true };
}

/**
 * Finishes the action of the request; work an agent started itself (reconciling a task its restart
 * interrupted) has its own request id and finishes the instance's latest open action instead, as
 * its events join that action (Nova's init_host case).
 */
async function finishAction(uuid: string, requestId: string, error?: string): Promise<void> {
  const own = await db.instanceAction.count({ where: { instanceUuid: uuid, requestId } });
  if (own > 0) return recordActionFinish(uuid, requestId, error);
  const latest = await db.instanceAction.findFirst({ where: { instanceUuid: uuid }, orderBy: { id: "desc" } });
  if (latest && !latest.finishTime) await recordActionFinish(uuid, latest.requestId, error);
}

export async function applyActionEvent(host: string, e: ActionEvent): Promise<void> {
  if (!(await ownInstance(host, e.uuid, "any-move"))) return;
  const time = new Date(e.time);
  if (e.phase === "start") await recordEventStart(e.uuid, e.requestId, e.event, host, time);
  else
    await recordEventFinish(e.uuid, e.requestId, e.event, host, {
      result: e.result ?? "Success",
      traceback: e.traceback,
      details: e.details,
      time,
    });
}

/**
 * Nova's _sync_power_states, driven by the agent's lifecycle events and periodic sync: record the
 * power state; an ACTIVE instance with no task whose guest stopped becomes SHUTOFF.
 */
export async function applyPowerReport(host: string, r: PowerReport): Promise<void> {
  const instance = await ownInstance(host, r.uuid);
  if (!instance || instance.deletedAt || instance.powerState === r.powerState) return;
  const ilog = getLogger("stratus.compute.manager", { instanceUuid: r.uuid });
  const stoppedByItself =
    instance.vmState === "active" &&
    instance.taskState === null &&
    (r.powerState === POWER_STATE.SHUTDOWN || r.powerState === POWER_STATE.CRASHED);
  if (stoppedByItself) {
    ilog.info(`Instance shutdown by itself (${r.reason}). Marking it stopped.`);
    await saveInstance(r.uuid, { powerState: r.powerState, vmState: "stopped" }, [null]);
  } else {
    await saveInstance(r.uuid, { powerState: r.powerState });
  }
  // A crash is an error the owner should see, whatever the instance's state was.
  if (r.crashed) {
    ilog.warn(`Instance crashed: ${r.reason}`);
    await addFault(r.uuid, { code: 500, message: `Instance crashed: ${r.reason}`, host });
  }
}

