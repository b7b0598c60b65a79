// BuildFailureWeigher (nova/scheduler/weights/compute.py): failed_builds, with the multiplier
// negated (default 1,000,000), so after normalisation any host with a recent failure loses up to 10⁶.
import type { HostWeigher } from "./types";

export const buildFailureWeigher: HostWeigher = {
  name: "BuildFailureWeigher",
  minval: null,
  negateMultiplier: true,
  weigh(_req, t, cands, n, out) {
    const failed = t.failedBuilds;
    let any = false;
    for (let j = 0; j < n; j++) {
      const v = failed[cands[j]!]!;
      out[j] = v;
      if (v !== 0) any = true;
    }
    return any;
  },
};
