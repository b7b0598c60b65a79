// RAMWeigher (nova/scheduler/weights/ram.py): free_ram_mb; a positive multiplier spreads, a
// negative one stacks.
import type { HostWeigher } from "./types";

export const ramWeigher: HostWeigher = {
  name: "RAMWeigher",
  minval: 0,
  weigh(_req, t, cands, n, out) {
    const free = t.freeRamMb;
    for (let j = 0; j < n; j++) out[j] = free[cands[j]!]!;
    return true;
  },
};
