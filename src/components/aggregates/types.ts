import type { RouterOutputs } from "@/lib/trpc/types";

export type AggregateItem = RouterOutputs["aggregate"]["list"][number];
export type ZoneItem = RouterOutputs["aggregate"]["zones"][number];
