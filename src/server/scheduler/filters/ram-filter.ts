// RamFilter: Placement's MEMORY_MB check — used + requested ≤ (memory − reserved) × ram_allocation_ratio.
// (Nova ≤ 19 had a filter of this name; since Pike, Placement does the check and this one does it here.)
import { consumptionOf } from "../request";
import { memoryFits } from "./capacity";
import type { HostFilter } from "./types";
import { predicateFilter, reason } from "./types";

const NO_RAM = reason("ram", "without enough RAM");

export const ramFilter: HostFilter = {
  name: "RamFilter",
  oncePerRequest: false,
  prepare(req, t) {
    const want = consumptionOf(req.flavor).memoryMb;
    if (want <= 0) return null;
    return predicateFilter((i) => memoryFits(t, i, want), () => NO_RAM);
  },
};
