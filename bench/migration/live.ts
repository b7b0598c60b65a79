// The live half of `npm run bench:migration`: real TCG guests moved between two libvirt daemons on
// this machine (test/integration/qemu/stack.ts), back and forth, through the real API, conductor and
// agents. An idle guest, then a busy one that rewrites 64 MiB of its memory without pause. Prints
// the time from request to the instance settled on the destination, libvirt's own migration time
// and the guest's downtime as libvirt measured it (from the destination), and what memory moved.
import type { ImageView } from "@/server/images/image-view";
import { settled, startQemuStack, type QemuStack } from "../../test/integration/qemu/stack";

/** A busy guest may not converge; this many seconds per GiB, then it is forced (paused). */
const COMPLETION_TIMEOUT_PER_GIB = "15";

async function migrateOnce(stack: QemuStack, uuid: string): Promise<string> {
  const before = await stack.admin.server.get.query({ id: uuid });
  const started = Date.now();
  await stack.admin.server.liveMigrate.mutate({ id: uuid });
  const after = await settled(() => stack.admin.server.get.query({ id: uuid }), (v) => v.host !== before.host && v.status === "ACTIVE", 900_000, "the live migration");
  const totalS = (Date.now() - started) / 1000;
  const [m] = await stack.admin.server.migrations.query({ id: uuid });
  const event = (await stack.admin.server.actions.query({ id: uuid }))
    .find((a) => a.action === "live-migration")
    ?.events.find((e) => e.event === "conductor_live_migrate_instance");
  const libvirtS = Number(/ in ([\d.]+) s/.exec(event?.details ?? "")?.[1] ?? NaN);
  return (
    `total_s=${totalS.toFixed(2)} libvirt_s=${libvirtS.toFixed(2)} downtime_ms=${m?.downtimeMs ?? "?"} ` +
    `memory_mib=${((m?.memoryProcessed ?? 0) / 1024 / 1024).toFixed(0)} forced=${m?.forced ? "yes" : "no"} ${before.host}→${after.host}`
  );
}

async function guest(stack: QemuStack, name: string, image: ImageView, ready: RegExp): Promise<string> {
  const { instances } = await stack.admin.server.create.mutate({ name, flavorId: "1", imageId: image.id, count: 1 });
  const uuid = instances[0]!.uuid;
  const vm = await settled(() => stack.admin.server.get.query({ id: uuid }), (v) => v.status === "ACTIVE", 300_000, `${name} to run`);
  const host = stack.computes.find((c) => c.name === vm.host)!;
  await host.console(uuid).waitFor(ready, { timeoutMs: 120_000 });
  return uuid;
}

export async function runLive(runs: number): Promise<void> {
  const stack = await startQemuStack({
    peerHosts: ["compute-qemu-bench"],
    controllerEnv: { STRATUS_LIVE_MIGRATION_COMPLETION_TIMEOUT: COMPLETION_TIMEOUT_PER_GIB, STRATUS_LIVE_MIGRATION_TIMEOUT_ACTION: "force_complete" },
  });
  try {
    const tiny = await stack.uploadImage("bench-tiny", stack.images.tiny);
    const busy = await stack.uploadImage("bench-busy", stack.images.busy);
    console.log(`live migration of m1.tiny guests (512 MiB, TCG) between two libvirt daemons, ${runs} runs each, no bandwidth cap`);
    for (const [kind, image, ready] of [
      ["idle", tiny, /STRATUS-GUEST: heartbeat/],
      ["busy", busy, /busy: rewriting 64 MiB/],
    ] as const) {
      const uuid = await guest(stack, `bench-live-${kind}`, image, ready);
      for (let run = 1; run <= runs; run++) console.log(`RESULT live kind=${kind} run=${run} ${await migrateOnce(stack, uuid)}`);
      await stack.admin.server.delete.mutate({ id: uuid });
    }
  } finally {
    await stack.stop();
  }
}
