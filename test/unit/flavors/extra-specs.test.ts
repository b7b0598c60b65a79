import { describe, expect, it } from "vitest";
import { extraSpecProblem, extraSpecsSchema } from "@/lib/flavors/extra-specs";

describe("extraSpecProblem (Nova's os-flavor-extra-specs rules)", () => {
  it.each([
    ["hw:cpu_policy", "dedicated"],
    ["hw:cpu_policy", "mixed"],
    ["hw:mem_page_size", "2MB"],
    ["hw:mem_page_size", "large"],
    ["hw:numa_nodes", "2"],
    ["hw:boot_menu", "True"],
    ["capabilities:cpu_info:arch", "x86_64"],
    ["capabilities:hypervisor_type", "s== QEMU"],
    ["capabilities:vcpus_total", ">= 64"],
    ["capabilities:cpu_info:features", "<all-in> avx avx2"],
    ["quota:cpu_shares", "1024"],
    ["trait:HW_CPU_X86_AVX2", "required"],
    ["my key.with-all_chars", "anything at all"],
  ])("accepts %s=%s", (key, value) => {
    expect(extraSpecProblem(key, value)).toBeNull();
  });

  it.each([
    ["hw:cpu_policy", "fast", /one of shared, dedicated, mixed/],
    ["hw:cpu_thread_policy", "sometimes", /one of prefer, isolate, require/],
    ["hw:numa_nodes", "0", /at least 1/],
    ["hw:mem_page_size", "huge", /page size/],
    ["hw:boot_menu", "maybe", /true or false/],
    ["capabilities:vcpus_total", ">=", /needs a value after ">="/],
    ["capabilities:vcpus_total", ">= many", /needs a number after ">="/],
    ["capabilities:", "x", /needs a capability name/],
    ["capabilities:arch", "  ", /must not be empty/],
    ["bad/key", "x", /letters, digits/],
    ["", "x", /letters, digits/],
    ["k".repeat(256), "x", /letters, digits/],
    ["ok", "v".repeat(256), /longer than 255/],
  ])("refuses %s=%s", (key, value, message) => {
    expect(extraSpecProblem(key, value)).toMatch(message);
  });
});

describe("extraSpecsSchema", () => {
  it("passes a valid map through unchanged", () => {
    const specs = { "hw:cpu_policy": "dedicated", "capabilities:cpu_info:arch": "x86_64" };
    expect(extraSpecsSchema.parse(specs)).toEqual(specs);
  });

  it("reports every bad spec with its key as the path", () => {
    const r = extraSpecsSchema.safeParse({ "hw:cpu_policy": "fast", "ok:key": "fine", "a/b": "x" });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(["hw:cpu_policy", "a/b"]);
  });

  it("refuses an empty map and non-string values", () => {
    expect(extraSpecsSchema.safeParse({}).success).toBe(false);
    expect(extraSpecsSchema.safeParse({ "hw:numa_nodes": 2 }).success).toBe(false);
  });
});
