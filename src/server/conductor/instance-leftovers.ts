// Which instance directories on a compute host belong to nothing there any more, told to its agent
// when it registers so it removes them (Nova's _cleanup_incomplete_migrations, and the files a
// local delete leaves behind). A move cleans both hosts as it goes; a host that was down when it
// should have cleaned up — a destination that died mid-copy, a source gone when the move was
// confirmed, a host down when its instance was deleted — cleans up here when it is back.
//
// A directory is a leftover when its instance is known to the database, is not placed on the host
// (or is deleted), and no move in flight involves the host. A directory the database knows nothing
// of is left alone: it is not Stratus's to judge.
import { db } from "@/server/db";
import { OPEN_MIGRATION_STATUSES } from "./agent-reports";

export interface Leftover {
  uuid: string;
  reason: string;
}

export async function instanceLeftovers(host: string, dirs: readonly string[], placed: ReadonlySet<string>): Promise<Leftover[]> {
  const candidates = [...new Set(dirs)].filter((uuid) => !placed.has(uuid));
  if (candidates.length === 0) return [];
  const [instances, inFlight] = await Promise.all([
    db.instance.findMany({ where: { uuid: { in: candidates } }, select: { uuid: true, host: true, deletedAt: true } }),
    movesInFlight(host, candidates),
  ]);
  const leftovers: Leftover[] = [];
  for (const i of instances) {
    if (inFlight.has(i.uuid)) continue;
    if (i.deletedAt) leftovers.push({ uuid: i.uuid, reason: "its instance is deleted" });
    else if (i.host !== host) leftovers.push({ uuid: i.uuid, reason: `its instance is on ${i.host ?? "no host"} and no move in flight involves this host` });
  }
  return leftovers;
}

/**
 * Which of `uuids` a move in flight takes to or from `host`. Their domains and files there are
 * the move's, whatever the instance's host says: the incoming copy of a live migration, or the
 * only copy once libvirt has finished and the conductor has not yet recorded it.
 */
export async function movesInFlight(host: string, uuids: readonly string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const moving = await db.migration.findMany({
    where: { instanceUuid: { in: [...uuids] }, status: { in: OPEN_MIGRATION_STATUSES }, OR: [{ sourceCompute: host }, { destCompute: host }] },
    select: { instanceUuid: true },
  });
  return new Set(moving.map((m) => m.instanceUuid));
}
