// The images API (Glance v2's /images): create a record, upload its data over HTTP
// (`PUT /api/images/<id>/file`, see src/server/images/image-upload.ts), list, show, update and
// delete. Members see public images and their own project's; the owner or an admin changes one;
// only admins publish one.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { db, type Image } from "@/server/db";
import { canModifyImage, canSeeImage, type ImageCaller } from "@/server/images/image-access";
import { publishImage } from "@/server/images/image-events";
import { removeImageFile } from "@/server/images/image-store";
import { toImageView } from "@/server/images/image-view";
import { DISK_FORMATS } from "@/server/images/qemu-img";
import { getLogger } from "@/server/logs/logger";
import { createTRPCRouter, protectedProcedure } from "../trpc";
import { visibleImagesWhere } from "./catalog";

const MODULE = "stratus.api.images";

/** Attributes of the image itself may not be smuggled in as properties (Glance's reserved names). */
const RESERVED = new Set([
  "id", "name", "status", "visibility", "owner", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
  "disk_format", "container_format", "min_disk", "min_ram", "protected", "created_at", "updated_at", "locations",
]);

const PROPERTY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
const propertyValue = z.string().max(255, "property values are at most 255 characters");
const MAX_PROPERTIES = 128;

/** A property map; keys are checked here, so each bad key gets its own message. */
function propertiesOf<V extends z.ZodType>(value: V) {
  return z.record(z.string(), value).superRefine((props, ctx) => {
    const keys = Object.keys(props);
    if (keys.length > MAX_PROPERTIES) ctx.addIssue({ code: "custom", message: `at most ${MAX_PROPERTIES} properties` });
    for (const key of keys) {
      if (!PROPERTY_KEY.test(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: "property names are letters, digits, '_', '.', ':' and '-' (at most 255)" });
      } else if (RESERVED.has(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: "is a reserved attribute, not a property" });
      }
    }
  });
}

const idInput = z.object({ id: z.string().uuid("Image ids are UUIDs") });
const nameInput = z.string().trim().min(1, "Image name must not be empty").max(255, "Image name must be at most 255 characters");
const visibilityInput = z.enum(["public", "private"]);

const createInput = z.object({
  name: nameInput,
  diskFormat: z.enum(DISK_FORMATS),
  containerFormat: z.literal("bare").default("bare"),
  visibility: visibilityInput.default("private"),
  minDiskGb: z.number().int().min(0).max(1_000_000).default(0),
  minRamMb: z.number().int().min(0).max(100_000_000).default(0),
  protected: z.boolean().default(false),
  properties: propertiesOf(propertyValue).default({}),
});

const updateInput = idInput.extend({
  name: nameInput.optional(),
  visibility: visibilityInput.optional(),
  minDiskGb: z.number().int().min(0).max(1_000_000).optional(),
  minRamMb: z.number().int().min(0).max(100_000_000).optional(),
  protected: z.boolean().optional(),
  /** Merged into the image's properties: a string sets one, null removes it. */
  properties: propertiesOf(propertyValue.nullable()).optional(),
});

function callerOf(ctx: { identity: { project: { id: string } }; isAdmin: boolean }): ImageCaller {
  return { projectId: ctx.identity.project.id, isAdmin: ctx.isAdmin };
}

function notFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `No image found with ID ${id}` });
}

async function visibleImage(caller: ImageCaller, id: string): Promise<Image> {
  const image = await db.image.findUnique({ where: { id } });
  if (!image || !canSeeImage(caller, image)) throw notFound(id);
  return image;
}

async function modifiableImage(caller: ImageCaller, id: string): Promise<Image> {
  const image = await visibleImage(caller, id);
  if (!canModifyImage(caller, image)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `You are not permitted to modify image ${id}: it belongs to another project` });
  }
  return image;
}

function assertMayPublish(caller: ImageCaller, visibility: string | undefined): void {
  if (visibility === "public" && !caller.isAdmin) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Policy doesn't allow publicize_image: only admins may make an image public." });
  }
}

function mergeProperties(current: string, changes: Record<string, string | null>): string {
  const merged: Record<string, string> = { ...toPropertiesRecord(current) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > MAX_PROPERTIES) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `properties: at most ${MAX_PROPERTIES} properties` });
  }
  return JSON.stringify(merged);
}

function toPropertiesRecord(json: string): Record<string, string> {
  return z.record(z.string(), z.string()).catch({}).parse(JSON.parse(json));
}

export const imageRouter = createTRPCRouter({
  list: protectedProcedure.query(async ({ ctx }) => {
    const images = await db.image.findMany({
      where: visibleImagesWhere(ctx.identity.project.id, ctx.isAdmin),
      orderBy: [{ name: "asc" }, { createdAt: "asc" }],
    });
    return images.map(toImageView);
  }),

  get: protectedProcedure.input(idInput).query(async ({ ctx, input }) => toImageView(await visibleImage(callerOf(ctx), input.id))),

  create: protectedProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    const caller = callerOf(ctx);
    assertMayPublish(caller, input.visibility);
    const image = await db.image.create({
      data: {
        name: input.name,
        diskFormat: input.diskFormat,
        containerFormat: input.containerFormat,
        visibility: input.visibility,
        ownerProjectId: caller.projectId,
        status: "queued",
        minDiskGb: input.minDiskGb,
        minRamMb: input.minRamMb,
        protected: input.protected,
        properties: JSON.stringify(input.properties),
      },
    });
    getLogger(MODULE, ctx.rpcContext).info(`Created image ${image.name} (${image.id}), ${image.diskFormat}, ${image.visibility}; waiting for its data`);
    const view = toImageView(image);
    publishImage(view);
    return view;
  }),

  update: protectedProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const caller = callerOf(ctx);
    const image = await modifiableImage(caller, input.id);
    assertMayPublish(caller, input.visibility);
    const updated = await db.image.update({
      where: { id: image.id },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
        ...(input.minDiskGb !== undefined ? { minDiskGb: input.minDiskGb } : {}),
        ...(input.minRamMb !== undefined ? { minRamMb: input.minRamMb } : {}),
        ...(input.protected !== undefined ? { protected: input.protected } : {}),
        ...(input.properties !== undefined ? { properties: mergeProperties(image.properties, input.properties) } : {}),
      },
    });
    getLogger(MODULE, ctx.rpcContext).info(`Updated image ${updated.name} (${updated.id})`);
    const view = toImageView(updated);
    publishImage(view);
    return view;
  }),

  delete: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const caller = callerOf(ctx);
    const image = await modifiableImage(caller, input.id);
    if (image.protected) {
      throw new TRPCError({ code: "FORBIDDEN", message: `Image ${image.id} is protected and cannot be deleted; unset protected first.` });
    }
    // Compare-and-swap on the status it had: a protect or an upload finishing in between wins.
    const { count } = await db.image.updateMany({
      where: { id: image.id, status: image.status, protected: false },
      data: { status: "deleted" },
    });
    if (count === 0) throw new TRPCError({ code: "CONFLICT", message: `Image ${image.id} changed while being deleted; try again.` });
    // Instances already built keep their host's cached base; new builds can no longer fetch it.
    await removeImageFile(image.id);
    getLogger(MODULE, ctx.rpcContext).info(`Deleted image ${image.name} (${image.id}) and its data`);
    publishImage({ ...toImageView(image), status: "deleted" });
    return { id: image.id, status: "deleted" as const };
  }),
});
