// The scheduler as a whole: filters in order stopping at the first that leaves nothing, each
// instance of a multi-create placed with the previous ones consumed, alternates, host_subset_size,
// a NoValidHost that leaves no trace and explains itself.
import { describe, expect, it } from "vitest";
import { FilterScheduler } from "@/server/scheduler/filter-scheduler";
import { GroupPlacement } from "@/server/scheduler/request";
import { hostRecord, NOW, options, request, scheduler, tableOf, TINY } from "./helpers";

const names = (t: { names: string[] }, hosts: number[]) => hosts.map((h) => t.names[h]);

describe("one instance", () => {
  it("picks the best host, with max_attempts − 1 alternates in ranking order", () => {
    const t = tableOf(
      hostRecord("a", { freeRamMb: 1000 }),
      hostRecord("b", { freeRamMb: 4000 }),
      hostRecord("c", { freeRamMb: 3000 }),
      hostRecord("d", { freeRamMb: 2000 }),
    );
    const res = scheduler(t).schedule(request());
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(t.names[res.selections[0]!.host]).toBe("b");
    expect(names(t, res.selections[0]!.alternates)).toEqual(["c", "d"]);
    // The pick is consumed in memory: Nova's consume_from_request.
    expect(t.freeRamMb[1]).toBe(3488);
    expect(t.memoryMbUsed[1]).toBe(512);
    expect(t.numIoOps[1]).toBe(1);
  });

  it("breaks ties by table order (Nova's stable sort)", () => {
    const t = tableOf(hostRecord("a"), hostRecord("b"), hostRecord("c"));
    const res = scheduler(t, { filters: [], weighers: [] }).schedule(request());
    expect(res.ok && names(t, [res.selections[0]!.host, ...res.selections[0]!.alternates])).toEqual(["a", "b", "c"]);
  });

  it("stops at the first filter that leaves no host and records the count after each filter", () => {
    const t = tableOf(hostRecord("a", { enabled: false }), hostRecord("b", { lastSeenMs: 0 }));
    const res = scheduler(t).schedule(request());
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.failedFilter).toBe("ComputeFilter");
    expect(res.passes[0]!.filters).toEqual([
      ["AvailabilityZoneFilter", 2],
      ["ComputeFilter", 0],
    ]);
  });

  it("chooses at random among the best host_subset_size", () => {
    const t = tableOf(hostRecord("a", { freeRamMb: 3000 }), hostRecord("b", { freeRamMb: 2000 }), hostRecord("c", { freeRamMb: 1000 }));
    const picks = [0, 0.49, 0.5, 0.99].map((r) => {
      const s = new FilterScheduler(t, options({ hostSubsetSize: 2 }), () => r);
      const res = s.schedule(request());
      if (!res.ok) throw new Error("no host");
      t.unconsume(res.selections[0]!.host, { vcpus: 1, memoryMb: 512, diskGb: 1, freeDiskMb: 1024 });
      return t.names[res.selections[0]!.host];
    });
    expect(picks).toEqual(["a", "a", "b", "b"]);
  });

  it("never considers ignored hosts", () => {
    const t = tableOf(hostRecord("a", { freeRamMb: 9000 }), hostRecord("b"));
    const res = scheduler(t).schedule(request({ ignoreHosts: new Set([0]) }));
    expect(res.ok && t.names[res.selections[0]!.host]).toBe("b");
  });
});

describe("multi-create", () => {
  it("places each instance with the previous ones consumed", () => {
    // Room for 2 tiny instances on a, 1 on b.
    const t = tableOf(hostRecord("a", { memoryMb: 1024, ramAllocationRatio: 1 }), hostRecord("b", { memoryMb: 512, ramAllocationRatio: 1 }));
    const res = scheduler(t).schedule(request({ count: 3 }));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(names(t, res.selections.map((s) => s.host)).sort()).toEqual(["a", "a", "b"]);
    expect(Array.from(t.memoryMbUsed.subarray(0, 2))).toEqual([1024, 512]);
  });

  it("spreads an anti-affinity group in one request, and alternates exclude the picks", () => {
    const t = tableOf(hostRecord("a"), hostRecord("b"), hostRecord("c"), hostRecord("d"));
    const g = new GroupPlacement("web", "anti-affinity");
    const res = scheduler(t).schedule(request({ count: 3, group: g }));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const picked = names(t, res.selections.map((s) => s.host));
    expect(new Set(picked).size).toBe(3);
    for (const s of res.selections) expect(names(t, s.alternates)).toEqual(["d"]);
    expect(res.passes.map((p) => `${p.stage}:${p.index}:${p.input}`)).toEqual(["select:0:4", "select:1:4", "select:2:3", "alternates:2:2"]);
    // Filters Nova runs once per request are skipped after the first instance.
    expect(res.passes[1]!.filters.map(([f]) => f)).toEqual([
      "RamFilter",
      "CoreFilter",
      "DiskFilter",
      "ServerGroupAntiAffinityFilter",
      "ServerGroupAffinityFilter",
    ]);
  });

  it("keeps an affinity group together", () => {
    const t = tableOf(hostRecord("a"), hostRecord("b", { freeRamMb: 99999 }));
    const res = scheduler(t).schedule(request({ count: 3, group: new GroupPlacement("db", "affinity") }));
    expect(res.ok && names(t, res.selections.map((s) => s.host))).toEqual(["b", "b", "b"]);
  });

  it("prefers the group's hosts under soft-affinity and spreads under soft-anti-affinity, without refusing", () => {
    // With Nova's default multipliers the RAM, CPU, disk and I/O weighers outweigh a soft group
    // once a host has one member; operators raise the soft multipliers, as here.
    const weighers = [
      { name: "RAMWeigher" as const, multiplier: 1 },
      { name: "IoOpsWeigher" as const, multiplier: -1 },
      { name: "ServerGroupSoftAffinityWeigher" as const, multiplier: 10 },
      { name: "ServerGroupSoftAntiAffinityWeigher" as const, multiplier: 10 },
    ];
    const t = tableOf(hostRecord("a"), hostRecord("b"));
    const soft = scheduler(t, { filters: [], weighers }).schedule(request({ count: 4, group: new GroupPlacement("s", "soft-affinity") }));
    expect(soft.ok && new Set(names(t, soft.selections.map((s) => s.host))).size).toBe(1);
    const t2 = tableOf(hostRecord("a"), hostRecord("b"));
    const spread = scheduler(t2, { filters: [], weighers }).schedule(request({ count: 4, group: new GroupPlacement("s", "soft-anti-affinity") }));
    expect(spread.ok && names(t2, spread.selections.map((s) => s.host)).sort()).toEqual(["a", "a", "b", "b"]);
  });

  it("fails as a whole when one instance fits nowhere, and leaves no trace", () => {
    const t = tableOf(hostRecord("a"), hostRecord("b"));
    const g = new GroupPlacement("web", "anti-affinity");
    const before = Array.from(t.memoryMbUsed.subarray(0, 2));
    const res = scheduler(t).schedule(request({ count: 3, group: g }));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.failedInstance).toBe(2);
    expect(res.failedFilter).toBe("ServerGroupAntiAffinityFilter");
    expect(res.explanation.message).toBe(
      "No valid host was found for instance 3 of 3. 2 hosts: 2 already hold a member of anti-affinity group web.",
    );
    expect(Array.from(t.memoryMbUsed.subarray(0, 2))).toEqual(before);
    expect(Array.from(t.numInstances.subarray(0, 2))).toEqual([0, 0]);
    expect(g.counts.size).toBe(0);
    expect(g.hosts.size).toBe(0);
  });
});

describe("the NoValidHost explanation", () => {
  it("attributes every host to the first filter that rejects it, in filter order", () => {
    const hosts = [
      ...Array.from({ length: 9 }, (_, k) => hostRecord(`ram-${k}`, { memoryMb: 1024, memoryMbUsed: 1536 })),
      ...Array.from({ length: 3 }, (_, k) => hostRecord(`web-${k}`)),
    ];
    const t = tableOf(...hosts);
    const g = new GroupPlacement("web", "anti-affinity");
    for (let k = 9; k < 12; k++) g.add(k);
    const res = scheduler(t).schedule(request({ group: g }));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.explanation.message).toBe("No valid host was found. 12 hosts: 9 without enough RAM, 3 already hold a member of anti-affinity group web.");
    expect(res.explanation.details).toBe(
      "RamFilter: 9 without enough RAM: ram-0, ram-1, ram-2, ram-3, ram-4, ram-5, ram-6, ram-7, ram-8\n" +
        "ServerGroupAntiAffinityFilter: 3 already hold a member of anti-affinity group web: web-0, web-1, web-2",
    );
  });

  it("names down, disabled and mismatched hosts, and hosts whose claims were refused", () => {
    const t = tableOf(
      hostRecord("down", { lastSeenMs: NOW - 120_000 }),
      hostRecord("off", { enabled: false }),
      hostRecord("arm", { supportedInstances: [["aarch64", "qemu", "hvm"]] }),
      hostRecord("taken"),
    );
    const res = scheduler(t).schedule(request({ image: { hw_architecture: "x86_64" }, ignoreHosts: new Set([3]) }));
    expect(!res.ok && res.explanation.message).toBe(
      "No valid host was found. 4 hosts: 1 with the compute service down, 1 with the compute service disabled, " +
        "1 not supporting the image's hw_architecture=x86_64, 1 whose claim was refused by a concurrent request.",
    );
  });

  it("says when there are no hosts at all", () => {
    const res = scheduler(tableOf()).schedule(request());
    expect(!res.ok && res.explanation.message).toBe("No valid host was found. There are no compute hosts.");
  });
});

describe("max_attempts", () => {
  it("gives no alternates with max_attempts 1 and more with a larger value", () => {
    const t = tableOf(hostRecord("a"), hostRecord("b"), hostRecord("c"), hostRecord("d"), hostRecord("e"), hostRecord("f"));
    const one = scheduler(t, { maxAttempts: 1 }).schedule({ ...request(), flavor: TINY });
    expect(one.ok && one.selections[0]!.alternates).toEqual([]);
    const five = scheduler(t, { maxAttempts: 5 }).schedule(request());
    expect(five.ok && five.selections[0]!.alternates.length).toBe(4);
  });
});
