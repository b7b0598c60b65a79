import { describe, expect, it } from "vitest";
import { filterErrors, readFilterValues, toLogFilters, toSearchParams } from "@/components/logs/log-filters";

const UUID = "0b0e5c1e-6f7a-4a51-9d3c-2f1f6d1e8a90";

describe("Log Viewer filters in the URL", () => {
  it("reads every filter, trimmed, and missing ones as empty", () => {
    const v = readFilterValues(new URLSearchParams(`host=compute-1&level=40&request=%20req-1%20&instance=${UUID}`));
    expect(v).toEqual({ host: "compute-1", binary: "", module: "", level: "40", request: "req-1", instance: UUID });
  });

  it("maps values onto log.search's input, the level as a number and the uuid lower-cased", () => {
    const v = readFilterValues(new URLSearchParams(`binary=stratus-compute&module=stratus.compute&level=30&instance=${UUID.toUpperCase()}`));
    expect(toLogFilters(v)).toEqual({ binary: "stratus-compute", module: "stratus.compute", minLevel: 30, instanceUuid: UUID });
  });

  it("reports values the API would refuse and leaves them out of the search", () => {
    const v = readFilterValues(new URLSearchParams(`instance=web-1&level=35&request=${"r".repeat(65)}&host=compute-2`));
    expect(filterErrors(v)).toEqual({
      instance: "Instance IDs are UUIDs.",
      level: "Pick a level from the list.",
      request: "Request IDs are at most 64 characters.",
    });
    expect(toLogFilters(v)).toEqual({ host: "compute-2" });
  });

  it("writes only the filters that are set, and round-trips", () => {
    const v = readFilterValues(new URLSearchParams("host=compute-1&module=stratus.api"));
    const qs = toSearchParams(v);
    expect(qs).toBe("?host=compute-1&module=stratus.api");
    expect(readFilterValues(new URLSearchParams(qs))).toEqual(v);
    expect(toSearchParams(readFilterValues(new URLSearchParams()))).toBe("");
  });
});
