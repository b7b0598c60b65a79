// ServerGroupAntiAffinityFilter (nova/scheduler/filters/affinity_filter.py): for a group with policy
// anti-affinity, a host passes while it holds fewer than max_server_per_host members (rule, default 1),
// or when the instance being placed already runs there.
import type { HostFilter } from "./types";
import { positionOf, removePositions } from "./types";

export const serverGroupAntiAffinityFilter: HostFilter = {
  name: "ServerGroupAntiAffinityFilter",
  oncePerRequest: false,
  prepare(req) {
    const g = req.group;
    if (!g || g.policy !== "anti-affinity") return null;
    const max = g.maxServerPerHost;
    const why = {
      key: "anti-affinity",
      text: (n: number) =>
        max === 1
          ? `already ${n === 1 ? "holds" : "hold"} a member of anti-affinity group ${g.name}`
          : `already ${n === 1 ? "holds" : "hold"} ${max} members of anti-affinity group ${g.name} (max_server_per_host ${max})`,
    };
    const passes = (i: number) => i === g.currentHost || g.count(i) < max;
    return {
      // Only hosts holding members can fail: find those among the candidates, not the other way.
      filter(cands, n) {
        const drop: number[] = [];
        for (const h of g.counts.keys()) {
          if (passes(h)) continue;
          const at = positionOf(cands, n, h);
          if (at >= 0) drop.push(at);
        }
        return removePositions(cands, n, drop);
      },
      reason: (i) => (passes(i) ? null : why),
    };
  },
};
