// The Stratus controller: one Node process serving the dashboard (Next.js), the API (tRPC), the live
// channels (Socket.IO /ui for browsers, /agent for compute agents) and the in-process services
// stratus-api, stratus-scheduler and stratus-conductor, each heartbeating as a service row.
import { createServer } from "node:http";
import path from "node:path";
import next from "next";
import { Server } from "socket.io";
import { config } from "@/server/config";
import { startMoveRecovery } from "@/server/conductor/move-recovery";
import { startResizeConfirmWindow } from "@/server/conductor/resize-confirm-window";
import { startTaskDeadlines } from "@/server/conductor/task-deadlines";
import { db, isPostgres } from "@/server/db";
import { publishInProcessApi } from "@/server/api/in-process";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { handleApiRequest } from "@/server/http/api-handler";
import { handleStaticAsset } from "@/server/http/static-assets";
import { getLogger, initLogging } from "@/server/logs/logger";
import { startLogStore } from "@/server/logs/store";
import { attachAgentGateway } from "@/server/realtime/agent-gateway";
import { setIo } from "@/server/realtime/io";
import { attachUiGateway } from "@/server/realtime/ui-gateway";
import { startServiceHeartbeats } from "@/server/services/service-registry";

initLogging("stratus-api", config.STRATUS_HOST, (module) =>
  module.startsWith("stratus.scheduler")
    ? "stratus-scheduler"
    : module.startsWith("stratus.conductor")
      ? "stratus-conductor"
      : "stratus-api",
);
const log = getLogger("stratus.service");
/** How long a SIGTERM waits for the log flush and the database disconnect before the process exits. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function prepareDatabase(): Promise<void> {
  if (isPostgres()) return;
  // WAL lets the dashboard read while agents' reports write; busy_timeout rides out short locks.
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
}

async function main(): Promise<void> {
  const dev = config.NODE_ENV !== "production";
  await prepareDatabase();

  // Server components render the dashboard's first page with data from the same router, in process.
  // A render only reads: nothing it calls sets cookies.
  publishInProcessApi({ router: appRouter, createContext: (cookieHeader) => createContext({ cookieHeader, setCookie: () => {} }) });

  const httpServer = createServer();
  // Image uploads stream for as long as they take; Node's 300 s default would cut a large one off.
  // Header and keep-alive timeouts still bound idle or slow-header clients.
  httpServer.requestTimeout = 0;
  const app = next({ dev, hostname: config.HOSTNAME, port: config.PORT, httpServer });
  await app.prepare();
  const handleNext = app.getRequestHandler();

  // The build's scripts and stylesheet from memory, compressed once (src/server/http/static-assets.ts).
  const staticDir = path.join(process.cwd(), ".next", "static");
  httpServer.on("request", (req, res) => {
    if (handleApiRequest(req, res)) return;
    if (!dev && handleStaticAsset(req, res, (req.url ?? "/").split("?")[0] ?? "/", staticDir)) return;
    void handleNext(req, res);
  });
  if (dev) {
    // Next's HMR websocket shares the port; Socket.IO keeps its own upgrades.
    const upgrade = app.getUpgradeHandler();
    httpServer.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket.io/")) void upgrade(req, socket, head);
    });
  }

  const io = new Server(httpServer, { serveClient: false, destroyUpgrade: false });
  setIo(io);
  attachAgentGateway(io);
  attachUiGateway(io);

  const stopLogStore = startLogStore();
  const stopHeartbeats = startServiceHeartbeats(config.STRATUS_HOST);
  const stopDeadlines = startTaskDeadlines(config.STRATUS_HOST);
  const stopResizeConfirm = startResizeConfirmWindow(config.STRATUS_HOST);
  const stopMoveRecovery = startMoveRecovery(config.STRATUS_HOST);

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject); // e.g. EADDRINUSE: fail loudly, never exit 0
    httpServer.listen(config.PORT, config.HOSTNAME, resolve);
  });
  log.info(`Stratus controller listening on http://${config.HOSTNAME}:${config.PORT} (${dev ? "development" : "production"})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${signal}; shutting down`);
    // Nova's graceful_shutdown_timeout: a flush or a disconnect that hangs never keeps the process.
    let step = "closing the listeners";
    setTimeout(() => {
      log.warn(`Shutdown still ${step} after ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(0);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    stopHeartbeats();
    stopDeadlines();
    stopResizeConfirm();
    stopMoveRecovery();
    io.close();
    httpServer.close();
    step = "flushing the log store";
    await stopLogStore();
    step = "disconnecting from the database";
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  log.fatal({ err }, "Controller failed to start");
  process.exit(1);
});
