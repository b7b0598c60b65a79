// Nova's resize_confirm_window (_poll_unconfirmed_resizes): a resize or cold migration left in
// VERIFY_RESIZE longer than STRATUS_RESIZE_CONFIRM_WINDOW seconds is confirmed by the system, the
// same way a user's confirm is (confirmClaimedResize), and recorded as a `confirmResize` action by
// `stratus-conductor` whose message (which owners see, unlike a successful event's details) says it
// was automatic and after how long. 0, Nova's default, never confirms.
//
// Race-safe with a user and with other controllers: the pass first takes the instance's task
// (None → resize_confirming, while it is still `resized`), so a user's confirm or revert from then on
// gets CONFLICT; then it claims the migration (finished → confirming), which a user's confirm that
// was already on its way may have done first — the pass then gives the task back and leaves the move
// to that confirm.
import { randomUUID } from "node:crypto";
import type { RequestContext } from "@/lib/agent-protocol";
import { ACTION_RULES } from "@/lib/instance-actions";
import { config } from "@/server/config";
import { db, type Migration } from "@/server/db";
import { recordActionStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { release } from "@/server/scheduler/claims";
import { driveMove } from "./driving";
import { saveInstance } from "./instance-state";
import { migrationConsumer } from "./resize";
import { claimFinishedMigration, confirmClaimedResize } from "./resize-confirm-revert";

const MODULE = "stratus.conductor.resize_confirm_window";
/** Who the automatic confirm's action is recorded for (Nova: the periodic task's admin context). */
export const AUTO_CONFIRM_USER = "stratus-conductor";
/** The pass runs at least this often, whatever the window (Nova's periodic tasks tick every 60 s). */
const MAX_PASS_INTERVAL_SEC = 60;

/** One pass; returns how many moves it confirmed. */
export async function confirmUnconfirmedResizes(controllerHost: string, now = new Date(), windowSec = config.STRATUS_RESIZE_CONFIRM_WINDOW): Promise<number> {
  if (windowSec <= 0) return 0;
  const due = await db.migration.findMany({
    where: { status: "finished", updatedAt: { lte: new Date(now.getTime() - windowSec * 1000) } },
    orderBy: { id: "asc" },
  });
  let confirmed = 0;
  for (const migration of due) {
    try {
      if (await confirmOne(migration, controllerHost, now, windowSec)) confirmed++;
    } catch (err) {
      getLogger(MODULE, { instanceUuid: migration.instanceUuid }).error({ err }, `Could not confirm migration ${migration.id} automatically`);
    }
  }
  return confirmed;
}

function confirmOne(migration: Migration, controllerHost: string, now: Date, windowSec: number): Promise<boolean> {
  return driveMove(migration.instanceUuid, () => confirmIfUnconfirmed(migration, controllerHost, now, windowSec));
}

async function confirmIfUnconfirmed(migration: Migration, controllerHost: string, now: Date, windowSec: number): Promise<boolean> {
  const uuid = migration.instanceUuid;
  const log = getLogger(MODULE, { instanceUuid: uuid });
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance || instance.deletedAt || instance.vmState !== "resized") {
    // Nova sets such a migration to error ("Instance being deleted or no longer exists", "In
    // states X/Y, not RESIZED/None"); the source's room it still held is freed with it.
    const why = !instance || instance.deletedAt ? "the instance is deleted" : `the instance is ${instance.vmState}, not resized`;
    const { count } = await db.migration.updateMany({ where: { id: migration.id, status: "finished" }, data: { status: "error" } });
    if (count === 1) {
      await release(migrationConsumer(migration));
      log.warn(`Migration ${migration.id} set to error instead of confirming it: ${why}`);
    }
    return false;
  }
  // A revert (or another confirm) is on its way and owns the move.
  if (instance.taskState !== null) return false;
  const waited = Math.round((now.getTime() - migration.updatedAt.getTime()) / 1000);
  const why = `in VERIFY_RESIZE for ${waited} s, past the ${windowSec} s resize confirm window`;
  const mine = await saveInstance(uuid, { taskState: "resize_confirming", step: `Confirming automatically: ${why}` }, [null], { vmState: "resized" });
  if (!mine) return false;
  if (!(await claimFinishedMigration(migration.id, "confirming", controllerHost))) {
    // A user's confirm took the move a moment before us: it finishes it, and accepts this task.
    await saveInstance(uuid, { taskState: null, step: null }, ["resize_confirming"]);
    return false;
  }
  const ctx: RequestContext = { requestId: `req-${randomUUID()}`, userId: null, projectId: instance.projectId };
  const note = `Confirmed automatically after ${waited} s in VERIFY_RESIZE (STRATUS_RESIZE_CONFIRM_WINDOW is ${windowSec} s)`;
  await recordActionStart({
    instanceUuid: uuid,
    action: ACTION_RULES.confirm_resize.record,
    requestId: ctx.requestId,
    userId: AUTO_CONFIRM_USER,
    projectId: instance.projectId,
    message: note,
  });
  getLogger(MODULE, { ...ctx, instanceUuid: uuid }).info(`Automatically confirming migration ${migration.id}: ${why}`);
  const current = await db.instance.findUniqueOrThrow({ where: { uuid } });
  await confirmClaimedResize(current, migration, ctx, controllerHost, `${note}. `);
  return true;
}

/** Runs the pass while the window is on (every window, at most a minute apart); returns the stop function. */
export function startResizeConfirmWindow(controllerHost: string, windowSec = config.STRATUS_RESIZE_CONFIRM_WINDOW): () => void {
  if (windowSec <= 0) return () => undefined;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      // One pass at a time: a slow source host must not stack passes up.
      running = running
        .then(() => confirmUnconfirmedResizes(controllerHost, new Date(), windowSec))
        .catch((err: unknown) => getLogger(MODULE).error({ err }, "Resize confirm pass failed"));
    },
    Math.min(windowSec, MAX_PASS_INTERVAL_SEC) * 1000,
  );
  timer.unref();
  return () => clearInterval(timer);
}
