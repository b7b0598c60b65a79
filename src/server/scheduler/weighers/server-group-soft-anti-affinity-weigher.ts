// ServerGroupSoftAntiAffinityWeigher (nova/scheduler/weights/affinity.py): for a soft-anti-affinity
// group, minus the number of members a host holds — fewer is better.
import { positionOf } from "../filters/types";
import type { HostWeigher } from "./types";

export const serverGroupSoftAntiAffinityWeigher: HostWeigher = {
  name: "ServerGroupSoftAntiAffinityWeigher",
  minval: null,
  weigh(req, _t, cands, n, out) {
    const g = req.group;
    if (!g || g.policy !== "soft-anti-affinity" || g.counts.size === 0) return false;
    // Most hosts hold no member: zero them all, then place the members' counts.
    out.fill(-0, 0, n);
    for (const [h, count] of g.counts) {
      const at = positionOf(cands, n, h);
      if (at >= 0) out[at] = -count;
    }
    return true;
  },
};
