// The /ui namespace: browsers authenticate with their session cookie and join their project's room
// (admins also the admin room), so a member never receives another project's instances. A page
// that shows one instance subscribes to its room after the same ownership check the API makes.
import type { Server } from "socket.io";
import { z } from "zod";
import { UI_NAMESPACE } from "@/lib/instance-view";
import { readCookie, resolveSession, SESSION_COOKIE, type SessionIdentity } from "@/server/auth/session";
import { db } from "@/server/db";
import { rooms } from "./rooms";

interface UiSocketData {
  identity: SessionIdentity;
}

const subscribeSchema = z.object({ uuid: z.string().uuid() });

export function attachUiGateway(io: Server): void {
  const nsp = io.of(UI_NAMESPACE);

  nsp.use(async (socket, next) => {
    const identity = await resolveSession(readCookie(socket.handshake.headers.cookie, SESSION_COOKIE));
    if (!identity) return next(new Error("unauthorized: log in first"));
    (socket.data as UiSocketData).identity = identity;
    next();
  });

  nsp.on("connection", (socket) => {
    const { identity } = socket.data as UiSocketData;
    void socket.join(rooms.project(identity.project.id));
    if (identity.role === "admin") void socket.join(rooms.admin);

    socket.on("subscribe:instance", async (payload: unknown, ack?: (ok: boolean) => void) => {
      const parsed = subscribeSchema.safeParse(payload);
      const reply = typeof ack === "function" ? ack : () => undefined;
      if (!parsed.success) return reply(false);
      const instance = await db.instance.findUnique({ where: { uuid: parsed.data.uuid }, select: { projectId: true } });
      const allowed = instance && (identity.role === "admin" || instance.projectId === identity.project.id);
      if (allowed) void socket.join(rooms.instance(parsed.data.uuid));
      reply(Boolean(allowed));
    });
    socket.on("unsubscribe:instance", (payload: unknown) => {
      const parsed = subscribeSchema.safeParse(payload);
      if (parsed.success) void socket.leave(rooms.instance(parsed.data.uuid));
    });
  });
}
