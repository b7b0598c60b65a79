// Task deadlines (beyond Nova, whose instances can sit in a task state for ever when an RPC is
// lost): every task state has a deadline, counted from when the instance entered it. A periodic
// pass fails or rolls back instances past theirs, with the reason where an operator looks: a fault,
// a `conductor_task_deadline` Error event on the instance's latest action, and a log line. A build
// goes to ERROR (its claim freed); a delete is driven to the end (locally when the host is down or
// a re-driven delete expired again); anything else returns to its vm_state with no task. The write
// is a compare-and-swap on (task state, task start), so of several controllers exactly one acts,
// and a late agent finds its own CAS refused.
import { randomUUID } from "node:crypto";
import type { RequestContext } from "@/lib/agent-protocol";
import { statusFromState, type TaskState } from "@/lib/states";
import { config } from "@/server/config";
import { db, type Instance } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { release } from "@/server/scheduler/claims";
import { COMPUTE_BINARY, isUp } from "@/server/services/service-registry";
import { deallocateForInstance } from "./build-network";
import { finishDelete, terminateInstance } from "./delete";
import { addFault, publishInstanceView } from "./instance-state";

export const DEADLINE_EVENT = "conductor_task_deadline";

const SOFT_REBOOT_WAIT_SEC = 120; // Nova's [libvirt] wait_soft_reboot_seconds, which a soft reboot may spend

/** Seconds each task state may last; overridden per state by STRATUS_TASK_DEADLINES. */
export const DEFAULT_TASK_DEADLINES: Partial<Record<TaskState, number>> = {
  scheduling: 300,
  networking: 600,
  block_device_mapping: 600,
  spawning: 600,
  rebooting: 300 + SOFT_REBOOT_WAIT_SEC,
  reboot_pending: 300 + SOFT_REBOOT_WAIT_SEC,
  reboot_started: 300 + SOFT_REBOOT_WAIT_SEC,
  rebooting_hard: 300,
  reboot_pending_hard: 300,
  reboot_started_hard: 300,
  "powering-off": 300,
  "powering-on": 300,
  pausing: 120,
  unpausing: 120,
  suspending: 300,
  resuming: 300,
  rescuing: 600,
  unrescuing: 300,
  deleting: 300,
  // A live migration ends by its own completion timeout (800 s per GiB by default), which the
  // conductor waits out; this only catches one whose conductor went away (a controller restart).
  migrating: 48 * 3600,
};
/** Task states without their own entry (resize, migration, ... as they arrive). */
export const FALLBACK_DEADLINE = 3600;

const BUILD_TASKS: readonly string[] = ["scheduling", "networking", "block_device_mapping", "spawning"];

export function deadlineFor(taskState: string, overrides: Partial<Record<TaskState, number>> = config.STRATUS_TASK_DEADLINES): number {
  const key = taskState as TaskState;
  return overrides[key] ?? DEFAULT_TASK_DEADLINES[key] ?? FALLBACK_DEADLINE;
}

/** What expiring a task does to the instance, and the sentence that explains it. */
export function expiryOutcome(i: Pick<Instance, "vmState" | "taskState">, seconds: number): { kind: "error" | "rollback" | "delete"; message: string } {
  const task = i.taskState ?? "None";
  const prefix = `Task ${task} exceeded its ${seconds} s deadline`;
  if (i.taskState === "deleting") return { kind: "delete", message: `${prefix}; the delete was driven again` };
  if (i.vmState === "building" || BUILD_TASKS.includes(task)) {
    return { kind: "error", message: `${prefix}; the instance was set to ERROR` };
  }
  return { kind: "rollback", message: `${prefix}; the instance was returned to ${statusFromState(i.vmState, null)}` };
}

/** One pass; returns how many instances it acted on. */
export async function enforceTaskDeadlines(controllerHost: string, now = new Date()): Promise<number> {
  const rows = await db.instance.findMany({
    where: { deletedAt: null, taskState: { not: null }, taskStartedAt: { not: null, lt: now } },
  });
  let acted = 0;
  for (const row of rows) {
    const seconds = deadlineFor(row.taskState!);
    if (now.getTime() - row.taskStartedAt!.getTime() < seconds * 1000) continue;
    try {
      if (await expire(row, seconds, controllerHost)) acted++;
    } catch (err) {
      getLogger("stratus.conductor.task_deadlines", { instanceUuid: row.uuid }).error({ err }, "Could not enforce the task deadline");
    }
  }
  return acted;
}

async function expire(row: Instance, seconds: number, controllerHost: string): Promise<boolean> {
  const { kind, message } = expiryOutcome(row, seconds);
  // The instance's latest action carries the event; its request id ties the log lines together.
  const action = await db.instanceAction.findFirst({ where: { instanceUuid: row.uuid }, orderBy: { id: "desc" } });
  const ctx: RequestContext = { requestId: action?.requestId ?? `req-${randomUUID()}`, userId: null, projectId: null };
  const log = getLogger("stratus.conductor.task_deadlines", { ...ctx, instanceUuid: row.uuid });
  const guard = { uuid: row.uuid, deletedAt: null, taskState: row.taskState, taskStartedAt: row.taskStartedAt };

  if (kind === "delete") {
    const host = row.host ? await db.service.findUnique({ where: { binary_host: { binary: COMPUTE_BINARY, host: row.host } } }) : null;
    const expiredBefore = await db.instanceFault.count({
      where: { instanceUuid: row.uuid, message: { startsWith: "Task deleting exceeded" }, createdAt: { gte: action?.startTime ?? row.createdAt } },
    });
    const local = !host || !isUp(host) || expiredBefore > 0;
    const text = local ? `${message} and finished locally` : message;
    // Restarting the clock is the CAS: one controller re-drives, the others see it moved.
    const { count } = await db.instance.updateMany({ where: guard, data: { taskStartedAt: new Date() } });
    if (count !== 1) return false;
    log.warn(text);
    await record(row.uuid, ctx, controllerHost, text);
    if (local) {
      await finishDelete(row.uuid, ctx.requestId);
    } else {
      await terminateInstance(row.uuid, ctx, controllerHost);
    }
    return true;
  }

  const data = kind === "error" ? { vmState: "error", taskState: null, taskStartedAt: null, step: null } : { taskState: null, taskStartedAt: null, step: null };
  const { count } = await db.instance.updateMany({ where: guard, data });
  if (count !== 1) return false; // the task moved on, or another controller got there first
  log.warn(message);
  if (kind === "error") {
    // Only a build errs out here: like any failed build it holds no claim and no address.
    await release(row.uuid);
    await deallocateForInstance(row.uuid, ctx.requestId);
  }
  await record(row.uuid, ctx, controllerHost, message);
  await recordActionFinish(row.uuid, ctx.requestId, message);
  await publishInstanceView(row.uuid);
  return true;
}

async function record(uuid: string, ctx: RequestContext, controllerHost: string, message: string): Promise<void> {
  await addFault(uuid, { code: 504, message, host: controllerHost });
  await recordEventStart(uuid, ctx.requestId, DEADLINE_EVENT, controllerHost);
  await recordEventFinish(uuid, ctx.requestId, DEADLINE_EVENT, controllerHost, { result: "Error", details: message });
}

/** Runs the pass every STRATUS_TASK_DEADLINE_INTERVAL seconds; returns the stop function. */
export function startTaskDeadlines(controllerHost: string): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    // One pass at a time: a slow database must not stack passes up.
    running = running.then(() => enforceTaskDeadlines(controllerHost)).catch((err: unknown) =>
      getLogger("stratus.conductor.task_deadlines").error({ err }, "Task deadline pass failed"),
    );
  }, config.STRATUS_TASK_DEADLINE_INTERVAL * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
