// The controller's own HTTP API, served by server.ts ahead of Next: tRPC at /api/trpc (the same
// endpoint the dashboard and the CLI use), /api/health and image data at /api/images/<id>/file.
// It runs in the server's module graph, next to the Socket.IO server and the conductor, not inside
// Next's route bundles.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { db } from "@/server/db";
import { handleImageRequest } from "@/server/images/image-routes";
import { getLogger } from "@/server/logs/logger";

const trpc = createHTTPHandler({
  router: appRouter,
  basePath: "/api/trpc/",
  createContext: ({ req, res }) =>
    createContext({
      cookieHeader: req.headers.cookie,
      setCookie: (cookie) => res.appendHeader("Set-Cookie", cookie),
    }),
  onError({ error, path }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      getLogger("stratus.api").error({ err: error.cause ?? error }, `API call ${path ?? "?"} failed`);
    }
  },
});

async function health(res: ServerResponse): Promise<void> {
  try {
    await db.$queryRawUnsafe("SELECT 1");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "error", error }));
  }
}

/** Handles the request if it is an API path; returns false to let Next serve it. */
export function handleApiRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path === "/api/health") {
    void health(res);
    return true;
  }
  if (path.startsWith("/api/trpc/")) {
    void trpc(req, res);
    return true;
  }
  if (handleImageRequest(req, res, path)) return true;
  return false;
}
