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
// the read began, so a refresh can never undo a pick. The reads themselves are in
// host-state-reads.ts, the server group members in group-members.ts.
import { config, type SchedulerConfig } from "@/server/config";
import { getLogger } from "@/server/logs/logger";
import { FilterScheduler, type ScheduleResult } from "./filter-scheduler";
import { GroupMembers, type GroupMember } from "./group-members";
import { hostRecord, readAggregates, readAllocations, readGroupMembers, readNodes, readWorkload, type NodeRow } from "./host-state-reads";
import { HostTable, type Consumption, type HostRecord } from "./host-table";
import { consumptionOf, GroupPlacement, type FlavorSpec, type ServerGroupPolicy } from "./request";

const log = getLogger("stratus.scheduler.host_manager");

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
  private readonly members = new GroupMembers();
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
    const allocations = await readAllocations();
    for (const a of allocations) {
      const host = this.hostOfNode(a.nodeId);
      if (host === undefined) continue;
      this.placements.set(a.consumerId, { host, use: a.use, groupId: null, pending: false });
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
    const records = await readAggregates();
    const signature = JSON.stringify([records, this.table.size]);
    if (signature === this.aggregateSignature) return;
    this.aggregateSignature = signature;
    this.table.setAggregates(records);
  }

  /** Instances and I/O-heavy tasks per host (Nova's num_instances and io_workload stats). */
  private async syncWorkload(): Promise<void> {
    const { instances, io } = await readWorkload();
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
    const rows = await readGroupMembers();
    const found: GroupMember[] = [];
    for (const r of rows) {
      const i = this.table.index.get(r.host);
      if (i !== undefined) found.push({ uuid: r.uuid, groupId: r.groupId, host: i });
    }
    // Picks of this process whose host is not in the database yet stay.
    for (const [uuid, p] of this.placements) if (p.groupId && p.pending) found.push({ uuid, groupId: p.groupId, host: p.host });
    this.members.replace(found, started);
  }

  /** The periodic sync (every report interval): services, nodes, zones, workload, groups. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        await this.syncNodes();
        await this.syncAggregates();
        await this.syncWorkload();
        await this.syncGroups();
        this.members.forgetReleasedBefore(Date.now() - 10 * config.reportIntervalMs);
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
    for (const host of this.members.hostsOf(group.id)) g.add(host);
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
      if (req.group) this.members.add(req.group.id, s.instanceUuid, s.host);
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
    this.members.drop(uuid, p.groupId);
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
    if (groupId) this.members.add(groupId, uuid, i);
    return true;
  }

  /** A placement changes consumer (claims.moveAllocations): same host, same use, new key. */
  rekey(from: string, to: string): void {
    const p = this.placements.get(from);
    if (!p) return;
    this.placements.delete(from);
    this.placements.set(to, { ...p, groupId: null });
    this.members.drop(from, p.groupId);
  }

  /** A claim was freed in the database (claims.release): the instance no longer counts anywhere. */
  released(uuid: string, nodeIds: readonly number[]): void {
    this.members.released(uuid, Date.now());
    const p = this.placements.get(uuid);
    if (p) {
      this.abandon(uuid);
      return;
    }
    this.members.drop(uuid, null);
    // Claimed by another controller (or before this one loaded): read those hosts again.
    for (const nodeId of nodeIds) {
      const i = this.hostOfNode(nodeId);
      if (i !== undefined) void this.refreshHost(this.table.names[i]!).catch(() => undefined);
    }
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
