import { db } from "@/server/db";
import { createTRPCRouter, protectedProcedure } from "../trpc";
import { visibleImagesWhere } from "./catalog";

export const imageRouter = createTRPCRouter({
  list: protectedProcedure.query(async ({ ctx }) => {
    const images = await db.image.findMany({
      where: visibleImagesWhere(ctx.identity.project.id, ctx.isAdmin),
      orderBy: { name: "asc" },
    });
    return images.map((i) => ({
      id: i.id,
      name: i.name,
      diskFormat: i.diskFormat,
      status: i.status,
      size: i.size,
      minDiskGb: i.minDiskGb,
      visibility: i.visibility,
    }));
  }),
});
