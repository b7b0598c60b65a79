// ComputeFilter (nova/scheduler/filters/compute_filter.py): a host passes when its compute service
// is enabled and up — heard from within service_down_time (either clock direction) and not forced
// down.
import type { HostFilter } from "./types";
import { reason } from "./types";

const DISABLED = reason("disabled", "with the compute service disabled");
const DOWN = reason("down", "with the compute service down");

export const computeFilter: HostFilter = {
  name: "ComputeFilter",
  oncePerRequest: true,
  prepare(req, t, options) {
    const now = req.now;
    const window = options.serviceDownTimeMs;
    const { enabled, forcedDown, lastSeenMs } = t;
    return {
      filter(cands, n) {
        let k = 0;
        for (let j = 0; j < n; j++) {
          const i = cands[j]!;
          if (enabled[i] === 1 && forcedDown[i] === 0 && Math.abs(now - lastSeenMs[i]!) <= window) cands[k++] = i;
        }
        return k;
      },
      reason(i) {
        if (enabled[i] !== 1) return DISABLED;
        return forcedDown[i] === 0 && Math.abs(now - lastSeenMs[i]!) <= window ? null : DOWN;
      },
    };
  },
};
