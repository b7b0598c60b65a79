// CoreFilter: Placement's VCPU check — used + requested ≤ (vCPUs − reserved) × cpu_allocation_ratio.
import { consumptionOf } from "../request";
import { vcpusFit } from "./capacity";
import type { HostFilter } from "./types";
import { predicateFilter, reason } from "./types";

const NO_VCPUS = reason("vcpus", "without enough vCPUs");

export const coreFilter: HostFilter = {
  name: "CoreFilter",
  oncePerRequest: false,
  prepare(req, t) {
    const want = consumptionOf(req.flavor).vcpus;
    if (want <= 0) return null;
    return predicateFilter((i) => vcpusFit(t, i, want), () => NO_VCPUS);
  },
};
