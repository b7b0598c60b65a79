// The conductor's half of live migration (Nova's LiveMigrationTask and the compute manager's
// _post_live_migration / _rollback_live_migration). The migration record goes
// accepted → queued → preparing → running → completed, or ends failed, error or cancelled.
//
// Claims move as for a cold move: the source's allocation is handed to the migration (consumer
// `migration-<id>`) while the instance claims the destination; success frees the source, a
// failure or an abort frees the destination, and the guest keeps running where it was.
import type { RequestContext } from "@/lib/agent-protocol";
import {
  liveMigrationAckSchema,
  postLiveMigrationAckSchema,
  preLiveMigrationAckSchema,
  rollbackAckSchema,
  type LiveMigrationRpc,
} from "@/lib/live-migration-protocol";
import { ackSchema } from "@/lib/agent-protocol";
import { config } from "@/server/config";
import { db, type Instance, type Migration } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { publishMigrationChanged } from "@/server/realtime/publish";
import { holdsAllocations, moveAllocations, release } from "@/server/scheduler/claims";
import { NoValidHost } from "./build";
import { snapshotOfInstance } from "./flavor-snapshot";
import { ConductorLost, driveMove } from "./driving";
import { addFault, saveInstance } from "./instance-state";
import { call, describe, migrationConsumer, scheduleDestination } from "./resize";
import { imageRef, instanceSpec } from "./specs";

const CONDUCTOR_EVENT = "conductor_live_migrate_instance";
/** Statuses of a live migration on its way. */
const LIVE_MIGRATION_ACTIVE = ["accepted", "queued", "preparing", "running"] as const;
/** Set by an abort that came before the guest started moving: the conductor stops at its next step. */
const CANCELLING = "cancelling";
/** Statuses of a live migration that has not ended. */
export const LIVE_MIGRATION_OPEN = [...LIVE_MIGRATION_ACTIVE, CANCELLING] as const;
const GiB = 1024;

class Cancelled extends Error {}

export interface LiveMigrateRequest {
  /** An admin's chosen destination (it must still pass the filters). */
  targetHost: string | null;
}

/**
 * Nova's live_migration_completion_timeout: seconds per GiB of memory and of copied disk, each
 * counted as at least 2 GiB, so a small guest still gets minutes.
 */
export function completionTimeoutSec(i: Pick<Instance, "memoryMb" | "rootGb" | "ephemeralGb">, perGib = config.STRATUS_LIVE_MIGRATION_COMPLETION_TIMEOUT): number {
  if (perGib === 0) return 0;
  const memoryGib = Math.max(2, i.memoryMb / GiB);
  const diskGib = Math.max(2, i.rootGb + i.ephemeralGb);
  return Math.ceil(perGib * (memoryGib + diskGib));
}

/** The live migration of an instance that is in it (not ended), if any. */
export function activeLiveMigration(uuid: string): Promise<Migration | null> {
  return db.migration.findFirst({
    where: { instanceUuid: uuid, migrationType: "live-migration", status: { in: [...LIVE_MIGRATION_OPEN] } },
    orderBy: { id: "desc" },
  });
}

async function setStatus(m: Migration, status: string, data: Record<string, unknown> = {}): Promise<void> {
  // An abort that arrived meanwhile (status `cancelling`) is kept; it is acted on at the next step.
  const { count } = await db.migration.updateMany({ where: { id: m.id, status: { not: CANCELLING } }, data: { status, ...data } });
  publishMigrationChanged(m.instanceUuid, m.id);
  if (count === 0) throw new Cancelled("aborted by an operator before the guest started moving");
}

/** Schedules, prepares and runs the live migration of an instance in task state `migrating`. */
export async function liveMigrateInstance(uuid: string, req: LiveMigrateRequest, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance || instance.deletedAt || instance.taskState !== "migrating" || !instance.host) {
    log.info("Instance left task state migrating before the live migration started; nothing to do");
    return;
  }
  const source = instance.host;
  await driveMove(uuid, () => driveLiveMigration(instance, source, req, ctx, controllerHost));
}

async function driveLiveMigration(instance: Instance, source: string, req: LiveMigrateRequest, ctx: RequestContext, controllerHost: string): Promise<void> {
  const uuid = instance.uuid;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const flavor = snapshotOfInstance(instance, (await db.flavor.findUnique({ where: { id: instance.flavorId } }))?.name ?? null);
  const migration = await db.migration.create({
    data: {
      instanceUuid: uuid,
      migrationType: "live-migration",
      status: "accepted",
      sourceCompute: source,
      sourceNode: instance.node ?? source,
      oldFlavorId: flavor.id,
      newFlavorId: flavor.id,
      oldFlavor: JSON.stringify(flavor),
      newFlavor: JSON.stringify(flavor),
      conductorHost: controllerHost,
    },
  });
  const consumer = migrationConsumer(migration);
  const peer = (host: string) => ({ id: migration.id, peerHost: host });
  await recordEventStart(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost);
  log.info(`Live migrating from ${source}${req.targetHost ? ` to ${req.targetHost}` : ""} (migration ${migration.id})`);

  let dest: string | null = null;
  try {
    await moveAllocations(uuid, consumer);
    dest = await scheduleDestination(instance, { flavor: null, targetHost: req.targetHost }, source, ctx, controllerHost);
    await setStatus(migration, "queued", { destCompute: dest, destNode: dest });
    await saveInstance(uuid, { step: "Preparing the destination host", progress: 0 }, ["migrating"]);
    const image = imageRef(await db.image.findUnique({ where: { id: instance.imageId } }), instance.imageId);

    await setStatus(migration, "preparing");
    const pre = await call(dest, { method: "pre_live_migration", context: ctx, instance: instanceSpec(instance), migration: peer(source), image }, preLiveMigrationAckSchema);

    await setStatus(migration, "running");
    const timeout = completionTimeoutSec(instance);
    const now = await db.instance.findUniqueOrThrow({ where: { uuid } });
    const rpc: LiveMigrationRpc = {
      method: "live_migration",
      context: ctx,
      instance: instanceSpec(now),
      migration: peer(dest),
      dest: pre.dest,
      completionTimeoutSec: timeout,
      timeoutAction: config.STRATUS_LIVE_MIGRATION_TIMEOUT_ACTION,
    };
    // The call lasts as long as the migration: the completion timeout plus time to act on it.
    const result = await call(source, rpc, liveMigrationAckSchema, timeout > 0 ? timeout + 600 : 7 * 24 * 3600);
    if (result.outcome === "cancelled") throw new Cancelled(result.reason ?? "cancelled");
    await completeMigration({ uuid, migration, source, dest, ctx, controllerHost, forced: result.forced, elapsedMs: result.elapsedMs });
  } catch (err) {
    await rollBack({ uuid, migration, consumer, source, dest, err, ctx, controllerHost });
  }
}

/** The guest runs on the destination: the instance is that host's now, the source is cleaned up. */
async function completeMigration(o: {
  uuid: string;
  migration: Migration;
  source: string;
  dest: string;
  ctx: RequestContext;
  controllerHost: string;
  forced: boolean;
  elapsedMs: number | null;
}): Promise<void> {
  const { uuid, migration, source, dest, ctx, controllerHost } = o;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  // Nova's post_live_migration_at_destination: host, node and power state follow the guest.
  await saveInstance(uuid, { host: dest, node: dest, step: "Finishing on the destination host", progress: 99 }, ["migrating"]);
  const landed = await db.instance.findUniqueOrThrow({ where: { uuid } });
  const image = imageRef(await db.image.findUnique({ where: { id: landed.imageId } }), landed.imageId);
  let figures: { powerState: number; downtimeMs: number | null; elapsedMs: number | null; memoryProcessed: number | null } | null = null;
  try {
    figures = await call(dest, { method: "post_live_migration_at_destination", context: ctx, instance: instanceSpec(landed), migration: { id: migration.id, peerHost: source }, image }, postLiveMigrationAckSchema);
  } catch (err) {
    log.warn(`The destination could not finish the migration: ${describe(err)}`);
  }
  await call(source, { method: "post_live_migration", context: ctx, instance: instanceSpec(landed), migration: { id: migration.id, peerHost: dest } }, ackSchema).catch((err: unknown) =>
    log.warn(`The source ${source} did not clean up after the migration: ${describe(err)}`),
  );
  await release(migrationConsumer(migration));
  await db.migration.update({
    where: { id: migration.id },
    data: {
      status: "completed",
      memoryRemaining: 0n,
      diskRemaining: 0n,
      etaSeconds: 0,
      downtimeMs: figures?.downtimeMs ?? null,
      forced: o.forced,
      // The destination counts every byte that arrived, the last pass included.
      ...(figures?.memoryProcessed ? { memoryProcessed: BigInt(figures.memoryProcessed) } : {}),
    },
  });
  publishMigrationChanged(uuid, migration.id);
  await saveInstance(uuid, { taskState: null, step: null, progress: 0, ...(figures ? { powerState: figures.powerState } : {}) }, ["migrating"]);
  const seconds = ((figures?.elapsedMs ?? o.elapsedMs ?? 0) / 1000).toFixed(2);
  const downtime = figures?.downtimeMs === null || figures?.downtimeMs === undefined ? "" : `, guest downtime ${figures.downtimeMs} ms`;
  const details = `Live-migrated from ${source} to ${dest} in ${seconds} s${downtime}${o.forced ? " (forced to complete: the guest was paused to converge)" : ""}`;
  await recordEventFinish(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost, { result: "Success", details });
  await recordActionFinish(uuid, ctx.requestId);
  log.info(`Migration ${migration.id}: ${details}`);
}

/**
 * The migration did not happen: the destination's disks and claim go, the source's allocation is
 * the instance's again and the task state is cleared; the guest runs on the source as before. If
 * the destination says the guest is already running there (the source's answer was lost), the
 * migration is completed instead.
 */
async function rollBack(o: {
  uuid: string;
  migration: Migration;
  consumer: string;
  source: string;
  dest: string | null;
  err: unknown;
  ctx: RequestContext;
  controllerHost: string;
}): Promise<void> {
  const { uuid, migration, consumer, source, dest, err, ctx, controllerHost } = o;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const cancelled = err instanceof Cancelled;
  const message = cancelled ? `Live migration cancelled: ${err.message}` : `Live migration failed: ${describe(err)}`;
  if (dest) {
    const instance = await db.instance.findUnique({ where: { uuid } });
    if (instance) {
      const undo: LiveMigrationRpc = { method: "rollback_live_migration_at_destination", context: ctx, instance: instanceSpec(instance), migration: { id: migration.id, peerHost: source } };
      const answer = await call(dest, undo, rollbackAckSchema).catch((e: unknown) => {
        log.warn(`Could not clean up ${dest}: ${describe(e)}`);
        return null;
      });
      if (answer?.guestIsHere) {
        log.warn(`${message}; but the guest runs on ${dest}: completing the migration`);
        await completeMigration({ uuid, migration, source, dest, ctx, controllerHost, forced: false, elapsedMs: null });
        return;
      }
    }
  }
  log.warn(`Migration ${migration.id}: ${message}`);
  // The source's allocation is the instance's again, unless the move never got to hand it over.
  if (await holdsAllocations(consumer)) {
    await release(uuid);
    await moveAllocations(consumer, uuid);
  }
  await db.migration.update({ where: { id: migration.id }, data: { status: cancelled ? "cancelled" : err instanceof NoValidHost ? "failed" : "error", etaSeconds: null } });
  publishMigrationChanged(uuid, migration.id);
  await saveInstance(uuid, { taskState: null, step: null, progress: 0 }, ["migrating"]);
  // The guest is fine where it was; only a scheduling failure is the instance's own fault to show.
  if (err instanceof NoValidHost) await addFault(uuid, { code: 400, message: err.message.slice(0, 255), ...(err.details ? { details: err.details } : {}), host: controllerHost });
  await recordEventFinish(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost, {
    result: "Error",
    details: message,
    ...(!cancelled && !(err instanceof NoValidHost) && !(err instanceof ConductorLost) && err instanceof Error && err.stack ? { traceback: err.stack } : {}),
  });
  await recordActionFinish(uuid, ctx.requestId, message);
}

/**
 * Settles a live migration whose conductor went away, as Nova does after a restart: the migration
 * ends in error. If libvirt is still moving the guest, the move is cancelled on the source first;
 * then the destination says whether the guest already runs there. If it does, the migration is
 * completed (the instance follows its guest); otherwise it is rolled back and the guest runs on
 * at the source. An abort asked for before the guest started moving ends it as cancelled.
 */
export async function settleInterruptedLiveMigration(m: Migration, lostConductor: string, ctx: RequestContext, controllerHost: string): Promise<void> {
  const uuid = m.instanceUuid;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const source = m.sourceCompute;
  if (!source) throw new Error(`Migration ${m.id} has no source host`);
  await driveMove(uuid, async () => {
    log.warn(`Migration ${m.id} (${m.status}) lost its conductor on ${lostConductor}; settling it`);
    if (m.status === "running" && m.destCompute) {
      const instance = await db.instance.findUniqueOrThrow({ where: { uuid } });
      const abort: LiveMigrationRpc = { method: "live_migration_abort", context: ctx, instance: instanceSpec(instance), migration: { id: m.id, peerHost: m.destCompute } };
      // Refused when libvirt is no longer moving it: the destination's answer below tells how it ended.
      const cancelled = await call(source, abort, ackSchema).then(
        () => true,
        (err: unknown) => {
          log.info(`No migration left to cancel on ${source}: ${describe(err)}`);
          return false;
        },
      );
      if (cancelled) {
        // libvirt tears the incoming guest down as the job ends: the destination is asked after that.
        await call(source, { ...abort, method: "live_migration_wait" }, ackSchema).catch((err: unknown) =>
          log.warn(`Could not wait for the cancelled migration to end on ${source}: ${describe(err)}`),
        );
        log.info(`Cancelled the migration still running on ${source}`);
      }
    }
    const err = m.status === CANCELLING
      ? new Cancelled("aborted by an operator before the guest started moving")
      : new ConductorLost(`the conductor driving it (${lostConductor}) went away while it was ${m.status}`);
    await rollBack({ uuid, migration: m, consumer: migrationConsumer(m), source, dest: m.destCompute, err, ctx, controllerHost });
  });
}

/**
 * Nova's live_migrate_abort: a migration already moving the guest is cancelled on its source; one
 * still being scheduled or prepared stops at its next step. Returns false when there is nothing to abort.
 */
export async function abortLiveMigration(uuid: string, ctx: RequestContext): Promise<boolean> {
  const m = await activeLiveMigration(uuid);
  if (!m || m.status === CANCELLING) return false;
  if (m.status !== "running") {
    const { count } = await db.migration.updateMany({ where: { id: m.id, status: { in: ["accepted", "queued", "preparing"] } }, data: { status: CANCELLING } });
    if (count === 1) return true;
  }
  const instance = await db.instance.findUniqueOrThrow({ where: { uuid } });
  if (!m.sourceCompute) return false;
  await call(m.sourceCompute, { method: "live_migration_abort", context: ctx, instance: instanceSpec(instance), migration: { id: m.id, peerHost: m.destCompute ?? "" } }, ackSchema);
  return true;
}

/** Nova's live_migrate_force_complete: only for a migration that is moving the guest now. */
export async function forceCompleteLiveMigration(uuid: string, ctx: RequestContext): Promise<boolean> {
  const m = await activeLiveMigration(uuid);
  if (!m || m.status !== "running" || !m.sourceCompute) return false;
  const instance = await db.instance.findUniqueOrThrow({ where: { uuid } });
  await call(m.sourceCompute, { method: "live_migration_force_complete", context: ctx, instance: instanceSpec(instance), migration: { id: m.id, peerHost: m.destCompute ?? "" } }, ackSchema);
  return true;
}
