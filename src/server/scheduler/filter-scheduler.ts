// The filter scheduler (Nova's SchedulerManager._legacy_find_hosts and _get_sorted_hosts over
// HostManager's filters and weighers), as a pure library over the in-memory host table:
//
//   for each instance of the request:   filter → weigh → pick among the best host_subset_size
//                                        → consume the pick (so the next instance sees it)
//   then alternates: max_attempts − 1 further hosts per instance, from the last ranking.
//
// Every pass filters the hosts that passed the previous one; filters Nova runs once per request
// are skipped after the first instance. Ties keep the previous order (Nova's stable sort), which is
// kept here without sorting: a host's rank is its weight in this pass, then in the passes before,
// then its table position. Only the best few hosts are ranked (top-K), so a pass costs O(hosts).
// A request that cannot place every instance leaves no trace and says why (explain.ts).
import { explain, type Explanation } from "./explain";
import { FILTERS, type FilterOptions, type HostFilter, type PreparedFilter } from "./filters";
import type { HostTable } from "./host-table";
import { WEIGHER_MULTIPLIERS, type FilterName, type WeigherName } from "./names";
import { consumptionOf, type SchedulingRequest } from "./request";
import { WEIGHERS, type HostWeigher } from "./weighers";

export interface SchedulerOptions extends FilterOptions {
  filters: readonly FilterName[];
  /** In summation order, with each multiplier (Nova's *_weight_multiplier options). */
  weighers: readonly { name: WeigherName; multiplier: number }[];
  hostSubsetSize: number;
  shuffleBestSameWeighedHosts: boolean;
  maxAttempts: number;
}

export interface PassRecord {
  stage: "select" | "alternates";
  /** Nova's index: the instance being placed (the last one for the alternates pass). */
  index: number;
  input: number;
  /** Hosts left after each filter that ran. */
  filters: [FilterName, number][];
  failedFilter: FilterName | null;
  /** Hosts that passed, in Nova's list order (only when recording). */
  passed: number[] | null;
  /** The first hosts of the ranking with their weights (5, as Nova's decision log keeps). */
  top: [number, number][];
}

export interface Selection {
  instanceUuid: string;
  host: number;
  alternates: number[];
}

export type ScheduleResult =
  | { ok: true; selections: Selection[]; passes: PassRecord[] }
  | {
      ok: false;
      failedFilter: FilterName | null;
      /** 0-based index of the instance that could not be placed. */
      failedInstance: number;
      passes: PassRecord[];
      explanation: Explanation;
    };

export interface ScheduleOptions {
  /** Keep each pass's `passed` list (for the benchmark's decision log; costs a sort). */
  record?: boolean;
  /** Build the explanation of a NoValidHost (default true). */
  explain?: boolean;
}

interface Prepared {
  filter: HostFilter;
  prepared: PreparedFilter | null;
}

const TOP_RECORDED = 5;

export class FilterScheduler {
  private readonly filters: HostFilter[];
  private readonly weighers: { weigher: HostWeigher; multiplier: number; option: string }[];
  private cands = new Int32Array(0);
  private raw = new Float64Array(0);
  private acc = new Float64Array(0);
  /** Weights per pass of the current request, by host index (valid for that pass's survivors). */
  private readonly history: Float64Array[] = [];
  /** Per pass: the shuffled order of the hosts tied at the top (shuffle_best_same_weighed_hosts). */
  private readonly ties: (Map<number, number> | null)[] = [];

  constructor(
    readonly table: HostTable,
    readonly options: SchedulerOptions,
    private readonly random: () => number = Math.random,
  ) {
    this.filters = options.filters.map((name) => {
      const f = FILTERS[name];
      if (!f) throw new Error(`unknown scheduler filter ${name}`);
      return f;
    });
    this.weighers = options.weighers.map(({ name, multiplier }) => {
      const w = WEIGHERS[name];
      if (!w) throw new Error(`unknown scheduler weigher ${name}`);
      return { weigher: w, multiplier, option: WEIGHER_MULTIPLIERS[name].option };
    });
  }

  private ensureCapacity(size: number): void {
    if (this.cands.length < size) {
      const cap = Math.max(16, size, this.cands.length * 2);
      this.cands = new Int32Array(cap);
      this.raw = new Float64Array(cap);
      this.acc = new Float64Array(cap);
      for (let k = 0; k < this.history.length; k++) this.history[k] = new Float64Array(cap);
    }
  }

  private weightsOf(pass: number): Float64Array {
    while (this.history.length <= pass) this.history.push(new Float64Array(this.cands.length));
    while (this.ties.length <= pass) this.ties.push(null);
    return this.history[pass]!;
  }

  /** Schedules every instance of the request; on success the picks stay consumed in the table. */
  schedule(req: SchedulingRequest, opts: ScheduleOptions = {}): ScheduleResult {
    const t = this.table;
    const record = opts.record ?? false;
    this.ensureCapacity(t.size);
    const cands = this.cands;
    let n = 0;
    const ignore = req.ignoreHosts;
    for (const i of t.candidates()) if (!ignore || !ignore.has(i)) cands[n++] = i;

    const prepared: Prepared[] = this.filters.map((filter) => ({ filter, prepared: filter.prepare(req, t, this.options) }));
    const count = req.instanceUuids.length;
    const numAlts = Math.max(0, this.options.maxAttempts - 1);
    const k = Math.max(TOP_RECORDED, this.options.hostSubsetSize, numAlts + count);
    const use = consumptionOf(req.flavor);
    const group = req.group;
    const selected: number[] = [];
    const addedGroupHost: boolean[] = [];
    const passes: PassRecord[] = [];
    let ranking: number[] = [];

    for (let index = 0; index < count; index++) {
      const pass = this.pass("select", index, index, n, prepared, req, k, record);
      passes.push(pass.record);
      n = pass.n;
      if (n === 0) {
        const explanation =
          opts.explain === false ? emptyExplanation() : explain(t, req, prepared, index, count, this.options);
        // Nova's partial work leaves no trace: give back what the placed instances took.
        for (let s = selected.length - 1; s >= 0; s--) {
          const h = selected[s]!;
          t.unconsume(h, use);
          if (group) {
            group.remove(h);
            if (addedGroupHost[s]) group.hosts.delete(h);
          }
        }
        return { ok: false, failedFilter: pass.record.failedFilter, failedInstance: index, passes, explanation };
      }
      ranking = pass.ranking;
      const chosen = ranking[0]!;
      selected.push(chosen);
      t.consume(chosen, use);
      if (group) {
        addedGroupHost.push(!group.hosts.has(chosen));
        group.add(chosen);
      }
    }

    if (count > 1 && numAlts > 0) {
      // Nova's alternates pass runs with the last instance as "the instance": it is on its host now.
      const previous = group?.currentHost ?? -1;
      if (group) group.currentHost = selected[count - 1]!;
      const pass = this.pass("alternates", count - 1, count, n, prepared, req, k, record);
      passes.push(pass.record);
      ranking = pass.ranking;
      if (group) group.currentHost = previous;
    }
    const taken = new Set(selected);
    const alternates = ranking.filter((h) => !taken.has(h)).slice(0, numAlts);
    return {
      ok: true,
      passes,
      selections: selected.map((host, s) => ({ instanceUuid: req.instanceUuids[s]!, host, alternates: [...alternates] })),
    };
  }

  /** One filter-and-weigh round (Nova's _get_sorted_hosts); survivors stay in cands[0..n). */
  private pass(
    stage: "select" | "alternates",
    index: number,
    seq: number,
    n: number,
    prepared: Prepared[],
    req: SchedulingRequest,
    k: number,
    record: boolean,
  ): { n: number; ranking: number[]; record: PassRecord } {
    const cands = this.cands;
    const rec: PassRecord = { stage, index, input: n, filters: [], failedFilter: null, passed: null, top: [] };
    for (const { filter, prepared: p } of prepared) {
      if (index > 0 && filter.oncePerRequest) continue;
      if (p) n = p.filter(cands, n);
      rec.filters.push([filter.name, n]);
      if (n === 0) {
        rec.failedFilter = filter.name;
        break;
      }
    }
    if (n === 0) {
      if (record) rec.passed = [];
      return { n, ranking: [], record: rec };
    }
    const w = this.weightsOf(seq);
    this.ties[seq] = null;
    this.weigh(req, n, w);
    if (record) {
      const passed = Array.from(cands.subarray(0, n));
      if (seq > 0) passed.sort((a, b) => this.compare(a, b, seq - 1));
      rec.passed = passed;
    }
    let ranking = this.topK(n, seq, k);
    if (this.options.shuffleBestSameWeighedHosts) ranking = this.shuffleBest(n, seq, k, ranking);
    // random.choice among the best host_subset_size, moved to the front.
    const subset = Math.min(this.options.hostSubsetSize, ranking.length);
    const pick = subset > 1 ? Math.floor(this.random() * subset) : 0;
    if (pick > 0) ranking = [ranking[pick]!, ...ranking.slice(0, pick), ...ranking.slice(pick + 1)];
    rec.top = ranking.slice(0, TOP_RECORDED).map((h) => [h, w[h]!]);
    // The pick leads this pass's order from now on (later passes break ties by it).
    w[ranking[0]!] = Infinity;
    return { n, ranking, record: rec };
  }

  /** Nova's weight handler: Σ multiplier × normalised raw weight, in weigher order; 0.0 for a lone host. */
  private weigh(req: SchedulingRequest, n: number, w: Float64Array): void {
    const t = this.table;
    const cands = this.cands;
    if (n === 1) {
      w[cands[0]!] = 0;
      return;
    }
    const acc = this.acc;
    const raw = this.raw;
    acc.fill(0, 0, n);
    for (const { weigher, multiplier, option } of this.weighers) {
      if (!weigher.weigh(req, t, cands, n, raw)) continue;
      // Clamp to minval, then min-max normalise over the candidates (nova.weights.normalize).
      const minval = weigher.minval;
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = 0; j < n; j++) {
        let v = raw[j]!;
        if (minval !== null && v < minval) raw[j] = v = minval;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (minval !== null) lo = minval;
      if (lo === hi) continue; // all equal: Nova normalises them all to 0
      const range = hi - lo;
      const sign = weigher.negateMultiplier ? -1 : 1;
      if (t.metadataKeys.has(option)) {
        for (let j = 0; j < n; j++) acc[j]! += sign * aggregateMultiplier(t, cands[j]!, option, multiplier) * ((raw[j]! - lo) / range);
      } else {
        const m = sign * multiplier;
        for (let j = 0; j < n; j++) acc[j]! += m * ((raw[j]! - lo) / range);
      }
    }
    for (let j = 0; j < n; j++) w[cands[j]!] = acc[j]!;
  }

  /** Order of two survivors of pass `seq`: weight there, then in earlier passes, then table position. */
  private compare(a: number, b: number, seq: number): number {
    for (let q = seq; q >= 0; q--) {
      const h = this.history[q]!;
      const wa = h[a]!;
      const wb = h[b]!;
      if (wa !== wb) return wa > wb ? -1 : 1;
      const tie = this.ties[q];
      if (tie) {
        const ra = tie.get(a);
        const rb = tie.get(b);
        if (ra !== undefined && rb !== undefined && ra !== rb) return ra - rb;
      }
    }
    return a - b;
  }

  /** The best k survivors of pass `seq`, best first. */
  private topK(n: number, seq: number, k: number): number[] {
    const cands = this.cands;
    const w = this.history[seq]!;
    const top: number[] = [];
    for (let j = 0; j < n; j++) {
      const h = cands[j]!;
      const len = top.length;
      if (len === k) {
        const last = top[len - 1]!;
        const wh = w[h]!;
        const wl = w[last]!;
        if (wh < wl || (wh === wl && this.compare(h, last, seq) > 0)) continue;
      }
      let pos = top.length;
      while (pos > 0 && this.compare(h, top[pos - 1]!, seq) < 0) pos--;
      top.splice(pos, 0, h);
      if (top.length > k) top.pop();
    }
    return top;
  }

  /** Nova's shuffle_best_same_weighed_hosts: the hosts tied at the top weight, in random order. */
  private shuffleBest(n: number, seq: number, k: number, ranking: number[]): number[] {
    const w = this.history[seq]!;
    const best = w[ranking[0]!]!;
    const tied: number[] = [];
    for (let j = 0; j < n; j++) if (w[this.cands[j]!] === best) tied.push(this.cands[j]!);
    if (tied.length < 2) return ranking;
    for (let j = tied.length - 1; j > 0; j--) {
      const r = Math.floor(this.random() * (j + 1));
      [tied[j], tied[r]] = [tied[r]!, tied[j]!];
    }
    this.ties[seq] = new Map(tied.map((h, pos) => [h, pos]));
    return this.topK(n, seq, k);
  }
}

/** Nova's get_weight_multiplier: the smallest value among the host's aggregates, else the configured one. */
function aggregateMultiplier(t: HostTable, i: number, option: string, fallback: number): number {
  let min: number | null = null;
  for (const meta of t.aggregateMetadata[i]!) {
    const v = meta[option];
    if (v === undefined) continue;
    const x = Number(v);
    if (!Number.isFinite(x)) return fallback; // Nova logs "Could not decode" and uses the option
    if (min === null || x < min) min = x;
  }
  return min ?? fallback;
}

function emptyExplanation(): Explanation {
  return { hosts: 0, instance: 1, instances: 1, groups: [], message: "No valid host was found.", details: "" };
}
