// DiskFilter: Placement's DISK_GB check — used + (root + ephemeral + swap) ≤ (disk − reserved) × disk_allocation_ratio.
import { consumptionOf } from "../request";
import { diskFits } from "./capacity";
import type { HostFilter } from "./types";
import { predicateFilter, reason } from "./types";

const NO_DISK = reason("disk", "without enough disk");

export const diskFilter: HostFilter = {
  name: "DiskFilter",
  oncePerRequest: false,
  prepare(req, t) {
    const want = consumptionOf(req.flavor).diskGb;
    if (want <= 0) return null;
    return predicateFilter((i) => diskFits(t, i, want), () => NO_DISK);
  },
};
