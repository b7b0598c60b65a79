// Server groups (Nova's os-server-groups): a project's named set of instances with a placement
// policy — affinity (same host), anti-affinity (different hosts, at most max_server_per_host per
// host), or the soft variants the weighers prefer without refusing. Instances join at launch
// (server.create's serverGroupId); deleting a group leaves its instances running.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { db, type Prisma } from "@/server/db";
import { hostId } from "@/server/instances/host-id";
import { getLogger } from "@/server/logs/logger";
import { SERVER_GROUP_POLICIES } from "@/server/scheduler/request";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const rulesSchema = z
  .object({
    max_server_per_host: z.number().int().min(1, "max_server_per_host must be at least 1").optional(),
  })
  .strict();

const createInput = z.object({
  name: z.string().trim().min(1, "Server group name must not be empty").max(255, "Server group name must be at most 255 characters"),
  policy: z.enum(SERVER_GROUP_POLICIES),
  rules: rulesSchema.default({}),
});

const idInput = z.object({ id: z.string().uuid("Server group ids are UUIDs") });

const listInput = z
  .object({
    /** Admins only: every project's groups. */
    allProjects: z.boolean().default(false),
  })
  .default({ allProjects: false });

type GroupRow = Prisma.ServerGroupGetPayload<{ include: { members: true } }>;

function parseRules(text: string): { max_server_per_host?: number } {
  try {
    const parsed = rulesSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Members see which instances are in the group, not which hosts they run on (Nova hides hosts). */
function view(g: GroupRow, isAdmin: boolean) {
  return {
    id: g.id,
    name: g.name,
    policy: g.policy,
    rules: parseRules(g.rules),
    projectId: g.projectId,
    userId: g.userId,
    createdAt: g.createdAt,
    members: g.members
      .filter((m) => !m.deletedAt)
      .map((m) => ({ uuid: m.uuid, name: m.displayName, host: isAdmin ? m.host : null, hostId: hostId(m.projectId, m.host), vmState: m.vmState })),
  };
}

/** The group if the caller may use it: its own project's, or any for an admin. */
export async function findVisibleServerGroup(id: string, projectId: string, isAdmin: boolean) {
  const g = await db.serverGroup.findUnique({ where: { id } });
  if (!g || (!isAdmin && g.projectId !== projectId)) return null;
  return g;
}

function notFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `Server group ${id} could not be found.` });
}

export const serverGroupRouter = createTRPCRouter({
  list: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const where = ctx.isAdmin && input.allProjects ? {} : { projectId: ctx.identity.project.id };
    const groups = await db.serverGroup.findMany({ where, include: { members: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    return groups.map((g) => view(g, ctx.isAdmin));
  }),

  get: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const g = await findVisibleServerGroup(input.id, ctx.identity.project.id, ctx.isAdmin);
    if (!g) throw notFound(input.id);
    return view(await db.serverGroup.findUniqueOrThrow({ where: { id: g.id }, include: { members: true } }), ctx.isAdmin);
  }),

  create: protectedProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    // Nova (2.64): only anti-affinity takes rules.
    if (input.rules.max_server_per_host !== undefined && input.policy !== "anti-affinity") {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Only the anti-affinity policy takes rules; ${input.policy} does not.` });
    }
    const g = await db.serverGroup.create({
      data: {
        name: input.name,
        policy: input.policy,
        rules: JSON.stringify(input.rules),
        projectId: ctx.identity.project.id,
        userId: ctx.identity.user.id,
      },
      include: { members: true },
    });
    getLogger("stratus.api.server_groups", ctx.rpcContext).info(`Server group ${g.name} (${g.id}) created with policy ${g.policy}`);
    return view(g, ctx.isAdmin);
  }),

  delete: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const g = await findVisibleServerGroup(input.id, ctx.identity.project.id, ctx.isAdmin);
    if (!g) throw notFound(input.id);
    // Members stay, outside any group (the relation sets their serverGroupId to null).
    await db.serverGroup.delete({ where: { id: g.id } });
    getLogger("stratus.api.server_groups", ctx.rpcContext).info(`Server group ${g.name} (${g.id}) deleted`);
    return { id: g.id };
  }),
});
