// The explained NoValidHost, the answer Nova's bare "No valid host was found" never gives: every
// host is attributed to the first configured filter that rejects it — with the request's partial
// placement still counted, as the failing instance saw it — and the counts are read out in filter
// order: "No valid host was found. 12 hosts: 9 without enough RAM, 3 already hold a member of
// anti-affinity group web."
import type { FilterOptions, HostFilter, PreparedFilter, Reason } from "./filters";
import type { HostTable } from "./host-table";
import type { SchedulingRequest } from "./request";

export interface ExplanationGroup {
  /** The filter that removed these hosts (or "claims" for hosts whose claim was refused). */
  filter: string;
  key: string;
  text: string;
  hosts: string[];
}

export interface Explanation {
  /** Hosts considered. */
  hosts: number;
  /** 1-based instance of the request that found no host, of `instances`. */
  instance: number;
  instances: number;
  groups: ExplanationGroup[];
  /** One line for the fault and the API. */
  message: string;
  /** The groups with their hosts, one per line (event details, logs). */
  details: string;
}

const SHOWN_HOSTS = 10;
/** Host names in natural order (compute-2 before compute-10), cheaply: shorter first, then by text. */
function byName(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The `count` first names in natural order, without sorting them all (O(n × count)). */
function firstNames(names: string[], count: number): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (out.length === count && byName(n, out[count - 1]!) >= 0) continue;
    let pos = out.length;
    while (pos > 0 && byName(n, out[pos - 1]!) < 0) pos--;
    out.splice(pos, 0, n);
    if (out.length > count) out.pop();
  }
  return out;
}
const CLAIM_REFUSED: Reason = { key: "claims", text: () => "whose claim was refused by a concurrent request" };
const LEFT_OUT: Reason = { key: "earlier", text: () => "left out by an earlier instance of this request" };

export function explain(
  t: HostTable,
  req: SchedulingRequest,
  prepared: readonly { filter: HostFilter; prepared: PreparedFilter | null }[],
  failedInstance: number,
  instances: number,
  _options: FilterOptions,
): Explanation {
  // Grouped by reason object first (filters hand out the same object per reason), names last.
  type Group = { filter: string; key: string; text: (n: number) => string; hosts: number[] };
  const byReason = new Map<unknown, Group>();
  const byKey = new Map<string, Group>();
  const add = (filter: string, why: Reason, host: number) => {
    let g = byReason.get(why);
    if (!g) {
      const id = `${filter}\0${why.key}`;
      g = byKey.get(id);
      if (!g) byKey.set(id, (g = { filter, key: why.key, text: why.text, hosts: [] }));
      byReason.set(why, g);
    }
    g.hosts.push(host);
  };
  const candidates = t.candidates();
  const considered = candidates.length;
  const ignore = req.ignoreHosts;
  for (const i of candidates) {
    if (ignore?.has(i)) {
      add("claims", CLAIM_REFUSED, i);
      continue;
    }
    let why: Reason | null = null;
    let by = "scheduler";
    for (const { filter, prepared: p } of prepared) {
      why = p ? p.reason(i) : null;
      if (why) {
        by = filter.name;
        break;
      }
    }
    add(by, why ?? LEFT_OUT, i);
  }
  const list: ExplanationGroup[] = [...byKey.values()].map((g) => ({
    filter: g.filter,
    key: g.key,
    text: g.text(g.hosts.length),
    hosts: g.hosts.map((i) => t.names[i]!),
  }));
  const which = instances > 1 ? ` for instance ${failedInstance + 1} of ${instances}` : "";
  let message: string;
  if (considered === 0) {
    message = `No valid host was found${which}. There are no compute hosts.`;
  } else {
    const parts = list.map((g) => `${g.hosts.length} ${g.text}`).join(", ");
    message = `No valid host was found${which}. ${considered} ${considered === 1 ? "host" : "hosts"}: ${parts}.`;
  }
  const details = list
    .map((g) => {
      const shown = firstNames(g.hosts, SHOWN_HOSTS).join(", ");
      const more = g.hosts.length > SHOWN_HOSTS ? `, … (${g.hosts.length - SHOWN_HOSTS} more)` : "";
      return `${g.filter}: ${g.hosts.length} ${g.text}: ${shown}${more}`;
    })
    .join("\n");
  return { hosts: considered, instance: failedInstance + 1, instances, groups: list, message, details };
}
