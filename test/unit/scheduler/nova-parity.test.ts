// Replays what Nova 26's own code answered (fixtures/nova-cases.json, written by
// fixtures/nova_cases.py from Debian's python3-nova): extra-spec operators, ComputeCapabilitiesFilter,
// ImagePropertiesFilter and weight normalisation must answer the same. Where Nova raises (a
// non-numeric operand, "<or>" with nothing after it, an unknown architecture), Stratus's answer is
// "no match".
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { computeCapabilitiesFilter } from "@/server/scheduler/filters/compute-capabilities-filter";
import { matches } from "@/server/scheduler/filters/extra-specs-ops";
import { imagePropertiesFilter } from "@/server/scheduler/filters/image-properties-filter";
import { normalize } from "@/server/scheduler/weighers/normalize";
import { hostRecord, options, passing, request, tableOf } from "./helpers";

interface Cases {
  extra_specs_ops: { value: string; req: string; nova: boolean | string }[];
  compute_capabilities: { host: Record<string, unknown>; cases: { extra_specs: Record<string, string>; nova: boolean | string }[] };
  image_properties: {
    host: { supported_instances: string[][]; hypervisor_version: number };
    properties: Record<string, string>;
    nova: boolean | string;
  }[];
  normalize: { values: number[]; minval: number | null; maxval: number | null; nova: number[] }[];
}

const cases = JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures/nova-cases.json"), "utf8")) as Cases;
const expected = (nova: boolean | string) => nova === true;

describe("extra-spec operators agree with nova.scheduler.filters.extra_specs_ops.match", () => {
  it.each(cases.extra_specs_ops.map((c) => [c.value, c.req, c.nova] as const))("match(%j, %j) is %s in Nova", (value, req, nova) => {
    expect(matches(value, req)).toBe(expected(nova));
  });
});

describe("ComputeCapabilitiesFilter agrees with Nova's", () => {
  const h = cases.compute_capabilities.host as Record<string, number & string & string[][] & Record<string, string>>;
  const table = tableOf(
    hostRecord("host1", {
      hypervisorHostname: h.hypervisor_hostname,
      freeRamMb: h.free_ram_mb,
      freeDiskMb: h.free_disk_mb,
      vcpus: h.vcpus_total,
      vcpusUsed: h.vcpus_used,
      numInstances: h.num_instances,
      numIoOps: h.num_io_ops,
      failedBuilds: h.failed_builds,
      hypervisorType: h.hypervisor_type,
      hypervisorVersion: h.hypervisor_version,
      cpuInfo: h.cpu_info,
      supportedInstances: h.supported_instances,
      stats: h.stats,
      cpuAllocationRatio: h.cpu_allocation_ratio,
      ramAllocationRatio: h.ram_allocation_ratio,
      diskAllocationRatio: h.disk_allocation_ratio,
      memoryMb: h.total_usable_ram_mb,
      localGb: h.total_usable_disk_gb,
      diskMbUsed: h.disk_mb_used,
    }),
  );
  it.each(cases.compute_capabilities.cases.map((c) => [JSON.stringify(c.extra_specs), c.extra_specs, c.nova] as const))(
    "%s: Nova says %#",
    (_label, extraSpecs, nova) => {
      const req = request({ flavor: { vcpus: 1, memoryMb: 1024, rootGb: 0, ephemeralGb: 0, swapMb: 0, extraSpecs } });
      const f = computeCapabilitiesFilter.prepare(req, table, options());
      expect(passing(table, f)).toEqual(expected(nova) ? ["host1"] : []);
    },
  );
});

describe("ImagePropertiesFilter agrees with Nova's", () => {
  it.each(cases.image_properties.map((c) => [JSON.stringify(c.host), JSON.stringify(c.properties), c] as const))(
    "host %s, image %s",
    (_h, _p, c) => {
      const table = tableOf(hostRecord("host1", { supportedInstances: c.host.supported_instances, hypervisorVersion: c.host.hypervisor_version }));
      const f = imagePropertiesFilter.prepare(request({ image: c.properties }), table, options());
      expect(passing(table, f)).toEqual(expected(c.nova) ? ["host1"] : []);
    },
  );
});

describe("normalisation agrees with nova.weights.normalize", () => {
  it.each(cases.normalize.map((c) => [JSON.stringify(c.values), c.minval, c.maxval, c.nova] as const))(
    "normalize(%s, minval=%s, maxval=%s)",
    (values, minval, maxval, nova) => {
      const arr = Float64Array.from(JSON.parse(values) as number[]);
      normalize(arr, arr.length, minval, maxval);
      expect(Array.from(arr)).toEqual(nova);
    },
  );
});
