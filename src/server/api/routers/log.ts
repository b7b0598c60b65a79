// Search of the log store: every line of one operation across API, scheduler, conductor and
// agents by its request id, or of one instance, host, service or level.
import { z } from "zod";
import { formatNovaLine } from "@/lib/log-format";
import { db, type Prisma } from "@/server/db";
import { adminProcedure, createTRPCRouter } from "../trpc";

const searchInput = z.object({
  requestId: z.string().max(64).optional(),
  instanceUuid: z.string().uuid().optional(),
  host: z.string().max(255).optional(),
  binary: z.string().max(64).optional(),
  module: z.string().max(255).optional(),
  /** Minimum pino level (30 = INFO). */
  minLevel: z.number().int().min(0).max(60).optional(),
  /** Only records with an id above this (for a tail that continues where it stopped). */
  afterId: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(1000).default(200),
});

export const logRouter = createTRPCRouter({
  search: adminProcedure.input(searchInput).query(async ({ input }) => {
    const where: Prisma.LogRecordWhereInput = {};
    if (input.requestId) where.requestId = input.requestId;
    if (input.instanceUuid) where.instanceUuid = input.instanceUuid;
    if (input.host) where.host = input.host;
    if (input.binary) where.binary = input.binary;
    if (input.module) where.module = { startsWith: input.module };
    if (input.minLevel !== undefined) where.level = { gte: input.minLevel };
    if (input.afterId !== undefined) where.id = { gt: input.afterId };
    const rows = await db.logRecord.findMany({ where, orderBy: { id: "desc" }, take: input.limit });
    return rows.reverse().map((r) => ({ ...r, line: formatNovaLine(r) }));
  }),
});
