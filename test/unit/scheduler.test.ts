import { describe, expect, it } from "vitest";
import { free, limits, requestFor } from "@/server/scheduler/resources";
import { explainNoValidHost, selectHosts, type HostState } from "@/server/scheduler/scheduler";

function host(name: string, over: Partial<HostState> = {}): HostState {
  return {
    nodeId: name.length,
    host: name,
    serviceDisabled: false,
    serviceUp: true,
    vcpus: 8,
    memoryMb: 16384,
    localGb: 100,
    vcpusUsed: 0,
    memoryMbUsed: 0,
    localGbUsed: 0,
    cpuAllocationRatio: 16,
    ramAllocationRatio: 1.5,
    diskAllocationRatio: 1,
    reservedHostCpus: 0,
    reservedHostMemoryMb: 512,
    reservedHostDiskMb: 0,
    ...over,
  };
}

const tiny = requestFor({ vcpus: 1, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0 });

describe("capacity under allocation ratios", () => {
  it("computes (total − reserved) × ratio", () => {
    expect(limits(host("a"))).toEqual({ vcpus: 128, memoryMb: (16384 - 512) * 1.5, diskGb: 100 });
    expect(free(host("a", { vcpusUsed: 100, memoryMbUsed: 1000, localGbUsed: 40 }))).toEqual({
      vcpus: 28,
      memoryMb: 23808 - 1000,
      diskGb: 60,
    });
  });

  it("counts ephemeral disk and swap in the disk request", () => {
    expect(requestFor({ vcpus: 2, memoryMb: 1024, rootGb: 10, ephemeralGb: 5, swapMb: 1536 })).toEqual({
      vcpus: 2,
      memoryMb: 1024,
      diskGb: 17,
    });
  });
});

describe("selectHosts", () => {
  it("keeps enabled, up hosts with room and prefers the most free RAM", () => {
    const sel = selectHosts([host("a", { memoryMbUsed: 8000 }), host("b"), host("c", { memoryMbUsed: 100 })], tiny);
    expect(sel.hosts.map((h) => h.host)).toEqual(["b", "c", "a"]);
    expect(sel.rejected).toEqual({});
  });

  it("removes disabled and down hosts before looking at capacity", () => {
    const sel = selectHosts([host("a", { serviceDisabled: true }), host("b", { serviceUp: false }), host("c")], tiny);
    expect(sel.hosts.map((h) => h.host)).toEqual(["c"]);
    expect(sel.rejected).toEqual({ disabled: ["a"], down: ["b"] });
  });

  it("rejects by the first resource that does not fit, exactly at the limit", () => {
    const full = host("cpu", { vcpusUsed: 128 });
    const ram = host("ram", { memoryMbUsed: 23808 - 511 });
    const disk = host("disk", { localGbUsed: 100 });
    const edge = host("edge", { vcpusUsed: 127, memoryMbUsed: 23808 - 512, localGbUsed: 99 });
    const sel = selectHosts([full, ram, disk, edge], tiny);
    expect(sel.hosts.map((h) => h.host)).toEqual(["edge"]);
    expect(sel.rejected).toEqual({ vcpus: ["cpu"], memory: ["ram"], disk: ["disk"] });
  });

  it("skips hosts already tried (alternates)", () => {
    const sel = selectHosts([host("a"), host("b")], tiny, new Set(["a"]));
    expect(sel.hosts.map((h) => h.host)).toEqual(["b"]);
    expect(sel.considered).toBe(1);
  });

  it("breaks ties by host name so placement is deterministic", () => {
    expect(selectHosts([host("b"), host("a")], tiny).hosts.map((h) => h.host)).toEqual(["a", "b"]);
  });
});

describe("explainNoValidHost", () => {
  it("says how many hosts each reason removed", () => {
    const sel = selectHosts(
      [host("a", { memoryMbUsed: 23808 }), host("b", { memoryMbUsed: 23808 }), host("c", { serviceUp: false })],
      tiny,
    );
    expect(explainNoValidHost(sel)).toBe(
      "No valid host was found. 3 hosts: 1 compute service down (c), 2 not enough RAM (a, b).",
    );
  });

  it("says when there are no hosts at all", () => {
    expect(explainNoValidHost(selectHosts([], tiny))).toBe("No valid host was found. There are no compute hosts.");
  });
});
