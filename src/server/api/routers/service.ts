import { listServiceViews } from "@/server/services/service-registry";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const serviceRouter = createTRPCRouter({
  list: adminProcedure.query(() => listServiceViews()),
});
