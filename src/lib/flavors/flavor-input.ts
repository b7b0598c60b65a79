// What creating a flavor takes (Nova's POST /flavors, schemas/flavor_manage.py): the same rules in
// the API and in the Create Flavor dialog, so the dialog explains a refusal before sending.
import { z } from "zod";

/** Nova stores sizes as 32-bit integers. */
const INT_MAX = 2_147_483_647;

const count = (label: string, min: number, unit: string) =>
  z
    .number({ error: `${label} must be a number.` })
    .int(`${label} must be a whole number.`)
    .min(min, `${label} must be at least ${min}${unit}.`)
    .max(INT_MAX, `${label} must be at most ${INT_MAX}${unit}.`);

// Nova: no leading or trailing whitespace, printable characters.
export const flavorNameSchema = z
  .string()
  .min(1, "Flavor name must not be empty.")
  .max(255, "Flavor name must be at most 255 characters.")
  .refine((s) => s.trim() === s, "Flavor name must not begin or end with whitespace.")
  .refine((s) => !/\p{C}/u.test(s), "Flavor name must not contain control characters.");

// Nova's flavor id pattern: letters, digits, '.', '_', '-' and inner spaces.
export const flavorIdSchema = z
  .string()
  .min(1, "Flavor ID must not be empty.")
  .max(255, "Flavor ID must be at most 255 characters.")
  .regex(/^(?! )[A-Za-z0-9. _-]+(?<! )$/, "Flavor ID may use letters, digits, '.', '_', '-' and inner spaces.");

export const createFlavorSchema = z.object({
  name: flavorNameSchema,
  id: flavorIdSchema.optional(),
  vcpus: count("vCPUs", 1, ""),
  memoryMb: count("RAM", 1, " MB"),
  rootGb: count("Root disk", 0, " GB"),
  ephemeralGb: count("Ephemeral disk", 0, " GB").default(0),
  swapMb: count("Swap", 0, " MB").default(0),
  isPublic: z.boolean().default(true),
  description: z.string().max(65_535, "Description must be at most 65535 characters.").optional(),
});

export type CreateFlavorInput = z.input<typeof createFlavorSchema>;
