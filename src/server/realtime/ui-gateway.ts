// The /ui namespace: browsers authenticate with their session cookie and join their project's room
// (admins also the admin room), so a member never receives another project's instances. A page
// that shows one instance subscribes to its room after the same ownership check the API makes, and
// a console pane joins the instance's console room after the same check.
import type { Server } from "socket.io";
import { z } from "zod";
import { UI_CONSOLE_EVENTS } from "@/lib/agent-protocol";
import { UI_EVENTS, UI_NAMESPACE } from "@/lib/instance-view";
import { readCookie, resolveSession, SESSION_COOKIE, type SessionIdentity } from "@/server/auth/session";
import { startConsoleFollows } from "@/server/console/console-follows";
import { db } from "@/server/db";
import { rooms } from "./rooms";

interface UiSocketData {
  identity: SessionIdentity;
}

const subscribeSchema = z.object({ uuid: z.string().uuid() });
/** The longest a console watch waits for the agent's follow before it is acknowledged anyway. */
const WATCH_ACK_WAIT_MS = 5000;

/** The same ownership check the API makes: an admin, or a member of the instance's project. */
async function mayWatch(identity: SessionIdentity, uuid: string): Promise<boolean> {
  const instance = await db.instance.findUnique({ where: { uuid }, select: { projectId: true } });
  return Boolean(instance && (identity.role === "admin" || instance.projectId === identity.project.id));
}

export function attachUiGateway(io: Server): void {
  const nsp = io.of(UI_NAMESPACE);

  nsp.use(async (socket, next) => {
    const identity = await resolveSession(readCookie(socket.handshake.headers.cookie, SESSION_COOKIE));
    if (!identity) return next(new Error("unauthorized: log in first"));
    (socket.data as UiSocketData).identity = identity;
    next();
  });

  // Console rooms drive the agents' console follows (src/server/console/console-follows.ts).
  const follows = startConsoleFollows(nsp);

  nsp.on("connection", (socket) => {
    const { identity } = socket.data as UiSocketData;
    void socket.join(rooms.project(identity.project.id));
    if (identity.role === "admin") void socket.join(rooms.admin);

    socket.on("subscribe:instance", async (payload: unknown, ack?: (ok: boolean) => void) => {
      const parsed = subscribeSchema.safeParse(payload);
      const reply = typeof ack === "function" ? ack : () => undefined;
      if (!parsed.success) return reply(false);
      const allowed = await mayWatch(identity, parsed.data.uuid);
      if (allowed) void socket.join(rooms.instance(parsed.data.uuid));
      reply(allowed);
    });
    socket.on("unsubscribe:instance", (payload: unknown) => {
      const parsed = subscribeSchema.safeParse(payload);
      if (parsed.success) void socket.leave(rooms.instance(parsed.data.uuid));
    });

    // Watching a console: the room's chunks (and, through its size, the agent's follow lease).
    // The ack waits (briefly) for the agent's follow, so a tail the browser reads after it joins
    // the chunks without a gap.
    socket.on(UI_CONSOLE_EVENTS.watch, async (payload: unknown, ack?: (ok: boolean) => void) => {
      const parsed = subscribeSchema.safeParse(payload);
      const reply = typeof ack === "function" ? ack : () => undefined;
      if (!parsed.success) return reply(false);
      const allowed = await mayWatch(identity, parsed.data.uuid).catch(() => false);
      if (allowed && socket.connected) {
        void socket.join(rooms.console(parsed.data.uuid));
        // Joining a room twice is no event: a repeated watch (the instance got a host) still
        // brings the follow up to date now rather than at the next renewal.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          follows.changed(parsed.data.uuid),
          new Promise((resolve) => (timer = setTimeout(resolve, WATCH_ACK_WAIT_MS))),
        ]);
        clearTimeout(timer);
      }
      reply(allowed);
    });
    // The Log Viewer's live tail: a nudge per stored batch; the lines come through log.search,
    // with its filters and its admin check.
    socket.on(UI_EVENTS.logsFollow, (_payload: unknown, ack?: (ok: boolean) => void) => {
      const allowed = identity.role === "admin";
      if (allowed) void socket.join(rooms.logs);
      if (typeof ack === "function") ack(allowed);
    });
    socket.on(UI_EVENTS.logsUnfollow, () => void socket.leave(rooms.logs));

    socket.on(UI_CONSOLE_EVENTS.unwatch, (payload: unknown) => {
      const parsed = subscribeSchema.safeParse(payload);
      if (parsed.success) void socket.leave(rooms.console(parsed.data.uuid));
    });
  });
}
