// Turns a validated server list query into Prisma's where and orderBy. Pure: flavor and image
// names are resolved to ids by the caller, and the database flavour is a parameter, so the same
// rules are unit-tested and run identically on SQLite and PostgreSQL.
import { ipPrefixRanges } from "@/lib/ip-filter";
import type { ListFilters, ListSort } from "@/lib/instance-list-query";
import { statusConditions, type StateCondition } from "@/lib/status-states";
import { VM_STATES } from "@/lib/states";
import type { Prisma } from "@/server/db";

export interface ListScope {
  /** Null lists every project (an admin's all-projects view). */
  projectId: string | null;
  /** PostgreSQL compares case-sensitively unless told; SQLite's LIKE already ignores ASCII case. */
  postgres: boolean;
}

/** Flavor and image ids the flavor/image filters stand for (the value itself, or names resolved). */
export interface ResolvedRefs {
  flavorIds?: string[];
  imageIds?: string[];
}

function stateWhere(c: StateCondition): Prisma.InstanceWhereInput {
  switch (c.task.kind) {
    case "any":
      return { vmState: c.vmState };
    case "in":
      return { vmState: c.vmState, taskState: { in: c.task.tasks } };
    case "notIn":
      // SQL's NOT IN is unknown for NULL, so a missing task state needs its own branch.
      return { vmState: c.vmState, OR: [{ taskState: null }, { taskState: { notIn: c.task.tasks } }] };
  }
}

export function statusWhere(status: NonNullable<ListFilters["status"]>): Prisma.InstanceWhereInput {
  const conditions = statusConditions(status);
  const any: Prisma.InstanceWhereInput[] = conditions.known.map(stateWhere);
  if (conditions.unknownVmState) any.push({ vmState: { notIn: [...VM_STATES] } });
  return { OR: any };
}

/**
 * Instances holding a fixed IP in one of the prefix's ranges: a semi-join, each candidate row
 * probed in fixed_ips' (instanceUuid, address) index without reading the fixed IP itself.
 */
export function ipWhere(prefix: string): Prisma.InstanceWhereInput {
  const ranges = ipPrefixRanges(prefix).map(([lo, hi]) => ({ address: { gte: BigInt(lo), lte: BigInt(hi) } }));
  return { fixedIps: { some: ranges.length === 1 ? ranges[0] : { OR: ranges } } };
}

export function buildListWhere(filters: ListFilters, scope: ListScope, refs: ResolvedRefs = {}): Prisma.InstanceWhereInput {
  const and: Prisma.InstanceWhereInput[] = [];
  if (filters.name) {
    const insensitive = scope.postgres ? { mode: "insensitive" as const } : {};
    and.push({ displayName: { contains: filters.name, ...insensitive } });
  }
  if (filters.status) and.push(statusWhere(filters.status));
  if (filters.flavor) and.push({ flavorId: { in: refs.flavorIds ?? [filters.flavor] } });
  if (filters.image) and.push({ imageId: { in: refs.imageIds ?? [filters.image] } });
  if (filters.ip) and.push(ipWhere(filters.ip));
  if (filters.host) and.push({ host: filters.host });
  if (filters.zone) and.push({ availabilityZone: filters.zone });
  if (filters.changesSince) and.push({ updatedAt: { gte: new Date(filters.changesSince) } });
  return {
    deletedAt: null,
    ...(scope.projectId === null ? {} : { projectId: scope.projectId }),
    ...(and.length > 0 ? { AND: and } : {}),
  };
}

/**
 * The order for a sort key, ending in uuid so equal keys never swap between pages. The tiebreak
 * runs the same way as the key so one index serves both, scanned forwards or backwards. Nullable
 * keys put empty values last in both directions, which SQLite and PostgreSQL would otherwise
 * disagree on. "status" orders by vm_state then task_state (rows of one status end up together);
 * "flavor" orders by the flavor's size as booted (RAM, vCPUs, disk), not its name.
 */
export function buildListOrderBy({ sort, dir }: ListSort): Prisma.InstanceOrderByWithRelationInput[] {
  const last = { sort: dir, nulls: "last" as const };
  const keys: Record<ListSort["sort"], Prisma.InstanceOrderByWithRelationInput[]> = {
    name: [{ displayName: dir }],
    status: [{ vmState: dir }, { taskState: { sort: dir, nulls: "first" } }],
    created: [{ createdAt: dir }],
    updated: [{ updatedAt: dir }],
    host: [{ host: last }],
    flavor: [{ memoryMb: dir }, { vcpus: dir }, { rootGb: dir }, { flavorId: dir }],
    zone: [{ availabilityZone: last }],
  };
  return [...keys[sort], { uuid: dir }];
}
