import { describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { hostId } from "@/server/instances/host-id";
import { actionEventFor, instanceViewFor } from "@/server/instances/member-view";

const base: InstanceView = {
  uuid: "9c6c1f1e-0000-4000-8000-000000000001",
  name: "web-1",
  projectId: "p1",
  userId: "u1",
  imageId: "img",
  imageName: "cirros",
  flavorId: "1",
  flavorName: "m1.tiny",
  vcpus: 1,
  memoryMb: 512,
  rootGb: 1,
  vmState: "error",
  taskState: null,
  powerState: 0,
  status: "ERROR",
  host: "compute-1",
  hostId: hostId("p1", "compute-1"),
  availabilityZone: "nova",
  addresses: { private: [{ address: "10.0.0.5", version: 4, type: "fixed", macAddress: "fa:16:3e:00:00:05" }] },
  progress: 0,
  step: null,
  locked: false,
  fault: { code: 500, message: "No valid host was found. 2 hosts: 2 without enough RAM.", details: "without enough RAM: compute-1, compute-2", createdAt: "2026-01-01T00:00:00.000Z" },
  autoConfirmAt: null,
  taskStartedAt: null,
  launchedAt: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:01.000Z",
};

describe("what a member sees of an instance", () => {
  it("an admin sees everything, unchanged", () => {
    expect(instanceViewFor(base, true)).toBe(base);
  });

  it("a member sees neither the host nor an internal error's details, but keeps the message and hostId", () => {
    const v = instanceViewFor(base, false);
    expect(v.host).toBeNull();
    expect(v.hostId).toBe(base.hostId);
    expect(v.fault).toEqual({ ...base.fault, details: null });
    expect(base.host).toBe("compute-1"); // the admin's copy is not touched
  });

  it("a member sees the instance's addresses, as Nova shows them to the owner", () => {
    expect(instanceViewFor(base, false).addresses).toEqual(base.addresses);
  });

  it("a member keeps the details of a fault that is not an internal error (Nova shows those)", () => {
    const fault = { ...base.fault!, code: 400, details: "Flavor's disk is too small" };
    expect(instanceViewFor({ ...base, fault }, false).fault).toEqual(fault);
  });
});

describe("hostId", () => {
  it("is Nova's sha224 of project and host, differs per project, and is null without a host", () => {
    expect(hostId("p1", "compute-1")).toMatch(/^[0-9a-f]{56}$/);
    expect(hostId("p1", "compute-1")).toBe(hostId("p1", "compute-1"));
    expect(hostId("p2", "compute-1")).not.toBe(hostId("p1", "compute-1"));
    expect(hostId("p1", "compute-2")).not.toBe(hostId("p1", "compute-1"));
    expect(hostId("p1", null)).toBeNull();
  });
});

describe("what a member sees of an action's events", () => {
  const failed = { event: "schedule_instances", result: "Error", host: "controller", traceback: "Traceback…", details: "No valid host was found. 2 hosts: 2 without enough RAM.\nwithout enough RAM: compute-1, compute-2" };

  it("a failed event keeps its first line, the message; hosts and tracebacks go", () => {
    expect(actionEventFor(failed, false)).toEqual({ ...failed, host: null, traceback: null, details: "No valid host was found. 2 hosts: 2 without enough RAM." });
  });

  it("a successful event's details (they name hosts) go", () => {
    expect(actionEventFor({ ...failed, result: "Success", details: "Selected host compute-1; alternates: compute-2" }, false).details).toBeNull();
  });

  it("an admin sees the event unchanged", () => {
    expect(actionEventFor(failed, true)).toBe(failed);
  });
});
