// Console chunks an agent pushes (`agent:console`) go to the browsers watching that instance's
// console, and only if the instance is on the sending agent's host: one host's agent cannot write
// into another host's instance consoles. The host of each instance is cached briefly, since a
// chatty console sends several chunks a second.
import type { ConsoleChunkMessage } from "@/lib/agent-protocol";
import { db } from "@/server/db";
import { publishConsoleChunk } from "@/server/realtime/publish";

const HOST_CACHE_MS = 5000;
const hostCache = new Map<string, { host: string | null; at: number }>();

async function instanceHost(uuid: string): Promise<string | null> {
  const cached = hostCache.get(uuid);
  if (cached && Date.now() - cached.at < HOST_CACHE_MS) return cached.host;
  const row = await db.instance.findUnique({ where: { uuid }, select: { host: true, deletedAt: true } });
  const host = row && !row.deletedAt ? row.host : null;
  if (hostCache.size > 10_000) hostCache.clear();
  hostCache.set(uuid, { host, at: Date.now() });
  return host;
}

export async function forwardConsoleChunk(agentHost: string, chunk: ConsoleChunkMessage): Promise<void> {
  const host = await instanceHost(chunk.uuid);
  if (host !== agentHost) throw new Error(`instance ${chunk.uuid} is not on host ${agentHost}`);
  publishConsoleChunk(chunk);
}
