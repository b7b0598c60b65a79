// Hosts and requests for the scheduler's unit tests: a host record with plain defaults (16 vCPUs,
// 32 GB, 1 TB, Nova's ratios, up and enabled) that a test overrides field by field.
import { FilterScheduler, type SchedulerOptions } from "@/server/scheduler/filter-scheduler";
import { HostTable, type HostRecord } from "@/server/scheduler/host-table";
import { DEFAULT_FILTERS, WEIGHER_MULTIPLIERS, WEIGHER_NAMES } from "@/server/scheduler/names";
import type { FlavorSpec, SchedulingRequest } from "@/server/scheduler/request";

export const NOW = 1_000_000;

export function hostRecord(name: string, over: Partial<HostRecord> = {}): HostRecord {
  const r: HostRecord = {
    name,
    enabled: true,
    disabledReason: null,
    forcedDown: false,
    lastSeenMs: NOW,
    vcpus: 16,
    vcpusUsed: 0,
    memoryMb: 32768,
    memoryMbUsed: 0,
    localGb: 1000,
    localGbUsed: 0,
    freeRamMb: 32768,
    freeDiskMb: 1000 * 1024,
    diskMbUsed: 0,
    reservedHostCpus: 0,
    reservedHostMemoryMb: 0,
    reservedHostDiskMb: 0,
    cpuAllocationRatio: 16,
    ramAllocationRatio: 1.5,
    diskAllocationRatio: 1,
    numInstances: 0,
    numIoOps: 0,
    failedBuilds: 0,
    hypervisorType: "QEMU",
    hypervisorVersion: 6002000,
    hypervisorHostname: name,
    cpuInfo: JSON.stringify({ arch: "x86_64", model: "EPYC", vendor: "AMD" }),
    supportedInstances: [["x86_64", "qemu", "hvm"]],
    stats: {},
    ...over,
  };
  return r;
}

export function tableOf(...hosts: HostRecord[]): HostTable {
  const t = new HostTable();
  for (const h of hosts) t.upsert(h);
  return t;
}

export function options(over: Partial<SchedulerOptions> = {}): SchedulerOptions {
  return {
    filters: [...DEFAULT_FILTERS],
    weighers: WEIGHER_NAMES.map((name) => ({ name, multiplier: WEIGHER_MULTIPLIERS[name].default })),
    hostSubsetSize: 1,
    shuffleBestSameWeighedHosts: false,
    maxAttempts: 3,
    defaultAvailabilityZone: "nova",
    imagePropertiesDefaultArchitecture: null,
    serviceDownTimeMs: 60_000,
    ...over,
  };
}

export const TINY: FlavorSpec = { name: "m1.tiny", vcpus: 1, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} };

let counter = 0;
export function request(over: Partial<SchedulingRequest> & { count?: number } = {}): SchedulingRequest {
  const { count = 1, ...rest } = over;
  return {
    instanceUuids: Array.from({ length: count }, () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`),
    flavor: TINY,
    image: {},
    availabilityZone: null,
    group: null,
    now: NOW,
    ...rest,
  };
}

export function scheduler(t: HostTable, over: Partial<SchedulerOptions> = {}): FilterScheduler {
  return new FilterScheduler(t, options(over), () => 0);
}

/** Names of the hosts that pass one prepared filter, in order. */
export function passing(t: HostTable, f: { filter(c: Int32Array, n: number): number } | null): string[] {
  const cands = Int32Array.from(t.candidates());
  const n = f ? f.filter(cands, cands.length) : cands.length;
  return Array.from(cands.subarray(0, n), (i) => t.names[i]!);
}
