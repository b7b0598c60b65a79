// The servers API's moves (Nova's resize, migrate, confirmResize and revertResize server actions,
// and the instance's migrations list): each call checks the action table, takes the task state
// and returns with its request id; the conductor carries the move out (src/server/conductor/
// resize.ts, resize-confirm-revert.ts, live-migration.ts) and the dashboards follow it live.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { config } from "@/server/config";
import { abortLiveMigration, forceCompleteLiveMigration, liveMigrateInstance } from "@/server/conductor/live-migration";
import { moveInstance } from "@/server/conductor/resize";
import { confirmResize, revertResize } from "@/server/conductor/resize-confirm-revert";
import { parseSnapshot } from "@/server/conductor/flavor-snapshot";
import { db } from "@/server/db";
import { recordActionFinish } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { instancesThatFit, limits, requestFor } from "@/server/scheduler/resources";
import { isUp } from "@/server/services/service-registry";
import { adminProcedure, protectedProcedure } from "../trpc";
import { findVisibleFlavor } from "./catalog";
import { checkedInstance, inBackground, recordAction, takeTask, visibleInstance, type Caller } from "./server-access";

const idInput = z.object({ id: z.string().uuid("Instance ids are UUIDs") });
const resizeInput = idInput.extend({ flavorId: z.string().trim().min(1, "Pick a flavor").max(255) });
const migrateInput = idInput.extend({
  /** Nova 2.56: an admin may name the destination; it must still pass the scheduler's filters. */
  host: z.string().trim().min(1).max(255).optional(),
});
const liveMigrateInput = idInput.extend({
  /** An admin's chosen destination; it must still pass the scheduler's filters (Nova 2.68: no force). */
  host: z.string().trim().min(1).max(255).optional(),
});
const targetsInput = idInput.extend({ flavorId: z.string().trim().min(1).max(255).optional() });

/** libvirt's test driver reports itself as hypervisor type "TEST"; it has no migration at all. */
const TEST_HYPERVISOR = "TEST";
export const TEST_DRIVER_LIVE_MIGRATION =
  "Live migration needs a real hypervisor: libvirt's test driver (test:///) cannot move a running guest. Use cold migration (Migrate Instance) instead.";

async function hypervisorTypeOf(host: string): Promise<string | null> {
  return (await db.computeNode.findUnique({ where: { host }, select: { hypervisorType: true } }))?.hypervisorType ?? null;
}

const num = (v: bigint | null): number | null => (v === null ? null : Number(v));

function requested(ctx: Caller, uuid: string, what: string): void {
  getLogger("stratus.api.servers", { ...ctx.rpcContext, instanceUuid: uuid }).info(`${what} requested`);
}

export const migrationProcedures = {
  /** Nova's resize: to another flavor, on another host; ends in VERIFY_RESIZE. */
  resize: protectedProcedure.input(resizeInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "resize");
    const flavor = await findVisibleFlavor(input.flavorId, ctx.identity.project.id, ctx.isAdmin);
    if (!flavor || flavor.disabled) throw new TRPCError({ code: "NOT_FOUND", message: `Flavor ${input.flavorId} could not be found.` });
    if (flavor.id === instance.flavorId) throw new TRPCError({ code: "BAD_REQUEST", message: "When resizing, instances must change flavor!" });
    // A disk never shrinks: the guest's filesystem would be cut (Nova's ResizeError).
    if (flavor.rootGb < instance.rootGb) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Resizing to a smaller disk is not allowed: ${flavor.name} has ${flavor.rootGb} GB, the instance ${instance.rootGb} GB.` });
    }
    if (flavor.ephemeralGb < instance.ephemeralGb) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Resizing to a smaller ephemeral disk is not allowed: ${flavor.name} has ${flavor.ephemeralGb} GB.` });
    }
    if (!instance.host) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} is not ready` });
    await takeTask(ctx, instance, "resize");
    await recordAction(ctx, instance.uuid, "resize");
    requested(ctx, instance.uuid, `Resize to ${flavor.name}`);
    const rpc = ctx.rpcContext;
    inBackground(rpc, "Resize", () => moveInstance(instance.uuid, { flavor, targetHost: null }, rpc, config.STRATUS_HOST));
    return { requestId: rpc.requestId };
  }),

  /** Nova's cold migrate (admin): same flavor, another host, chosen by the scheduler or named. */
  migrate: protectedProcedure.input(migrateInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "migrate");
    if (!instance.host) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} is not ready` });
    if (input.host !== undefined) {
      if (input.host === instance.host) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `The instance is already on ${input.host}; pick another host.` });
      }
      if (!(await db.computeNode.findUnique({ where: { host: input.host } }))) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `Compute host ${input.host} could not be found.` });
      }
    }
    await takeTask(ctx, instance, "migrate");
    await recordAction(ctx, instance.uuid, "migrate");
    requested(ctx, instance.uuid, `Migration${input.host ? ` to ${input.host}` : ""}`);
    const rpc = ctx.rpcContext;
    inBackground(rpc, "Migrate", () => moveInstance(instance.uuid, { flavor: null, targetHost: input.host ?? null }, rpc, config.STRATUS_HOST));
    return { requestId: rpc.requestId };
  }),

  /** Nova's live migration (admin): the running guest moves with its memory and disks. */
  liveMigrate: protectedProcedure.input(liveMigrateInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "live_migrate");
    if (!instance.host) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} is not ready` });
    // Said before anything changes, rather than found out half-way (the test driver has no migration).
    if ((await hypervisorTypeOf(instance.host)) === TEST_HYPERVISOR) throw new TRPCError({ code: "BAD_REQUEST", message: TEST_DRIVER_LIVE_MIGRATION });
    if (input.host !== undefined) {
      if (input.host === instance.host) throw new TRPCError({ code: "BAD_REQUEST", message: `The instance is already on ${input.host}; pick another host.` });
      const type = await hypervisorTypeOf(input.host);
      if (type === null) throw new TRPCError({ code: "BAD_REQUEST", message: `Compute host ${input.host} could not be found.` });
      if (type === TEST_HYPERVISOR) throw new TRPCError({ code: "BAD_REQUEST", message: `${input.host} runs libvirt's test driver, which cannot take a live migration.` });
    }
    await takeTask(ctx, instance, "live_migrate");
    await recordAction(ctx, instance.uuid, "live_migrate");
    requested(ctx, instance.uuid, `Live migration${input.host ? ` to ${input.host}` : ""}`);
    const rpc = ctx.rpcContext;
    inBackground(rpc, "Live migration", () => liveMigrateInstance(instance.uuid, { targetHost: input.host ?? null }, rpc, config.STRATUS_HOST));
    return { requestId: rpc.requestId };
  }),

  /** Nova's live_migrate_abort: the guest stays (or goes back to running) on the source. */
  liveMigrateAbort: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "live_migrate_abort");
    await recordAction(ctx, instance.uuid, "live_migrate_abort");
    requested(ctx, instance.uuid, "Abort of the live migration");
    const done = await abortLiveMigration(instance.uuid, ctx.rpcContext).catch(async (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      await recordActionFinish(instance.uuid, ctx.rpcContext.requestId, message);
      throw new TRPCError({ code: "CONFLICT", message });
    });
    // The request is carried out by the running migration; its own action tells how it ends.
    await recordActionFinish(instance.uuid, ctx.rpcContext.requestId, done ? undefined : "nothing to act on");
    if (!done) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} has no live migration in progress to abort.` });
    return { requestId: ctx.rpcContext.requestId };
  }),

  /** Nova's live_migrate_force_complete: the guest is paused so the copy converges now. */
  liveMigrateForceComplete: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "live_migrate_force_complete");
    await recordAction(ctx, instance.uuid, "live_migrate_force_complete");
    requested(ctx, instance.uuid, "Force complete of the live migration");
    const done = await forceCompleteLiveMigration(instance.uuid, ctx.rpcContext).catch(async (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      await recordActionFinish(instance.uuid, ctx.rpcContext.requestId, message);
      throw new TRPCError({ code: "CONFLICT", message });
    });
    // The request is carried out by the running migration; its own action tells how it ends.
    await recordActionFinish(instance.uuid, ctx.rpcContext.requestId, done ? undefined : "nothing to act on");
    if (!done) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} has no running live migration to force complete (it may still be preparing).` });
    return { requestId: ctx.rpcContext.requestId };
  }),

  confirmResize: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "confirm_resize");
    await recordAction(ctx, instance.uuid, "confirm_resize");
    requested(ctx, instance.uuid, "Confirm of the resize or migration");
    const rpc = ctx.rpcContext;
    inBackground(rpc, "Confirm resize", () => confirmResize(instance.uuid, rpc, config.STRATUS_HOST));
    return { requestId: rpc.requestId };
  }),

  revertResize: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "revert_resize");
    await takeTask(ctx, instance, "revert_resize");
    await recordAction(ctx, instance.uuid, "revert_resize");
    requested(ctx, instance.uuid, "Revert of the resize or migration");
    const rpc = ctx.rpcContext;
    inBackground(rpc, "Revert resize", () => revertResize(instance.uuid, rpc, config.STRATUS_HOST));
    return { requestId: rpc.requestId };
  }),

  /** The instance's moves, newest first (Nova's GET /servers/{id}/migrations, cold ones too). */
  migrations: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    await visibleInstance(ctx, input.id);
    const rows = await db.migration.findMany({ where: { instanceUuid: input.id }, orderBy: { id: "desc" } });
    return rows.map((m) => ({
      id: m.id,
      type: m.migrationType,
      status: m.status,
      // Host names are the operator's (Nova shows them to admins only).
      sourceCompute: ctx.isAdmin ? m.sourceCompute : null,
      destCompute: ctx.isAdmin ? m.destCompute : null,
      oldFlavor: parseSnapshot(m.oldFlavor),
      newFlavor: parseSnapshot(m.newFlavor),
      memoryTotal: num(m.memoryTotal),
      memoryProcessed: num(m.memoryProcessed),
      memoryRemaining: num(m.memoryRemaining),
      diskTotal: num(m.diskTotal),
      diskProcessed: num(m.diskProcessed),
      diskRemaining: num(m.diskRemaining),
      bytesPerSecond: num(m.bytesPerSecond),
      etaSeconds: m.etaSeconds,
      downtimeMs: m.downtimeMs,
      forced: m.forced,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    }));
  }),

  /**
   * Where an admin could migrate the instance to: every other compute host with its state and free
   * room, and whether the flavor fits there by capacity (the scheduler's filters have the last word).
   */
  migrationTargets: adminProcedure.input(targetsInput).query(async ({ ctx, input }) => {
    const instance = await visibleInstance(ctx, input.id);
    const flavor = input.flavorId ? await db.flavor.findUnique({ where: { id: input.flavorId } }) : null;
    const need = requestFor(flavor ?? instance);
    const nodes = await db.computeNode.findMany({ where: { host: { not: instance.host ?? "" } }, include: { service: true }, orderBy: { host: "asc" } });
    const now = Date.now();
    return nodes.map((n) => {
      const l = limits(n);
      const up = isUp(n.service, now);
      return {
        host: n.host,
        state: up ? ("up" as const) : ("down" as const),
        status: n.service.disabled ? ("disabled" as const) : ("enabled" as const),
        freeVcpus: l.vcpus - n.vcpusUsed,
        freeMemoryMb: l.memoryMb - n.memoryMbUsed,
        freeDiskGb: l.diskGb - n.localGbUsed,
        liveMigration: n.hypervisorType !== TEST_HYPERVISOR,
        fits: up && !n.service.disabled && instancesThatFit(n, need) > 0,
      };
    });
  }),
};
