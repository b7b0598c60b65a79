import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import { clearedSessionCookie, createSession, destroySession, sessionCookie } from "@/server/auth/session";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { createTRPCRouter, publicProcedure } from "../trpc";

const loginInput = z.object({
  username: z.string().trim().min(1, "Enter a username").max(255),
  password: z.string().min(1, "Enter a password").max(1024),
  /** Project to scope the session to; defaults to the user's first (admin projects first). */
  project: z.string().max(255).optional(),
});

const INVALID = "Invalid username or password.";

// Checked when the user does not exist, so a failed login costs the same either way.
let decoyHash: Promise<string> | undefined;

export const authRouter = createTRPCRouter({
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const log = getLogger("stratus.api.auth", { requestId: ctx.requestId });
    const user = await db.user.findUnique({
      where: { username: input.username },
      include: { memberships: { include: { project: true } } },
    });
    // Verify even for unknown users so response time does not reveal which names exist.
    decoyHash ??= hashPassword("decoy password for unknown users");
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash));
    if (!user || !ok || !user.enabled) {
      log.warn(`Failed login for user ${JSON.stringify(input.username.slice(0, 64))}`);
      throw new TRPCError({ code: "UNAUTHORIZED", message: INVALID });
    }
    const memberships = user.memberships
      .filter((m) => m.project.enabled && (!input.project || m.project.name === input.project))
      .sort((a, b) => (a.role === b.role ? a.project.name.localeCompare(b.project.name) : a.role === "admin" ? -1 : 1));
    const membership = memberships[0];
    if (!membership) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: input.project ? `User ${user.username} has no role in project ${input.project}.` : `User ${user.username} has no project.`,
      });
    }
    const { token, expiresAt } = await createSession(user.id, membership.projectId);
    ctx.setCookie(sessionCookie(token, expiresAt));
    log.info(`User ${user.username} logged in to project ${membership.project.name}`);
    return {
      user: { id: user.id, username: user.username },
      project: { id: membership.project.id, name: membership.project.name },
      role: membership.role === "admin" ? ("admin" as const) : ("member" as const),
    };
  }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await destroySession(ctx.sessionToken);
    ctx.setCookie(clearedSessionCookie());
    return { ok: true };
  }),

  me: publicProcedure.query(({ ctx }) => {
    if (!ctx.identity) return null;
    const { user, project, role } = ctx.identity;
    return { user, project, role, isAdmin: role === "admin" };
  }),
});
