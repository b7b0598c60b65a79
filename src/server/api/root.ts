import { authRouter } from "./routers/auth";
import { flavorRouter } from "./routers/flavor";
import { imageRouter } from "./routers/image";
import { logRouter } from "./routers/log";
import { serverRouter } from "./routers/server";
import { serviceRouter } from "./routers/service";
import { aggregateRouter } from "./routers/aggregate";
import { hypervisorRouter } from "./routers/hypervisor";
import { serverGroupRouter } from "./routers/server-group";
import { projectRouter } from "./routers/project";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  server: serverRouter,
  flavor: flavorRouter,
  image: imageRouter,
  service: serviceRouter,
  log: logRouter,
  serverGroup: serverGroupRouter,
  aggregate: aggregateRouter,
  hypervisor: hypervisorRouter,
  project: projectRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
