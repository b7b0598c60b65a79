// The controller's scheduler state: the host table in memory, loaded from the database once and
// then kept current incrementally — agent registrations and heartbeats, the scheduler's own
// picks, claims and releases, and a light periodic sync of service and compute node rows that
// brings in what other controllers changed. It is never rebuilt per request.
//
// Several controllers may share one database: each has its own view, and claims stay atomic in
// the database (claims.ts). A pick counts in memory at once (so concurrent requests in this
// process never see the same free room twice) and is marked pending until its claim lands; a
// refused claim refreshes that host from the database. A host's counters are only overwritten by
// a database read when no claim of this process is in flight on it and nothing changed it since
// the read began, so a refresh can never undo a pick.
import { config, type SchedulerConfig } from "@/server/config";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { supportedInstancesOf } from "./filters/canonical";
import { FilterScheduler, type ScheduleResult } from "./filter-scheduler";
import { HostTable, type Consumption, type HostRecord } from "./host-table";
import { consumptionOf, GroupPlacement, type FlavorSpec, type ServerGroupPolicy } from "./request";

const log = getLogger("stratus.scheduler.host_manager");

/** Task states Nova's io_workload counts (nova/compute/stats.py). */
export const IO_TASK_STATES = [
  "scheduling",
  "networking",
  "block_device_mapping",
  "spawning",
  "resize_migrating",
  "resize_prep",
  "image_snapshot",
  "image_backup",
  "rebuilding",
  "rescuing",
  "unshelving",
  "shelving",
  "migrating",
];

interface Placement {
  host: number;
  use: Consumption;
  groupId: string | null;
  /** The claim in the database has not landed yet. */
  pending: boolean;
}

export interface ServerGroupRef {
  id: string;
  name: string;
  policy: ServerGroupPolicy;
  maxServerPerHost: number;
}

export interface PlacementRequest {
  instanceUuids: string[];
  flavor: FlavorSpec;
  image: Record<string, string>;
  availabilityZone: string | null;
  group: ServerGroupRef | null;
  /** Host names not to consider (claims refused, builds failed). */
  ignoreHosts?: readonly string[];
  /** Only these hosts are considered (an admin's chosen destination); the filters still apply. */
  onlyHosts?: readonly string[];
}

export type PlacementResult =
  | { ok: true; selections: { instanceUuid: string; host: string; alternates: string[] }[]; result: ScheduleResult }
  | { ok: false; result: Extract<ScheduleResult, { ok: false }> };

type NodeRow = Awaited<ReturnType<typeof readNodes>>[number];

function readNodes(where: { host?: string } = {}) {
  return db.computeNode.findMany({ where, include: { service: true }, orderBy: { id: "asc" } });
}

function hostRecord(n: NodeRow): HostRecord {
  let arch = "";
  try {
    arch = String((JSON.parse(n.cpuInfo) as { arch?: unknown }).arch ?? "");
  } catch {
    // no cpu_info: no supported instances
  }
  const usableMem = n.memoryMb - n.reservedHostMemoryMb;
  return {
    name: n.host,
    enabled: !n.service.disabled,
    disabledReason: n.service.disabledReason,
    forcedDown: n.service.forcedDown,
    lastSeenMs: (n.service.lastSeenAt ?? n.service.createdAt).getTime(),
    vcpus: n.vcpus,
    vcpusUsed: n.vcpusUsed,
    memoryMb: n.memoryMb,
    memoryMbUsed: n.memoryMbUsed,
    localGb: n.localGb,
    localGbUsed: n.localGbUsed,
    // Nova's resource tracker: free = total − reserved − used by instances.
    freeRamMb: usableMem - n.memoryMbUsed,
    freeDiskMb: (n.localGb - n.localGbUsed) * 1024 - n.reservedHostDiskMb,
    diskMbUsed: n.localGbUsed * 1024 + n.reservedHostDiskMb,
    reservedHostCpus: n.reservedHostCpus,
    reservedHostMemoryMb: n.reservedHostMemoryMb,
    reservedHostDiskMb: n.reservedHostDiskMb,
    cpuAllocationRatio: n.cpuAllocationRatio,
    ramAllocationRatio: n.ramAllocationRatio,
    diskAllocationRatio: n.diskAllocationRatio,
    numInstances: n.runningVms,
    numIoOps: 0,
    failedBuilds: n.failedBuilds,
    hypervisorType: n.hypervisorType,
    hypervisorVersion: n.hypervisorVersion,
    hypervisorHostname: n.hypervisorHostname,
    cpuInfo: n.cpuInfo,
    supportedInstances: supportedInstancesOf(arch, n.hypervisorType),
    stats: {},
  };
}

/** The counters a database read may overwrite (the rest of a record is static or service state). */
const USAGE_FIELDS = ["vcpusUsed", "memoryMbUsed", "localGbUsed", "freeRamMb", "freeDiskMb", "diskMbUsed"] as const;

export class HostStateCache {
  readonly table = new HostTable();
  readonly scheduler: FilterScheduler;
  private readonly nodeIdOf: number[] = [];
  private readonly hostByNodeId = new Map<number, number>();
  private readonly pending = new Map<number, number>();
  private readonly epoch = new Map<number, number>();
  private readonly placements = new Map<string, Placement>();
  /** groupId → member uuid → host index. */
  private readonly groups = new Map<string, Map<string, number>>();
  private aggregateSignature = "";
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;

  constructor(readonly options: SchedulerConfig = config.scheduler) {
    this.scheduler = new FilterScheduler(this.table, options);
  }

  /** Loads everything once; later calls wait for the same load. */
  ready(): Promise<void> {
    this.loaded ??= this.load().catch((err: unknown) => {
      this.loaded = null;
      throw err;
    });
    return this.loaded;
  }

  private async load(): Promise<void> {
    const started = Date.now();
    await this.syncNodes();
    await this.syncAggregates();
    await this.syncWorkload();
    const allocations = await db.allocation.findMany({
      include: { instance: { select: { rootGb: true, ephemeralGb: true } } },
    });
    for (const a of allocations) {
      const host = this.hostOfNode(a.nodeId);
      if (host === undefined) continue;
      this.placements.set(a.consumerId, {
        host,
        use: { vcpus: a.vcpus, memoryMb: a.memoryMb, diskGb: a.diskGb, freeDiskMb: (a.instance.rootGb + a.instance.ephemeralGb) * 1024 },
        groupId: null,
        pending: false,
      });
    }
    await this.syncGroups();
    log.info(`Host state loaded: ${this.table.candidates().length} compute hosts, ${allocations.length} allocations (${Date.now() - started} ms)`);
    this.timer = setInterval(() => void this.sync().catch((err: unknown) => log.warn({ err }, "Host state sync failed")), config.reportIntervalMs);
    this.timer.unref();
  }

  /** Stops the periodic sync (tests). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private hostOfNode(nodeId: number): number | undefined {
    return this.hostByNodeId.get(nodeId);
  }

  private setNodeId(i: number, nodeId: number): void {
    this.nodeIdOf[i] = nodeId;
    this.hostByNodeId.set(nodeId, i);
  }

  private touch(i: number): void {
    this.epoch.set(i, (this.epoch.get(i) ?? 0) + 1);
  }

  private addPending(i: number, delta: number): void {
    const n = (this.pending.get(i) ?? 0) + delta;
    if (n > 0) this.pending.set(i, n);
    else this.pending.delete(i);
  }

  /** Applies node rows read from the database (started when `epochs` were taken). */
  private applyNodes(rows: NodeRow[], epochs: Map<string, number>): void {
    for (const n of rows) {
      const r = hostRecord(n);
      const known = this.table.index.get(n.host);
      if (known === undefined || !this.table.present[known]) {
        this.setNodeId(this.table.upsert(r), n.id);
        continue;
      }
      const i = known;
      this.setNodeId(i, n.id);
      const safe = !this.pending.has(i) && (this.epoch.get(i) ?? 0) === (epochs.get(n.host) ?? 0);
      const patch: Partial<HostRecord> = { ...r };
      // Workload counters come from syncWorkload; usage only when no pick of ours is in flight.
      delete patch.numInstances;
      delete patch.numIoOps;
      delete patch.stats;
      if (!safe) for (const f of USAGE_FIELDS) delete patch[f];
      this.table.patch(i, patch);
    }
  }

  private epochsNow(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [i, e] of this.epoch) m.set(this.table.names[i]!, e);
    return m;
  }

  private async syncNodes(): Promise<void> {
    const epochs = this.epochsNow();
    const rows = await readNodes();
    this.applyNodes(rows, epochs);
    const seen = new Set(rows.map((r) => r.host));
    for (const name of this.table.names) if (!seen.has(name)) this.table.remove(name);
  }

  private async syncAggregates(): Promise<void> {
    const aggregates = await db.aggregate.findMany({ include: { hosts: true }, orderBy: { id: "asc" } });
    const records = aggregates.map((a) => ({
      hosts: a.hosts.map((h) => h.host),
      availabilityZone: a.availabilityZone,
      metadata: parseStringRecord(a.metadata),
    }));
    const signature = JSON.stringify([records, this.table.size]);
    if (signature === this.aggregateSignature) return;
    this.aggregateSignature = signature;
    this.table.setAggregates(records);
  }

  /** Instances and I/O-heavy tasks per host (Nova's num_instances and io_workload stats). */
  private async syncWorkload(): Promise<void> {
    const [all, busy] = await Promise.all([
      db.instance.groupBy({ by: ["host"], where: { deletedAt: null, host: { not: null } }, _count: { _all: true } }),
      db.instance.groupBy({
        by: ["host"],
        where: { deletedAt: null, host: { not: null }, taskState: { in: IO_TASK_STATES } },
        _count: { _all: true },
      }),
    ]);
    const count = (rows: typeof all) => new Map(rows.map((r) => [r.host!, r._count._all]));
    const instances = count(all);
    const io = count(busy);
    for (const i of this.table.candidates()) {
      const name = this.table.names[i]!;
      const numInstances = instances.get(name) ?? 0;
      const numIoOps = io.get(name) ?? 0;
      const failedBuilds = this.table.failedBuilds[i]!;
      this.table.patch(i, {
        numInstances,
        numIoOps,
        stats: { num_instances: String(numInstances), io_workload: String(numIoOps), failed_builds: String(failedBuilds) },
      });
    }
  }

  /** Server group members and their hosts, as the database has them (plus our picks in flight). */
  private async syncGroups(): Promise<void> {
    const started = Date.now();
    const rows = await db.instance.findMany({
      where: { serverGroupId: { not: null }, deletedAt: null, host: { not: null }, vmState: { not: "error" } },
      select: { uuid: true, serverGroupId: true, host: true, updatedAt: true },
    });
    const next = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const i = this.table.index.get(r.host!);
      if (i === undefined) continue;
      let g = next.get(r.serverGroupId!);
      if (!g) next.set(r.serverGroupId!, (g = new Map()));
      g.set(r.uuid, i);
    }
    // Picks of this process whose host is not in the database yet stay.
    for (const [uuid, p] of this.placements) {
      if (!p.groupId || !p.pending) continue;
      let g = next.get(p.groupId);
      if (!g) next.set(p.groupId, (g = new Map()));
      g.set(uuid, p.host);
    }
    // A member released since the read started must not come back.
    for (const [groupId, members] of this.groups) {
      const fresh = next.get(groupId);
      if (!fresh) continue;
      for (const uuid of fresh.keys()) if (!members.has(uuid) && this.releasedSince(uuid, started)) fresh.delete(uuid);
    }
    this.groups.clear();
    for (const [k, v] of next) this.groups.set(k, v);
  }

  private readonly releasedAt = new Map<string, number>();

  private releasedSince(uuid: string, since: number): boolean {
    const t = this.releasedAt.get(uuid);
    return t !== undefined && t >= since;
  }

  /** The periodic sync (every report interval): services, nodes, zones, workload, groups. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        await this.syncNodes();
        await this.syncAggregates();
        await this.syncWorkload();
        await this.syncGroups();
        const cutoff = Date.now() - 10 * config.reportIntervalMs;
        for (const [u, t] of this.releasedAt) if (t < cutoff) this.releasedAt.delete(u);
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  /** Re-reads one host's rows (registration, a refused claim, a change by an admin). */
  async refreshHost(host: string): Promise<void> {
    if (!this.loaded) return;
    await this.ready();
    const epochs = this.epochsNow();
    const rows = await readNodes({ host });
    if (rows.length === 0) {
      this.table.remove(host);
      return;
    }
    const wasKnown = this.table.index.has(host);
    this.applyNodes(rows, epochs);
    if (!wasKnown) await this.syncAggregates();
  }

  /** Re-reads aggregates (zones and multiplier overrides) after an admin changed them. */
  async refreshAggregates(): Promise<void> {
    if (!this.loaded) return;
    await this.ready();
    await this.syncAggregates();
  }

  /** A heartbeat reached this controller: the host is up as of `at` (no database read). */
  heartbeat(host: string, at = Date.now()): void {
    const i = this.table.index.get(host);
    if (i !== undefined) this.table.lastSeenMs[i] = at;
  }

  /** Nova's failed_builds stat as the database now has it. */
  setFailedBuilds(host: string, failedBuilds: number): void {
    const i = this.table.index.get(host);
    if (i === undefined) return;
    const stats = { ...this.table.stats[i]!, failed_builds: String(failedBuilds) };
    this.table.patch(i, { failedBuilds, stats });
  }

  groupPlacement(group: ServerGroupRef): GroupPlacement {
    const g = new GroupPlacement(group.name, group.policy, group.maxServerPerHost);
    for (const host of this.groups.get(group.id)?.values() ?? []) g.add(host);
    return g;
  }

  /**
   * Schedules every instance of the request (Nova's select_destinations). On success each pick
   * is consumed in memory and pending until confirm() or abandon().
   */
  async place(req: PlacementRequest): Promise<PlacementResult> {
    await this.ready();
    const ignore = new Set<number>();
    for (const name of req.ignoreHosts ?? []) {
      const i = this.table.index.get(name);
      if (i !== undefined) ignore.add(i);
    }
    if (req.onlyHosts) {
      const only = new Set(req.onlyHosts);
      this.table.names.forEach((name, i) => {
        if (!only.has(name)) ignore.add(i);
      });
    }
    const result = this.scheduler.schedule({
      instanceUuids: req.instanceUuids,
      flavor: req.flavor,
      image: req.image,
      availabilityZone: req.availabilityZone,
      group: req.group ? this.groupPlacement(req.group) : null,
      now: Date.now(),
      ignoreHosts: ignore,
    });
    if (!result.ok) return { ok: false, result };
    const use = consumptionOf(req.flavor);
    for (const s of result.selections) {
      this.placements.set(s.instanceUuid, { host: s.host, use, groupId: req.group?.id ?? null, pending: true });
      this.addPending(s.host, 1);
      this.touch(s.host);
      if (req.group) this.addMember(req.group.id, s.instanceUuid, s.host);
    }
    const names = this.table.names;
    return {
      ok: true,
      result,
      selections: result.selections.map((s) => ({
        instanceUuid: s.instanceUuid,
        host: names[s.host]!,
        alternates: s.alternates.map((h) => names[h]!),
      })),
    };
  }

  private addMember(groupId: string, uuid: string, host: number): void {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new Map()));
    g.set(uuid, host);
  }

  private dropMember(uuid: string, groupId: string | null): void {
    if (groupId) this.groups.get(groupId)?.delete(uuid);
    else for (const g of this.groups.values()) g.delete(uuid);
  }

  /** The compute node id of a host (for the claim). */
  nodeId(host: string): number | undefined {
    const i = this.table.index.get(host);
    return i === undefined ? undefined : this.nodeIdOf[i];
  }

  /** The claim of a pick landed in the database. */
  confirm(uuid: string): void {
    const p = this.placements.get(uuid);
    if (!p || !p.pending) return;
    p.pending = false;
    this.addPending(p.host, -1);
  }

  /** A pick is given up (claim refused, build abandoned): its consumption goes back. */
  abandon(uuid: string): void {
    const p = this.placements.get(uuid);
    if (!p) return;
    this.placements.delete(uuid);
    if (p.pending) this.addPending(p.host, -1);
    this.table.unconsume(p.host, p.use);
    this.touch(p.host);
    this.dropMember(uuid, p.groupId);
  }

  /**
   * Moves an instance's pick to another host (an alternate): consumed there at once and pending
   * until confirm(). Returns false for an unknown host.
   */
  moveTo(uuid: string, host: string, flavor: FlavorSpec, groupId: string | null): boolean {
    const i = this.table.index.get(host);
    if (i === undefined) return false;
    this.abandon(uuid);
    const use = consumptionOf(flavor);
    this.table.consume(i, use);
    this.placements.set(uuid, { host: i, use, groupId, pending: true });
    this.addPending(i, 1);
    this.touch(i);
    if (groupId) this.addMember(groupId, uuid, i);
    return true;
  }

  /** A placement changes consumer (claims.moveAllocations): same host, same use, new key. */
  rekey(from: string, to: string): void {
    const p = this.placements.get(from);
    if (!p) return;
    this.placements.delete(from);
    this.placements.set(to, { ...p, groupId: null });
    this.dropMember(from, p.groupId);
  }

  /** A claim was freed in the database (claims.release): the instance no longer counts anywhere. */
  released(uuid: string, nodeIds: readonly number[]): void {
    this.releasedAt.set(uuid, Date.now());
    const p = this.placements.get(uuid);
    if (p) {
      this.abandon(uuid);
      return;
    }
    this.dropMember(uuid, null);
    // Claimed by another controller (or before this one loaded): read those hosts again.
    for (const nodeId of nodeIds) {
      const i = this.hostOfNode(nodeId);
      if (i !== undefined) void this.refreshHost(this.table.names[i]!).catch(() => undefined);
    }
  }
}

function parseStringRecord(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  } catch {
    return {};
  }
}

const globalForCache = globalThis as unknown as { stratusHostStateCache?: HostStateCache };

/** This controller's scheduler state (one per process). */
export function hostStateCache(): HostStateCache {
  return (globalForCache.stratusHostStateCache ??= new HostStateCache());
}

/** The cache if something already started it (agent reports only update a loaded cache). */
export function loadedHostStateCache(): HostStateCache | null {
  return globalForCache.stratusHostStateCache ?? null;
}
