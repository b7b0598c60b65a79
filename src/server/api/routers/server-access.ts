// What every servers API call that acts on one instance needs: finding the instance the caller may
// see, Nova's guards with Nova's wording, taking the task state with a compare-and-swap, recording
// the action, and handing work to the conductor after the call has returned.
import { TRPCError } from "@trpc/server";
import type { RequestContext } from "@/lib/agent-protocol";
import { ACTION_RULES, checkAction, type InstanceActionName } from "@/lib/instance-actions";
import { taskStateSchema, type TaskState } from "@/lib/states";
import { saveInstance } from "@/server/conductor/instance-state";
import { db, type Instance, type Prisma } from "@/server/db";
import { recordActionStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";

export interface Caller {
  identity: { project: { id: string }; user: { id: string } };
  isAdmin: boolean;
  rpcContext: RequestContext;
}

export function notFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `Instance ${id} could not be found.` });
}

/** The instance if the caller may see it; a member gets "not found" for other projects' instances. */
export async function visibleInstance(ctx: Caller, id: string) {
  const instance = await db.instance.findUnique({ where: { uuid: id } });
  if (!instance || instance.deletedAt) throw notFound(id);
  if (!ctx.isAdmin && instance.projectId !== ctx.identity.project.id) throw notFound(id);
  return instance;
}

/** Nova's guards (policy, lock, vm_state, task_state, launched) with Nova's wording on refusal. */
export async function checkedInstance(ctx: Caller, id: string, action: InstanceActionName): Promise<Instance> {
  const instance = await visibleInstance(ctx, id);
  const check = checkAction(action, instance, ctx);
  if (!check.allowed) throw new TRPCError({ code: check.code, message: check.reason });
  return instance;
}

export async function recordAction(ctx: Caller, uuid: string, action: InstanceActionName): Promise<void> {
  await recordActionStart({
    instanceUuid: uuid,
    action: ACTION_RULES[action].record,
    requestId: ctx.rpcContext.requestId,
    userId: ctx.identity.user.id,
    projectId: ctx.identity.project.id,
  });
}

/**
 * Takes the action's task state with a compare-and-swap: of two concurrent actions exactly one
 * wins; the other gets CONFLICT, explained with the state the instance is in now.
 */
export async function takeTask(ctx: Caller, instance: Instance, action: InstanceActionName): Promise<TaskState> {
  const rule = ACTION_RULES[action];
  const taskState = taskStateSchema.parse(rule.setsTaskState);
  const guard: Prisma.InstanceWhereInput = {
    ...(rule.vmStates === "any" ? {} : { vmState: { in: [...rule.vmStates] } }),
    ...(rule.lockChecked && !ctx.isAdmin ? { locked: false } : {}),
  };
  const expected = rule.taskStates === "any" ? undefined : rule.taskStates;
  const won = await saveInstance(instance.uuid, { taskState, progress: 0, step: rule.label }, expected, guard);
  if (!won) {
    const now = await visibleInstance(ctx, instance.uuid);
    const recheck = checkAction(action, now, ctx);
    throw new TRPCError({
      code: "CONFLICT",
      message: recheck.allowed ? `Cannot '${rule.method}' instance ${now.uuid} while it is in task_state ${now.taskState ?? "None"}` : recheck.reason,
    });
  }
  return taskState;
}

export /** Runs conductor work after the API call has returned, logging (never throwing) its failure. */
function inBackground(ctx: RequestContext, what: string, work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((err: unknown) => getLogger("stratus.conductor.manager", ctx).error({ err }, `${what} failed`));
  });
}

