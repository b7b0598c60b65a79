// The servers API's moves (Nova's resize, migrate, confirmResize and revertResize server actions,
// and the instance's migrations list): each call checks the action table, takes the task state
// and returns with its request id; the conductor carries the move out (src/server/conductor/
// resize.ts) and the dashboards follow it live.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { config } from "@/server/config";
import { confirmResize, moveInstance, revertResize } from "@/server/conductor/resize";
import { parseSnapshot } from "@/server/conductor/flavor-snapshot";
import { db } from "@/server/db";
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
const targetsInput = idInput.extend({ flavorId: z.string().trim().min(1).max(255).optional() });

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
      diskTotal: m.diskTotal === null ? null : Number(m.diskTotal),
      diskProcessed: m.diskProcessed === null ? null : Number(m.diskProcessed),
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
        fits: up && !n.service.disabled && instancesThatFit(n, need) > 0,
      };
    });
  }),
};
