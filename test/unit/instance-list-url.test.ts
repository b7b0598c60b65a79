import { describe, expect, it } from "vitest";
import { listUrlQuery, readListUrl, searchParamsFrom } from "@/lib/instance-list-url";

describe("Instances page URL state", () => {
  it("reads the plain page as page 1, newest first, unfiltered", () => {
    expect(readListUrl(new URLSearchParams(""))).toEqual({ page: 1, filters: {}, sort: { sort: "created", dir: "desc" }, invalid: [] });
  });

  it("round-trips filters, sort and page through the query string", () => {
    const state = {
      page: 3,
      filters: { name: "web", status: "SHUTOFF" as const, ip: "10.0.1.", changesSince: "2026-11-27T03:00:00.000Z" },
      sort: { sort: "name" as const, dir: "asc" as const },
    };
    const query = listUrlQuery(state);
    expect(query).toBe("?name=web&status=SHUTOFF&ip=10.0.1.&changes-since=2026-11-27T03%3A00%3A00.000Z&sort=name&dir=asc&page=3");
    expect(readListUrl(new URLSearchParams(query))).toEqual({ ...state, invalid: [] });
  });

  it("leaves defaults out, so the first unfiltered page is the bare path", () => {
    expect(listUrlQuery({ page: 1, filters: {}, sort: { sort: "created", dir: "desc" } })).toBe("");
  });

  it("drops and names invalid params while keeping the valid ones", () => {
    const state = readListUrl(new URLSearchParams("name=web&status=RUNNING&ip=10.0.x&sort=uuid&page=x"));
    expect(state.filters).toEqual({ name: "web" });
    expect(state.sort).toEqual({ sort: "created", dir: "desc" });
    expect(state.page).toBe(1);
    expect(state.invalid).toHaveLength(4);
    expect(state.invalid[0]).toMatch(/^Status must be one of/);
    expect(state.invalid[1]).toBe("IP filter must be the start of an IPv4 address, e.g. 10.0.0.12 or 10.0.");
  });

  it("reads a server page's searchParams exactly as the browser reads its URL", () => {
    // Next hands a server page ?status=ERROR&status=ACTIVE as an array; the browser's get() answers the first.
    const url = "?name=web&status=ERROR&status=ACTIVE&sort=name&dir=asc&page=2&unknown=1";
    const record = { name: "web", status: ["ERROR", "ACTIVE"], sort: "name", dir: "asc", page: "2", unknown: "1", absent: undefined };
    expect(readListUrl(searchParamsFrom(record))).toEqual(readListUrl(new URLSearchParams(url)));
    expect(readListUrl(searchParamsFrom(record)).filters).toEqual({ name: "web", status: "ERROR" });
  });
});
