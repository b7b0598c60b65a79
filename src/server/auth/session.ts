// Login sessions: an opaque random token in an httpOnly cookie; the database keeps only its sha256,
// so a leaked table cannot be replayed as cookies.
import { createHash, randomBytes } from "node:crypto";
import { config } from "@/server/config";
import { db } from "@/server/db";

export const SESSION_COOKIE = "stratus_session";

export type Role = "admin" | "member";

export interface SessionIdentity {
  sessionId: string;
  user: { id: string; username: string };
  project: { id: string; name: string };
  role: Role;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createSession(userId: string, projectId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + config.STRATUS_SESSION_HOURS * 3600_000);
  await db.session.create({ data: { id: hashToken(token), userId, projectId, expiresAt } });
  return { token, expiresAt };
}

export async function destroySession(token: string): Promise<void> {
  await db.session.deleteMany({ where: { id: hashToken(token) } });
}

/** The identity behind a cookie token, or null when it is unknown, expired or its user is disabled. */
export async function resolveSession(token: string | undefined): Promise<SessionIdentity | null> {
  if (!token || token.length > 200) return null;
  const id = hashToken(token);
  const session = await db.session.findUnique({
    where: { id },
    include: { user: true, project: true },
  });
  if (!session || session.expiresAt < new Date() || !session.user.enabled || !session.project.enabled) return null;
  const membership = await db.membership.findUnique({
    where: { userId_projectId: { userId: session.userId, projectId: session.projectId } },
  });
  if (!membership) return null;
  return {
    sessionId: id,
    user: { id: session.user.id, username: session.user.username },
    project: { id: session.project.id, name: session.project.name },
    role: membership.role === "admin" ? "admin" : "member",
  };
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function sessionCookie(token: string, expiresAt: Date): string {
  const secure = config.STRATUS_SECURE_COOKIES ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}${secure}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}
