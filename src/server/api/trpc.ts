// tRPC foundation: the request context (identity from the session cookie, a Nova request id) and
// the three procedure kinds. Project scoping starts here: every protected procedure knows the
// caller's project and role, and routers filter by it.
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { readCookie, resolveSession, SESSION_COOKIE, type SessionIdentity } from "@/server/auth/session";
import type { RequestContext } from "@/lib/agent-protocol";

export interface Context {
  identity: SessionIdentity | null;
  /** `req-<uuid>`: travels with every RPC and log record of the operations this call starts. */
  requestId: string;
  /** Adds a Set-Cookie header to the response (login/logout). */
  setCookie: (cookie: string) => void;
  sessionToken: string | undefined;
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

export async function createContext(opts: {
  cookieHeader: string | undefined;
  setCookie: (cookie: string) => void;
}): Promise<Context> {
  const sessionToken = readCookie(opts.cookieHeader, SESSION_COOKIE);
  const identity = await resolveSession(sessionToken);
  return { identity, requestId: newRequestId(), setCookie: opts.setCookie, sessionToken };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    // Input errors read as one sentence per problem instead of a JSON dump of zod issues.
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      message: zod
        ? zod.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ")
        : shape.message,
      // The request id lets an operator find every log line of the failed call.
      data: { ...shape.data, requestId: ctx?.requestId ?? null },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.identity) throw new TRPCError({ code: "UNAUTHORIZED", message: "Authentication required." });
  const identity = ctx.identity;
  const rpcContext: RequestContext = {
    requestId: ctx.requestId,
    userId: identity.user.id,
    projectId: identity.project.id,
  };
  return next({ ctx: { ...ctx, identity, rpcContext, isAdmin: identity.role === "admin" } });
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Policy doesn't allow this operation: admin role required." });
  }
  return next({ ctx });
});
