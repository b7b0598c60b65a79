// ServerGroupSoftAffinityWeigher (nova/scheduler/weights/affinity.py): for a soft-affinity group,
// the number of members a host holds — more is better.
import { positionOf } from "../filters/types";
import type { HostWeigher } from "./types";

export const serverGroupSoftAffinityWeigher: HostWeigher = {
  name: "ServerGroupSoftAffinityWeigher",
  minval: null,
  weigh(req, _t, cands, n, out) {
    const g = req.group;
    if (!g || g.policy !== "soft-affinity" || g.counts.size === 0) return false;
    // Most hosts hold no member: zero them all, then place the members' counts.
    out.fill(0, 0, n);
    for (const [h, count] of g.counts) {
      const at = positionOf(cands, n, h);
      if (at >= 0) out[at] = count;
    }
    return true;
  },
};
