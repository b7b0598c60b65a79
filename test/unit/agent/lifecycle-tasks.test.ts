// The lifecycle tasks of the compute manager against libvirt's real test driver, with a fake
// controller that applies updates as compare-and-swaps: each task's task-state steps, final
// vm/power state and action events; failures revert with a fault; a changed instance or a delete
// stops a task without touching the row again.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { addLogSink, type LogRecord } from "@/server/logs/logger";
import { ComputeManager, TERMINATE_EVENT } from "../../../agent/compute-manager";
import { isRescueDomain } from "../../../agent/driver/domain-xml";
import { HypervisorError } from "../../../agent/driver/hypervisor";
import { LibvirtHypervisor } from "../../../agent/driver/libvirt-hypervisor";
import { PAUSE_EVENT, UNPAUSE_EVENT } from "../../../agent/tasks/pause";
import { START_EVENT, STOP_EVENT } from "../../../agent/tasks/power";
import { REBOOT_EVENT } from "../../../agent/tasks/reboot";
import { RESCUE_EVENT, UNRESCUE_EVENT, UNRESCUE_XML } from "../../../agent/tasks/rescue";
import { RESUME_EVENT, SUSPEND_EVENT } from "../../../agent/tasks/suspend";
import type { TaskTimings } from "../../../agent/tasks/task-runtime";
import { FakeController } from "./fake-controller";
import { FakeStorage } from "./fake-storage";
import { instanceSpec, makeTestHost, type TestHost } from "./test-host";
import { eventually } from "./eventually";

let host: TestHost;
let hv: LibvirtHypervisor;
let controller: FakeController;
let storage: FakeStorage;
let manager: ComputeManager;
let logs: LogRecord[];
let removeSink: () => void;

const FAST: Partial<TaskTimings> = { pollIntervalMs: 50, softRebootWaitMs: 2000, shutdownTimeoutMs: 2000, shutdownRetryIntervalMs: 500 };
const image = { id: randomUUID(), name: "cirros", diskFormat: "raw", size: 1024, checksum: null };

function makeManager(timings: Partial<TaskTimings> = FAST, withStorage = true): ComputeManager {
  return new ComputeManager({
    host: "compute-1",
    hypervisor: hv,
    reporter: controller,
    timings,
    instancesPath: path.join(host.dir, "instances"),
    ...(withStorage ? { storage } : {}),
  });
}

beforeAll(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterAll(() => vi.restoreAllMocks());

beforeEach(() => {
  host = makeTestHost();
  hv = new LibvirtHypervisor({ uri: host.uri, timeoutMs: 5000 });
  controller = new FakeController();
  storage = new FakeStorage(path.join(host.dir, "instances"));
  manager = makeManager();
  logs = [];
  removeSink = addLogSink((r) => logs.push(r));
});
afterEach(async () => {
  removeSink();
  await manager.idle();
  await hv.close();
  host.cleanup();
});

function context(): RequestContext {
  return { requestId: `req-${randomUUID()}`, userId: "user-1", projectId: "project-1" };
}

/** A built, running instance the fake controller knows as ACTIVE. */
async function activeInstance(): Promise<InstanceSpec> {
  const spec = instanceSpec();
  controller.rows.set(spec.uuid, { vmState: "building", taskState: "scheduling", powerState: 0 });
  await manager.buildAndRunInstance(context(), spec, image);
  expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
  controller.updates.length = 0;
  controller.events.length = 0;
  return { ...spec, vmState: "active", taskState: null, powerState: 1 };
}

/** What the API does before the cast: set the action's task state. */
function apiSets(spec: InstanceSpec, taskState: InstanceSpec["taskState"]): InstanceSpec {
  controller.rows.get(spec.uuid)!.taskState = taskState;
  return { ...spec, taskState };
}

function taskSteps(uuid: string): (string | null | undefined)[] {
  return controller.updates.filter((u) => u.uuid === uuid && u.taskState !== undefined).map((u) => u.taskState);
}

describe("stop and start", () => {
  it("stops with an ACPI shutdown (SHUTOFF, power 4) and starts again (ACTIVE, power 1)", async () => {
    const spec = await activeInstance();
    const ctx = context();
    await manager.stopInstance({ ctx, spec: apiSets(spec, "powering-off"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "stopped", taskState: null, powerState: 4 });
    expect(controller.updates.every((u) => u.applied && u.requestId === ctx.requestId)).toBe(true);
    expect(controller.updates[0]).toMatchObject({ expectedTaskState: ["powering-off"], step: "Shutting down the guest (ACPI power button)" });
    expect(controller.eventsFor(spec.uuid)).toEqual([`${STOP_EVENT}:start`, `${STOP_EVENT}:finish:Success`]);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "shutoff", reason: "shutdown" });
    expect(logs.map((l) => l.message)).toContain("Instance shutdown successfully after 0 seconds.");

    await manager.startInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "stopped" }, "powering-on"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
    expect(controller.eventsFor(spec.uuid).slice(-2)).toEqual([`${START_EVENT}:start`, `${START_EVENT}:finish:Success`]);
  });

  it("powers off a guest that ignores ACPI after shutdown_timeout, and says so on the event", async () => {
    manager = makeManager({ ...FAST, shutdownTimeoutMs: 600, shutdownRetryIntervalMs: 200 });
    const spec = await activeInstance();
    const shutdown = vi.spyOn(hv, "shutdown").mockResolvedValue(undefined);
    const started = Date.now();
    await manager.stopInstance({ ctx: context(), spec: apiSets(spec, "powering-off"), image });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(shutdown.mock.calls.length).toBeGreaterThanOrEqual(3); // the request is re-sent while waiting
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "stopped", powerState: 4 });
    expect(controller.events.at(-1)?.details).toMatch(/ignored the ACPI shutdown for 1 s and was powered off/);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "shutoff", reason: "destroyed" });
  });

  it("re-creates the domain on start when the host lost it (power on = hard reboot path)", async () => {
    const spec = await activeInstance();
    await hv.destroy(spec.uuid);
    await hv.undefine(spec.uuid);
    controller.rows.get(spec.uuid)!.vmState = "stopped";
    await manager.startInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "stopped" }, "powering-on"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", powerState: 1 });
    // Defined from the database's view, with the storage's disk and console log.
    const xml = await hv.getXml(spec.uuid);
    expect(xml).toContain(path.join(storage.instanceDir(spec.uuid), "disk"));
    expect(xml).toContain("console.log");
  });
});

describe("reboot", () => {
  it("soft: reboot_pending → reboot_started, ACPI shutdown, start again — ACTIVE", async () => {
    const spec = await activeInstance();
    const idBefore = await hv.domainId(spec.uuid);
    await manager.rebootInstance({ ctx: context(), spec: apiSets(spec, "rebooting"), image, rebootType: "SOFT" });
    expect(taskSteps(spec.uuid)).toEqual(["reboot_pending", "reboot_started", null]);
    expect(controller.updates[0]!.expectedTaskState).toEqual(["rebooting", "reboot_pending", "reboot_started"]);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(await hv.domainId(spec.uuid)).not.toBe(idBefore); // the guest really went down and came back
    const finish = controller.events.at(-1)!;
    expect(finish).toMatchObject({ event: REBOOT_EVENT, phase: "finish", result: "Success" });
    expect(finish.details).toBeUndefined();
    expect(logs.map((l) => l.message)).toContain("Instance soft rebooted successfully.");
  });

  it("soft: a guest that never goes down gets a hard reboot, recorded on the event", async () => {
    manager = makeManager({ ...FAST, softRebootWaitMs: 300 });
    const spec = await activeInstance();
    vi.spyOn(hv, "shutdown").mockResolvedValue(undefined);
    await manager.rebootInstance({ ctx: context(), spec: apiSets(spec, "rebooting"), image, rebootType: "SOFT" });
    // Nova keeps the soft task states during the fallback.
    expect(taskSteps(spec.uuid)).toEqual(["reboot_pending", "reboot_started", null]);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", powerState: 1 });
    expect(controller.events.at(-1)).toMatchObject({ result: "Success" });
    expect(controller.events.at(-1)!.details).toMatch(/did not shut down within 0 s; fell back to a hard reboot/);
    expect(logs.some((l) => l.level === 40 && /Failed to soft reboot instance.*Trying hard reboot\./.test(l.message))).toBe(true);
  });

  it("hard: reboot_pending_hard → reboot_started_hard, domain re-created from the spec", async () => {
    const spec = await activeInstance();
    await hv.suspend(spec.uuid); // even a paused guest comes back running
    await manager.rebootInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "paused" }, "rebooting_hard"), image, rebootType: "HARD" });
    expect(taskSteps(spec.uuid)).toEqual(["reboot_pending_hard", "reboot_started_hard", null]);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", powerState: 1 });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
  });

  it("a failed reboot of a guest that is not running leaves ERROR with the fault", async () => {
    const spec = await activeInstance();
    vi.spyOn(hv, "define").mockRejectedValueOnce(new HypervisorError("internal error: cannot define", "failed", "define"));
    await manager.rebootInstance({ ctx: context(), spec: apiSets(spec, "rebooting_hard"), image, rebootType: "HARD" });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "error", taskState: null, fault: "internal error: cannot define" });
    expect(controller.events.at(-1)).toMatchObject({ event: REBOOT_EVENT, result: "Error", details: "internal error: cannot define" });
  });
});

describe("pause, suspend", () => {
  it("pauses (PAUSED, power 3) and unpauses (ACTIVE)", async () => {
    const spec = await activeInstance();
    await manager.pauseInstance({ ctx: context(), spec: apiSets(spec, "pausing"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "paused", taskState: null, powerState: 3 });
    await manager.unpauseInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "paused" }, "unpausing"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(controller.eventsFor(spec.uuid)).toEqual([
      `${PAUSE_EVENT}:start`,
      `${PAUSE_EVENT}:finish:Success`,
      `${UNPAUSE_EVENT}:start`,
      `${UNPAUSE_EVENT}:finish:Success`,
    ]);
  });

  // `virsh managedsave` hangs now and then on the test driver (see suspend.ts): retried, not hidden.
  it("suspends to a managed save (SUSPENDED, power 4) and resumes from it", { retry: 2 }, async () => {
    const spec = await activeInstance();
    await manager.suspendInstance({ ctx: context(), spec: apiSets(spec, "suspending"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "suspended", taskState: null, powerState: 4 });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "shutoff", reason: "saved" });
    await manager.resumeInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "suspended" }, "resuming"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(controller.eventsFor(spec.uuid).filter((e) => e.endsWith("Success"))).toEqual([
      `${SUSPEND_EVENT}:finish:Success`,
      `${RESUME_EVENT}:finish:Success`,
    ]);
  });

  it("a managed save that hangs and takes the test driver's state with it ends ACTIVE with an explained fault", async () => {
    const spec = await activeInstance();
    // What the driver does when virsh hangs: the call times out and the connection (= the host) is gone.
    vi.spyOn(hv, "managedSave").mockImplementationOnce(async (uuid) => {
      await hv.destroy(uuid);
      await hv.undefine(uuid);
      throw new HypervisorError("virsh command 'managedsave x' timed out after 2s; the virsh shell was restarted", "timeout", "managedsave");
    });
    await manager.suspendInstance({ ctx: context(), spec: apiSets(spec, "suspending"), image });
    const row = controller.rows.get(spec.uuid)!;
    expect(row).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(row.fault).toMatch(/timed out after 2s.*lost the domain: it was re-created from its definition/);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
    expect(controller.events.at(-1)).toMatchObject({ event: SUSPEND_EVENT, result: "Error" });
  });

  it("resume re-creates a domain the host lost and says the saved state is gone", async () => {
    const spec = await activeInstance();
    await hv.destroy(spec.uuid);
    await hv.undefine(spec.uuid);
    await manager.resumeInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "suspended" }, "resuming"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", powerState: 1 });
    expect(controller.events.at(-1)!.details).toMatch(/saved memory state were lost; the instance was booted afresh/);
  });
});

describe("rescue", () => {
  it("boots the rescue disk first and the instance's disk second; unrescue restores exactly the saved XML", async () => {
    const spec = await activeInstance();
    const original = await hv.getXml(spec.uuid, { inactive: true });
    const rescueImage = { ...image, id: randomUUID(), name: "rescue-img" };
    await manager.rescueInstance({ ctx: context(), spec: apiSets(spec, "rescuing"), image, rescueImage });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "rescued", taskState: null, powerState: 1 });
    const dir = storage.instanceDir(spec.uuid);
    expect(readFileSync(path.join(dir, UNRESCUE_XML), "utf8")).toBe(original);
    expect(storage.rescueImages).toEqual([rescueImage.id]);
    const rescueXml = await hv.getXml(spec.uuid);
    const disks = [...rescueXml.matchAll(/<source file='([^']+)'\/>\s*<target dev='(\w+)'/g)].map((m) => [path.basename(m[1]!), m[2]]);
    expect(disks).toEqual([
      ["disk.rescue", "vda"],
      ["disk", "vdb"],
    ]);
    expect(isRescueDomain(rescueXml)).toBe(true);

    await manager.unrescueInstance({ ctx: context(), spec: apiSets({ ...spec, vmState: "rescued" }, "unrescuing"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(await hv.getXml(spec.uuid, { inactive: true })).toBe(original);
    expect(existsSync(path.join(dir, UNRESCUE_XML))).toBe(false);
    expect(existsSync(path.join(dir, "disk.rescue"))).toBe(false);
    expect(existsSync(path.join(dir, "disk"))).toBe(true);
    expect(controller.eventsFor(spec.uuid)).toEqual([
      `${RESCUE_EVENT}:start`,
      `${RESCUE_EVENT}:finish:Success`,
      `${UNRESCUE_EVENT}:start`,
      `${UNRESCUE_EVENT}:finish:Success`,
    ]);
  });

  it("rescues a stopped instance, and works without instance storage (no disks to arrange)", async () => {
    manager = makeManager(FAST, false);
    const spec = await activeInstance();
    await hv.destroy(spec.uuid);
    const stopped = { ...spec, vmState: "stopped" as const, powerState: 4 as const };
    controller.rows.get(spec.uuid)!.vmState = "stopped";
    await manager.rescueInstance({ ctx: context(), spec: apiSets(stopped, "rescuing"), image, rescueImage: image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "rescued", powerState: 1 });
    expect(existsSync(path.join(host.dir, "instances", spec.uuid, UNRESCUE_XML))).toBe(true);
  });

  it("a failure before the domain is replaced leaves the instance as it was", async () => {
    const spec = await activeInstance();
    vi.spyOn(storage, "prepareRescueDisk").mockRejectedValueOnce(new Error("image download failed"));
    await manager.rescueInstance({ ctx: context(), spec: apiSets(spec, "rescuing"), image, rescueImage: image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, fault: "image download failed" });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
  });
});

describe("ownership", () => {
  it("abandons a task whose instance changed (CAS refused) without touching the guest", async () => {
    const spec = await activeInstance();
    apiSets(spec, "deleting"); // a delete won
    await manager.pauseInstance({ ctx: context(), spec: { ...spec, taskState: "pausing" }, image });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: "deleting" });
    expect(controller.events.at(-1)).toMatchObject({ event: PAUSE_EVENT, result: "Error", details: expect.stringMatching(/^Abandoned: /) });
  });

  it("a delete cuts a waiting task short and wins", async () => {
    manager = makeManager({ ...FAST, shutdownTimeoutMs: 30_000 });
    const spec = await activeInstance();
    vi.spyOn(hv, "shutdown").mockResolvedValue(undefined); // the guest ignores ACPI
    const started = Date.now();
    const stopping = manager.stopInstance({ ctx: context(), spec: apiSets(spec, "powering-off"), image });
    await eventually(() => expect(controller.events.some((e) => e.event === STOP_EVENT)).toBe(true));
    await new Promise((r) => setTimeout(r, 200));
    const deleting = manager.terminateInstance(context(), apiSets(spec, "deleting"));
    await Promise.all([stopping, deleting]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(controller.eventsFor(spec.uuid)).toEqual([
      `${STOP_EVENT}:start`,
      `${STOP_EVENT}:finish:Error`,
      `${TERMINATE_EVENT}:start`,
      `${TERMINATE_EVENT}:finish:Success`,
    ]);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "deleted" });
    expect(await hv.domainState(spec.uuid)).toBeNull();
  });

  it("reverts the task state with a fault when the hypervisor refuses (vm_state kept)", async () => {
    const spec = await activeInstance();
    await hv.destroy(spec.uuid);
    await hv.undefine(spec.uuid);
    await manager.pauseInstance({ ctx: context(), spec: apiSets(spec, "pausing"), image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 0 });
    expect(controller.rows.get(spec.uuid)!.fault).toMatch(/not found|failed to get domain/i);
  });

  it("runs the RPCs of the new protocol through handleRpc", async () => {
    const spec = await activeInstance();
    const ctx = context();
    expect(manager.handleRpc({ method: "stop_instance", context: ctx, instance: apiSets(spec, "powering-off") })).toEqual({ ok: true });
    await manager.idle();
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "stopped" });
    expect(manager.handleRpc({ method: "reboot_instance", context: ctx, instance: spec, image, rebootType: "FIRM" })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/rebootType/),
    });
    expect(manager.handleRpc({ method: "rescue_instance", context: ctx, instance: spec, image })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/rescueImage/),
    });
  });
});
