// The servers API (nova-api's /servers): list, show, create, delete, the lifecycle actions of the
// Instances menu (stop, start, reboot, pause, suspend, rescue and their reverses, lock, reset
// state) and the action log. Every mutating call returns at once with its request id; the
// conductor and agents do the work and the dashboards follow it live.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { REBOOT_TYPES } from "@/lib/agent-protocol";
import { ADMIN_ONLY_FILTERS, ADMIN_ONLY_SORTS, serverListInput, type ServerListInput } from "@/lib/instance-list-query";
import { ACTION_RULES, checkAction, type InstanceActionName } from "@/lib/instance-actions";
import { config } from "@/server/config";
import { scheduleAndBuildInstances } from "@/server/conductor/build";
import { terminateInstance } from "@/server/conductor/delete";
import { publishInstanceView, saveInstance } from "@/server/conductor/instance-state";
import { castToCompute, type ComputeAction } from "@/server/conductor/lifecycle";
import { consoleLogInput, readConsoleLog } from "@/server/console/console-log";
import { imageRef } from "@/server/conductor/specs";
import { db, isPostgres, type Instance } from "@/server/db";
import { listActions, recordActionFinish, recordActionStart } from "@/server/instances/action-log";
import { loadInstanceView, toInstanceViews } from "@/server/instances/instance-view";
import { buildListOrderBy, buildListWhere, type ResolvedRefs } from "@/server/instances/list-query";
import { actionEventFor, instanceViewFor } from "@/server/instances/member-view";
import { getLogger } from "@/server/logs/logger";
import { createTRPCRouter, protectedProcedure } from "../trpc";
import { findVisibleFlavor, findVisibleImage } from "./catalog";
import { isAvailabilityZone } from "./aggregate";
import { findVisibleServerGroup } from "./server-group";
import { migrationProcedures } from "./server-migration";
import { checkedInstance, inBackground, notFound, recordAction, takeTask, visibleInstance, type Caller } from "./server-access";

const idInput = z.object({ id: z.string().uuid("Instance ids are UUIDs") });

const createInput = z.object({
  name: z.string().trim().min(1, "Instance name must not be empty").max(255, "Instance name must be at most 255 characters"),
  flavorId: z.string().min(1).max(255),
  imageId: z.string().min(1).max(255),
  count: z.number().int().min(1, "Count must be at least 1").max(100, "Count must be at most 100").default(1),
  /** Nova's availability_zone: only hosts of this zone are considered. */
  availabilityZone: z.string().trim().min(1).max(255).optional(),
  /** Nova's scheduler hint `group`: the instances join this server group and follow its policy. */
  serverGroupId: z.string().uuid("Server group ids are UUIDs").optional(),
});

const rebootInput = idInput.extend({ type: z.enum(REBOOT_TYPES).default("SOFT") });
const rescueInput = idInput.extend({
  /** Nova: the rescue image defaults to the instance's own image. */
  imageId: z.string().min(1).max(255).optional(),
});
const lockInput = idInput.extend({ reason: z.string().trim().max(255, "Lock reason must be at most 255 characters").optional() });
const resetStateInput = idInput.extend({ state: z.enum(["error", "active"]).default("error") });

/** Nova keeps host filtering and sorting to admins; a member is told rather than silently ignored. */
function checkAdminOnly(input: ServerListInput, isAdmin: boolean): void {
  if (isAdmin) return;
  const filter = ADMIN_ONLY_FILTERS.find((key) => input[key] !== undefined);
  if (filter) throw new TRPCError({ code: "FORBIDDEN", message: `Filtering by ${filter} is restricted to administrators.` });
  if (ADMIN_ONLY_SORTS.includes(input.sort)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Sorting by ${input.sort} is restricted to administrators.` });
  }
}

/** The flavor and image filters take an id or a name: one small lookup each, not one per row. */
async function resolveRefs(input: ServerListInput): Promise<ResolvedRefs> {
  const [flavors, images] = await Promise.all([
    input.flavor ? db.flavor.findMany({ where: { name: input.flavor }, select: { id: true } }) : Promise.resolve([]),
    input.image ? db.image.findMany({ where: { name: input.image }, select: { id: true } }) : Promise.resolve([]),
  ]);
  return {
    flavorIds: input.flavor ? [input.flavor, ...flavors.map((f) => f.id)] : undefined,
    imageIds: input.image ? [input.image, ...images.map((i) => i.id)] : undefined,
  };
}

/**
 * An action the instance's host carries out: check it, take the task state with a compare-and-swap
 * (of two concurrent actions exactly one wins; the other gets CONFLICT), record the action, and
 * hand it to the conductor, which casts it to the agent after this call has returned.
 */
async function startComputeAction(
  ctx: Caller,
  id: string,
  action: InstanceActionName,
  call: ComputeAction | ((instance: Instance) => Promise<ComputeAction>),
): Promise<{ requestId: string }> {
  const rule = ACTION_RULES[action];
  const instance = await checkedInstance(ctx, id, action);
  // check_instance_host: the work needs a host to run on.
  if (!instance.host) throw new TRPCError({ code: "CONFLICT", message: `Instance ${instance.uuid} is not ready` });
  const compute = typeof call === "function" ? await call(instance) : call;
  const taskState = await takeTask(ctx, instance, action);
  await recordAction(ctx, instance.uuid, action);
  getLogger("stratus.api.servers", { ...ctx.rpcContext, instanceUuid: instance.uuid }).info(`${rule.label} requested`);
  const rpcContext = ctx.rpcContext;
  inBackground(rpcContext, rule.label, () => castToCompute(instance.uuid, compute, rpcContext, config.STRATUS_HOST, taskState));
  return { requestId: rpcContext.requestId };
}

export const serverRouter = createTRPCRouter({
  ...migrationProcedures,

  list: protectedProcedure.input(serverListInput).query(async ({ ctx, input }) => {
    checkAdminOnly(input, ctx.isAdmin);
    const scope = { projectId: ctx.isAdmin && input.allProjects ? null : ctx.identity.project.id, postgres: isPostgres() };
    const where = buildListWhere(input, scope, await resolveRefs(input));
    const [rows, total] = await Promise.all([
      db.instance.findMany({
        where,
        orderBy: buildListOrderBy(input),
        skip: (input.page - 1) * input.pageSize,
        take: input.pageSize,
      }),
      db.instance.count({ where }),
    ]);
    const items = (await toInstanceViews(rows)).map((v) => instanceViewFor(v, ctx.isAdmin));
    return { items, total, page: input.page, pageSize: input.pageSize };
  }),

  get: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    await visibleInstance(ctx, input.id);
    const view = await loadInstanceView(input.id);
    if (!view) throw notFound(input.id);
    return instanceViewFor(view, ctx.isAdmin);
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
    if (input.availabilityZone && !(await isAvailabilityZone(input.availabilityZone))) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "The requested availability zone is not available" });
    }
    const group = input.serverGroupId ? await findVisibleServerGroup(input.serverGroupId, identity.project.id, ctx.isAdmin) : null;
    if (input.serverGroupId && !group) {
      throw new TRPCError({ code: "NOT_FOUND", message: `Server group ${input.serverGroupId} could not be found.` });
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
            availabilityZone: input.availabilityZone ?? null,
            serverGroupId: group?.id ?? null,
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

  stop: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "stop", { method: "stop_instance" })),

  start: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "start", { method: "start_instance" })),

  reboot: protectedProcedure
    .input(rebootInput)
    .mutation(({ ctx, input }) =>
      startComputeAction(ctx, input.id, input.type === "HARD" ? "reboot_hard" : "reboot", { method: "reboot_instance", rebootType: input.type }),
    ),

  pause: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "pause", { method: "pause_instance" })),

  unpause: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "unpause", { method: "unpause_instance" })),

  suspend: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "suspend", { method: "suspend_instance" })),

  resume: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "resume", { method: "resume_instance" })),

  rescue: protectedProcedure.input(rescueInput).mutation(({ ctx, input }) =>
    startComputeAction(ctx, input.id, "rescue", async (instance) => {
      const imageId = input.imageId ?? instance.imageId;
      // The instance's own image needs no visibility check: it booted from it.
      const image = input.imageId
        ? await findVisibleImage(imageId, ctx.identity.project.id, ctx.isAdmin)
        : await db.image.findUnique({ where: { id: imageId } });
      if (!image) throw new TRPCError({ code: "NOT_FOUND", message: `Image ${imageId} could not be found.` });
      if (image.status !== "active") {
        throw new TRPCError({ code: "CONFLICT", message: `Image ${image.id} is not active (status: ${image.status}).` });
      }
      return { method: "rescue_instance", rescueImage: imageRef(image, image.id) };
    }),
  ),

  unrescue: protectedProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => startComputeAction(ctx, input.id, "unrescue", { method: "unrescue_instance" })),

  /** Nova's os-lock-server: a locked instance refuses members' actions until unlocked. */
  lock: protectedProcedure.input(lockInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "lock");
    await saveInstance(instance.uuid, { locked: true, lockedBy: ctx.isAdmin ? "admin" : "owner", lockedReason: input.reason ?? null });
    await recordAction(ctx, instance.uuid, "lock");
    await recordActionFinish(instance.uuid, ctx.rpcContext.requestId);
    getLogger("stratus.api.servers", { ...ctx.rpcContext, instanceUuid: instance.uuid }).info(
      `Instance locked${input.reason ? `: ${input.reason}` : ""}`,
    );
    return { requestId: ctx.rpcContext.requestId };
  }),

  unlock: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "unlock");
    // Nova's unlock_override policy: only an admin lifts an admin's lock.
    if (instance.locked && instance.lockedBy === "admin" && !ctx.isAdmin) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed." });
    }
    await saveInstance(instance.uuid, { locked: false, lockedBy: null, lockedReason: null });
    await recordAction(ctx, instance.uuid, "unlock");
    await recordActionFinish(instance.uuid, ctx.rpcContext.requestId);
    getLogger("stratus.api.servers", { ...ctx.rpcContext, instanceUuid: instance.uuid }).info("Instance unlocked");
    return { requestId: ctx.rpcContext.requestId };
  }),

  /** Nova's os-resetState (admin): the escape hatch for an instance stuck in a task. */
  resetState: protectedProcedure.input(resetStateInput).mutation(async ({ ctx, input }) => {
    const instance = await checkedInstance(ctx, input.id, "reset_state");
    await saveInstance(instance.uuid, { vmState: input.state, taskState: null, step: null });
    await recordAction(ctx, instance.uuid, "reset_state");
    await recordActionFinish(instance.uuid, ctx.rpcContext.requestId);
    getLogger("stratus.api.servers", { ...ctx.rpcContext, instanceUuid: instance.uuid }).warn(
      `State reset to vm_state ${input.state}, task_state None (was ${instance.vmState}/${instance.taskState ?? "None"})`,
    );
    return { requestId: ctx.rpcContext.requestId };
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
      // Owners see what failed; hosts and tracebacks are for operators (Nova ≥ 2.51).
      events: a.events.map((e) =>
        actionEventFor(
          { event: e.event, startTime: e.startTime, finishTime: e.finishTime, result: e.result, host: e.host, traceback: e.traceback, details: e.details },
          ctx.isAdmin,
        ),
      ),
    }));
  }),

  /**
   * Nova's os-getConsoleOutput: the last `tailLines` lines of the instance's serial console log,
   * read on its host; `available` false with a `reason` when there is none. Live lines follow as
   * `console:chunk` events on the /ui socket for browsers that watch the console.
   */
  consoleLog: protectedProcedure
    .input(consoleLogInput)
    .query(async ({ ctx, input }) => readConsoleLog(await visibleInstance(ctx, input.id), ctx.rpcContext, input.tailLines, ctx.isAdmin)),
});
