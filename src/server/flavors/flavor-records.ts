// Reading and writing flavor rows for the admin API: the admin view (extra specs parsed, the
// projects a private flavor is shared with) and the lookups every flavor mutation starts from.
import { TRPCError } from "@trpc/server";
import { db, type Prisma } from "@/server/db";

/** A flavor exists until deleted; deleted rows stay for the instances built from them. */
export const EXISTING_FLAVOR = { deleted: "" } as const satisfies Prisma.FlavorWhereInput;

const withAccess = { access: { include: { project: { select: { id: true, name: true } } } } } as const;
export type FlavorRow = Prisma.FlavorGetPayload<{ include: typeof withAccess }>;

export function parseExtraSpecs(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  } catch {
    return {};
  }
}

export function adminFlavorView(f: FlavorRow) {
  return {
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    memoryMb: f.memoryMb,
    rootGb: f.rootGb,
    ephemeralGb: f.ephemeralGb,
    swapMb: f.swapMb,
    rxtxFactor: f.rxtxFactor,
    isPublic: f.isPublic,
    disabled: f.disabled,
    description: f.description,
    extraSpecs: parseExtraSpecs(f.extraSpecs),
    access: f.access.map((a) => a.project).sort((a, b) => a.name.localeCompare(b.name)),
    createdAt: f.createdAt,
  };
}

export type AdminFlavorView = ReturnType<typeof adminFlavorView>;

export function flavorNotFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `Flavor ${id} could not be found.` });
}

type Reader = Pick<Prisma.TransactionClient, "flavor">;

/** An existing (not deleted) flavor with its access list, or NOT_FOUND. */
export async function findExistingFlavor(id: string, tx: Reader = db): Promise<FlavorRow> {
  const f = await tx.flavor.findFirst({ where: { id, ...EXISTING_FLAVOR }, include: withAccess });
  if (!f) throw flavorNotFound(id);
  return f;
}

export async function listExistingFlavors(): Promise<FlavorRow[]> {
  return db.flavor.findMany({
    where: EXISTING_FLAVOR,
    include: withAccess,
    orderBy: [{ memoryMb: "asc" }, { vcpus: "asc" }, { name: "asc" }],
  });
}
