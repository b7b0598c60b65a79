// The names the scheduler configuration may use: filters (Nova's enabled_filters) and weighers
// (Nova's weight_classes) with the Nova option that holds each weigher's multiplier. Kept free of
// imports so the configuration can validate names without loading the scheduler.

/** Every filter the scheduler has, by the name operators put in the configuration. */
export const FILTER_NAMES = [
  "AvailabilityZoneFilter",
  "ComputeFilter",
  "RamFilter",
  "CoreFilter",
  "DiskFilter",
  "ComputeCapabilitiesFilter",
  "ImagePropertiesFilter",
  "ServerGroupAntiAffinityFilter",
  "ServerGroupAffinityFilter",
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/**
 * Stratus's default order: cheap and most restrictive first. Nova 26's defaults are ComputeFilter,
 * ComputeCapabilitiesFilter, ImagePropertiesFilter and the two server-group filters, with
 * Placement's capacity check before them; RamFilter, CoreFilter and DiskFilter do that check here.
 */
export const DEFAULT_FILTERS: readonly FilterName[] = [
  "AvailabilityZoneFilter",
  "ComputeFilter",
  "RamFilter",
  "CoreFilter",
  "DiskFilter",
  "ComputeCapabilitiesFilter",
  "ImagePropertiesFilter",
  "ServerGroupAntiAffinityFilter",
  "ServerGroupAffinityFilter",
];

/** Nova 26's ten weighers, in the order of its documentation (the order of the weight sum). */
export const WEIGHER_NAMES = [
  "RAMWeigher",
  "CPUWeigher",
  "DiskWeigher",
  "MetricsWeigher",
  "IoOpsWeigher",
  "PCIWeigher",
  "ServerGroupSoftAffinityWeigher",
  "ServerGroupSoftAntiAffinityWeigher",
  "BuildFailureWeigher",
  "CrossCellWeigher",
] as const;
export type WeigherName = (typeof WEIGHER_NAMES)[number];

/** The Nova option (and aggregate metadata key) of each weigher's multiplier, with Nova's default. */
export const WEIGHER_MULTIPLIERS: Record<WeigherName, { option: string; default: number; min?: number }> = {
  RAMWeigher: { option: "ram_weight_multiplier", default: 1.0 },
  CPUWeigher: { option: "cpu_weight_multiplier", default: 1.0 },
  DiskWeigher: { option: "disk_weight_multiplier", default: 1.0 },
  MetricsWeigher: { option: "metrics_weight_multiplier", default: 1.0 },
  IoOpsWeigher: { option: "io_ops_weight_multiplier", default: -1.0 },
  PCIWeigher: { option: "pci_weight_multiplier", default: 1.0, min: 0 },
  ServerGroupSoftAffinityWeigher: { option: "soft_affinity_weight_multiplier", default: 1.0, min: 0 },
  ServerGroupSoftAntiAffinityWeigher: { option: "soft_anti_affinity_weight_multiplier", default: 1.0, min: 0 },
  BuildFailureWeigher: { option: "build_failure_weight_multiplier", default: 1_000_000.0 },
  CrossCellWeigher: { option: "cross_cell_move_weight_multiplier", default: 1_000_000.0 },
};

export function isFilterName(name: string): name is FilterName {
  return (FILTER_NAMES as readonly string[]).includes(name);
}

export function isWeigherName(name: string): name is WeigherName {
  return (WEIGHER_NAMES as readonly string[]).includes(name);
}
