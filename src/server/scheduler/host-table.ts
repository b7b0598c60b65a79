// The scheduler's view of every compute host, held in memory as columns (one typed array per
// field), so a filter or weigher walks thousands of hosts without allocating. Hosts keep their
// index for life; a removed host is only marked absent. The table is updated incrementally — by
// agent reports, claims and the scheduler's own consumption — and never rebuilt per request.
import { PyFloat } from "./python";

/** One compute host as the scheduler needs it (Nova's HostState fields). */
export interface HostRecord {
  name: string;
  /** Compute service enabled (not `disabled`). */
  enabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  /** Last heartbeat (Nova's last_seen_up, else created_at), epoch ms. */
  lastSeenMs: number;
  vcpus: number;
  vcpusUsed: number;
  memoryMb: number;
  /** RAM claimed by allocations (Placement's usage), MB. */
  memoryMbUsed: number;
  localGb: number;
  /** Disk claimed by allocations (Placement's usage), GB. */
  localGbUsed: number;
  /** Nova's free_ram_mb and free_disk_mb, which the weighers read and consumption lowers. */
  freeRamMb: number;
  freeDiskMb: number;
  /** Nova's disk_mb_used as the compute node last reported it. */
  diskMbUsed: number;
  reservedHostCpus: number;
  reservedHostMemoryMb: number;
  reservedHostDiskMb: number;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  numInstances: number;
  numIoOps: number;
  failedBuilds: number;
  hypervisorType: string;
  /** Nova's packed integer: major × 1,000,000 + minor × 1,000 + micro. */
  hypervisorVersion: number;
  hypervisorHostname: string;
  /** cpu_info as the compute node stores it: a JSON text. */
  cpuInfo: string;
  /** [arch, hv_type, vm_mode] triples, canonical. */
  supportedInstances: string[][];
  /** The compute node's stats (strings), as Nova's HostState.stats. */
  stats: Record<string, string>;
}

/** A host aggregate as the scheduler sees it: its hosts, its zone and its metadata. */
export interface AggregateRecord {
  hosts: readonly string[];
  availabilityZone: string | null;
  metadata: Record<string, string>;
}

/** What one instance takes from a host. */
export interface Consumption {
  vcpus: number;
  memoryMb: number;
  /** Claimed disk (root + ephemeral + swap), GB: the capacity counters. */
  diskGb: number;
  /** Nova's consume_from_request lowers free_disk_mb by (root + ephemeral) × 1024 only. */
  freeDiskMb: number;
}

type NumericField =
  | "vcpus"
  | "vcpusUsed"
  | "memoryMb"
  | "memoryMbUsed"
  | "localGb"
  | "localGbUsed"
  | "freeRamMb"
  | "freeDiskMb"
  | "diskMbUsed"
  | "reservedHostCpus"
  | "reservedHostMemoryMb"
  | "reservedHostDiskMb"
  | "cpuAllocationRatio"
  | "ramAllocationRatio"
  | "diskAllocationRatio"
  | "numInstances"
  | "numIoOps"
  | "failedBuilds"
  | "hypervisorVersion"
  | "lastSeenMs";

const NUMERIC_FIELDS: readonly NumericField[] = [
  "vcpus",
  "vcpusUsed",
  "memoryMb",
  "memoryMbUsed",
  "localGb",
  "localGbUsed",
  "freeRamMb",
  "freeDiskMb",
  "diskMbUsed",
  "reservedHostCpus",
  "reservedHostMemoryMb",
  "reservedHostDiskMb",
  "cpuAllocationRatio",
  "ramAllocationRatio",
  "diskAllocationRatio",
  "numInstances",
  "numIoOps",
  "failedBuilds",
  "hypervisorVersion",
  "lastSeenMs",
];

/** Fields whose change invalidates cached filter results (they never change by consumption). */
const STATIC_NUMERIC: ReadonlySet<NumericField> = new Set([
  "vcpus",
  "memoryMb",
  "localGb",
  "diskMbUsed",
  "reservedHostCpus",
  "reservedHostMemoryMb",
  "reservedHostDiskMb",
  "cpuAllocationRatio",
  "ramAllocationRatio",
  "diskAllocationRatio",
  "hypervisorVersion",
]);

export class HostTable {
  size = 0;
  private capacity = 0;
  readonly names: string[] = [];
  readonly index = new Map<string, number>();
  present = new Uint8Array(0);
  enabled = new Uint8Array(0);
  forcedDown = new Uint8Array(0);
  readonly disabledReason: (string | null)[] = [];
  vcpus = new Float64Array(0);
  vcpusUsed = new Float64Array(0);
  memoryMb = new Float64Array(0);
  memoryMbUsed = new Float64Array(0);
  localGb = new Float64Array(0);
  localGbUsed = new Float64Array(0);
  freeRamMb = new Float64Array(0);
  freeDiskMb = new Float64Array(0);
  diskMbUsed = new Float64Array(0);
  reservedHostCpus = new Float64Array(0);
  reservedHostMemoryMb = new Float64Array(0);
  reservedHostDiskMb = new Float64Array(0);
  cpuAllocationRatio = new Float64Array(0);
  ramAllocationRatio = new Float64Array(0);
  diskAllocationRatio = new Float64Array(0);
  numInstances = new Float64Array(0);
  numIoOps = new Float64Array(0);
  failedBuilds = new Float64Array(0);
  hypervisorVersion = new Float64Array(0);
  lastSeenMs = new Float64Array(0);
  readonly hypervisorType: string[] = [];
  readonly hypervisorHostname: string[] = [];
  readonly cpuInfo: string[] = [];
  /** cpu_info parsed once per change (undefined: not JSON), for capabilities inside it. */
  readonly cpuInfoParsed: unknown[] = [];
  readonly supportedInstances: string[][][] = [];
  readonly stats: Record<string, string>[] = [];
  /** Availability zones of each host (from its aggregates); empty: the default zone. */
  readonly zones: string[][] = [];
  /** Metadata of each aggregate the host is in (weight multiplier overrides). */
  readonly aggregateMetadata: Record<string, string>[][] = [];

  /** Keys that appear in some aggregate's metadata (weight multiplier overrides to look for). */
  metadataKeys = new Set<string>();
  /** Bumped whenever a host's static data changes (capabilities, image support). */
  staticVersion = 0;
  /**
   * Cached filter results on static data, one byte per host (-1 unknown, 0 fails, 1 passes), by
   * what they check; a host's static change resets its byte in every memo.
   */
  private readonly memos = new Map<string, Int8Array>();
  /** Bumped when hosts are added or removed. */
  membershipVersion = 0;
  private candidateCache: Int32Array | null = null;

  private grow(min: number): void {
    if (min <= this.capacity) return;
    const cap = Math.max(16, min, this.capacity * 2);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.present = u8(this.present);
    this.enabled = u8(this.enabled);
    this.forcedDown = u8(this.forcedDown);
    for (const f of NUMERIC_FIELDS) this[f] = f64(this[f]);
    this.capacity = cap;
  }

  /** Adds a host or replaces all of its fields; returns its index. */
  upsert(r: HostRecord): number {
    let i = this.index.get(r.name);
    if (i === undefined) {
      i = this.size++;
      this.grow(this.size);
      this.names[i] = r.name;
      this.index.set(r.name, i);
      this.zones[i] = [];
      this.aggregateMetadata[i] = [];
    }
    if (!this.present[i]) {
      this.present[i] = 1;
      this.membershipVersion++;
      this.candidateCache = null;
    }
    this.enabled[i] = r.enabled ? 1 : 0;
    this.forcedDown[i] = r.forcedDown ? 1 : 0;
    this.disabledReason[i] = r.disabledReason;
    for (const f of NUMERIC_FIELDS) this[f][i] = r[f];
    this.hypervisorType[i] = r.hypervisorType;
    this.hypervisorHostname[i] = r.hypervisorHostname;
    this.setCpuInfo(i, r.cpuInfo);
    this.supportedInstances[i] = r.supportedInstances;
    this.stats[i] = r.stats;
    this.staticChanged(i);
    return i;
  }

  /** Changes some fields of a known host; static changes invalidate cached filter results. */
  patch(i: number, p: Partial<HostRecord>): void {
    let staticChange = false;
    for (const f of NUMERIC_FIELDS) {
      const v = p[f];
      if (v === undefined || this[f][i] === v) continue;
      this[f][i] = v;
      if (STATIC_NUMERIC.has(f)) staticChange = true;
    }
    if (p.enabled !== undefined) this.enabled[i] = p.enabled ? 1 : 0;
    if (p.forcedDown !== undefined) this.forcedDown[i] = p.forcedDown ? 1 : 0;
    if (p.disabledReason !== undefined) this.disabledReason[i] = p.disabledReason;
    if (p.hypervisorType !== undefined && p.hypervisorType !== this.hypervisorType[i]) {
      this.hypervisorType[i] = p.hypervisorType;
      staticChange = true;
    }
    if (p.hypervisorHostname !== undefined && p.hypervisorHostname !== this.hypervisorHostname[i]) {
      this.hypervisorHostname[i] = p.hypervisorHostname;
      staticChange = true;
    }
    if (p.cpuInfo !== undefined && p.cpuInfo !== this.cpuInfo[i]) {
      this.setCpuInfo(i, p.cpuInfo);
      staticChange = true;
    }
    if (p.supportedInstances !== undefined) {
      this.supportedInstances[i] = p.supportedInstances;
      staticChange = true;
    }
    if (p.stats !== undefined) {
      this.stats[i] = p.stats;
      staticChange = true;
    }
    if (staticChange) this.staticChanged(i);
  }

  private setCpuInfo(i: number, text: string): void {
    this.cpuInfo[i] = text;
    try {
      this.cpuInfoParsed[i] = JSON.parse(text) as unknown;
    } catch {
      this.cpuInfoParsed[i] = undefined;
    }
  }

  private staticChanged(i: number): void {
    this.staticVersion++;
    for (const memo of this.memos.values()) if (i < memo.length) memo[i] = -1;
  }

  /** The memo of one static check (see `memos`), grown to the table's size. */
  memo(key: string): Int8Array {
    let arr = this.memos.get(key);
    if (!arr || arr.length < this.size) {
      const next = new Int8Array(Math.max(16, this.size * 2)).fill(-1);
      if (arr) next.set(arr);
      arr = next;
      if (this.memos.size >= 1000) this.memos.clear(); // many distinct flavors: start over
      this.memos.set(key, arr);
    }
    return arr;
  }

  remove(name: string): void {
    const i = this.index.get(name);
    if (i === undefined || !this.present[i]) return;
    this.present[i] = 0;
    this.membershipVersion++;
    this.candidateCache = null;
  }

  /** Replaces every host's zones and aggregate metadata. */
  setAggregates(aggregates: readonly AggregateRecord[]): void {
    this.metadataKeys = new Set(aggregates.flatMap((a) => Object.keys(a.metadata)));
    for (let i = 0; i < this.size; i++) {
      this.zones[i] = [];
      this.aggregateMetadata[i] = [];
    }
    for (const a of aggregates) {
      for (const host of a.hosts) {
        const i = this.index.get(host);
        if (i === undefined) continue;
        if (a.availabilityZone && !this.zones[i]!.includes(a.availabilityZone)) this.zones[i]!.push(a.availabilityZone);
        this.aggregateMetadata[i]!.push(a.metadata);
      }
    }
    this.staticVersion++;
  }

  /** The indices of present hosts in table order (shared: callers copy before changing it). */
  candidates(): Int32Array {
    if (!this.candidateCache) {
      const out: number[] = [];
      for (let i = 0; i < this.size; i++) if (this.present[i]) out.push(i);
      this.candidateCache = Int32Array.from(out);
    }
    return this.candidateCache;
  }

  /** Nova's consume_from_request, plus the claim counters. */
  consume(i: number, c: Consumption): void {
    this.vcpusUsed[i]! += c.vcpus;
    this.memoryMbUsed[i]! += c.memoryMb;
    this.localGbUsed[i]! += c.diskGb;
    this.freeRamMb[i]! -= c.memoryMb;
    this.freeDiskMb[i]! -= c.freeDiskMb;
    this.numInstances[i]! += 1;
    this.numIoOps[i]! += 1;
  }

  /** Gives back what consume() took. */
  unconsume(i: number, c: Consumption): void {
    this.vcpusUsed[i]! -= c.vcpus;
    this.memoryMbUsed[i]! -= c.memoryMb;
    this.localGbUsed[i]! -= c.diskGb;
    this.freeRamMb[i]! += c.memoryMb;
    this.freeDiskMb[i]! += c.freeDiskMb;
    this.numInstances[i]! -= 1;
    this.numIoOps[i]! -= 1;
  }

  /** A host as a plain record (API views, tests). */
  record(i: number): HostRecord {
    const r = {
      name: this.names[i]!,
      enabled: this.enabled[i] === 1,
      disabledReason: this.disabledReason[i] ?? null,
      forcedDown: this.forcedDown[i] === 1,
      hypervisorType: this.hypervisorType[i]!,
      hypervisorHostname: this.hypervisorHostname[i]!,
      cpuInfo: this.cpuInfo[i]!,
      supportedInstances: this.supportedInstances[i]!,
      stats: this.stats[i]!,
    } as HostRecord;
    for (const f of NUMERIC_FIELDS) r[f] = this[f][i]!;
    return r;
  }

  /**
   * A HostState attribute by Nova's name, for ComputeCapabilitiesFilter (undefined: no such
   * attribute). Floats Nova holds as floats come back as PyFloat so they print as Python would.
   */
  attribute(i: number, name: string): unknown {
    switch (name) {
      case "host":
      case "nodename":
        return this.names[i];
      case "hypervisor_hostname":
        return this.hypervisorHostname[i];
      case "hypervisor_type":
        return this.hypervisorType[i];
      case "hypervisor_version":
        return this.hypervisorVersion[i];
      case "cpu_info":
        return this.cpuInfo[i];
      case "supported_instances":
        return this.supportedInstances[i];
      case "stats":
        return this.stats[i];
      case "vcpus_total":
        return this.vcpus[i];
      case "vcpus_used":
        return this.vcpusUsed[i];
      case "free_ram_mb":
        return this.freeRamMb[i];
      case "free_disk_mb":
        return this.freeDiskMb[i];
      case "total_usable_ram_mb":
        return this.memoryMb[i];
      case "total_usable_disk_gb":
        return this.localGb[i];
      case "disk_mb_used":
        return this.diskMbUsed[i];
      case "num_instances":
        return this.numInstances[i];
      case "num_io_ops":
        return this.numIoOps[i];
      case "failed_builds":
        return this.failedBuilds[i];
      case "cpu_allocation_ratio":
        return new PyFloat(this.cpuAllocationRatio[i]!);
      case "ram_allocation_ratio":
        return new PyFloat(this.ramAllocationRatio[i]!);
      case "disk_allocation_ratio":
        return new PyFloat(this.diskAllocationRatio[i]!);
      case "limits":
        return {};
      default:
        return undefined;
    }
  }
}

/** Attributes whose value consumption changes: capability results on them are never cached. */
export const DYNAMIC_ATTRIBUTES: ReadonlySet<string> = new Set([
  "vcpus_used",
  "free_ram_mb",
  "free_disk_mb",
  "num_instances",
  "num_io_ops",
  "failed_builds",
]);
