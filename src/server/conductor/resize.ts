// The conductor's half of cold migration and resize (Nova's migrate_server → prep_resize →
// resize_instance → finish_resize; the confirm or revert that follows is resize-confirm-revert.ts).
// Each step is a call to the host that does it, answered when the step is done, so this code
// knows at every point where the instance is and undoes exactly what was done when a step fails.
//
// Claims move with the instance as in Nova: the source's allocation is handed to the migration
// (consumer `migration-<id>`) and the instance claims the destination for the new flavor, so both
// hosts hold room until the user decides; confirm frees the source, revert frees the destination.
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { RequestContext } from "@/lib/agent-protocol";
import type { LiveMigrationRpc } from "@/lib/live-migration-protocol";
import { prepResizeAckSchema, resizeInstanceAckSchema, type MigrationRpc } from "@/lib/migration-protocol";
import { ackSchema } from "@/lib/agent-protocol";
import { db, type Flavor, type Instance, type Migration } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { AgentUnavailable, callAgentFor } from "@/server/realtime/agent-rpc";
import { claim, ClaimRefused, holdsAllocations, moveAllocations, release } from "@/server/scheduler/claims";
import { hostStateCache } from "@/server/scheduler/host-state-cache";
import { requestFor } from "@/server/scheduler/resources";
import { NoValidHost, placementRequest } from "./build";
import { driveMove } from "./driving";
import { flavorColumns, snapshotOfFlavor, snapshotOfInstance, type FlavorSnapshot } from "./flavor-snapshot";
import { addFault, publishInstanceView, saveInstance } from "./instance-state";
import { imageRef, instanceSpec } from "./specs";

const CONDUCTOR_EVENT = "conductor_migrate_server";
const SCHEDULE_EVENT = "schedule_instances";
/** A copy gets this long beyond the guest's shutdown before the conductor gives up on it. */
const RESIZE_INSTANCE_TIMEOUT_SEC = 30 * 60;

export const migrationConsumer = (m: Pick<Migration, "id">) => `migration-${m.id}`;

/** A step refused or failed on a host; `host` is where. */
export class StepFailed extends Error {
  /** The host's agent was not there, went away during the step, or never answered. */
  readonly unavailable: boolean;
  constructor(
    readonly step: string,
    readonly host: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.unavailable = cause instanceof AgentUnavailable;
  }
}

export function describe(err: unknown): string {
  return err instanceof StepFailed ? `${err.step} on ${err.host} failed: ${err.message}` : err instanceof Error ? err.message : String(err);
}

export async function call<S extends z.ZodType>(host: string, rpc: MigrationRpc | LiveMigrationRpc, schema: S, timeoutSec?: number): Promise<z.infer<S>> {
  try {
    // Migration calls travel on the same `rpc` event; the agent routes them by method. A step
    // fails as soon as the agent that took it goes away, not after the step's whole timeout.
    return await callAgentFor(host, rpc, schema, { watchConnection: true, ...(timeoutSec ? { timeoutSec } : {}) });
  } catch (err) {
    throw new StepFailed(rpc.method, host, err);
  }
}

function specWith(instance: Instance, flavor: FlavorSnapshot) {
  return { ...instanceSpec(instance), ...flavorColumns(flavor) };
}

export interface MoveRequest {
  /** The flavor to resize to; null for a migration (same flavor, another host). */
  flavor: Flavor | null;
  /** An admin's chosen destination (it must still pass the filters). */
  targetHost: string | null;
}

/** Schedules, claims and carries out a cold migration or resize of an instance in resize_prep. */
export function moveInstance(uuid: string, req: MoveRequest, ctx: RequestContext, controllerHost: string): Promise<void> {
  return driveMove(uuid, () => driveColdMove(uuid, req, ctx, controllerHost));
}

async function driveColdMove(uuid: string, req: MoveRequest, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const instance = await db.instance.findUnique({ where: { uuid } });
  if (!instance || instance.deletedAt || instance.taskState !== "resize_prep" || !instance.host) {
    log.info("Instance left resize_prep before the move started; nothing to do");
    return;
  }
  const source = instance.host;
  const current = await db.flavor.findUnique({ where: { id: instance.flavorId } });
  const oldFlavor = snapshotOfInstance(instance, current?.name ?? null);
  const newFlavor = req.flavor ? snapshotOfFlavor(req.flavor) : oldFlavor;
  const kind = req.flavor ? "resize" : "migration";
  const migration = await db.migration.create({
    data: {
      instanceUuid: uuid,
      migrationType: kind,
      status: "pre-migrating",
      sourceCompute: source,
      sourceNode: instance.node ?? source,
      oldFlavorId: oldFlavor.id,
      newFlavorId: newFlavor.id,
      oldFlavor: JSON.stringify(oldFlavor),
      newFlavor: JSON.stringify(newFlavor),
      conductorHost: controllerHost,
      oldVmState: instance.vmState,
    },
  });
  const consumer = migrationConsumer(migration);
  await recordEventStart(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost);
  log.info(`${kind === "resize" ? `Resizing to ${newFlavor.name ?? newFlavor.id}` : "Migrating"} from ${source} (migration ${migration.id})`);

  let dest: string | null = null;
  let moved = false;
  try {
    await moveAllocations(uuid, consumer);
    dest = await scheduleDestination(instance, req, source, ctx, controllerHost);
    await db.migration.update({ where: { id: migration.id }, data: { destCompute: dest, destNode: dest, status: "migrating" } });
    const token = randomBytes(32).toString("hex");
    const image = imageRef(await db.image.findUnique({ where: { id: instance.imageId } }), instance.imageId);
    const peer = (host: string) => ({ id: migration.id, peerHost: host });

    const prep = await call(dest, { method: "prep_resize", context: ctx, instance: specWith(instance, newFlavor), migration: peer(source), image, token }, prepResizeAckSchema);
    const now = await db.instance.findUniqueOrThrow({ where: { uuid } });
    const sent = await call(
      source,
      { method: "resize_instance", context: ctx, instance: instanceSpec(now), migration: peer(dest), transferUrl: prep.transferUrl, token },
      resizeInstanceAckSchema,
      RESIZE_INSTANCE_TIMEOUT_SEC,
    );
    await db.migration.update({
      where: { id: migration.id },
      data: { status: "post-migrating", diskTotal: BigInt(sent.bytes), diskProcessed: BigInt(sent.bytes), diskRemaining: 0n },
    });

    // The instance is the destination's now, with its new flavor (Nova's finish_resize start).
    moved = await saveInstance(
      uuid,
      { host: dest, node: dest, ...flavorColumns(newFlavor), taskState: "resize_finish", step: "Finishing on the destination host", progress: 92 },
      ["resize_migrated"],
    );
    if (!moved) throw new Error("the instance changed while its disk was copied (deleted or reset)");
    await finishOnDestination(migration, await db.instance.findUniqueOrThrow({ where: { uuid } }), ctx);
    await recordEventFinish(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost, {
      result: "Success",
      details: `Moved from ${source} to ${dest}: ${(sent.bytes / 1024 / 1024).toFixed(1)} MiB in ${sent.seconds.toFixed(2)} s`,
    });
    log.info(`Migration ${migration.id} finished: ${source} → ${dest}; waiting for confirm or revert`);
  } catch (err) {
    await failMove({ uuid, migration, consumer, source, dest, moved, err, ctx, controllerHost });
  }
}

/**
 * finish_resize on the destination of an instance that moved there (task state resize_finish): the
 * guest is defined with the new flavor and started if it ran before; the move waits for the user.
 */
export async function finishOnDestination(migration: Migration, landed: Instance, ctx: RequestContext): Promise<void> {
  const dest = landed.host ?? "";
  const image = imageRef(await db.image.findUnique({ where: { id: landed.imageId } }), landed.imageId);
  // vm_state is still the one before the move: a running guest runs again on its new host.
  const powerOn = landed.vmState === "active";
  const peer = { id: migration.id, peerHost: migration.sourceCompute ?? "" };
  await call(dest, { method: "finish_resize", context: ctx, instance: instanceSpec(landed), migration: peer, image, powerOn }, ackSchema);
  await db.migration.update({ where: { id: migration.id }, data: { status: "finished" } });
  // The view carries when the move confirms by itself (STRATUS_RESIZE_CONFIRM_WINDOW).
  await publishInstanceView(landed.uuid);
}

/** Picks (and claims) the destination for the new flavor, never the source (Nova's default). */
export async function scheduleDestination(instance: Instance, req: MoveRequest, source: string, ctx: RequestContext, controllerHost: string): Promise<string> {
  const { uuid } = instance;
  const cache = hostStateCache();
  const schedLog = getLogger("stratus.scheduler.manager", { ...ctx, instanceUuid: uuid });
  await recordEventStart(uuid, ctx.requestId, SCHEDULE_EVENT, controllerHost);
  const preq = await placementRequest(instance, [uuid], req.flavor ?? undefined);
  const resources = requestFor(preq.flavor);
  const refused = new Set<string>([source]);
  for (let round = 0; round < 3; round++) {
    const placement = await cache.place({ ...preq, ignoreHosts: [...refused], ...(req.targetHost ? { onlyHosts: [req.targetHost] } : {}) });
    if (!placement.ok) {
      const e = placement.result.explanation;
      const forced = req.targetHost ? ` Requested host ${req.targetHost} did not pass.` : "";
      const err = new NoValidHost(`${e.message}${forced}`, e.details);
      await recordEventFinish(uuid, ctx.requestId, SCHEDULE_EVENT, controllerHost, { result: "Error", details: e.details ? `${err.message}\n${e.details}` : err.message });
      throw err;
    }
    const sel = placement.selections[0]!;
    for (const host of [sel.host, ...sel.alternates]) {
      if (refused.has(host)) continue;
      const nodeId = cache.nodeId(host);
      if (nodeId === undefined) continue;
      if (host !== sel.host) cache.moveTo(uuid, host, preq.flavor, preq.group?.id ?? null);
      try {
        await claim({ nodeId, host }, uuid, uuid, resources);
        cache.confirm(uuid);
        schedLog.info(`Selected ${host} for the move of ${uuid} (alternates: ${sel.alternates.join(", ") || "none"})`);
        await recordEventFinish(uuid, ctx.requestId, SCHEDULE_EVENT, controllerHost, { result: "Success", details: `Selected host ${host}` });
        return host;
      } catch (err) {
        if (!(err instanceof ClaimRefused)) {
          cache.abandon(uuid);
          throw err;
        }
        refused.add(host);
      }
    }
    cache.abandon(uuid);
  }
  const err = new NoValidHost(`No valid host was found. Claims were refused on ${[...refused].filter((h) => h !== source).join(", ")}.`, "");
  await recordEventFinish(uuid, ctx.requestId, SCHEDULE_EVENT, controllerHost, { result: "Error", details: err.message });
  throw err;
}

/**
 * Undoes a move that failed. Before the instance moved: the destination's claim and files go, the
 * source's allocation is the instance's again, and the task state is cleared (the source agent has
 * already powered the guest back on if the copy failed). After it moved (finish failed on the
 * destination): the destination left the instance in ERROR; the source keeps its copy and claim
 * so an operator can still recover it.
 *
 * A source that powered the guest off and copied the disk without failing (its conductor was lost
 * meanwhile) defines and starts it again as it was (finish_revert_resize).
 *
 * A host whose agent is gone cannot be told: a destination removes what it received when its agent
 * next starts (the controller names a failed move's leftovers at registration); a source that went
 * away while the guest was powered off for the copy powers it on again when its agent is back, and
 * an agent that is alive but cut off finds its next state change refused and does so at once.
 */
export async function failMove(o: {
  uuid: string;
  migration: Migration;
  consumer: string;
  source: string;
  dest: string | null;
  moved: boolean;
  err: unknown;
  ctx: RequestContext;
  controllerHost: string;
}): Promise<void> {
  const { uuid, migration, consumer, source, dest, moved, err, ctx, controllerHost } = o;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const sourceLost = err instanceof StepFailed && err.step === "resize_instance" && err.host === source && err.unavailable;
  const message = `${describe(err)}${sourceLost ? `; the instance stays on ${source}, whose agent powers the guest on again if the copy had it off` : ""}`;
  log.warn(`Migration ${migration.id} failed: ${message}`);
  await db.migration.update({ where: { id: migration.id }, data: { status: "error" } });
  if (!moved) {
    if (dest) {
      const instance = await db.instance.findUnique({ where: { uuid } });
      if (instance) {
        const cleanup: MigrationRpc = { method: "revert_resize", context: ctx, instance: instanceSpec(instance), migration: { id: migration.id, peerHost: source } };
        await call(dest, cleanup, ackSchema).catch((e: unknown) =>
          log.warn(`Could not clean up ${dest} (${e instanceof Error ? e.message : e}); its agent removes what it received when it next starts`),
        );
      }
    }
    // Before the hand-over (the move failed at its start) the instance still holds its own claim.
    if (await holdsAllocations(consumer)) {
      await release(uuid);
      await moveAllocations(consumer, uuid);
    }
    await restoreOnSource(uuid, migration, source, ctx);
    await saveInstance(uuid, { taskState: null, step: null }, ["resize_prep", "resize_migrating", "resize_migrated", "resize_reverting"]);
  }
  const nvh = err instanceof NoValidHost;
  await addFault(uuid, { code: nvh ? 400 : 500, message: message.slice(0, 255), ...(nvh && err.details ? { details: err.details } : {}), host: controllerHost });
  await recordEventFinish(uuid, ctx.requestId, CONDUCTOR_EVENT, controllerHost, {
    result: "Error",
    details: message,
    ...(!nvh && err instanceof Error && err.stack ? { traceback: err.stack } : {}),
  });
  await recordActionFinish(uuid, ctx.requestId, message);
}

/** The guest back on the source as it was, if the source's copy left it there powered off. */
async function restoreOnSource(uuid: string, migration: Migration, source: string, ctx: RequestContext): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: uuid });
  const step = "Putting the instance back on the source host";
  if (!(await saveInstance(uuid, { taskState: "resize_reverting", step }, ["resize_migrating", "resize_migrated"], { host: source }))) return;
  const instance = await db.instance.findUniqueOrThrow({ where: { uuid } });
  const image = imageRef(await db.image.findUnique({ where: { id: instance.imageId } }), instance.imageId);
  const powerOn = instance.vmState === "active";
  const peer = { id: migration.id, peerHost: migration.destCompute ?? "" };
  await call(source, { method: "finish_revert_resize", context: ctx, instance: instanceSpec(instance), migration: peer, image, powerOn }, ackSchema).catch(
    (e: unknown) => log.warn(`Could not put the instance back on ${source} (${describe(e)}); its agent powers the guest on again when it next starts`),
  );
}
