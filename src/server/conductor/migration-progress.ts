// A live migration's figures as its source agent reads them from libvirt (Nova's save_stats): kept
// on the migration row, where the migrations API and the dashboard read them, and announced to the
// instance's viewers. Only the migration's own source host, while it runs, may report them.
import type { MigrationProgress } from "@/lib/live-migration-protocol";
import { db } from "@/server/db";
import { publishMigrationChanged } from "@/server/realtime/publish";

export async function applyMigrationProgress(host: string, p: MigrationProgress): Promise<boolean> {
  const { count } = await db.migration.updateMany({
    where: { id: p.migrationId, instanceUuid: p.uuid, sourceCompute: host, status: "running" },
    data: {
      memoryTotal: BigInt(p.memoryTotal),
      memoryProcessed: BigInt(p.memoryProcessed),
      memoryRemaining: BigInt(p.memoryRemaining),
      diskTotal: BigInt(p.diskTotal),
      diskProcessed: BigInt(p.diskProcessed),
      diskRemaining: BigInt(p.diskRemaining),
      bytesPerSecond: BigInt(p.bytesPerSecond),
      etaSeconds: p.etaSeconds,
      forced: p.forced,
    },
  });
  if (count === 1) publishMigrationChanged(p.uuid, p.migrationId);
  return count === 1;
}
