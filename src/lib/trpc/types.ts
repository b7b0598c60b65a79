// Input and output types of every procedure, inferred from the server's router.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type ServerListOutput = RouterOutputs["server"]["list"];
export type FlavorListItem = RouterOutputs["flavor"]["list"][number];
export type ImageListItem = RouterOutputs["image"]["list"][number];
export type AuthMe = NonNullable<RouterOutputs["auth"]["me"]>;
export type InstanceActionRecord = RouterOutputs["server"]["actions"][number];
export type InstanceActionEventRecord = InstanceActionRecord["events"][number];
export type LogSearchInput = RouterInputs["log"]["search"];
export type LogSearchRecord = RouterOutputs["log"]["search"][number];
