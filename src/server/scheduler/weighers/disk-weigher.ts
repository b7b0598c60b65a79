// DiskWeigher (nova/scheduler/weights/disk.py): free_disk_mb.
import type { HostWeigher } from "./types";

export const diskWeigher: HostWeigher = {
  name: "DiskWeigher",
  minval: 0,
  weigh(_req, t, cands, n, out) {
    const free = t.freeDiskMb;
    for (let j = 0; j < n; j++) out[j] = free[cands[j]!]!;
    return true;
  },
};
