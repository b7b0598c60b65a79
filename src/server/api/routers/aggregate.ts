// Host aggregates and availability zones (Nova's os-aggregates and os-availability-zone). An
// aggregate groups compute hosts and may name an availability zone; a host in no zone aggregate
// is in the default zone ("nova"). Aggregate metadata can override a weigher's multiplier for its
// hosts (e.g. cpu_weight_multiplier), as in Nova. Admin only, except listing the zones a launch can
// pick from. Every change reaches the scheduler's in-memory view at once.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { config } from "@/server/config";
import { db, type Prisma } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { loadedHostStateCache } from "@/server/scheduler/host-state-cache";
import { COMPUTE_BINARY } from "@/server/services/service-registry";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

const name = z.string().trim().min(1, "Aggregate name must not be empty").max(255, "Aggregate name must be at most 255 characters");
const zone = z
  .string()
  .trim()
  .min(1, "Availability zone must not be empty")
  .max(255, "Availability zone must be at most 255 characters")
  .refine((z) => !z.includes(":"), "Availability zone must not contain ':'")
  .refine((z) => z !== "internal", "Availability zone 'internal' is reserved for the controller's services");
const idInput = z.object({ id: z.number().int().positive() });
const hostInput = idInput.extend({ host: z.string().trim().min(1).max(255) });
const metadataValue = z.string().max(255).nullable();

type AggregateRow = Prisma.AggregateGetPayload<{ include: { hosts: true } }>;

function parseMetadata(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function view(a: AggregateRow) {
  return {
    id: a.id,
    name: a.name,
    availabilityZone: a.availabilityZone,
    metadata: parseMetadata(a.metadata),
    hosts: a.hosts.map((h) => h.host).sort(),
    createdAt: a.createdAt,
  };
}

function notFound(id: number): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `Aggregate ${id} could not be found.` });
}

async function findAggregate(id: number): Promise<AggregateRow> {
  const a = await db.aggregate.findUnique({ where: { id }, include: { hosts: true } });
  if (!a) throw notFound(id);
  return a;
}

/** The zone each host is in, from the aggregates that name one. */
async function zonesOfHosts(): Promise<Map<string, Set<string>>> {
  const rows = await db.aggregateHost.findMany({ include: { aggregate: true } });
  const zones = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!r.aggregate.availabilityZone) continue;
    const set = zones.get(r.host) ?? new Set<string>();
    set.add(r.aggregate.availabilityZone);
    zones.set(r.host, set);
  }
  return zones;
}

async function hostsWithInstances(hosts: string[]): Promise<string[]> {
  if (hosts.length === 0) return [];
  const rows = await db.instance.groupBy({ by: ["host"], where: { host: { in: hosts }, deletedAt: null }, _count: { _all: true } });
  return rows.map((r) => r.host!).filter(Boolean);
}

/** A launch may name the default zone or any zone an aggregate defines. */
export async function isAvailabilityZone(name: string): Promise<boolean> {
  if (name === config.scheduler.defaultAvailabilityZone) return true;
  return (await db.aggregate.count({ where: { availabilityZone: name } })) > 0;
}

async function changed(): Promise<void> {
  await loadedHostStateCache()?.refreshAggregates();
}

export const aggregateRouter = createTRPCRouter({
  list: adminProcedure.query(async () => {
    const rows = await db.aggregate.findMany({ include: { hosts: true }, orderBy: { id: "asc" } });
    return rows.map(view);
  }),

  /** Nova's os-availability-zone: the zones a launch can pick, with their hosts (admins see which). */
  zones: protectedProcedure.query(async ({ ctx }) => {
    const [computes, zones] = await Promise.all([
      db.service.findMany({ where: { binary: COMPUTE_BINARY }, select: { host: true } }),
      zonesOfHosts(),
    ]);
    const hostsByZone = new Map<string, string[]>();
    for (const a of await db.aggregate.findMany({ where: { availabilityZone: { not: null } } })) hostsByZone.set(a.availabilityZone!, []);
    for (const { host } of computes) {
      const names = zones.get(host) ?? new Set([config.scheduler.defaultAvailabilityZone]);
      for (const z of names) {
        const list = hostsByZone.get(z) ?? [];
        list.push(host);
        hostsByZone.set(z, list);
      }
    }
    return [...hostsByZone]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([zoneName, hosts]) => ({
        name: zoneName,
        available: hosts.length > 0,
        hostCount: hosts.length,
        hosts: ctx.isAdmin ? hosts.sort() : [],
      }));
  }),

  create: adminProcedure
    .input(z.object({ name, availabilityZone: zone.optional() }))
    .mutation(async ({ ctx, input }) => {
      if (await db.aggregate.findUnique({ where: { name: input.name } })) {
        throw new TRPCError({ code: "CONFLICT", message: `Aggregate ${input.name} already exists.` });
      }
      const a = await db.aggregate.create({ data: { name: input.name, availabilityZone: input.availabilityZone ?? null }, include: { hosts: true } });
      getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Aggregate ${a.name} (${a.id}) created${a.availabilityZone ? ` in zone ${a.availabilityZone}` : ""}`);
      await changed();
      return view(a);
    }),

  update: adminProcedure
    .input(idInput.extend({ name: name.optional(), availabilityZone: zone.nullable().optional() }))
    .mutation(async ({ ctx, input }) => {
      const a = await findAggregate(input.id);
      if (input.name !== undefined && input.name !== a.name && (await db.aggregate.findUnique({ where: { name: input.name } }))) {
        throw new TRPCError({ code: "CONFLICT", message: `Aggregate ${input.name} already exists.` });
      }
      if (input.availabilityZone !== undefined && input.availabilityZone !== a.availabilityZone) {
        // Nova refuses to move instances to another zone behind their owners' backs.
        const busy = await hostsWithInstances(a.hosts.map((h) => h.host));
        if (busy.length > 0) {
          throw new TRPCError({
            code: "CONFLICT",
            message: `Cannot update aggregate ${a.id}. Reason: One or more hosts contain instances in this zone (${busy.join(", ")}).`,
          });
        }
        await checkZoneConflicts(a.id, a.hosts.map((h) => h.host), input.availabilityZone);
      }
      const updated = await db.aggregate.update({
        where: { id: a.id },
        data: { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.availabilityZone !== undefined ? { availabilityZone: input.availabilityZone } : {}) },
        include: { hosts: true },
      });
      getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Aggregate ${updated.name} (${updated.id}) updated`);
      await changed();
      return view(updated);
    }),

  /** Sets metadata keys (null removes one), e.g. {"cpu_weight_multiplier": "2.0"}. */
  setMetadata: adminProcedure
    .input(idInput.extend({ metadata: z.record(z.string().min(1).max(255), metadataValue) }))
    .mutation(async ({ ctx, input }) => {
      const a = await findAggregate(input.id);
      if ("availability_zone" in input.metadata) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "Set the availability zone with aggregate.update, not as metadata." });
      }
      const metadata = parseMetadata(a.metadata);
      for (const [k, v] of Object.entries(input.metadata)) {
        if (v === null) delete metadata[k];
        else metadata[k] = v;
      }
      const updated = await db.aggregate.update({ where: { id: a.id }, data: { metadata: JSON.stringify(metadata) }, include: { hosts: true } });
      getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Aggregate ${a.name} (${a.id}) metadata set: ${JSON.stringify(metadata)}`);
      await changed();
      return view(updated);
    }),

  delete: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const a = await findAggregate(input.id);
    if (a.hosts.length > 0) {
      throw new TRPCError({ code: "CONFLICT", message: `Cannot remove aggregate ${a.id}. Reason: Host aggregate is not empty.` });
    }
    await db.aggregate.delete({ where: { id: a.id } });
    getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Aggregate ${a.name} (${a.id}) deleted`);
    await changed();
    return { id: a.id };
  }),

  addHost: adminProcedure.input(hostInput).mutation(async ({ ctx, input }) => {
    const a = await findAggregate(input.id);
    const service = await db.service.findUnique({ where: { binary_host: { binary: COMPUTE_BINARY, host: input.host } } });
    if (!service) throw new TRPCError({ code: "NOT_FOUND", message: `Compute host ${input.host} could not be found.` });
    if (a.hosts.some((h) => h.host === input.host)) {
      throw new TRPCError({ code: "CONFLICT", message: `Aggregate ${a.id} already has host ${input.host}.` });
    }
    if (a.availabilityZone) {
      await checkZoneConflicts(a.id, [input.host], a.availabilityZone);
      const current = [...((await zonesOfHosts()).get(input.host) ?? [])][0] ?? config.scheduler.defaultAvailabilityZone;
      if (current !== a.availabilityZone && (await hostsWithInstances([input.host])).length > 0) {
        throw new TRPCError({
          code: "CONFLICT",
          message: `Cannot add host ${input.host} in aggregate ${a.id}: the host has instances in zone ${current}.`,
        });
      }
    }
    await db.aggregateHost.create({ data: { aggregateId: a.id, host: input.host } });
    getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Host ${input.host} added to aggregate ${a.name} (${a.id})`);
    await changed();
    return view(await findAggregate(a.id));
  }),

  removeHost: adminProcedure.input(hostInput).mutation(async ({ ctx, input }) => {
    const a = await findAggregate(input.id);
    if (!a.hosts.some((h) => h.host === input.host)) {
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `Cannot remove host ${input.host} in aggregate ${a.id}. Reason: Host is not in the aggregate.`,
      });
    }
    if (a.availabilityZone && (await hostsWithInstances([input.host])).length > 0) {
      const others = [...((await zonesOfHosts()).get(input.host) ?? [])].filter((z) => z !== a.availabilityZone);
      if (others.length === 0) {
        throw new TRPCError({
          code: "CONFLICT",
          message: `Cannot remove host ${input.host} in aggregate ${a.id}: the host has instances in zone ${a.availabilityZone}.`,
        });
      }
    }
    await db.aggregateHost.delete({ where: { aggregateId_host: { aggregateId: a.id, host: input.host } } });
    getLogger("stratus.api.aggregates", ctx.rpcContext).info(`Host ${input.host} removed from aggregate ${a.name} (${a.id})`);
    await changed();
    return view(await findAggregate(a.id));
  }),
});

/** Nova: a host is in one availability zone; an aggregate naming another zone cannot take it. */
async function checkZoneConflicts(aggregateId: number, hosts: string[], zoneName: string | null): Promise<void> {
  if (!zoneName || hosts.length === 0) return;
  const others = await db.aggregateHost.findMany({
    where: { host: { in: hosts }, aggregateId: { not: aggregateId }, aggregate: { availabilityZone: { not: null } } },
    include: { aggregate: true },
  });
  const conflicting = others.filter((o) => o.aggregate.availabilityZone !== zoneName);
  if (conflicting.length > 0) {
    const zones = [...new Set(conflicting.map((o) => o.aggregate.availabilityZone))].join(", ");
    throw new TRPCError({
      code: "CONFLICT",
      message: `Cannot add host to aggregate ${aggregateId}. Reason: One or more hosts already in availability zone(s) ${zones}.`,
    });
  }
}
