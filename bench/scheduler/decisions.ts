// The decision log of nova_sched_bench.py (bench/README.md there: DECISION / PASS), written from
// Stratus's scheduler, and a comparison of two such logs request by request.
import { readFileSync, writeFileSync } from "node:fs";
import type { PassRecord, ScheduleResult } from "@/server/scheduler/filter-scheduler";
import type { HostTable } from "@/server/scheduler/host-table";
import type { ScenarioRequest } from "./scenario";

export const DECISIONS_FORMAT = "nova-sched-bench-decisions";

export interface PassJson {
  stage: string;
  index: number;
  input: number;
  filters: [string, number][];
  failed_filter: string | null;
  passed: string[];
  top: [string, number][];
}

export interface DecisionJson {
  request: number;
  id: string;
  result: "scheduled" | "no_valid_host";
  failed_filter: string | null;
  selections: { instance_uuid: string; host: string; alternates: string[] }[];
  passes: PassJson[];
  /** Stratus only: the explanation of a NoValidHost. */
  explanation?: string;
}

export interface DecisionRun {
  scenario: string;
  hosts: number;
  requests: number;
  state_model: string;
  host_subset_size: number;
  max_attempts: number;
  decisions: DecisionJson[];
}

function passJson(t: HostTable, p: PassRecord): PassJson {
  return {
    stage: p.stage,
    index: p.index,
    input: p.input,
    filters: p.filters,
    failed_filter: p.failedFilter,
    passed: (p.passed ?? []).map((h) => t.names[h]!),
    top: p.top.map(([h, w]) => [t.names[h]!, w]),
  };
}

export function decisionJson(t: HostTable, k: number, r: ScenarioRequest, res: ScheduleResult): DecisionJson {
  const passes = res.passes.map((p) => passJson(t, p));
  if (!res.ok) {
    return {
      request: k,
      id: r.id,
      result: "no_valid_host",
      failed_filter: res.failedFilter,
      selections: [],
      passes,
      explanation: res.explanation.message,
    };
  }
  return {
    request: k,
    id: r.id,
    result: "scheduled",
    failed_filter: null,
    selections: res.selections.map((s) => ({
      instance_uuid: s.instanceUuid,
      host: t.names[s.host]!,
      alternates: s.alternates.map((h) => t.names[h]!),
    })),
    passes,
  };
}

export function writeDecisionsFile(path: string, runs: DecisionRun[]): void {
  const j = (v: unknown) => JSON.stringify(v);
  const parts = [`{\n"format": ${j(DECISIONS_FORMAT)},\n"version": 1,\n"stratus_version": "0.1.0",\n"runs": [\n`];
  runs.forEach((r, ri) => {
    parts.push("{\n");
    for (const key of ["scenario", "hosts", "requests", "state_model", "host_subset_size", "max_attempts"] as const) {
      parts.push(`${j(key)}: ${j(r[key])},\n`);
    }
    parts.push(`"decisions": [\n${r.decisions.map(j).join(",\n")}\n]\n`);
    parts.push(`}${ri < runs.length - 1 ? "," : ""}\n`);
  });
  parts.push("]\n}\n");
  writeFileSync(path, parts.join(""));
}

export function readDecisionsFile(path: string): DecisionRun[] {
  const doc = JSON.parse(readFileSync(path, "utf8")) as { format?: string; runs?: DecisionRun[] };
  if (doc.format !== DECISIONS_FORMAT || !Array.isArray(doc.runs)) throw new Error(`${path}: not a ${DECISIONS_FORMAT} file`);
  return doc.runs;
}

const REL = 1e-9;

function weightsAgree(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= REL * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The first difference between two decisions, or null when they agree (README's comparison rule). */
export function difference(ours: DecisionJson, nova: DecisionJson): string | null {
  if (ours.result !== nova.result) return `result ${ours.result} vs Nova's ${nova.result}`;
  if (ours.failed_filter !== nova.failed_filter) return `failed_filter ${ours.failed_filter} vs ${nova.failed_filter}`;
  if (JSON.stringify(ours.selections) !== JSON.stringify(nova.selections)) {
    return `selections ${JSON.stringify(ours.selections)} vs ${JSON.stringify(nova.selections)}`;
  }
  if (ours.passes.length !== nova.passes.length) return `${ours.passes.length} passes vs ${nova.passes.length}`;
  for (let p = 0; p < ours.passes.length; p++) {
    const a = ours.passes[p]!;
    const b = nova.passes[p]!;
    for (const key of ["stage", "index", "input", "failed_filter"] as const) {
      if (a[key] !== b[key]) return `pass ${p}: ${key} ${a[key]} vs ${b[key]}`;
    }
    if (JSON.stringify(a.filters) !== JSON.stringify(b.filters)) return `pass ${p}: filters ${JSON.stringify(a.filters)} vs ${JSON.stringify(b.filters)}`;
    if (a.passed.length !== b.passed.length || a.passed.some((h, i) => h !== b.passed[i])) {
      const i = a.passed.findIndex((h, k) => h !== b.passed[k]);
      return `pass ${p}: passed differs at position ${i} (${a.passed[i]} vs ${b.passed[i]}; ${a.passed.length} vs ${b.passed.length} hosts)`;
    }
    if (a.top.length !== b.top.length) return `pass ${p}: top has ${a.top.length} vs ${b.top.length} hosts`;
    for (let i = 0; i < a.top.length; i++) {
      const [ha, wa] = a.top[i]!;
      const [hb, wb] = b.top[i]!;
      if (ha !== hb) return `pass ${p}: top[${i}] ${ha} vs ${hb}`;
      if (!weightsAgree(wa, wb)) return `pass ${p}: weight of ${ha} ${wa} vs ${wb}`;
    }
  }
  return null;
}
