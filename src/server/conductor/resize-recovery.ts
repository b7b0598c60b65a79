// Settling a cold migration or resize whose conductor went away (its controller restarted or died)
// in the middle of it. Nova chains a cold move from compute to compute, so its conductor's restart
// never strands one; Stratus's conductor drives each step, so another one (move-recovery.ts) takes
// over here and ends the move by the rule a failure follows: before the instance moved to its
// destination, the move is rolled back and the guest put back on its source as it was; after, the
// move is finished on the destination and waits for the user's confirm or revert. A confirm or a
// revert that was under way is run again: each of its parts is skipped when already done.
import type { RequestContext } from "@/lib/agent-protocol";
import { ackSchema } from "@/lib/agent-protocol";
import { db, type Instance, type Migration } from "@/server/db";
import { recordEventFinish } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { ConductorLost, driveMove } from "./driving";
import { call, failMove, finishOnDestination, migrationConsumer } from "./resize";
import { confirmClaimedResize, revertClaimedResize } from "./resize-confirm-revert";
import { instanceSpec } from "./specs";

const CONDUCTOR_EVENT = "conductor_migrate_server";

/** Statuses of a cold move a conductor is carrying out (`finished` waits for the user instead). */
export const COLD_MOVE_DRIVEN = ["pre-migrating", "migrating", "post-migrating", "confirming", "reverting"] as const;

export async function settleInterruptedMove(m: Migration, lostConductor: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const uuid = m.instanceUuid;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  await driveMove(uuid, async () => {
    log.warn(`Migration ${m.id} (${m.status}) lost its conductor on ${lostConductor}; settling it`);
    const before = await db.instance.findUnique({ where: { uuid } });
    if (!before || before.deletedAt) {
      // The delete took the instance and its claims; the move has nothing left to end.
      await db.migration.update({ where: { id: m.id }, data: { status: "error" } });
      log.info(`Migration ${m.id} set to error: its instance is deleted`);
      return;
    }
    // A step the lost conductor started may still run (a copy goes on without it): it ends first.
    for (const host of [m.sourceCompute, m.destCompute]) {
      if (!host) continue;
      const peerHost = (host === m.sourceCompute ? m.destCompute : m.sourceCompute) ?? "";
      await call(host, { method: "migration_wait", context: ctx, instance: instanceSpec(before), migration: { id: m.id, peerHost } }, ackSchema);
    }
    const instance = await db.instance.findUniqueOrThrow({ where: { uuid } });
    const lost = `the conductor driving it (${lostConductor}) went away while it was ${m.status}`;
    if (m.status === "confirming") return confirmClaimedResize(instance, m, ctx, controllerHost, `Run again: ${lost}. `);
    if (m.status === "reverting") return revertClaimedResize(instance, m, ctx, controllerHost);
    if (m.destCompute !== null && instance.host === m.destCompute) return finishMoved(instance, m, lost, ctx, controllerHost);
    await failMove({
      uuid,
      migration: m,
      consumer: migrationConsumer(m),
      source: m.sourceCompute ?? "",
      dest: m.destCompute,
      moved: false,
      err: new ConductorLost(lost),
      ctx,
      controllerHost,
    });
  });
}

/** The instance is the destination's already: finish the move there, unless finishing it failed. */
async function finishMoved(instance: Instance, m: Migration, lost: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const { uuid } = instance;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const dest = instance.host ?? "";
  const details = `Moved from ${m.sourceCompute ?? "?"} to ${dest}; finished by ${controllerHost}: ${lost}`;
  if (instance.vmState === "resized" && instance.taskState === null) {
    // finish_resize ran to its end; only its answer was lost with the conductor.
    await db.migration.update({ where: { id: m.id }, data: { status: "finished" } });
  } else if (instance.taskState === "resize_finish" && instance.vmState !== "error") {
    try {
      await finishOnDestination(m, instance, ctx);
    } catch (err) {
      return failMove({ uuid, migration: m, consumer: migrationConsumer(m), source: m.sourceCompute ?? "", dest, moved: true, err, ctx, controllerHost });
    }
  } else {
    const err = new Error(`finishing on ${dest} did not end the move (the instance is ${instance.vmState}, task ${instance.taskState ?? "none"}); ${lost}`);
    return failMove({ uuid, migration: m, consumer: migrationConsumer(m), source: m.sourceCompute ?? "", dest, moved: true, err, ctx, controllerHost });
  }
  // The action itself was finished by the destination's last report, as in a move that ran through.
  await recordEventFinish(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost, { result: "Success", details });
  log.info(`Migration ${m.id} finished: ${details}; waiting for confirm or revert`);
}
