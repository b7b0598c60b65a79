// One "controller" allocating fixed IPs: run as a separate process by fixed-ips.test.ts, several at
// once against one database. Allocates on STRATUS_DEFAULT_NETWORK for each instance uuid in
// RACE_UUIDS (comma-separated), all at the same time, and prints
// {"won": [[uuid, address], ...], "exhausted": n, "errors": [...]} on stdout.
import { isPostgres } from "@/server/db";

const uuids = (process.env.RACE_UUIDS ?? "").split(",").filter(Boolean);

const { db } = await import("@/server/db");
const { allocateFixedIp } = await import("@/server/network/fixed-ips");
const { AllocationFailed } = await import("@/server/network/ipam");
if (!isPostgres()) {
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 20000");
}
const won: [string, string][] = [];
const messages = new Set<string>();
let exhausted = 0;
const errors: string[] = [];
await Promise.all(
  uuids.map(async (uuid) => {
    try {
      won.push([uuid, (await allocateFixedIp(uuid)).address]);
    } catch (err) {
      if (err instanceof AllocationFailed) {
        exhausted++;
        messages.add(err.message);
      } else errors.push(err instanceof Error ? err.message : String(err));
    }
  }),
);
process.stdout.write(`${JSON.stringify({ won, exhausted, messages: [...messages], errors })}\n`);
await db.$disconnect();
