// The shape of a scheduler filter. A filter module prepares itself once per request (compiling
// what the request asks for) and then keeps, in place, the candidate hosts that pass — a tight
// loop over typed arrays, no allocation per host. It can also say why one host fails, which only
// the NoValidHost explanation asks for.
import type { HostTable } from "../host-table";
import type { FilterName } from "../names";
import type { SchedulingRequest } from "../request";

/** Configuration the filters read (Nova's [filter_scheduler] and [DEFAULT] options). */
export interface FilterOptions {
  defaultAvailabilityZone: string;
  imagePropertiesDefaultArchitecture: string | null;
  /** Nova's service_down_time, in ms. */
  serviceDownTimeMs: number;
}

/** Why a host fails a filter: `key` groups hosts, `text(n)` reads after a count ("9 without enough RAM"). */
export interface Reason {
  key: string;
  text: (count: number) => string;
}

export interface PreparedFilter {
  /** Keeps the candidates (cands[0..n)) that pass, in their order, at the front; returns how many. */
  filter(cands: Int32Array, n: number): number;
  /** Why host i fails, or null when it passes. */
  reason(i: number): Reason | null;
}

export interface HostFilter {
  readonly name: FilterName;
  /** Nova's run_filter_once_per_request: skipped for the 2nd and later instances of a multi-create. */
  readonly oncePerRequest: boolean;
  /** null: nothing in this request concerns the filter, every host passes. */
  prepare(req: SchedulingRequest, table: HostTable, options: FilterOptions): PreparedFilter | null;
}

/** A reason whose text does not depend on the count. */
export function reason(key: string, text: string): Reason {
  return { key, text: () => text };
}

/** A filter from a per-host predicate (for the filters whose check is one expression). */
export function predicateFilter(passes: (i: number) => boolean, why: (i: number) => Reason): PreparedFilter {
  return {
    filter(cands, n) {
      let k = 0;
      for (let j = 0; j < n; j++) {
        const i = cands[j]!;
        if (passes(i)) cands[k++] = i;
      }
      return k;
    },
    reason: (i) => (passes(i) ? null : why(i)),
  };
}

/** The table's memo of one static check (HostTable.memo). */
export function staticMemo(table: HostTable, key: string): Int8Array {
  return table.memo(key);
}

/**
 * Where host `i` sits in cands[0..n), or -1. Candidates are always in table order (the table's
 * list, compacted in place by every filter), so a binary search finds a host without walking them.
 */
export function positionOf(cands: Int32Array, n: number, i: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = cands[mid]!;
    if (v === i) return mid;
    if (v < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Removes the candidates at the given positions (any order), keeping the rest in order. */
export function removePositions(cands: Int32Array, n: number, positions: number[]): number {
  if (positions.length === 0) return n;
  positions.sort((a, b) => a - b);
  let k = positions[0]!;
  let p = 0;
  for (let j = positions[0]!; j < n; j++) {
    if (p < positions.length && positions[p] === j) {
      p++;
      continue;
    }
    cands[k++] = cands[j]!;
  }
  return k;
}
