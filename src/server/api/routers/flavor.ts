import { db } from "@/server/db";
import { createTRPCRouter, protectedProcedure } from "../trpc";
import { visibleFlavorsWhere } from "./catalog";

export const flavorRouter = createTRPCRouter({
  list: protectedProcedure.query(async ({ ctx }) => {
    const flavors = await db.flavor.findMany({
      where: { disabled: false, ...visibleFlavorsWhere(ctx.identity.project.id, ctx.isAdmin) },
      orderBy: [{ memoryMb: "asc" }, { vcpus: "asc" }, { name: "asc" }],
    });
    return flavors.map((f) => ({
      id: f.id,
      name: f.name,
      vcpus: f.vcpus,
      memoryMb: f.memoryMb,
      rootGb: f.rootGb,
      ephemeralGb: f.ephemeralGb,
      swapMb: f.swapMb,
      isPublic: f.isPublic,
    }));
  }),
});
