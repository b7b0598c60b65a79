// The user's decision on a finished cold move (VERIFY_RESIZE): confirm keeps it and frees the
// source (Nova's confirm_resize), revert puts the instance back on its source with its old flavor
// (revert_resize → finish_revert_resize). Of a user's confirm, a user's revert and the automatic
// confirm (resize-confirm-window.ts), on any controller, exactly one takes the move.
import type { RequestContext } from "@/lib/agent-protocol";
import { ackSchema } from "@/lib/agent-protocol";
import { POWER_STATE } from "@/lib/states";
import { db, type Instance, type Migration } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { moveAllocations, release } from "@/server/scheduler/claims";
import { driveMove } from "./driving";
import { flavorColumns, parseSnapshot } from "./flavor-snapshot";
import { addFault, saveInstance } from "./instance-state";
import { call, describe, migrationConsumer } from "./resize";
import { imageRef, instanceSpec } from "./specs";

const CONFIRM_EVENT = "conductor_confirm_resize";

async function openMigration(uuid: string): Promise<Migration | null> {
  return db.migration.findFirst({ where: { instanceUuid: uuid, status: "finished" }, orderBy: { id: "desc" } });
}

/**
 * Takes a finished move for a confirm or a revert: a compare-and-swap on its status, so of a user's
 * confirm, a user's revert and the automatic confirm (on any controller) exactly one goes on. The
 * move's conductor is this controller's from then on. Call it inside driveMove.
 */
export async function claimFinishedMigration(id: number, status: "confirming" | "reverting", controllerHost: string): Promise<boolean> {
  const taken = await db.migration.updateMany({ where: { id, status: "finished" }, data: { status, conductorHost: controllerHost } });
  return taken.count === 1;
}

/** Keeps the move: the source's copy and claim go (Nova's confirm_resize). */
export function confirmResize(uuid: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  return driveMove(uuid, () => confirm(uuid, ctx, controllerHost));
}

async function confirm(uuid: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const migration = await openMigration(uuid);
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!migration || !instance || !migration.sourceCompute) {
    log.warn("No finished migration to confirm");
    return recordActionFinish(uuid, ctx.requestId, "No finished migration to confirm");
  }
  if (!(await claimFinishedMigration(migration.id, "confirming", controllerHost))) {
    // Another confirm (the automatic one, a second click) or a revert took the move first.
    const now = await db.migration.findUnique({ where: { id: migration.id } });
    const confirming = now?.status === "confirming" || now?.status === "confirmed";
    log.info(`Migration ${migration.id} is ${now?.status ?? "gone"} already; this confirm has nothing to do`);
    return recordActionFinish(uuid, ctx.requestId, confirming ? undefined : `Migration ${migration.id} is ${now?.status ?? "gone"}`);
  }
  await confirmClaimedResize(instance, migration, ctx, controllerHost);
}

/**
 * The confirm of a move claimed with claimFinishedMigration: the source removes its copy, its claim
 * is freed and the instance is ACTIVE (or SHUTOFF) where it is. A source that cannot clean up costs
 * only its leftovers — the instance is fine on its new host — so the move is kept all the same, the
 * migration marked `error`, and that host's agent removes the leftovers when it next starts.
 * `note` opens the event's details (why the confirm happened, for an automatic one).
 */
export async function confirmClaimedResize(instance: Instance, migration: Migration, ctx: RequestContext, controllerHost: string, note = ""): Promise<void> {
  const { uuid } = instance;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const source = migration.sourceCompute ?? "";
  await recordEventStart(uuid, ctx.requestId, CONFIRM_EVENT, controllerHost);
  let failure: string | null = null;
  try {
    await call(source, { method: "confirm_resize", context: ctx, instance: instanceSpec(instance), migration: { id: migration.id, peerHost: instance.host ?? "" } }, ackSchema);
  } catch (err) {
    failure = `${describe(err)}; the move is kept, and ${source} removes its copy when its agent next starts`;
    log.warn(`The source ${source} did not clean up: ${failure}`);
  }
  await release(migrationConsumer(migration));
  await db.migration.update({ where: { id: migration.id }, data: { status: failure ? "error" : "confirmed" } });
  const running = instance.powerState === POWER_STATE.RUNNING;
  // resize_reverting: a revert that lost the race for the move clears its task too; either order ends here.
  await saveInstance(uuid, { vmState: running ? "active" : "stopped", taskState: null, step: null }, [null, "resize_confirming", "resize_reverting"], { vmState: "resized" });
  await recordEventFinish(uuid, ctx.requestId, CONFIRM_EVENT, controllerHost, {
    result: failure ? "Error" : "Success",
    details: `${note}${failure ?? `Removed the instance from ${source}`}`,
  });
  await recordActionFinish(uuid, ctx.requestId, failure ?? undefined);
  if (!failure) log.info(`Migration ${migration.id} confirmed; ${source} is cleaned up`);
}

/** Undoes the move: the instance goes back to its source with its old flavor (Nova's revert_resize). */
export function revertResize(uuid: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  return driveMove(uuid, () => revert(uuid, ctx, controllerHost));
}

async function revert(uuid: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const migration = await openMigration(uuid);
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!migration || !instance || instance.taskState !== "resize_reverting" || !(await claimFinishedMigration(migration.id, "reverting", controllerHost))) {
    // Typically a confirm (the user's or the automatic one) took the move first: the revert gives
    // its task back, which the confirm also accepts, so either order ends confirmed.
    const latest = await db.migration.findFirst({ where: { instanceUuid: uuid }, orderBy: { id: "desc" } });
    const confirmed = latest?.status === "confirming" || latest?.status === "confirmed";
    const why = confirmed ? `The move was confirmed before it could be reverted (migration ${latest.id})` : "No finished migration to revert";
    log.warn(`${why}; nothing to revert`);
    await saveInstance(uuid, { taskState: null, step: null }, ["resize_reverting"]);
    return recordActionFinish(uuid, ctx.requestId, why);
  }
  await revertClaimedResize(instance, migration, ctx, controllerHost);
}

/**
 * The revert of a move claimed with claimFinishedMigration. The destination removes its copy, the
 * claims go back, and the source defines the guest again with the old flavor. Each part is skipped
 * when already done, so a revert its controller left halfway is finished by running it again.
 */
export async function revertClaimedResize(instance: Instance, migration: Migration, ctx: RequestContext, controllerHost: string): Promise<void> {
  const { uuid } = instance;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const oldFlavor = parseSnapshot(migration.oldFlavor);
  const source = migration.sourceCompute;
  const dest = migration.destCompute ?? "";
  const peer = (host: string) => ({ id: migration.id, peerHost: host });
  // Nova's power_on = old_vm_state != stopped. A revert run again after its controller died finds
  // the guest already gone from the destination, so its power state no longer says.
  const powerOn = migration.oldVmState ? migration.oldVmState !== "stopped" : instance.powerState === POWER_STATE.RUNNING;
  try {
    if (!source || !oldFlavor) throw new Error(`Migration ${migration.id} has no source host or old flavor to revert to`);
    if (instance.host !== source) {
      await call(dest, { method: "revert_resize", context: ctx, instance: instanceSpec(instance), migration: peer(source) }, ackSchema);
      await release(uuid);
      await moveAllocations(migrationConsumer(migration), uuid);
      await saveInstance(uuid, { host: source, node: migration.sourceNode ?? source, ...flavorColumns(oldFlavor), step: "Reverting on the source host" }, ["resize_reverting"]);
    }
    const back = await db.instance.findUniqueOrThrow({ where: { uuid } });
    const image = imageRef(await db.image.findUnique({ where: { id: back.imageId } }), back.imageId);
    await call(source, { method: "finish_revert_resize", context: ctx, instance: instanceSpec(back), migration: peer(dest), image, powerOn }, ackSchema);
    await db.migration.update({ where: { id: migration.id }, data: { status: "reverted" } });
    log.info(`Migration ${migration.id} reverted: the instance is back on ${source}`);
  } catch (err) {
    const message = describe(err);
    log.error(`Reverting migration ${migration.id} failed: ${message}`);
    await db.migration.update({ where: { id: migration.id }, data: { status: "error" } });
    await saveInstance(uuid, { vmState: "error", taskState: null, step: null }, ["resize_reverting"]);
    await addFault(uuid, { code: 500, message: message.slice(0, 255), host: controllerHost });
    await recordActionFinish(uuid, ctx.requestId, message);
  }
}
