import { describe, expect, it } from "vitest";
import { matchesFilters, serverListInput } from "@/lib/instance-list-query";
import type { InstanceAddresses, InstanceView } from "@/lib/instance-view";
import { satisfies, statusConditions } from "@/lib/status-states";
import { API_STATUSES, statusFromState, TASK_STATES, VM_STATES } from "@/lib/states";
import { buildListOrderBy, buildListWhere, statusWhere } from "@/server/instances/list-query";

const project = { projectId: "p1", postgres: false };

function issues(input: unknown): string[] {
  const parsed = serverListInput.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

describe("server list input", () => {
  it("fills Nova's default order (newest first) and the first page", () => {
    expect(serverListInput.parse(undefined)).toEqual({ page: 1, pageSize: 50, allProjects: false, sort: "created", dir: "desc" });
    expect(serverListInput.parse({})).toMatchObject({ page: 1, sort: "created", dir: "desc" });
  });

  it("trims text filters and upper-cases a status", () => {
    expect(serverListInput.parse({ name: "  web ", status: "shutoff" })).toMatchObject({ name: "web", status: "SHUTOFF" });
  });

  it("refuses unknown statuses, sort keys and directions with the allowed values", () => {
    expect(issues({ status: "RUNNING" })[0]).toMatch(/^Status must be one of ACTIVE, BUILD/);
    expect(issues({ sort: "uuid" })[0]).toMatch(/^Sort key must be one of name, status, created/);
    expect(issues({ dir: "up" })).toEqual(["Sort direction must be asc or desc"]);
  });

  it("refuses empty filters, bad timestamps and bad pages", () => {
    expect(issues({ name: "   " })).toEqual(["Name filter must not be empty"]);
    expect(issues({ name: "a\\b" })).toEqual(["Name filter cannot contain a backslash"]);
    expect(issues({ changesSince: "yesterday" })[0]).toMatch(/Changes since must be an ISO 8601 timestamp/);
    expect(issues({ page: 0 })).toEqual(["Page must be at least 1"]);
    expect(issues({ pageSize: 500 })).toEqual(["Page size must be at most 200"]);
  });

  it("takes the start of an IPv4 address as the IP filter and names what it wants otherwise", () => {
    expect(serverListInput.parse({ ip: " 10.0.0. " })).toMatchObject({ ip: "10.0.0." });
    const wanted = "IP filter must be the start of an IPv4 address, e.g. 10.0.0.12 or 10.0.";
    for (const ip of ["10.0.0.x", "10.0.0.256", "10..", "10.0.%", "fe80::1"]) expect(issues({ ip }), ip).toEqual([wanted]);
    expect(issues({ ip: "  " })).toEqual(["IP filter must not be empty"]);
  });

  it("accepts changes-since with an offset", () => {
    expect(issues({ changesSince: "2026-11-27T03:00:00+01:00" })).toEqual([]);
  });
});

describe("status filter conditions", () => {
  // Every stored pair (plus a task state Nova does not know) must agree with the status column.
  const tasks: (string | null)[] = [null, ...TASK_STATES, "some_future_task"];
  const vmStates: string[] = [...VM_STATES, "some_future_state"];
  it.each(API_STATUSES)("%s matches exactly the rows statusFromState shows as it", (status) => {
    const conditions = statusConditions(status);
    for (const vm of vmStates) {
      for (const task of tasks) {
        expect(satisfies(conditions, vm, task), `${vm}/${task ?? "null"}`).toBe(statusFromState(vm, task) === status);
      }
    }
  });

  it("expresses ACTIVE as a complement, so a null task state needs its own branch", () => {
    const where = statusWhere("ACTIVE");
    expect(where.OR).toHaveLength(1);
    const [active] = where.OR ?? [];
    expect(active).toMatchObject({ vmState: "active", OR: [{ taskState: null }, { taskState: { notIn: expect.arrayContaining(["rebooting", "migrating"]) } }] });
  });

  it("expresses REBOOT as the soft reboot task states of an active instance", () => {
    expect(statusWhere("REBOOT")).toEqual({ OR: [{ vmState: "active", taskState: { in: ["rebooting", "reboot_pending", "reboot_started"] } }] });
  });

  it("expresses UNKNOWN as a vm_state outside Nova's list", () => {
    expect(statusWhere("UNKNOWN")).toEqual({ OR: [{ vmState: { notIn: [...VM_STATES] } }] });
  });
});

describe("buildListWhere", () => {
  it("scopes to the project and hides deleted rows with no filter", () => {
    expect(buildListWhere({}, project)).toEqual({ deletedAt: null, projectId: "p1" });
    expect(buildListWhere({}, { projectId: null, postgres: false })).toEqual({ deletedAt: null });
  });

  it("matches names case-insensitively on both databases", () => {
    expect(buildListWhere({ name: "Web" }, project).AND).toEqual([{ displayName: { contains: "Web" } }]);
    expect(buildListWhere({ name: "Web" }, { ...project, postgres: true }).AND).toEqual([
      { displayName: { contains: "Web", mode: "insensitive" } },
    ]);
  });

  it("combines every filter with AND, flavor and image through their resolved ids", () => {
    const where = buildListWhere(
      { flavor: "m1.tiny", image: "cirros", host: "c1", zone: "az1", changesSince: "2026-11-27T03:00:00Z" },
      project,
      { flavorIds: ["m1.tiny", "f-1"], imageIds: ["cirros"] },
    );
    expect(where.AND).toEqual([
      { flavorId: { in: ["m1.tiny", "f-1"] } },
      { imageId: { in: ["cirros"] } },
      { host: "c1" },
      { availabilityZone: "az1" },
      { updatedAt: { gte: new Date("2026-11-27T03:00:00Z") } },
    ]);
  });
});

describe("buildListWhere's IP filter", () => {
  it("is a semi-join on fixed IPs in the prefix's numeric ranges", () => {
    expect(buildListWhere({ ip: "10.0.0.1" }, project).AND).toEqual([
      {
        fixedIps: {
          some: {
            OR: [
              { address: { gte: 167772161n, lte: 167772161n } },
              { address: { gte: 167772170n, lte: 167772179n } },
              { address: { gte: 167772260n, lte: 167772359n } },
            ],
          },
        },
      },
    ]);
  });

  it("needs no OR for a prefix that is one range", () => {
    expect(buildListWhere({ ip: "10.0.0." }, project).AND).toEqual([{ fixedIps: { some: { address: { gte: 167772160n, lte: 167772415n } } } }]);
  });
});

describe("buildListOrderBy", () => {
  it("orders newest first by default with the uuid tiebreak in the same direction", () => {
    expect(buildListOrderBy({ sort: "created", dir: "desc" })).toEqual([{ createdAt: "desc" }, { uuid: "desc" }]);
  });

  it("puts empty hosts and zones last in both directions", () => {
    expect(buildListOrderBy({ sort: "host", dir: "asc" })).toEqual([{ host: { sort: "asc", nulls: "last" } }, { uuid: "asc" }]);
    expect(buildListOrderBy({ sort: "zone", dir: "desc" })).toEqual([{ availabilityZone: { sort: "desc", nulls: "last" } }, { uuid: "desc" }]);
  });

  it("sorts status by vm_state then task_state, flavor by size", () => {
    expect(buildListOrderBy({ sort: "status", dir: "asc" })).toEqual([
      { vmState: "asc" },
      { taskState: { sort: "asc", nulls: "first" } },
      { uuid: "asc" },
    ]);
    expect(buildListOrderBy({ sort: "flavor", dir: "desc" }).map((o) => Object.keys(o)[0])).toEqual([
      "memoryMb",
      "vcpus",
      "rootGb",
      "flavorId",
      "uuid",
    ]);
  });
});

describe("matchesFilters (live rows)", () => {
  const addresses: InstanceAddresses = {
    private: [{ address: "10.0.0.12", version: 4, type: "fixed", macAddress: "fa:16:3e:00:00:0c" }],
    storage: [{ address: "192.168.5.7", version: 4, type: "fixed", macAddress: "fa:16:3e:00:00:0d" }],
  };
  const view = {
    uuid: "u1",
    name: "Web-01",
    status: "ACTIVE",
    flavorId: "f1",
    flavorName: "m1.tiny",
    imageId: "i1",
    imageName: "cirros",
    host: "c1",
    availabilityZone: "nova",
    addresses,
    updatedAt: "2026-11-27T03:00:00.000Z",
  } as InstanceView;

  it("accepts a row matching every filter", () => {
    expect(matchesFilters(view, {})).toBe(true);
    expect(matchesFilters(view, { name: "web", status: "ACTIVE", flavor: "m1.tiny", image: "i1", host: "c1", zone: "nova" })).toBe(true);
    expect(matchesFilters(view, { changesSince: "2026-11-27T03:00:00Z" })).toBe(true);
  });

  it("rejects a row failing any one filter", () => {
    expect(matchesFilters(view, { name: "db" })).toBe(false);
    expect(matchesFilters(view, { status: "SHUTOFF" })).toBe(false);
    expect(matchesFilters(view, { flavor: "m1.small" })).toBe(false);
    expect(matchesFilters(view, { changesSince: "2026-11-27T03:00:01Z" })).toBe(false);
  });

  it("matches the IP filter as the start of any of the row's addresses, on any network", () => {
    for (const ip of ["10.0.0.1", "10.0.0.12", "10.", "192.168.5.7"]) expect(matchesFilters(view, { ip }), ip).toBe(true);
    for (const ip of ["10.0.0.2", "10.0.0.120", "0.0.12", "192.168.5.70"]) expect(matchesFilters(view, { ip }), ip).toBe(false);
    expect(matchesFilters({ ...view, addresses: {} }, { ip: "10." })).toBe(false);
  });
});
