import type { RouterOutputs } from "@/lib/trpc/types";

/** A flavor as Admin → Flavors shows it: extra specs and access included. */
export type AdminFlavor = RouterOutputs["flavor"]["adminList"][number];
