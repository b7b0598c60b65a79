// Builds InstanceView rows: one query for the page, then one each for flavor names, image names,
// fixed IPs and latest faults — never one call per row.
import type { Instance } from "@/server/db";
import type { InstanceFaultView, InstanceView } from "@/lib/instance-view";
import { statusFromState } from "@/lib/states";
import { config } from "@/server/config";
import { db } from "@/server/db";
import { addressesByInstance } from "@/server/network/fixed-ips";
import { hostId } from "./host-id";

/**
 * When each VERIFY_RESIZE instance's move confirms by itself: its finished migration's last change
 * plus STRATUS_RESIZE_CONFIRM_WINDOW (the time resize-confirm-window.ts counts from). Empty when
 * the window is off.
 */
async function autoConfirmTimes(rows: Instance[]): Promise<Map<string, string>> {
  const windowMs = config.STRATUS_RESIZE_CONFIRM_WINDOW * 1000;
  const resized = rows.filter((r) => r.vmState === "resized" && r.taskState === null).map((r) => r.uuid);
  if (windowMs <= 0 || resized.length === 0) return new Map();
  const moves = await db.migration.findMany({
    where: { instanceUuid: { in: resized }, status: "finished" },
    select: { instanceUuid: true, updatedAt: true },
  });
  return new Map(moves.map((m) => [m.instanceUuid, new Date(m.updatedAt.getTime() + windowMs).toISOString()]));
}

export async function toInstanceViews(rows: Instance[]): Promise<InstanceView[]> {
  if (rows.length === 0) return [];
  const flavorIds = [...new Set(rows.map((r) => r.flavorId))];
  const imageIds = [...new Set(rows.map((r) => r.imageId))];
  const errored = rows.filter((r) => r.vmState === "error").map((r) => r.uuid);
  const [flavors, images, addresses, faults, autoConfirm] = await Promise.all([
    db.flavor.findMany({ where: { id: { in: flavorIds } }, select: { id: true, name: true } }),
    db.image.findMany({ where: { id: { in: imageIds } }, select: { id: true, name: true } }),
    addressesByInstance(rows.map((r) => r.uuid)),
    errored.length
      ? db.instanceFault.findMany({ where: { instanceUuid: { in: errored } }, orderBy: { id: "desc" } })
      : Promise.resolve([]),
    autoConfirmTimes(rows),
  ]);
  const flavorName = new Map(flavors.map((f) => [f.id, f.name]));
  const imageName = new Map(images.map((i) => [i.id, i.name]));
  const latestFault = new Map<string, InstanceFaultView>();
  for (const f of faults) {
    if (!latestFault.has(f.instanceUuid)) {
      latestFault.set(f.instanceUuid, {
        code: f.code,
        message: f.message,
        details: f.details,
        createdAt: f.createdAt.toISOString(),
      });
    }
  }
  return rows.map((r) => ({
    uuid: r.uuid,
    name: r.displayName,
    projectId: r.projectId,
    userId: r.userId,
    imageId: r.imageId,
    imageName: imageName.get(r.imageId) ?? null,
    flavorId: r.flavorId,
    flavorName: flavorName.get(r.flavorId) ?? null,
    vcpus: r.vcpus,
    memoryMb: r.memoryMb,
    rootGb: r.rootGb,
    vmState: r.vmState,
    taskState: r.taskState,
    powerState: r.powerState,
    status: statusFromState(r.vmState, r.taskState),
    host: r.host,
    hostId: hostId(r.projectId, r.host),
    availabilityZone: r.availabilityZone,
    addresses: addresses.get(r.uuid) ?? {},
    progress: r.progress,
    step: r.step,
    locked: r.locked,
    fault: latestFault.get(r.uuid) ?? null,
    autoConfirmAt: autoConfirm.get(r.uuid) ?? null,
    taskStartedAt: r.taskStartedAt?.toISOString() ?? null,
    launchedAt: r.launchedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function loadInstanceView(uuid: string): Promise<InstanceView | null> {
  const row = await db.instance.findUnique({ where: { uuid } });
  if (!row) return null;
  const [view] = await toInstanceViews([row]);
  return view ?? null;
}
