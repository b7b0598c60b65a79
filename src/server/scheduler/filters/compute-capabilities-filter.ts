// ComputeCapabilitiesFilter (nova/scheduler/filters/compute_capabilities_filter.py): every flavor
// extra spec in the `capabilities:` scope — or with no scope at all, when the host has such an
// attribute or stat — must match the host's capability with Nova's operators. The scope walks
// HostState attributes, then the compute node's stats, parsing JSON text on the way, so
// `capabilities:cpu_info:arch` reads "arch" inside the cpu_info JSON. A missing capability fails.
// Results on static capabilities are cached per host until the host's static data changes.
import { DYNAMIC_ATTRIBUTES, type HostTable } from "../host-table";
import { pyStr } from "../python";
import { matcherFor, type Matcher } from "./extra-specs-ops";
import type { HostFilter, Reason } from "./types";
import { staticMemo } from "./types";

/** HostState attributes Nova has but Stratus does not model: present, always None. */
const OPAQUE_ATTRIBUTES = new Set(["uuid", "pci_stats", "numa_topology", "host_ip", "metrics", "aggregates", "instances", "cell_uuid", "updated", "service"]);

const HOST = Symbol("host");

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && v.constructor === Object;
}

/** Nova's _get_capabilities, then str(): null when the capability is missing. */
export function capabilityOf(t: HostTable, i: number, scope: readonly string[]): string | null {
  const v = capabilityValue(t, i, scope);
  return v === null ? null : pyStr(v);
}

/** Nova's _get_capabilities: the value before str(), null when missing. */
function capabilityValue(t: HostTable, i: number, scope: readonly string[]): unknown {
  let cap: unknown = HOST;
  for (let k = 0; k < scope.length; k++) {
    const name = scope[k]!;
    if (k === 1 && scope[0] === "cpu_info" && typeof cap === "string") {
      cap = t.cpuInfoParsed[i]; // parsed once when the host reported it
      if (cap === undefined) return null;
    } else if (typeof cap === "string") {
      try {
        cap = JSON.parse(cap) as unknown;
      } catch {
        return null;
      }
    }
    if (cap === HOST) {
      let v = OPAQUE_ATTRIBUTES.has(name) ? null : t.attribute(i, name);
      if (v === null || v === undefined) v = Object.hasOwn(t.stats[i]!, name) ? t.stats[i]![name] : null;
      cap = v;
    } else if (isDict(cap)) {
      cap = Object.hasOwn(cap, name) ? cap[name] : null;
    } else {
      return null; // neither a dict nor the host: Nova's getattr(...).stats raises AttributeError
    }
    if (cap === null || cap === undefined) return null;
  }
  return cap;
}

interface Requirement {
  key: string;
  req: string;
  scope: string[];
  /** A key without a scope is checked only on hosts that have it. */
  unscoped: boolean;
  match: Matcher;
  memo: Int8Array | null;
  reason: Reason;
}

function hasAttribute(t: HostTable, i: number, key: string): boolean {
  return OPAQUE_ATTRIBUTES.has(key) || t.attribute(i, key) !== undefined || Object.hasOwn(t.stats[i]!, key);
}

function check(t: HostTable, i: number, r: Requirement): boolean {
  if (r.unscoped && !hasAttribute(t, i, r.key)) return true;
  const value = capabilityValue(t, i, r.scope);
  if (value === null) return false;
  // An integer's str() parses back to itself: numeric operators need neither.
  if (r.match.numeric && typeof value === "number" && Number.isSafeInteger(value)) return r.match.numeric(value);
  return r.match(pyStr(value));
}

function satisfies(t: HostTable, i: number, r: Requirement): boolean {
  const memo = r.memo;
  if (!memo) return check(t, i, r);
  let v = memo[i]!;
  if (v < 0) {
    v = check(t, i, r) ? 1 : 0;
    memo[i] = v;
  }
  return v === 1;
}

export const computeCapabilitiesFilter: HostFilter = {
  name: "ComputeCapabilitiesFilter",
  oncePerRequest: true,
  prepare(req, t) {
    const reqs: Requirement[] = [];
    for (const [key, value] of Object.entries(req.flavor.extraSpecs)) {
      const scope = key.split(":");
      const unscoped = scope.length === 1;
      if (!unscoped) {
        if (scope[0] !== "capabilities") continue;
        scope.shift();
      }
      const text = String(value);
      const dynamic = DYNAMIC_ATTRIBUTES.has(scope[0]!);
      reqs.push({
        key,
        req: text,
        scope,
        unscoped,
        match: matcherFor(text),
        memo: dynamic ? null : staticMemo(t, `caps\0${key}\0${text}`),
        reason: { key: `caps:${key}`, text: () => `not matching ${key} "${text}"` },
      });
    }
    if (reqs.length === 0) return null;
    const passes = (i: number) => {
      for (const r of reqs) if (!satisfies(t, i, r)) return false;
      return true;
    };
    return {
      filter(cands, n) {
        let k = 0;
        for (let j = 0; j < n; j++) {
          const i = cands[j]!;
          if (passes(i)) cands[k++] = i;
        }
        return k;
      },
      reason(i) {
        for (const r of reqs) if (!satisfies(t, i, r)) return r.reason;
        return null;
      },
    };
  },
};
