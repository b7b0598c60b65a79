// A Nova benchmark scenario as Stratus's scheduler sees it: the hosts become the in-memory host
// table (the one the controller keeps), each request a SchedulingRequest, and the instance → host
// index carries placed instances from request to request (Nova's HostState.instances).
import { FilterScheduler, type SchedulerOptions } from "@/server/scheduler/filter-scheduler";
import { HostTable, type HostRecord } from "@/server/scheduler/host-table";
import { isFilterName, isWeigherName, type FilterName, type WeigherName } from "@/server/scheduler/names";
import { pyJsonDumps } from "@/server/scheduler/python";
import { GroupPlacement, SERVER_GROUP_POLICIES, type SchedulingRequest, type ServerGroupPolicy } from "@/server/scheduler/request";
import type { Scenario, ScenarioHost, ScenarioRequest } from "./scenario";

/** The clock of the benchmark: hosts that are up heard from "now", hosts that are down never. */
export const NOW = 0;

export function schedulerOptions(s: Scenario): SchedulerOptions {
  const c = s.config;
  const filters = c.enabled_filters.map((name): FilterName => {
    if (!isFilterName(name)) throw new Error(`scenario ${s.name}: filter ${name} is not one of Stratus's filters`);
    return name;
  });
  const weighers = c.weighers.map(({ name, multiplier }): { name: WeigherName; multiplier: number } => {
    if (!isWeigherName(name)) throw new Error(`scenario ${s.name}: weigher ${name} is not one of Stratus's weighers`);
    return { name, multiplier: Number(multiplier) };
  });
  return {
    filters,
    weighers,
    hostSubsetSize: c.host_subset_size,
    shuffleBestSameWeighedHosts: c.shuffle_best_same_weighed_hosts,
    maxAttempts: c.max_attempts,
    defaultAvailabilityZone: c.default_availability_zone ?? "nova",
    imagePropertiesDefaultArchitecture: c.image_properties_default_architecture ?? null,
    serviceDownTimeMs: (c.service_down_time ?? 60) * 1000,
  };
}

function hostRecord(h: ScenarioHost, defaults: Scenario["config"]["allocation_ratios"]): HostRecord {
  const ratios = { ...defaults, ...(h.allocation_ratios ?? {}) };
  const least = h.disk_available_least;
  const freeGb = least === null || least === undefined ? h.free_disk_gb : Math.min(least, h.free_disk_gb);
  return {
    name: h.name,
    enabled: h.enabled ?? true,
    disabledReason: h.disabled_reason ?? null,
    forcedDown: false,
    lastSeenMs: (h.up ?? true) ? NOW : -Infinity,
    vcpus: h.vcpus,
    vcpusUsed: h.vcpus_used,
    memoryMb: h.memory_mb,
    memoryMbUsed: h.memory_mb_used,
    localGb: h.local_gb,
    localGbUsed: h.local_gb_used,
    freeRamMb: h.free_ram_mb,
    freeDiskMb: freeGb * 1024,
    diskMbUsed: h.local_gb_used * 1024,
    reservedHostCpus: 0,
    reservedHostMemoryMb: 0,
    reservedHostDiskMb: 0,
    cpuAllocationRatio: Number(ratios.cpu),
    ramAllocationRatio: Number(ratios.ram),
    diskAllocationRatio: Number(ratios.disk),
    numInstances: h.num_instances,
    numIoOps: h.num_io_ops,
    failedBuilds: h.failed_builds,
    hypervisorType: h.hypervisor_type,
    hypervisorVersion: h.hypervisor_version,
    hypervisorHostname: h.name,
    cpuInfo: pyJsonDumps(h.cpu_info),
    supportedInstances: h.supported_instances,
    stats: { num_instances: String(h.num_instances), io_workload: String(h.num_io_ops), failed_builds: String(h.failed_builds) },
  };
}

export interface BenchWorld {
  scenario: Scenario;
  table: HostTable;
  scheduler: FilterScheduler;
  /** Where each known instance runs (host index). */
  instanceHost: Map<string, number>;
}

/** `decisions`: host_subset_size 1 and no shuffling, whatever the scenario says (Nova's decision rules). */
export function buildWorld(s: Scenario, { decisions = false } = {}): BenchWorld {
  const table = new HostTable();
  const instanceHost = new Map<string, number>();
  const zones = new Map<string, string[]>();
  for (const h of s.hosts) {
    const i = table.upsert(hostRecord(h, s.config.allocation_ratios));
    for (const u of h.instances ?? []) instanceHost.set(u, i);
    if (h.availability_zone) {
      const list = zones.get(h.availability_zone) ?? [];
      list.push(h.name);
      zones.set(h.availability_zone, list);
    }
  }
  table.setAggregates([...zones].map(([az, hosts]) => ({ hosts, availabilityZone: az, metadata: { availability_zone: az } })));
  const options = schedulerOptions(s);
  if (decisions) Object.assign(options, { hostSubsetSize: 1, shuffleBestSameWeighedHosts: false });
  // A fixed "random" choice: the first of the best host_subset_size, as Nova's decisions take.
  const scheduler = new FilterScheduler(table, options, () => 0);
  return { scenario: s, table, scheduler, instanceHost };
}

/** The request as the controller's conductor would build it, with its group's current placement. */
export function schedulingRequest(w: BenchWorld, r: ScenarioRequest): SchedulingRequest {
  let group: GroupPlacement | null = null;
  const g = r.server_group;
  if (g) {
    if (!(SERVER_GROUP_POLICIES as readonly string[]).includes(g.policy)) throw new Error(`${r.id}: unknown policy ${g.policy}`);
    const max = g.rules?.max_server_per_host;
    group = new GroupPlacement(g.name, g.policy as ServerGroupPolicy, max === undefined ? 1 : Number(max));
    for (const u of g.members) {
      const h = w.instanceHost.get(u);
      if (h !== undefined) group.add(h, false);
    }
    for (const name of g.hosts) {
      const h = w.table.index.get(name);
      if (h !== undefined) group.hosts.add(h);
    }
  }
  const f = r.flavor;
  return {
    instanceUuids: r.instance_uuids,
    flavor: {
      name: f.name,
      vcpus: f.vcpus,
      memoryMb: f.memory_mb,
      rootGb: f.root_gb,
      ephemeralGb: f.ephemeral_gb ?? 0,
      swapMb: f.swap ?? 0,
      extraSpecs: f.extra_specs ?? {},
    },
    image: r.image_properties ?? {},
    availabilityZone: r.availability_zone ?? null,
    group,
    now: NOW,
  };
}

/** The state scheduling changes (consumption and placed instances), to undo a warm-up. */
export function snapshot(w: BenchWorld): () => void {
  const t = w.table;
  const fields = ["vcpusUsed", "memoryMbUsed", "localGbUsed", "freeRamMb", "freeDiskMb", "numInstances", "numIoOps"] as const;
  const saved = fields.map((f) => t[f].slice());
  const instances = new Map(w.instanceHost);
  return () => {
    fields.forEach((f, k) => t[f].set(saved[k]!));
    w.instanceHost.clear();
    for (const [u, h] of instances) w.instanceHost.set(u, h);
  };
}
