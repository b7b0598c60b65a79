// The benchmark's contract with Nova, kept in the unit suite on a small scenario that Nova's own
// benchmark wrote (fixtures/nova-seed7-h40-r150.*, nova_sched_bench.py --seed 7 --hosts 40
// --requests 150): Stratus generates the identical scenario from the seed, and takes the same
// decision as Nova 26 on every request (hosts, alternates, per-filter counts, rankings, weights).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildWorld, schedulingRequest } from "../../../bench/scheduler/adapter";
import { decisionJson, difference, type DecisionJson } from "../../../bench/scheduler/decisions";
import { generateScenario, readScenarioFile } from "../../../bench/scheduler/scenario";

const fixture = (name: string) => path.join(import.meta.dirname, "fixtures", name);

describe("the benchmark scenario generator", () => {
  it("reproduces nova_sched_bench.py's scenario for the same seed, value for value", () => {
    const [nova] = readScenarioFile(fixture("nova-seed7-h40-r150.scenario.json"));
    expect(JSON.parse(JSON.stringify(generateScenario(7, 40, 150)))).toEqual(nova);
  });
});

describe("decisions on Nova's scenario", () => {
  it("agree with Nova 26's on every request, with the state carried between requests", () => {
    const [scenario] = readScenarioFile(fixture("nova-seed7-h40-r150.scenario.json"));
    const nova = (JSON.parse(readFileSync(fixture("nova-seed7-h40-r150.decisions.json"), "utf8")) as { runs: { decisions: DecisionJson[] }[] })
      .runs[0]!.decisions;
    const w = buildWorld(scenario!, { decisions: true });
    const differences: string[] = [];
    scenario!.requests.forEach((r, k) => {
      const res = w.scheduler.schedule(schedulingRequest(w, r), { record: true });
      if (res.ok) for (const s of res.selections) w.instanceHost.set(s.instanceUuid, s.host);
      const diff = difference(decisionJson(w.table, k, r, res), nova[k]!);
      if (diff) differences.push(`${r.id}: ${diff}`);
    });
    expect(differences).toEqual([]);
    expect(nova.filter((d) => d.result === "no_valid_host").length).toBeGreaterThan(0);
    expect(nova.some((d) => d.selections.length > 1)).toBe(true);
  });
});
