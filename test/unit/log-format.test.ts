import { describe, expect, it } from "vitest";
import { formatNovaLine, formatTimestamp, levelName } from "@/lib/log-format";

const base = {
  time: new Date(2026, 10, 26, 13, 51, 28, 604),
  level: 30,
  pid: 19717,
  module: "stratus.compute.manager",
  requestId: null,
  userId: null,
  projectId: null,
  instanceUuid: null,
  message: "Compute node record created",
  source: null,
};

describe("Nova log line", () => {
  it("renders a line without context as [-]", () => {
    expect(formatNovaLine(base)).toBe(
      "2026-11-26 13:51:28.604 19717 INFO stratus.compute.manager [-] Compute node record created",
    );
  });

  it("renders the request context and the instance", () => {
    const line = formatNovaLine({
      ...base,
      requestId: "req-2b0f6d55-8e3c-4f0a-9c4e-1f2a3b4c5d6e",
      userId: "u1",
      projectId: "p1",
      instanceUuid: "0f7c3b1e-5d2a-4c6b-9e8f-1a2b3c4d5e6f",
      message: "Rebooting instance",
    });
    expect(line).toBe(
      "2026-11-26 13:51:28.604 19717 INFO stratus.compute.manager [req-2b0f6d55-8e3c-4f0a-9c4e-1f2a3b4c5d6e u1 p1 - - -] " +
        "[instance: 0f7c3b1e-5d2a-4c6b-9e8f-1a2b3c4d5e6f] Rebooting instance",
    );
  });

  it("prints - for a missing user or project in a request", () => {
    expect(formatNovaLine({ ...base, requestId: "req-x" })).toContain("[req-x - - - - -]");
  });

  it("appends the source location at DEBUG only", () => {
    expect(formatNovaLine({ ...base, level: 20, source: "agent/main.ts:12" })).toMatch(/DEBUG .* agent\/main\.ts:12$/);
    expect(formatNovaLine({ ...base, source: "agent/main.ts:12" })).not.toContain("agent/main.ts");
  });

  it("names levels as oslo.log does", () => {
    expect([10, 20, 30, 40, 50, 60].map(levelName)).toEqual(["DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]);
  });

  it("pads timestamps to milliseconds", () => {
    expect(formatTimestamp(new Date(2026, 0, 2, 3, 4, 5, 6))).toBe("2026-01-02 03:04:05.006");
  });

  it("accepts ISO strings from the wire", () => {
    const t = new Date(2026, 10, 26, 13, 51, 28, 604);
    expect(formatNovaLine({ ...base, time: t.toISOString() })).toBe(formatNovaLine(base));
  });
});
