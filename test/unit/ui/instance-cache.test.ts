import { describe, expect, it } from "vitest";
import type { InstanceView, ServiceView } from "@/lib/instance-view";
import { serverListInput } from "@/lib/instance-list-query";
import { belongsOnPage, listLacksRow, RecentInstanceEvents, removeFromPage, replaceInPage } from "@/lib/realtime/instance-cache";
import { upsertService } from "@/lib/realtime/service-cache";
import { timeAgo, timeSince } from "@/components/ui/relative-time";

function view(uuid: string, patch: Partial<InstanceView> = {}): InstanceView {
  return {
    uuid,
    name: uuid,
    projectId: "p1",
    userId: "u1",
    imageId: "img",
    imageName: "cirros",
    flavorId: "1",
    flavorName: "m1.tiny",
    vcpus: 1,
    memoryMb: 512,
    rootGb: 1,
    vmState: "building",
    taskState: "spawning",
    powerState: 0,
    status: "BUILD",
    host: "compute-1",
    hostId: "3f1c",
    availabilityZone: "nova",
    addresses: {},
    progress: 10,
    step: "Defining domain",
    locked: false,
    fault: null,
    autoConfirmAt: null,
    taskStartedAt: null,
    launchedAt: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:01.000Z",
    ...patch,
  };
}

describe("instance cache patching", () => {
  const page = { items: [view("a"), view("b")], total: 2, page: 1 };

  it("replaces a row with a newer view and keeps other fields of the page", () => {
    const next = replaceInPage(page, view("b", { status: "ACTIVE", taskState: null, updatedAt: "2026-01-01T00:00:02.000Z" }));
    expect(next).not.toBe(page);
    expect(next.items[1]?.status).toBe("ACTIVE");
    expect(next.page).toBe(1);
  });

  it("ignores older, identical and unknown views (same object back)", () => {
    expect(replaceInPage(page, view("b", { status: "ACTIVE", updatedAt: "2026-01-01T00:00:00.500Z" }))).toBe(page);
    expect(replaceInPage(page, view("b"))).toBe(page);
    expect(replaceInPage(page, view("zzz", { updatedAt: "2027-01-01T00:00:00.000Z" }))).toBe(page);
  });

  it("replaces a row whose addresses changed, even at the same updated_at, and not an equal copy", () => {
    const ip = { private: [{ address: "10.0.0.2", version: 4 as const, type: "fixed" as const, macAddress: "fa:16:3e:00:00:02" }] };
    const next = replaceInPage(page, view("b", { addresses: ip }));
    expect(next.items[1]?.addresses).toEqual(ip);
    expect(replaceInPage(next, view("b", { addresses: structuredClone(ip) }))).toBe(next);
  });

  it("removes a row and decrements the total", () => {
    const next = removeFromPage(page, "a");
    expect(next.items.map((i) => i.uuid)).toEqual(["b"]);
    expect(next.total).toBe(1);
    expect(removeFromPage(page, "nope")).toBe(page);
  });

  it("overlays events that arrived while a list was in flight, and is stable afterwards", () => {
    const recent = new RecentInstanceEvents();
    recent.noteChanged(view("a", { status: "ACTIVE", taskState: null, updatedAt: "2026-01-01T00:00:05.000Z" }));
    recent.noteRemoved("b");
    const fetched = { items: [view("a"), view("b")], total: 2 };
    const patched = recent.overlay(fetched);
    expect(patched.items.map((i) => [i.uuid, i.status])).toEqual([["a", "ACTIVE"]]);
    expect(patched.total).toBe(1);
    // A second pass changes nothing, so a cache listener applying it cannot loop.
    expect(recent.overlay(patched)).toBe(patched);
    // Deep-equal copies (what structural sharing hands back) are also left alone.
    expect(recent.overlay(structuredClone(patched))).toEqual(patched);
  });
});

describe("deciding whether a list lacks a pushed instance", () => {
  const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, "0")}.000Z`;
  const full = { items: [view("a", { createdAt: at(30) }), view("b", { createdAt: at(20) })], total: 9 };

  it("wants a new instance on the first page, even when that page was empty", () => {
    expect(belongsOnPage(full, view("new", { createdAt: at(40) }), 1, 2)).toBe(true);
    expect(belongsOnPage({ items: [], total: 0 }, view("new"), 1, 50)).toBe(true);
    expect(belongsOnPage({ items: [], total: 0 }, view("new"), 3, 50)).toBe(false);
  });

  it("leaves instances of later pages alone, and never asks for a row it has", () => {
    expect(belongsOnPage(full, view("old", { createdAt: at(10) }), 1, 2)).toBe(false);
    expect(belongsOnPage(full, view("a", { createdAt: at(30) }), 1, 2)).toBe(false);
  });

  it("wants an older instance when this is a last page with room", () => {
    expect(belongsOnPage(full, view("old", { createdAt: at(10) }), 2, 50)).toBe(true);
  });
});

describe("listLacksRow (filtered and sorted lists)", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const page = { items: [view("a", { createdAt: at(30) })], total: 1 };
  const input = (extra: object) => serverListInput.parse({ page: 1, pageSize: 50, ...extra });

  it("never asks a filtered list to show a new instance that does not match", () => {
    expect(listLacksRow(page, view("web-2", { createdAt: at(40) }), input({ name: "web" }), "p1")).toBe(true);
    expect(listLacksRow(page, view("db-1", { createdAt: at(40) }), input({ name: "web" }), "p1")).toBe(false);
    expect(listLacksRow(page, view("x", { createdAt: at(40) }), input({ status: "SHUTOFF" }), "p1")).toBe(false);
  });

  it("asks an IP-filtered list for a new instance only once it holds a matching address", () => {
    const addressed = (address: string) => ({ private: [{ address, version: 4 as const, type: "fixed" as const, macAddress: "fa:16:3e:00:00:09" }] });
    const filtered = input({ ip: "10.0.0.9" });
    expect(listLacksRow(page, view("new", { createdAt: at(40) }), filtered, "p1")).toBe(false);
    expect(listLacksRow(page, view("new", { createdAt: at(40), addresses: addressed("10.0.0.93") }), filtered, "p1")).toBe(true);
    expect(listLacksRow(page, view("new", { createdAt: at(40), addresses: addressed("10.0.0.8") }), filtered, "p1")).toBe(false);
  });

  it("ignores other projects unless the list covers all projects", () => {
    expect(listLacksRow(page, view("x", { projectId: "p2", createdAt: at(40) }), input({}), "p1")).toBe(false);
    expect(listLacksRow(page, view("x", { projectId: "p2", createdAt: at(40) }), input({ allProjects: true }), "p1")).toBe(true);
  });

  it("leaves placement to the server in any order but newest first", () => {
    expect(listLacksRow(page, view("old", { createdAt: at(10) }), input({ sort: "name", dir: "asc" }), "p1")).toBe(true);
    expect(listLacksRow(page, view("a", { createdAt: at(30) }), input({ sort: "name", dir: "asc" }), "p1")).toBe(false);
  });
});

describe("service cache patching", () => {
  const svc: ServiceView = {
    id: 1,
    binary: "stratus-compute",
    host: "compute-1",
    zone: "nova",
    status: "enabled",
    state: "up",
    disabledReason: null,
    forcedDown: false,
    version: "0.1.0",
    lastSeenAt: null,
    updatedAt: "x",
  };
  it("replaces by id and appends new services", () => {
    const list = [svc];
    expect(upsertService(list, { ...svc, state: "down" })[0]?.state).toBe("down");
    expect(upsertService(list, { ...svc, id: 2, host: "compute-2" })).toHaveLength(2);
  });
});

describe("time labels", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  it("reads like Django's timesince", () => {
    expect(timeSince(t0, t0 + 30_000)).toBe("0 minutes");
    expect(timeSince(t0, t0 + 60_000)).toBe("1 minute");
    expect(timeSince(t0, t0 + 3_600_000 + 5 * 60_000)).toBe("1 hour, 5 minutes");
    expect(timeSince(t0, t0 + 2 * 86_400_000 + 30_000)).toBe("2 days");
  });
  it("says seconds for recent heartbeats", () => {
    expect(timeAgo(t0, t0 + 2_000)).toBe("just now");
    expect(timeAgo(t0, t0 + 42_000)).toBe("42 seconds ago");
    expect(timeAgo(t0, t0 + 120_000)).toBe("2 minutes ago");
  });
});
