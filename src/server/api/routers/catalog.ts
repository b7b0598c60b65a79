// Flavors and images as a project sees them: public ones plus those shared with or owned by it.
import { db } from "@/server/db";
import type { Prisma } from "@/server/db";

/** Flavors a new instance may use: not deleted and not disabled. */
export const BOOTABLE_FLAVOR = { deleted: "", disabled: false } as const satisfies Prisma.FlavorWhereInput;

export function visibleFlavorsWhere(projectId: string, isAdmin: boolean): Prisma.FlavorWhereInput {
  if (isAdmin) return {};
  return { OR: [{ isPublic: true }, { access: { some: { projectId } } }] };
}

export function visibleImagesWhere(projectId: string, isAdmin: boolean): Prisma.ImageWhereInput {
  if (isAdmin) return { status: { not: "deleted" } };
  return { status: { not: "deleted" }, OR: [{ visibility: "public" }, { ownerProjectId: projectId }] };
}

export async function findVisibleFlavor(id: string, projectId: string, isAdmin: boolean) {
  return db.flavor.findFirst({ where: { id, ...BOOTABLE_FLAVOR, ...visibleFlavorsWhere(projectId, isAdmin) } });
}

export async function findVisibleImage(id: string, projectId: string, isAdmin: boolean) {
  return db.image.findFirst({ where: { id, ...visibleImagesWhere(projectId, isAdmin) } });
}
