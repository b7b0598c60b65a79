import { describe, expect, it } from "vitest";
import { fullest } from "@/components/hypervisors/capacity-heatmap";
import type { RouterOutputs } from "@/lib/trpc/types";

type Hypervisor = RouterOutputs["hypervisor"]["list"][number];
type Resource = Hypervisor["vcpus"];

const r = (used: number, capacity: number): Resource => ({ used, capacity, total: capacity, reserved: 0, allocationRatio: 1, free: capacity - used });

function host(vcpus: Resource, memoryMb: Resource, localGb: Resource): Hypervisor {
  return { vcpus, memoryMb, localGb } as Hypervisor;
}

describe("a host's fullest resource", () => {
  it("is the one with the highest share of schedulable capacity", () => {
    expect(fullest(host(r(4, 64), r(30_000, 49_000), r(10, 100)))).toEqual({ resource: "RAM", pct: (30_000 / 49_000) * 100 });
    expect(fullest(host(r(60, 64), r(1000, 49_000), r(10, 100)))).toEqual({ resource: "vCPU", pct: 93.75 });
  });

  it("reads an empty host as 0 % and usage without capacity as full", () => {
    expect(fullest(host(r(0, 64), r(0, 1000), r(0, 100))).pct).toBe(0);
    expect(fullest(host(r(0, 64), r(0, 1000), r(5, 0)))).toEqual({ resource: "disk", pct: 100 });
  });
});
