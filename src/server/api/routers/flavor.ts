// Flavors (Nova's os-flavors, os-flavor-extra-specs and os-flavor-access). Everyone lists the
// flavors they may boot; admins see every flavor, create and delete them, set their extra specs
// (which the scheduler's ComputeCapabilitiesFilter reads) and share private ones with projects.
// Flavors are immutable apart from extra specs and access: "edit" means delete and re-create.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { db, isUniqueViolation } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import {
  adminFlavorView,
  EXISTING_FLAVOR,
  findExistingFlavor,
  listExistingFlavors,
  parseExtraSpecs,
} from "@/server/flavors/flavor-records";
import { createFlavorSchema } from "@/lib/flavors/flavor-input";
import { extraSpecKeySchema, extraSpecsSchema } from "@/lib/flavors/extra-specs";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";
import { BOOTABLE_FLAVOR, visibleFlavorsWhere } from "./catalog";

const idInput = z.object({ id: z.string().min(1, "Flavor ID must not be empty.").max(255) });
const accessInput = idInput.extend({ projectId: z.string().min(1, "Project ID must not be empty.").max(255) });

function log(ctx: { rpcContext: Parameters<typeof getLogger>[1] }) {
  return getLogger("stratus.api.flavors", ctx.rpcContext);
}

export const flavorRouter = createTRPCRouter({
  list: protectedProcedure.query(async ({ ctx }) => {
    const flavors = await db.flavor.findMany({
      where: { ...BOOTABLE_FLAVOR, ...visibleFlavorsWhere(ctx.identity.project.id, ctx.isAdmin) },
      orderBy: [{ memoryMb: "asc" }, { vcpus: "asc" }, { name: "asc" }],
    });
    return flavors.map((f) => ({
      id: f.id,
      name: f.name,
      vcpus: f.vcpus,
      memoryMb: f.memoryMb,
      rootGb: f.rootGb,
      ephemeralGb: f.ephemeralGb,
      swapMb: f.swapMb,
      isPublic: f.isPublic,
    }));
  }),

  /** Every existing flavor, private ones included, with extra specs and access. */
  adminList: adminProcedure.query(async () => (await listExistingFlavors()).map(adminFlavorView)),

  create: adminProcedure.input(createFlavorSchema).mutation(async ({ ctx, input }) => {
    const id = input.id ?? randomUUID();
    const [byName, byId] = await Promise.all([
      db.flavor.findFirst({ where: { name: input.name, ...EXISTING_FLAVOR }, select: { id: true } }),
      db.flavor.findUnique({ where: { id }, select: { deleted: true } }),
    ]);
    if (byName) throw new TRPCError({ code: "CONFLICT", message: `Flavor with name ${input.name} already exists.` });
    if (byId) {
      const why = byId.deleted ? " (a deleted flavor keeps its ID for the instances built from it)" : "";
      throw new TRPCError({ code: "CONFLICT", message: `Flavor with ID ${id} already exists${why}.` });
    }
    try {
      await db.flavor.create({
        data: {
          id,
          name: input.name,
          vcpus: input.vcpus,
          memoryMb: input.memoryMb,
          rootGb: input.rootGb,
          ephemeralGb: input.ephemeralGb,
          swapMb: input.swapMb,
          isPublic: input.isPublic,
          description: input.description || null,
        },
      });
    } catch (err) {
      // A concurrent create took the name or the id between the check and the insert.
      if (isUniqueViolation(err)) throw new TRPCError({ code: "CONFLICT", message: `Flavor ${input.name} (${id}) already exists.` });
      throw err;
    }
    const f = await findExistingFlavor(id);
    log(ctx).info(
      `Flavor ${f.name} (${f.id}) created: ${f.vcpus} vCPUs, ${f.memoryMb} MB RAM, ${f.rootGb} GB root, ` +
        `${f.ephemeralGb} GB ephemeral, ${f.swapMb} MB swap, ${f.isPublic ? "public" : "private"}`,
    );
    return adminFlavorView(f);
  }),

  /**
   * Nova's flavor delete: the flavor is gone for new boots, while instances built from it keep
   * running and keep their copy of its sizes. The row stays, marked deleted, so they still name it.
   */
  delete: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const f = await findExistingFlavor(input.id);
    const done = await db.flavor.updateMany({ where: { id: f.id, ...EXISTING_FLAVOR }, data: { deleted: f.id, deletedAt: new Date() } });
    if (done.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: `Flavor ${input.id} could not be found.` });
    const instances = await db.instance.count({ where: { flavorId: f.id, deletedAt: null } });
    log(ctx).info(`Flavor ${f.name} (${f.id}) deleted; ${instances} instances built from it keep running`);
    return { id: f.id, name: f.name };
  }),

  /** Sets (adds or replaces) extra specs; every one is checked before any is written. */
  setExtraSpecs: adminProcedure
    .input(idInput.extend({ extraSpecs: extraSpecsSchema }))
    .mutation(async ({ ctx, input }) => {
      const f = await db.$transaction(async (tx) => {
        const row = await findExistingFlavor(input.id, tx);
        const specs = { ...parseExtraSpecs(row.extraSpecs), ...input.extraSpecs };
        await tx.flavor.update({ where: { id: row.id }, data: { extraSpecs: JSON.stringify(specs) } });
        return findExistingFlavor(row.id, tx);
      });
      log(ctx).info(`Flavor ${f.name} (${f.id}) extra specs set: ${JSON.stringify(input.extraSpecs)}`);
      return adminFlavorView(f);
    }),

  unsetExtraSpec: adminProcedure.input(idInput.extend({ key: extraSpecKeySchema })).mutation(async ({ ctx, input }) => {
    const f = await db.$transaction(async (tx) => {
      const row = await findExistingFlavor(input.id, tx);
      const specs = parseExtraSpecs(row.extraSpecs);
      if (!(input.key in specs)) {
        throw new TRPCError({ code: "NOT_FOUND", message: `Flavor ${input.id} has no extra specs with key ${input.key}.` });
      }
      delete specs[input.key];
      await tx.flavor.update({ where: { id: row.id }, data: { extraSpecs: JSON.stringify(specs) } });
      return findExistingFlavor(row.id, tx);
    });
    log(ctx).info(`Flavor ${f.name} (${f.id}) extra spec ${input.key} unset`);
    return adminFlavorView(f);
  }),

  listAccess: adminProcedure.input(idInput).query(async ({ input }) => {
    const f = await findExistingFlavor(input.id);
    if (f.isPublic) throw new TRPCError({ code: "NOT_FOUND", message: "Access list not available for public flavors." });
    return adminFlavorView(f).access;
  }),

  addAccess: adminProcedure.input(accessInput).mutation(async ({ ctx, input }) => {
    const f = await findExistingFlavor(input.id);
    if (f.isPublic) throw new TRPCError({ code: "CONFLICT", message: "Can not add access to a public flavor." });
    const project = await db.project.findUnique({ where: { id: input.projectId } });
    if (!project) throw new TRPCError({ code: "BAD_REQUEST", message: `Project ID ${input.projectId} is not a valid project.` });
    if (f.access.some((a) => a.projectId === project.id)) {
      throw new TRPCError({ code: "CONFLICT", message: `Flavor access already exists for flavor ${f.id} and project ${project.id} combination.` });
    }
    try {
      await db.flavorAccess.create({ data: { flavorId: f.id, projectId: project.id } });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new TRPCError({ code: "CONFLICT", message: `Flavor access already exists for flavor ${f.id} and project ${project.id} combination.` });
      }
      throw err;
    }
    log(ctx).info(`Flavor ${f.name} (${f.id}) shared with project ${project.name} (${project.id})`);
    return adminFlavorView(await findExistingFlavor(f.id));
  }),

  removeAccess: adminProcedure.input(accessInput).mutation(async ({ ctx, input }) => {
    const f = await findExistingFlavor(input.id);
    if (f.isPublic) throw new TRPCError({ code: "CONFLICT", message: "Can not remove access from a public flavor." });
    const removed = await db.flavorAccess.deleteMany({ where: { flavorId: f.id, projectId: input.projectId } });
    if (removed.count === 0) {
      throw new TRPCError({ code: "NOT_FOUND", message: `Flavor access not found for ${f.id} / ${input.projectId} combination.` });
    }
    log(ctx).info(`Flavor ${f.name} (${f.id}) no longer shared with project ${input.projectId}`);
    return adminFlavorView(await findExistingFlavor(f.id));
  }),
});
