// Compute services (Nova's os-services): the list, and the admin's enable / disable (with a
// reason, at most 255 characters) and force-down switches. A disabled compute host gets no new
// instances; its running instances are untouched.
import { z } from "zod";
import { getLogger } from "@/server/logs/logger";
import { listServiceViews, toServiceView, zoneOf, zonesByHost } from "@/server/services/service-registry";
import { setServiceStatus, type ServiceStatusChange, type ServiceTarget } from "@/server/services/service-status";
import { adminProcedure, createTRPCRouter } from "../trpc";

// A service is named by its id, or by host and binary as `openstack compute service set` does.
const target = z.union(
  [
    z.object({ id: z.number().int().positive() }),
    z.object({
      host: z.string().trim().min(1, "Host must not be empty.").max(255, "Host must be at most 255 characters."),
      binary: z.string().trim().min(1, "Binary must not be empty.").max(255, "Binary must be at most 255 characters."),
    }),
  ],
  { error: "Name the service by id, or by host and binary." },
);

const disableInput = z.intersection(
  target,
  z.object({
    reason: z
      .string()
      .trim()
      .max(255, "The disable reason must be at most 255 characters.")
      .optional(),
  }),
);
const forceDownInput = z.intersection(target, z.object({ forcedDown: z.boolean() }));

function targetOf(input: ServiceTarget & object): ServiceTarget {
  return "id" in input ? { id: input.id } : { host: input.host, binary: input.binary };
}

async function apply(ctx: { rpcContext: Parameters<typeof getLogger>[1] }, t: ServiceTarget, change: ServiceStatusChange, what: string) {
  const s = await setServiceStatus(t, change);
  getLogger("stratus.api.services", ctx.rpcContext).info(`Service ${s.binary} on host ${s.host} (${s.id}) ${what}`);
  return toServiceView(s, zoneOf(s, await zonesByHost()));
}

export const serviceRouter = createTRPCRouter({
  list: adminProcedure.query(() => listServiceViews()),

  disable: adminProcedure.input(disableInput).mutation(({ ctx, input }) => {
    const reason = input.reason || null;
    return apply(ctx, targetOf(input), { disabled: true, disabledReason: reason }, `disabled${reason ? `: ${reason}` : ""}`);
  }),

  enable: adminProcedure.input(target).mutation(({ ctx, input }) => apply(ctx, targetOf(input), { disabled: false }, "enabled")),

  /** Nova's forced_down (API 2.11): marks the service down at once, e.g. before an evacuation. */
  setForcedDown: adminProcedure
    .input(forceDownInput)
    .mutation(({ ctx, input }) =>
      apply(ctx, targetOf(input), { forcedDown: input.forcedDown }, input.forcedDown ? "forced down" : "no longer forced down"),
    ),
});
