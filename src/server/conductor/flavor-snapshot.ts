// The flavor an instance has, as a migration keeps it (Nova's instance.old_flavor / new_flavor):
// the sizes that build the domain and count in claims, and the flavor they came from.
import { z } from "zod";
import type { Flavor, Instance } from "@/server/db";

export const flavorSnapshotSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  vcpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  rootGb: z.number().int().nonnegative(),
  ephemeralGb: z.number().int().nonnegative(),
  swapMb: z.number().int().nonnegative(),
});
export type FlavorSnapshot = z.infer<typeof flavorSnapshotSchema>;

export function snapshotOfInstance(i: Instance, name: string | null): FlavorSnapshot {
  return { id: i.flavorId, name, vcpus: i.vcpus, memoryMb: i.memoryMb, rootGb: i.rootGb, ephemeralGb: i.ephemeralGb, swapMb: i.swapMb };
}

export function snapshotOfFlavor(f: Flavor): FlavorSnapshot {
  return { id: f.id, name: f.name, vcpus: f.vcpus, memoryMb: f.memoryMb, rootGb: f.rootGb, ephemeralGb: f.ephemeralGb, swapMb: f.swapMb };
}

export function parseSnapshot(text: string | null): FlavorSnapshot | null {
  if (!text) return null;
  try {
    const parsed = flavorSnapshotSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The instance columns a flavor sets. */
export function flavorColumns(f: FlavorSnapshot) {
  return { flavorId: f.id, vcpus: f.vcpus, memoryMb: f.memoryMb, rootGb: f.rootGb, ephemeralGb: f.ephemeralGb, swapMb: f.swapMb };
}
