// npm run bench:scheduler — Stratus's filter scheduler on the scenarios of Nova's own benchmark
// (../shared/bench/nova_sched_bench.py), timed the way that benchmark times Nova's mode B, and
// its decisions written in the same format so the two can be compared request by request.
//
//   npm run bench:scheduler                                     100 / 1,000 / 10,000 hosts (seed 1234)
//   npm run bench:scheduler -- --scenario-in scen.json [--decisions-out d.json] [--compare nova.json]
//   npm run bench:scheduler -- --hosts 200 --requests 300 --seed 1 --scenario-out scen.json
//
// Mode B here is the whole in-process schedule path of one request: build the request (with its
// server group's current placement), filter, weigh, pick, consume, alternates — over the host
// table the controller keeps in memory, carried from request to request. Stratus never rebuilds
// host state per request, so unlike Nova's mode B there is nothing to rebuild. See bench/README.md.
import { parseArgs } from "node:util";
import { buildWorld, schedulingRequest, snapshot } from "./scheduler/adapter";
import { decisionJson, difference, readDecisionsFile, writeDecisionsFile, type DecisionRun } from "./scheduler/decisions";
import { generateScenario, readScenarioFile, writeScenarioFile, type Scenario } from "./scheduler/scenario";

const { values } = parseArgs({
  options: {
    "scenario-in": { type: "string" },
    "scenario-out": { type: "string" },
    "decisions-out": { type: "string" },
    compare: { type: "string" },
    hosts: { type: "string", multiple: true },
    requests: { type: "string", multiple: true },
    seed: { type: "string", default: "1234" },
    "no-timing": { type: "boolean", default: false },
    warmup: { type: "string", default: "all" },
    slowest: { type: "string", default: "0" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    [
      "usage: npm run bench:scheduler -- [--scenario-in FILE] [--decisions-out FILE] [--compare NOVA_DECISIONS]",
      "                                  [--hosts N ...] [--requests M ...] [--seed S] [--scenario-out FILE]",
      "                                  [--no-timing] [--warmup all|K] [--slowest K]",
      "Without --scenario-in: the scenarios nova_sched_bench.py generates (default 100/1000/10000 hosts,",
      "2000/500/100 requests, seed 1234). Prints one RESULT line per scenario.",
    ].join("\n") + "\n",
  );
  process.exit(0);
}

/** statistics.median */
function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Python's round() (half to even), for the benchmark's p99 index. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function pct(sorted: number[], p: number): number {
  const n = sorted.length;
  return sorted[Math.min(n - 1, Math.max(0, roundHalfEven((p / 100) * n) - 1))]!;
}

function scenarios(): Scenario[] {
  if (values["scenario-in"]) return readScenarioFile(values["scenario-in"]);
  const hosts = (values.hosts ?? ["100", "1000", "10000"]).map(Number);
  const defaults: Record<number, number> = { 100: 2000, 1000: 500, 10000: 100 };
  const requests = values.requests?.map(Number) ?? hosts.map((h) => defaults[h] ?? 200);
  const seed = Number(values.seed);
  return hosts.map((h, k) => generateScenario(seed, h, requests[k] ?? 200));
}

/** Decisions with the state carried from request to request (the decision log's "carry" model). */
function decide(s: Scenario): DecisionRun {
  const w = buildWorld(s, { decisions: true });
  const decisions = s.requests.map((r, k) => {
    const res = w.scheduler.schedule(schedulingRequest(w, r), { record: true });
    if (res.ok) for (const sel of res.selections) w.instanceHost.set(sel.instanceUuid, sel.host);
    return decisionJson(w.table, k, r, res);
  });
  return {
    scenario: s.name,
    hosts: s.hosts.length,
    requests: s.requests.length,
    state_model: "carry",
    host_subset_size: 1,
    max_attempts: s.config.max_attempts,
    decisions,
  };
}

/** Mode B: per request, the whole schedule path; setup (loading the table) is not timed. */
function time(s: Scenario): { lat: number[]; cpu: number[]; noValidHost: number; alternates: number; slow: string[] } {
  // The requests run once untimed first (--warmup N: only the first N; 0: none), on the same host
  // table, and their consumption is given back: the timed pass then measures a controller that has
  // been running — JIT-compiled code and the per-host caches of static filter results filled —
  // rather than the first requests a fresh process ever sees. See bench/README.md for both.
  const w = buildWorld(s);
  const restore = snapshot(w);
  const warmup = values.warmup === "all" ? s.requests.length : Number(values.warmup);
  for (const r of s.requests.slice(0, warmup)) w.scheduler.schedule(schedulingRequest(w, r));
  restore();
  const lat: number[] = [];
  const cpu: number[] = [];
  const kinds: string[] = [];
  let noValidHost = 0;
  let alternates = 0;
  for (const r of s.requests) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = w.scheduler.schedule(schedulingRequest(w, r));
    if (res.ok) for (const sel of res.selections) w.instanceHost.set(sel.instanceUuid, sel.host);
    lat.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    kinds.push(
      `${r.id} ${r.flavor.name}×${r.num_instances}${r.server_group ? ` ${r.server_group.policy}` : ""}` +
        `${Object.keys(r.image_properties).length ? " image-props" : ""}${r.availability_zone ? ` ${r.availability_zone}` : ""}${res.ok ? "" : " NoValidHost"}`,
    );
    if (res.ok) alternates += res.selections[0]!.alternates.length;
    else noValidHost++;
  }
  const slow = lat
    .map((ms, k) => ({ ms, k }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, Number(values.slowest))
    .map(({ ms, k }) => `  slowest: ${ms.toFixed(3)} ms wall, ${cpu[k]!.toFixed(3)} ms CPU: ${kinds[k]}`);
  return { lat, cpu, noValidHost, alternates, slow };
}

const all = scenarios();
if (values["scenario-out"]) writeScenarioFile(values["scenario-out"], all);
console.log(JSON.stringify({ stratus: "0.1.0", node: process.version, cpu: (await import("node:os")).cpus()[0]?.model, cpus: (await import("node:os")).cpus().length }));

const runs: DecisionRun[] = [];
for (const s of all) {
  const n = s.hosts.length;
  if (!values["no-timing"]) {
    const { lat, cpu, noValidHost, alternates, slow } = time(s);
    const cpuSorted = [...cpu].sort((a, b) => a - b);
    const cpuMean = cpu.reduce((a, b) => a + b, 0) / cpu.length;
    const sorted = [...lat].sort((a, b) => a - b);
    const total = lat.reduce((a, b) => a + b, 0);
    const mean = total / lat.length;
    console.log(
      `N=${n} hosts, M=${lat.length} requests; filters=${s.config.enabled_filters.join(",")}; ${s.config.weighers.length} weighers; ` +
        `NoValidHost ${noValidHost}; mean alternates ${(alternates / Math.max(1, lat.length - noValidHost)).toFixed(2)}; ` +
        `CPU time (process, incl. GC threads) mean ${cpuMean.toFixed(4)} ms, p50 ${median(cpuSorted).toFixed(4)} ms, p99 ${pct(cpuSorted, 99).toFixed(4)} ms; ` +
        `loadavg ${(await import("node:os")).loadavg()[0]!.toFixed(2)}`,
    );
    for (const line of slow) console.log(line);
    console.log(
      `RESULT hosts=${n} mode=B mean_ms=${mean.toFixed(4)} p50_ms=${median(sorted).toFixed(4)} p99_ms=${pct(sorted, 99).toFixed(4)} req_per_s=${(lat.length / (total / 1000)).toFixed(1)}`,
    );
  }
  if (values["decisions-out"] || values.compare) {
    const run = decide(s);
    runs.push(run);
    const ok = run.decisions.filter((d) => d.result === "scheduled");
    console.log(
      `decisions ${run.scenario} (state carry): ${ok.length} scheduled, ${run.decisions.length - ok.length} NoValidHost, ` +
        `${new Set(ok.flatMap((d) => d.selections.map((x) => x.host))).size} distinct selected hosts`,
    );
  }
}
if (values["decisions-out"]) writeDecisionsFile(values["decisions-out"], runs);
if (values.compare) {
  const nova = readDecisionsFile(values.compare);
  for (const run of runs) {
    const theirs = nova.find((r) => r.scenario === run.scenario) ?? nova[runs.indexOf(run)];
    if (!theirs) {
      console.log(`compare ${run.scenario}: no run of that scenario in ${values.compare}`);
      continue;
    }
    let agree = 0;
    const diffs: string[] = [];
    run.decisions.forEach((d, k) => {
      const other = theirs.decisions[k];
      const diff = other ? difference(d, other) : "missing in Nova's log";
      if (diff === null) agree++;
      else diffs.push(`${d.id}: ${diff}`);
    });
    console.log(`compare ${run.scenario}: ${agree}/${run.decisions.length} decisions agree with Nova's`);
    for (const d of diffs.slice(0, 5)) console.log(`  first differences: ${d}`);
  }
}
