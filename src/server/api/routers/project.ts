// Projects as an admin picks them (Keystone's project list, which Horizon reads for flavor access).
import { db } from "@/server/db";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const projectRouter = createTRPCRouter({
  list: adminProcedure.query(() =>
    db.project.findMany({ select: { id: true, name: true, enabled: true }, orderBy: { name: "asc" } }),
  ),
});
