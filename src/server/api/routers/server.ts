// The servers API (nova-api's /servers): list, show, create, delete and the action log. Every
// mutating call returns at once with its request id; the conductor and agents do the work and the
// dashboards follow it live.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { RequestContext } from "@/lib/agent-protocol";
import { checkAction } from "@/lib/instance-actions";
import { config } from "@/server/config";
import { scheduleAndBuildInstances } from "@/server/conductor/build";
import { terminateInstance } from "@/server/conductor/delete";
import { publishInstanceView, saveInstance } from "@/server/conductor/instance-state";
import { db, type Prisma } from "@/server/db";
import { listActions, recordActionStart } from "@/server/instances/action-log";
import { loadInstanceView, toInstanceViews } from "@/server/instances/instance-view";
import { getLogger } from "@/server/logs/logger";
import { createTRPCRouter, protectedProcedure } from "../trpc";
import { findVisibleFlavor, findVisibleImage } from "./catalog";

const idInput = z.object({ id: z.string().uuid("Instance ids are UUIDs") });

const createInput = z.object({
  name: z.string().trim().min(1, "Instance name must not be empty").max(255, "Instance name must be at most 255 characters"),
  flavorId: z.string().min(1).max(255),
  imageId: z.string().min(1).max(255),
  count: z.number().int().min(1, "Count must be at least 1").max(100, "Count must be at most 100").default(1),
});

const listInput = z
  .object({
    page: z.number().int().min(1).default(1),
    pageSize: z.number().int().min(1).max(200).default(50),
    /** Admins only: list every project's instances. */
    allProjects: z.boolean().default(false),
  })
  .default({ page: 1, pageSize: 50, allProjects: false });

interface Caller {
  identity: { project: { id: string } };
  isAdmin: boolean;
}

function notFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `Instance ${id} could not be found.` });
}

/** The instance if the caller may see it; a member gets "not found" for other projects' instances. */
async function visibleInstance(ctx: Caller, id: string) {
  const instance = await db.instance.findUnique({ where: { uuid: id } });
  if (!instance || instance.deletedAt) throw notFound(id);
  if (!ctx.isAdmin && instance.projectId !== ctx.identity.project.id) throw notFound(id);
  return instance;
}

/** Runs conductor work after the API call has returned, logging (never throwing) its failure. */
function inBackground(ctx: RequestContext, what: string, work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((err: unknown) => getLogger("stratus.conductor.manager", ctx).error({ err }, `${what} failed`));
  });
}

export const serverRouter = createTRPCRouter({
  list: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const where: Prisma.InstanceWhereInput = { deletedAt: null };
    if (!(ctx.isAdmin && input.allProjects)) where.projectId = ctx.identity.project.id;
    const [rows, total] = await Promise.all([
      db.instance.findMany({
        where,
        orderBy: [{ createdAt: "desc" }, { uuid: "asc" }],
        skip: (input.page - 1) * input.pageSize,
        take: input.pageSize,
      }),
      db.instance.count({ where }),
    ]);
    return { items: await toInstanceViews(rows), total, page: input.page, pageSize: input.pageSize };
  }),

  get: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    await visibleInstance(ctx, input.id);
    const view = await loadInstanceView(input.id);
    if (!view) throw notFound(input.id);
    return view;
  }),

  create: protectedProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    const { identity, rpcContext } = ctx;
    const log = getLogger("stratus.api.servers", rpcContext);
    const flavor = await findVisibleFlavor(input.flavorId, identity.project.id, ctx.isAdmin);
    if (!flavor) throw new TRPCError({ code: "NOT_FOUND", message: `Flavor ${input.flavorId} could not be found.` });
    const image = await findVisibleImage(input.imageId, identity.project.id, ctx.isAdmin);
    if (!image) throw new TRPCError({ code: "NOT_FOUND", message: `Image ${input.imageId} could not be found.` });
    if (image.status !== "active") {
      throw new TRPCError({ code: "CONFLICT", message: `Image ${image.id} is not active (status: ${image.status}).` });
    }
    if (flavor.rootGb > 0 && flavor.rootGb < image.minDiskGb) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "Flavor's disk is too small for requested image." });
    }
    if (flavor.memoryMb < image.minRamMb) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "Flavor's memory is too small for requested image." });
    }
    // Nova's multi_instance_display_name_template: "%(name)s-%(count)d" when more than one.
    const names = Array.from({ length: input.count }, (_, i) => (input.count > 1 ? `${input.name}-${i + 1}` : input.name));
    const now = new Date();
    const created = await db.$transaction(
      names.map((displayName) =>
        db.instance.create({
          data: {
            displayName,
            projectId: identity.project.id,
            userId: identity.user.id,
            flavorId: flavor.id,
            imageId: image.id,
            vcpus: flavor.vcpus,
            memoryMb: flavor.memoryMb,
            rootGb: flavor.rootGb,
            ephemeralGb: flavor.ephemeralGb,
            swapMb: flavor.swapMb,
            vmState: "building",
            taskState: "scheduling",
            taskStartedAt: now,
            powerState: 0,
            step: "Waiting for the scheduler",
          },
        }),
      ),
    );
    for (const instance of created) {
      await recordActionStart({
        instanceUuid: instance.uuid,
        action: "create",
        requestId: rpcContext.requestId,
        userId: identity.user.id,
        projectId: identity.project.id,
      });
      await publishInstanceView(instance.uuid);
    }
    log.info(`Creating ${created.length} instance(s) of flavor ${flavor.name} from image ${image.name}: ${names.join(", ")}`);
    const uuids = created.map((i) => i.uuid);
    inBackground(rpcContext, "Build", () => scheduleAndBuildInstances(uuids, rpcContext, config.STRATUS_HOST));
    return { requestId: rpcContext.requestId, instances: created.map((i) => ({ uuid: i.uuid, name: i.displayName })) };
  }),

  delete: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const { identity, rpcContext } = ctx;
    const instance = await visibleInstance(ctx, input.id);
    const check = checkAction("delete", instance, ctx);
    if (!check.allowed) throw new TRPCError({ code: check.code, message: check.reason });
    const log = getLogger("stratus.api.servers", { ...rpcContext, instanceUuid: instance.uuid });
    // Unlike Nova, a repeated delete is not ignored: it re-drives the deletion to the end.
    if (instance.taskState === "deleting") log.info("Instance is already deleting; driving the delete again");
    await saveInstance(instance.uuid, { taskState: "deleting", progress: 0, step: "Deleting" });
    await recordActionStart({
      instanceUuid: instance.uuid,
      action: "delete",
      requestId: rpcContext.requestId,
      userId: identity.user.id,
      projectId: identity.project.id,
    });
    log.info("Deleting instance");
    inBackground(rpcContext, "Delete", () => terminateInstance(instance.uuid, rpcContext, config.STRATUS_HOST));
    return { requestId: rpcContext.requestId };
  }),

  actions: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const instance = await db.instance.findUnique({ where: { uuid: input.id } });
    // Actions stay readable after delete (Nova ≥ 2.21), within the caller's project.
    if (!instance || (!ctx.isAdmin && instance.projectId !== ctx.identity.project.id)) throw notFound(input.id);
    const actions = await listActions(input.id);
    return actions.map((a) => ({
      id: a.id,
      action: a.action,
      requestId: a.requestId,
      userId: a.userId,
      startTime: a.startTime,
      finishTime: a.finishTime,
      message: a.message,
      events: a.events.map((e) => ({
        event: e.event,
        startTime: e.startTime,
        finishTime: e.finishTime,
        result: e.result,
        host: ctx.isAdmin ? e.host : null,
        // Owners see what failed; tracebacks are for operators (Nova ≥ 2.51).
        traceback: ctx.isAdmin ? e.traceback : null,
        details: e.details,
      })),
    }));
  }),
});
