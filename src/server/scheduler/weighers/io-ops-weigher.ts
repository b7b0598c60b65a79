// IoOpsWeigher (nova/scheduler/weights/io_ops.py): num_io_ops, the instances in an I/O-heavy task
// (building, resizing, migrating, snapshotting...); its default multiplier −1.0 prefers idle hosts.
import type { HostWeigher } from "./types";

export const ioOpsWeigher: HostWeigher = {
  name: "IoOpsWeigher",
  minval: 0,
  weigh(_req, t, cands, n, out) {
    const ops = t.numIoOps;
    for (let j = 0; j < n; j++) out[j] = ops[cands[j]!]!;
    return true;
  },
};
