// Each weigher's raw weight, Nova's min-max normalisation (all-equal → 0), multipliers (negative
// ones, per-aggregate overrides) and how the weighted sum orders hosts.
import { describe, expect, it } from "vitest";
import type { WeigherName } from "@/server/scheduler/names";
import { GroupPlacement } from "@/server/scheduler/request";
import { WEIGHERS } from "@/server/scheduler/weighers";
import { normalize } from "@/server/scheduler/weighers/normalize";
import { hostRecord, request, scheduler, tableOf } from "./helpers";
import type { HostRecord } from "@/server/scheduler/host-table";

function raw(name: WeigherName, hosts: HostRecord[], group: GroupPlacement | null = null): number[] | null {
  const t = tableOf(...hosts);
  const cands = Int32Array.from(t.candidates());
  const out = new Float64Array(cands.length);
  return WEIGHERS[name].weigh(request({ group }), t, cands, cands.length, out) ? Array.from(out) : null;
}

/** The weights one weigher alone gives, through the scheduler (top = the ranking). */
function weigh(name: WeigherName, multiplier: number, hosts: HostRecord[], group: GroupPlacement | null = null) {
  const t = tableOf(...hosts);
  const res = scheduler(t, { filters: [], weighers: [{ name, multiplier }] }).schedule(request({ group }));
  if (!res.ok) throw new Error("no host");
  return res.passes[0]!.top.map(([h, w]) => [t.names[h]!, w]);
}

describe("raw weights", () => {
  const a = hostRecord("a", { freeRamMb: 1000, freeDiskMb: 5000, vcpus: 4, cpuAllocationRatio: 2, vcpusUsed: 3, numIoOps: 2, failedBuilds: 1 });
  const b = hostRecord("b", { freeRamMb: -50, freeDiskMb: 7000, vcpus: 8, cpuAllocationRatio: 1, vcpusUsed: 1, numIoOps: 0, failedBuilds: 0 });

  it("reads free_ram_mb, vcpus × ratio − used, free_disk_mb, num_io_ops, failed_builds", () => {
    expect(raw("RAMWeigher", [a, b])).toEqual([1000, -50]);
    expect(raw("CPUWeigher", [a, b])).toEqual([5, 7]);
    expect(raw("DiskWeigher", [a, b])).toEqual([5000, 7000]);
    expect(raw("IoOpsWeigher", [a, b])).toEqual([2, 0]);
    expect(raw("BuildFailureWeigher", [a, b])).toEqual([1, 0]);
  });

  it("counts a soft group's members per host (negated for soft-anti-affinity)", () => {
    const soft = new GroupPlacement("g", "soft-affinity");
    soft.add(1);
    soft.add(1);
    expect(raw("ServerGroupSoftAffinityWeigher", [a, b], soft)).toEqual([0, 2]);
    const anti = new GroupPlacement("g", "soft-anti-affinity");
    anti.add(0);
    expect(raw("ServerGroupSoftAntiAffinityWeigher", [a, b], anti)).toEqual([-1, -0]);
    expect(raw("ServerGroupSoftAffinityWeigher", [a, b], anti)).toBeNull();
  });

  it("has nothing to say when every host weighs the same (Metrics, PCI, CrossCell, no failures)", () => {
    expect(raw("MetricsWeigher", [a, b])).toBeNull();
    expect(raw("PCIWeigher", [a, b])).toBeNull();
    expect(raw("CrossCellWeigher", [a, b])).toBeNull();
    expect(raw("BuildFailureWeigher", [b, hostRecord("c")])).toBeNull();
  });
});

describe("normalisation", () => {
  it("maps to [0, 1] by min-max, with minval as the low end", () => {
    const v = Float64Array.from([10, 20, 30]);
    normalize(v, 3);
    expect(Array.from(v)).toEqual([0, 0.5, 1]);
    const w = Float64Array.from([10, 20, 40]);
    normalize(w, 3, 0);
    expect(Array.from(w)).toEqual([0.25, 0.5, 1]);
  });

  it("gives every host 0 when all weights are equal", () => {
    const v = Float64Array.from([7, 7, 7]);
    expect(normalize(v, 3)).toBe(false);
    expect(Array.from(v)).toEqual([0, 0, 0]);
    const flaky = { failedBuilds: 3 };
    expect(weigh("BuildFailureWeigher", 1_000_000, [hostRecord("a", flaky), hostRecord("b", flaky), hostRecord("c", flaky)])).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
  });

  it("normalises from minval, not the lowest weight: equal free RAM weighs 1 for every host, as in Nova", () => {
    expect(weigh("RAMWeigher", 1, [hostRecord("a"), hostRecord("b")])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
    expect(weigh("RAMWeigher", 1, [hostRecord("a", { freeRamMb: 0 }), hostRecord("b", { freeRamMb: -1 })])).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
  });

  it("clamps weights below minval (a negative free_ram_mb counts as 0)", () => {
    expect(weigh("RAMWeigher", 1, [hostRecord("a", { freeRamMb: -500 }), hostRecord("b", { freeRamMb: 0 }), hostRecord("c", { freeRamMb: 100 })])).toEqual([
      ["c", 1],
      ["a", 0],
      ["b", 0],
    ]);
  });

  it("weighs a lone host 0.0 without running the weighers", () => {
    expect(weigh("RAMWeigher", 5, [hostRecord("a", { freeRamMb: 100 })])).toEqual([["a", 0]]);
  });
});

describe("multipliers", () => {
  const hosts = [hostRecord("a", { freeRamMb: 1000 }), hostRecord("b", { freeRamMb: 3000 }), hostRecord("c", { freeRamMb: 2000 })];

  it("spreads with a positive RAM multiplier and stacks with a negative one", () => {
    expect(weigh("RAMWeigher", 1, hosts).map(([h]) => h)).toEqual(["b", "c", "a"]);
    expect(weigh("RAMWeigher", -1, hosts)).toEqual([
      ["a", -(1000 / 3000)],
      ["c", -(2000 / 3000)],
      ["b", -1],
    ]);
  });

  it("prefers idle hosts with IoOpsWeigher's default −1", () => {
    expect(weigh("IoOpsWeigher", -1, [hostRecord("busy", { numIoOps: 4 }), hostRecord("idle", { numIoOps: 0 })]).map(([h]) => h)).toEqual(["idle", "busy"]);
  });

  it("takes 10⁶ from a host with build failures (BuildFailureWeigher negates its multiplier)", () => {
    expect(weigh("BuildFailureWeigher", 1_000_000, [hostRecord("flaky", { failedBuilds: 2 }), hostRecord("ok"), hostRecord("meh", { failedBuilds: 1 })])).toEqual([
      ["ok", 0],
      ["meh", -500_000],
      ["flaky", -1_000_000],
    ]);
  });

  it("lets aggregate metadata override a multiplier for its hosts (the smallest value wins)", () => {
    const t = tableOf(...hosts);
    t.setAggregates([
      { hosts: ["b"], availabilityZone: null, metadata: { ram_weight_multiplier: "-1.0" } },
      { hosts: ["b"], availabilityZone: null, metadata: { ram_weight_multiplier: "0.5" } },
    ]);
    const res = scheduler(t, { filters: [], weighers: [{ name: "RAMWeigher", multiplier: 1 }] }).schedule(request());
    expect(res.ok && res.passes[0]!.top.map(([h, w]) => [t.names[h], w])).toEqual([
      ["c", 2000 / 3000],
      ["a", 1000 / 3000],
      ["b", -1],
    ]);
  });

  it("sums weighers in the configured order", () => {
    const t = tableOf(hostRecord("a", { freeRamMb: 1000, numIoOps: 0 }), hostRecord("b", { freeRamMb: 2000, numIoOps: 3 }));
    const res = scheduler(t, {
      filters: [],
      weighers: [
        { name: "RAMWeigher", multiplier: 1 },
        { name: "IoOpsWeigher", multiplier: -1 },
      ],
    }).schedule(request());
    // a: 0.5 + 0 = 0.5; b: 1 − 1 = 0 → a first.
    expect(res.ok && res.passes[0]!.top.map(([h, w]) => [t.names[h], w])).toEqual([
      ["a", 0.5],
      ["b", 0],
    ]);
  });
});
