// Every filter by its configuration name. Each lives in its own module; the scheduler runs the
// configured ones in order.
import type { FilterName } from "../names";
import { availabilityZoneFilter } from "./availability-zone-filter";
import { computeCapabilitiesFilter } from "./compute-capabilities-filter";
import { computeFilter } from "./compute-filter";
import { coreFilter } from "./core-filter";
import { diskFilter } from "./disk-filter";
import { imagePropertiesFilter } from "./image-properties-filter";
import { ramFilter } from "./ram-filter";
import { serverGroupAffinityFilter } from "./server-group-affinity-filter";
import { serverGroupAntiAffinityFilter } from "./server-group-anti-affinity-filter";
import type { HostFilter } from "./types";

export const FILTERS: Record<FilterName, HostFilter> = {
  AvailabilityZoneFilter: availabilityZoneFilter,
  ComputeFilter: computeFilter,
  RamFilter: ramFilter,
  CoreFilter: coreFilter,
  DiskFilter: diskFilter,
  ComputeCapabilitiesFilter: computeCapabilitiesFilter,
  ImagePropertiesFilter: imagePropertiesFilter,
  ServerGroupAntiAffinityFilter: serverGroupAntiAffinityFilter,
  ServerGroupAffinityFilter: serverGroupAffinityFilter,
};

export type { FilterOptions, HostFilter, PreparedFilter, Reason } from "./types";
