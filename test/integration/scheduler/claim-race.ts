// One "controller" racing for claims: run as a separate process by scheduler-claims.test.ts, several
// at once against one database. Claims `CLAIM_HOST` for each uuid in CLAIM_UUIDS (comma-separated),
// all at the same time, each with the resources of CLAIM_VCPUS vCPUs, and prints
// {"won": n, "refused": n, "errors": [...]} on stdout.
import { isPostgres } from "@/server/db";

const host = process.env.CLAIM_HOST!;
const uuids = (process.env.CLAIM_UUIDS ?? "").split(",").filter(Boolean);
const vcpus = Number(process.env.CLAIM_VCPUS ?? 1);

const { db } = await import("@/server/db");
const { claim, ClaimRefused } = await import("@/server/scheduler/claims");
if (!isPostgres()) {
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 20000");
}
const node = await db.computeNode.findUniqueOrThrow({ where: { host } });
let won = 0;
let refused = 0;
const errors: string[] = [];
await Promise.all(
  uuids.map(async (uuid) => {
    try {
      await claim({ nodeId: node.id, host }, uuid, uuid, { vcpus, memoryMb: 1, diskGb: 0 });
      won++;
    } catch (err) {
      if (err instanceof ClaimRefused) refused++;
      else errors.push(err instanceof Error ? err.message : String(err));
    }
  }),
);
process.stdout.write(`${JSON.stringify({ won, refused, errors })}\n`);
await db.$disconnect();
