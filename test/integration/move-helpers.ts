// What the cold-move integration tests read besides the API: claims straight from the allocation
// tables, a host's used memory, an instance's faults, and a way to give a disk real data to copy.
import { execFileSync } from "node:child_process";
import type { InstanceView } from "@/lib/instance-view";
import { query } from "./harness";
import { eventually, type ApiClient } from "./api-client";

/** The instance once it has no task and `done` holds. */
export function settled(api: ApiClient, uuid: string, done: (v: InstanceView) => boolean, timeoutMs = 60_000): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.taskState === null && done(v) ? v : undefined;
    },
    timeoutMs,
    `instance ${uuid} to settle`,
  );
}

export async function allocations(databaseUrl: string, uuid: string): Promise<{ consumerId: string; host: string; memoryMb: number }[]> {
  const rows = await query<{ consumerId: string; host: string; memoryMb: number }>(
    databaseUrl,
    `SELECT a."consumerId", n.host, a."memoryMb" FROM allocations a JOIN compute_nodes n ON n.id = a."nodeId" WHERE a."instanceUuid" = '${uuid}' ORDER BY n.host`,
  );
  return rows.map((r) => ({ consumerId: r.consumerId, host: r.host, memoryMb: Number(r.memoryMb) }));
}

export async function memoryUsed(databaseUrl: string, host: string): Promise<number> {
  const [r] = await query<{ used: number }>(databaseUrl, `SELECT "memoryMbUsed" AS used FROM compute_nodes WHERE host = '${host}'`);
  return Number(r!.used);
}

export async function faults(databaseUrl: string, uuid: string): Promise<string[]> {
  const rows = await query<{ message: string }>(databaseUrl, `SELECT message FROM instance_faults WHERE "instanceUuid" = '${uuid}' ORDER BY id`);
  return rows.map((r) => r.message);
}

/** Writes `mib` MiB of data into a qcow2 overlay (qemu-io), so a migration has that much to copy. */
export function fillDisk(disk: string, mib: number): void {
  const cmds: string[] = [];
  for (let off = 0; off < mib; off += 64) cmds.push("-c", `write -P 0x5a ${off}M ${Math.min(64, mib - off)}M`);
  execFileSync("qemu-io", ["-f", "qcow2", ...cmds, disk], { stdio: "ignore" });
}
