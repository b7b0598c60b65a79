// ServerGroupAffinityFilter (nova/scheduler/filters/affinity_filter.py): for a group with policy
// affinity whose members already run somewhere, only those hosts pass; the first member goes anywhere.
import type { HostFilter } from "./types";
import { positionOf, reason } from "./types";

export const serverGroupAffinityFilter: HostFilter = {
  name: "ServerGroupAffinityFilter",
  oncePerRequest: false,
  prepare(req) {
    const g = req.group;
    if (!g || g.policy !== "affinity") return null;
    const why = reason("affinity", `not hosting affinity group ${g.name}`);
    // Read at filter time: a multi-create adds the host of its first member before the second.
    return {
      // The group's few hosts that are candidates, in candidate order.
      filter(cands, n) {
        if (g.hosts.size === 0) return n;
        const keep: number[] = [];
        for (const h of g.hosts) if (positionOf(cands, n, h) >= 0) keep.push(h);
        keep.sort((a, b) => a - b);
        cands.set(keep);
        return keep.length;
      },
      reason: (i) => (g.hosts.size === 0 || g.hosts.has(i) ? null : why),
    };
  },
};
