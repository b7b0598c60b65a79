import { describe, expect, it } from "vitest";
import { createFlavorSchema } from "@/lib/flavors/flavor-input";

const base = { name: "m1.test", vcpus: 1, memoryMb: 512, rootGb: 1 };

function problems(input: object): string[] {
  const r = createFlavorSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("createFlavorSchema (Nova's POST /flavors)", () => {
  it("fills Nova's defaults: no ephemeral disk, no swap, public", () => {
    expect(createFlavorSchema.parse(base)).toEqual({ ...base, ephemeralGb: 0, swapMb: 0, isPublic: true });
  });

  it("accepts a zero root disk (boot from volume) and a given id", () => {
    expect(problems({ ...base, rootGb: 0, id: "custom.id_1" })).toEqual([]);
  });

  it.each([
    [{ vcpus: 0 }, "vcpus: vCPUs must be at least 1."],
    [{ vcpus: 1.5 }, "vcpus: vCPUs must be a whole number."],
    [{ memoryMb: 0 }, "memoryMb: RAM must be at least 1 MB."],
    [{ rootGb: -1 }, "rootGb: Root disk must be at least 0 GB."],
    [{ ephemeralGb: -1 }, "ephemeralGb: Ephemeral disk must be at least 0 GB."],
    [{ swapMb: -1 }, "swapMb: Swap must be at least 0 MB."],
    [{ vcpus: 2 ** 31 }, "vcpus: vCPUs must be at most 2147483647."],
    [{ name: "" }, "name: Flavor name must not be empty."],
    [{ name: " padded" }, "name: Flavor name must not begin or end with whitespace."],
    [{ name: "a\u0007b" }, "name: Flavor name must not contain control characters."],
    [{ name: "n".repeat(256) }, "name: Flavor name must be at most 255 characters."],
    [{ id: "bad/id" }, "id: Flavor ID may use letters, digits, '.', '_', '-' and inner spaces."],
    [{ id: " lead" }, "id: Flavor ID may use letters, digits, '.', '_', '-' and inner spaces."],
  ])("refuses %j", (over, message) => {
    expect(problems({ ...base, ...over })).toEqual([message]);
  });

  it("refuses a missing size with a clear message", () => {
    expect(problems({ name: "x", memoryMb: 1, rootGb: 0 })).toEqual(["vcpus: vCPUs must be a number."]);
  });
});
