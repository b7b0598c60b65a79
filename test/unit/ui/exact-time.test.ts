import { describe, expect, it } from "vitest";
import { formatExactTime } from "@/lib/exact-time";

describe("formatExactTime", () => {
  it("prints what Date.toLocaleString prints with the same options, from one shared formatter", () => {
    for (const ms of [0, Date.UTC(2026, 10, 27, 7, 4, 12), Date.now()]) {
      expect(formatExactTime(ms)).toBe(new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }));
    }
  });
});
