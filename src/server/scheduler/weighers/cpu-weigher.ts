// CPUWeigher (nova/scheduler/weights/cpu.py): vcpus_total × cpu_allocation_ratio − vcpus_used.
import type { HostWeigher } from "./types";

export const cpuWeigher: HostWeigher = {
  name: "CPUWeigher",
  minval: 0,
  weigh(_req, t, cands, n, out) {
    const { vcpus, cpuAllocationRatio: ratio, vcpusUsed: used } = t;
    for (let j = 0; j < n; j++) {
      const i = cands[j]!;
      out[j] = vcpus[i]! * ratio[i]! - used[i]!;
    }
    return true;
  },
};
