// AvailabilityZoneFilter (nova/scheduler/filters/availability_zone_filter.py): with a requested
// zone, a host passes when one of its aggregates names that zone; a host in no zone aggregate is
// in default_availability_zone ("nova").
import type { HostFilter } from "./types";
import { predicateFilter, reason } from "./types";

export const availabilityZoneFilter: HostFilter = {
  name: "AvailabilityZoneFilter",
  oncePerRequest: true,
  prepare(req, t, options) {
    const az = req.availabilityZone;
    if (!az) return null;
    const inDefault = az === options.defaultAvailabilityZone;
    const outside = reason("outside", `outside availability zone ${az}`);
    return predicateFilter(
      (i) => {
        const zones = t.zones[i]!;
        return zones.length === 0 ? inDefault : zones.includes(az);
      },
      () => outside,
    );
  },
};
