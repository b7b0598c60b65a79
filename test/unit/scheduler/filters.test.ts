// Each filter on its own: what passes, what fails, and the reason the explanation gives.
import { describe, expect, it } from "vitest";
import { availabilityZoneFilter } from "@/server/scheduler/filters/availability-zone-filter";
import { computeCapabilitiesFilter } from "@/server/scheduler/filters/compute-capabilities-filter";
import { computeFilter } from "@/server/scheduler/filters/compute-filter";
import { coreFilter } from "@/server/scheduler/filters/core-filter";
import { diskFilter } from "@/server/scheduler/filters/disk-filter";
import { imagePropertiesFilter } from "@/server/scheduler/filters/image-properties-filter";
import { ramFilter } from "@/server/scheduler/filters/ram-filter";
import { serverGroupAffinityFilter } from "@/server/scheduler/filters/server-group-affinity-filter";
import { serverGroupAntiAffinityFilter } from "@/server/scheduler/filters/server-group-anti-affinity-filter";
import type { HostFilter } from "@/server/scheduler/filters/types";
import { compileVersionPredicate, versionToString } from "@/server/scheduler/filters/version-predicate";
import type { HostTable } from "@/server/scheduler/host-table";
import { GroupPlacement, type SchedulingRequest } from "@/server/scheduler/request";
import { hostRecord, NOW, options, passing, request, tableOf, TINY } from "./helpers";

function run(f: HostFilter, t: HostTable, req: SchedulingRequest = request()) {
  const prepared = f.prepare(req, t, options());
  return {
    passed: passing(t, prepared),
    reasons: Object.fromEntries(Array.from(t.candidates(), (i) => [t.names[i]!, prepared?.reason(i)?.text(1) ?? null])),
    prepared,
  };
}

describe("ComputeFilter", () => {
  it("keeps enabled hosts heard from within service_down_time, in either clock direction", () => {
    const t = tableOf(
      hostRecord("up"),
      hostRecord("disabled", { enabled: false, disabledReason: "maintenance" }),
      hostRecord("stale", { lastSeenMs: NOW - 60_001 }),
      hostRecord("edge", { lastSeenMs: NOW - 60_000 }),
      hostRecord("future", { lastSeenMs: NOW + 61_000 }),
      hostRecord("forced", { forcedDown: true }),
    );
    const r = run(computeFilter, t);
    expect(r.passed).toEqual(["up", "edge"]);
    expect(r.reasons).toMatchObject({
      disabled: "with the compute service disabled",
      stale: "with the compute service down",
      future: "with the compute service down",
      forced: "with the compute service down",
      up: null,
    });
    expect(computeFilter.oncePerRequest).toBe(true);
  });
});

describe("AvailabilityZoneFilter", () => {
  const t = tableOf(hostRecord("a"), hostRecord("b"), hostRecord("c"));
  t.setAggregates([
    { hosts: ["a"], availabilityZone: "az1", metadata: {} },
    { hosts: ["b"], availabilityZone: "az2", metadata: {} },
    { hosts: ["b"], availabilityZone: null, metadata: { ssd: "true" } },
  ]);

  it("passes every host when no zone is requested", () => {
    expect(run(availabilityZoneFilter, t).prepared).toBeNull();
  });

  it("keeps the hosts of the requested zone; a host in no zone aggregate is in the default zone", () => {
    expect(run(availabilityZoneFilter, t, request({ availabilityZone: "az1" })).passed).toEqual(["a"]);
    expect(run(availabilityZoneFilter, t, request({ availabilityZone: "nova" })).passed).toEqual(["c"]);
    const r = run(availabilityZoneFilter, t, request({ availabilityZone: "az9" }));
    expect(r.passed).toEqual([]);
    expect(r.reasons.a).toBe("outside availability zone az9");
  });

  it("accepts a host in two zone aggregates for either zone", () => {
    const t2 = tableOf(hostRecord("a"));
    t2.setAggregates([
      { hosts: ["a"], availabilityZone: "az1", metadata: {} },
      { hosts: ["a"], availabilityZone: "az2", metadata: {} },
    ]);
    expect(run(availabilityZoneFilter, t2, request({ availabilityZone: "az2" })).passed).toEqual(["a"]);
  });
});

describe("capacity: RamFilter, CoreFilter, DiskFilter (Placement's rule)", () => {
  it("fits up to (total − reserved) × ratio, exactly at the limit and not one unit more", () => {
    // (4096 − 512) × 1.5 = 5376 MB
    const t = tableOf(
      hostRecord("edge", { memoryMb: 4096, reservedHostMemoryMb: 512, memoryMbUsed: 5376 - 512 }),
      hostRecord("over", { memoryMb: 4096, reservedHostMemoryMb: 512, memoryMbUsed: 5376 - 511 }),
    );
    expect(run(ramFilter, t).passed).toEqual(["edge"]);
    expect(run(ramFilter, t).reasons.over).toBe("without enough RAM");
  });

  it("counts vCPUs against (vCPUs − reserved) × cpu_allocation_ratio", () => {
    const t = tableOf(
      hostRecord("a", { vcpus: 4, reservedHostCpus: 1, cpuAllocationRatio: 2, vcpusUsed: 5 }),
      hostRecord("b", { vcpus: 4, reservedHostCpus: 1, cpuAllocationRatio: 2, vcpusUsed: 6 }),
    );
    expect(run(coreFilter, t).passed).toEqual(["a"]);
    expect(run(coreFilter, t).reasons.b).toBe("without enough vCPUs");
  });

  it("counts root + ephemeral + swap against (disk − reserved) × disk_allocation_ratio", () => {
    const flavor = { ...TINY, rootGb: 10, ephemeralGb: 5, swapMb: 1536 }; // 17 GB
    const t = tableOf(
      hostRecord("a", { localGb: 100, reservedHostDiskMb: 2048, localGbUsed: 81 }),
      hostRecord("b", { localGb: 100, reservedHostDiskMb: 2048, localGbUsed: 82 }),
    );
    expect(run(diskFilter, t, request({ flavor })).passed).toEqual(["a"]);
  });

  it("never puts more on a host than its total at once (max_unit), whatever the ratio", () => {
    const t = tableOf(hostRecord("small", { vcpus: 2, cpuAllocationRatio: 16 }), hostRecord("big", { vcpus: 8 }));
    expect(run(coreFilter, t, request({ flavor: { ...TINY, vcpus: 4 } })).passed).toEqual(["big"]);
  });

  it("follows consumption: a host fills up as instances are placed", () => {
    const t = tableOf(hostRecord("a", { memoryMb: 1024, ramAllocationRatio: 1 }));
    const use = { vcpus: 1, memoryMb: 512, diskGb: 1, freeDiskMb: 1024 };
    const req = request();
    const f = ramFilter.prepare(req, t, options())!;
    t.consume(0, use);
    expect(passing(t, f)).toEqual(["a"]);
    t.consume(0, use);
    expect(passing(t, f)).toEqual([]);
    t.unconsume(0, use);
    expect(passing(t, f)).toEqual(["a"]);
  });
});

describe("ComputeCapabilitiesFilter", () => {
  const t = tableOf(
    hostRecord("x86", { cpuInfo: JSON.stringify({ arch: "x86_64", topology: { cores: 8 } }), vcpus: 64 }),
    hostRecord("arm", { cpuInfo: JSON.stringify({ arch: "aarch64", topology: { cores: 4 } }), vcpus: 32, hypervisorType: "KVM" }),
    hostRecord("broken", { cpuInfo: "not json", vcpus: 128 }),
  );
  const caps = (extraSpecs: Record<string, string>) => run(computeCapabilitiesFilter, t, request({ flavor: { ...TINY, extraSpecs } }));

  it("reads nested JSON: capabilities:cpu_info:arch and deeper", () => {
    expect(caps({ "capabilities:cpu_info:arch": "x86_64" }).passed).toEqual(["x86"]);
    expect(caps({ "capabilities:cpu_info:topology:cores": ">= 5" }).passed).toEqual(["x86"]);
  });

  it("fails a host without the capability, or whose cpu_info is not JSON", () => {
    const r = caps({ "capabilities:cpu_info:vendor": "AMD" });
    expect(r.passed).toEqual([]);
    expect(r.reasons.broken).toBe('not matching capabilities:cpu_info:vendor "AMD"');
  });

  it("uses Nova's operators on host attributes", () => {
    expect(caps({ "capabilities:vcpus_total": ">= 64" }).passed).toEqual(["x86", "broken"]);
    expect(caps({ "capabilities:hypervisor_type": "s!= KVM" }).passed).toEqual(["x86", "broken"]);
    expect(caps({ "capabilities:cpu_info:arch": "<or> aarch64 <or> riscv64" }).passed).toEqual(["arm"]);
  });

  it("ignores other scopes and unknown unscoped keys, checks unscoped host attributes", () => {
    expect(caps({ "hw:cpu_policy": "dedicated", "quota:cpu_shares": "1024", bogus: "1" }).prepared).not.toBeNull();
    expect(caps({ "hw:cpu_policy": "dedicated", "quota:cpu_shares": "1024", bogus: "1" }).passed).toEqual(["x86", "arm", "broken"]);
    expect(caps({ vcpus_total: "<= 32" }).passed).toEqual(["arm"]);
    expect(caps({}).prepared).toBeNull();
  });

  it("re-checks a host whose capabilities changed (cached results are per host)", () => {
    const t2 = tableOf(hostRecord("a", { vcpus: 8 }), hostRecord("b", { vcpus: 8 }));
    const req = request({ flavor: { ...TINY, extraSpecs: { "capabilities:vcpus_total": ">= 16" } } });
    expect(passing(t2, computeCapabilitiesFilter.prepare(req, t2, options()))).toEqual([]);
    t2.patch(1, { vcpus: 16 });
    expect(passing(t2, computeCapabilitiesFilter.prepare(req, t2, options()))).toEqual(["b"]);
  });
});

describe("ImagePropertiesFilter", () => {
  const t = tableOf(
    hostRecord("x86-6.2", { supportedInstances: [["x86_64", "qemu", "hvm"]], hypervisorVersion: 6002000 }),
    hostRecord("x86-4.2", { supportedInstances: [["x86_64", "qemu", "hvm"]], hypervisorVersion: 4002000 }),
    hostRecord("arm", { supportedInstances: [["aarch64", "qemu", "hvm"]] }),
    hostRecord("none", { supportedInstances: [] }),
  );
  const img = (image: Record<string, string>) => run(imagePropertiesFilter, t, request({ image }));

  it("passes every host for an image without architecture, hypervisor type or VM mode", () => {
    expect(img({ os_distro: "debian" }).prepared).toBeNull();
  });

  it("matches the canonical architecture, type and mode against supported_instances", () => {
    expect(img({ hw_architecture: "amd64" }).passed).toEqual(["x86-6.2", "x86-4.2"]);
    expect(img({ architecture: "aarch64", hypervisor_type: "QEMU", vm_mode: "hvm" }).passed).toEqual(["arm"]);
    expect(img({ hw_architecture: "aarch64" }).reasons.none).toBe("not supporting the image's hw_architecture=aarch64");
  });

  it("checks img_hv_requested_version against the hypervisor version", () => {
    expect(img({ hw_architecture: "x86_64", img_hv_requested_version: ">=6.0" }).passed).toEqual(["x86-6.2"]);
    expect(img({ hw_architecture: "x86_64", img_hv_requested_version: ">= 4.0, < 5.0" }).passed).toEqual(["x86-4.2"]);
  });

  it("fails every host for an invalid architecture (Nova refuses the request)", () => {
    const r = img({ hw_architecture: "pdp11" });
    expect(r.passed).toEqual([]);
    expect(r.reasons.arm).toMatch(/unable to run the image: Architecture name 'pdp11' is not recognised/);
  });

  it("uses image_properties_default_architecture when the image names none", () => {
    const f = imagePropertiesFilter.prepare(request({ image: { img_hv_type: "qemu" } }), t, { ...options(), imagePropertiesDefaultArchitecture: "aarch64" });
    expect(passing(t, f)).toEqual(["arm"]);
  });

  it("parses versions as distutils and oslo do", () => {
    expect(versionToString(6002000)).toBe("6.2.0");
    expect(versionToString(10000001)).toBe("10.0.1");
    expect(compileVersionPredicate(">=6.0")!("6.2.0")).toBe(true);
    expect(compileVersionPredicate("==6.2")!("6.2.0")).toBe(true);
    expect(compileVersionPredicate("<6.0b1")!("6.0.0")).toBe(false);
    expect(compileVersionPredicate(">= six")).toBeNull();
  });
});

describe("ServerGroupAntiAffinityFilter", () => {
  const t = tableOf(hostRecord("a"), hostRecord("b"), hostRecord("c"));

  it("keeps hosts holding fewer than max_server_per_host members", () => {
    const g = new GroupPlacement("web", "anti-affinity");
    g.add(0);
    const r = run(serverGroupAntiAffinityFilter, t, request({ group: g }));
    expect(r.passed).toEqual(["b", "c"]);
    expect(r.reasons.a).toBe("already holds a member of anti-affinity group web");
    const g2 = new GroupPlacement("db", "anti-affinity", 2);
    g2.add(0);
    g2.add(0);
    g2.add(1);
    const r2 = run(serverGroupAntiAffinityFilter, t, request({ group: g2 }));
    expect(r2.passed).toEqual(["b", "c"]);
    expect(r2.reasons.a).toBe("already holds 2 members of anti-affinity group db (max_server_per_host 2)");
  });

  it("lets the instance's own host pass, and ignores other policies", () => {
    const g = new GroupPlacement("web", "anti-affinity");
    g.add(0);
    g.currentHost = 0;
    expect(run(serverGroupAntiAffinityFilter, t, request({ group: g })).passed).toEqual(["a", "b", "c"]);
    expect(run(serverGroupAntiAffinityFilter, t, request({ group: new GroupPlacement("x", "soft-anti-affinity") })).prepared).toBeNull();
  });
});

describe("ServerGroupAffinityFilter", () => {
  const t = tableOf(hostRecord("a"), hostRecord("b"));

  it("lets the first member go anywhere and the next ones only to the group's hosts", () => {
    const g = new GroupPlacement("db", "affinity");
    expect(run(serverGroupAffinityFilter, t, request({ group: g })).passed).toEqual(["a", "b"]);
    g.add(1);
    const r = run(serverGroupAffinityFilter, t, request({ group: g }));
    expect(r.passed).toEqual(["b"]);
    expect(r.reasons.a).toBe("not hosting affinity group db");
    expect(run(serverGroupAffinityFilter, t, request({ group: new GroupPlacement("x", "anti-affinity") })).prepared).toBeNull();
  });
});
