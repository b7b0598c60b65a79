// The tRPC router as server components call it: in this process, with no HTTP hop. server.ts
// publishes it from its own module graph; Next's route bundles are a separate module graph, and a
// second copy of the router there would also bring second copies of the database client, the
// Socket.IO handle and the loggers. So Next's side reads it from here and imports only types.
import type { AppRouter } from "./root";
import type { Context } from "./trpc";

export interface InProcessApi {
  router: AppRouter;
  /** The same context an HTTP call with this Cookie header gets (identity from the session). */
  createContext(cookieHeader: string | undefined): Promise<Context>;
}

const KEY = Symbol.for("stratus.inProcessApi");
type Holder = { [KEY]?: InProcessApi };

export function publishInProcessApi(api: InProcessApi): void {
  (globalThis as Holder)[KEY] = api;
}

/** The published router; throws outside a controller process (e.g. while `next build` runs). */
export function inProcessApi(): InProcessApi {
  const api = (globalThis as Holder)[KEY];
  if (!api) throw new Error("The in-process tRPC API is not published: server components run only inside server.ts");
  return api;
}
