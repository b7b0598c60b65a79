// Instance actions and their events (`nova instance-action-list`): the durable record of every
// operation, written by the API when it starts one and by the conductor and agents as steps run.
import { db } from "@/server/db";
import { publishActionChanged } from "@/server/realtime/publish";

export interface ActionStart {
  instanceUuid: string;
  action: string;
  requestId: string;
  userId: string;
  projectId: string;
  /** Why an action nobody asked for happened (an automatic confirm); Nova leaves it null or 'Error'. */
  message?: string;
}

export async function recordActionStart(a: ActionStart): Promise<void> {
  await db.instanceAction.create({ data: a });
  publishActionChanged(a.instanceUuid, a.requestId);
}

async function findAction(instanceUuid: string, requestId: string) {
  const action = await db.instanceAction.findFirst({ where: { instanceUuid, requestId }, orderBy: { id: "desc" } });
  // Like Nova's init_host case: an event without its own action joins the instance's latest one.
  return action ?? (await db.instanceAction.findFirst({ where: { instanceUuid }, orderBy: { id: "desc" } }));
}

export async function recordEventStart(
  instanceUuid: string,
  requestId: string,
  event: string,
  host: string | null,
  time = new Date(),
): Promise<void> {
  const action = await findAction(instanceUuid, requestId);
  if (!action) return;
  await db.$transaction([
    db.instanceActionEvent.create({ data: { actionId: action.id, event, host, startTime: time } }),
    db.instanceAction.update({ where: { id: action.id }, data: { updatedAt: new Date() } }),
  ]);
  publishActionChanged(instanceUuid, action.requestId);
}

export interface EventFinish {
  result: "Success" | "Error";
  traceback?: string;
  details?: string;
  time?: Date;
}

/** Finishes the newest open event of that name; an Error result marks the action itself 'Error'. */
export async function recordEventFinish(
  instanceUuid: string,
  requestId: string,
  event: string,
  host: string | null,
  finish: EventFinish,
): Promise<void> {
  const action = await findAction(instanceUuid, requestId);
  if (!action) return;
  const open = await db.instanceActionEvent.findFirst({
    where: { actionId: action.id, event, finishTime: null },
    orderBy: { id: "desc" },
  });
  const data = {
    finishTime: finish.time ?? new Date(),
    result: finish.result,
    traceback: finish.traceback ?? null,
    details: finish.details ?? null,
  };
  await db.$transaction([
    open
      ? db.instanceActionEvent.update({ where: { id: open.id }, data })
      : db.instanceActionEvent.create({ data: { actionId: action.id, event, host, startTime: data.finishTime, ...data } }),
    db.instanceAction.update({
      where: { id: action.id },
      data: finish.result === "Error" ? { message: "Error", updatedAt: new Date() } : { updatedAt: new Date() },
    }),
  ]);
  publishActionChanged(instanceUuid, action.requestId);
}

/** Marks the action finished (Stratus records finish_time for every action, Nova only for a few). */
export async function recordActionFinish(instanceUuid: string, requestId: string, error?: string): Promise<void> {
  await db.instanceAction.updateMany({
    where: { instanceUuid, requestId, finishTime: null },
    data: { finishTime: new Date(), ...(error ? { message: "Error" } : {}) },
  });
  publishActionChanged(instanceUuid, requestId);
}

export async function listActions(instanceUuid: string) {
  return db.instanceAction.findMany({
    where: { instanceUuid },
    orderBy: { id: "desc" },
    include: { events: { orderBy: { id: "asc" } } },
  });
}
