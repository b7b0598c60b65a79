import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { addLogSink, type LogRecord } from "@/server/logs/logger";
import { BUILD_EVENT, ComputeManager, TERMINATE_EVENT } from "../../../agent/compute-manager";
import { buildDomainXml } from "../../../agent/driver/domain-xml";
import { HypervisorError } from "../../../agent/driver/hypervisor";
import { LibvirtHypervisor } from "../../../agent/driver/libvirt-hypervisor";
import { PowerSync } from "../../../agent/power-sync";
import { reconcile } from "../../../agent/reconcile";
import { FakeController } from "./fake-controller";
import { instanceSpec, makeTestHost, type TestHost } from "./test-host";
import { eventually } from "./eventually";

let host: TestHost;
let hv: LibvirtHypervisor;
let controller: FakeController;
let manager: ComputeManager;
let logs: LogRecord[];
let removeSink: () => void;

beforeAll(() => {
  // Keep the Nova-format lines out of the test output; the sink below still sees every record.
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterAll(() => vi.restoreAllMocks());

beforeEach(() => {
  host = makeTestHost();
  hv = new LibvirtHypervisor({ uri: host.uri, timeoutMs: 5000 });
  controller = new FakeController();
  manager = new ComputeManager({ host: "compute-1", hypervisor: hv, reporter: controller });
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

/** An instance the fake controller knows, in the state the API/conductor left it. */
function placed(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  const spec = instanceSpec(overrides);
  controller.rows.set(spec.uuid, { vmState: spec.vmState, taskState: spec.taskState, powerState: spec.powerState });
  return spec;
}

const image = { id: randomUUID(), name: "cirros", diskFormat: "raw", size: 1024, checksum: null };

describe("build_and_run_instance", () => {
  it("walks Nova's task states, spawns the domain and ends ACTIVE/RUNNING", async () => {
    const spec = placed();
    const ctx = context();
    expect(manager.handleRpc({ method: "build_and_run_instance", context: ctx, instance: spec, image })).toEqual({ ok: true });
    await manager.idle();

    const steps = controller.updates.map((u) => [u.expectedTaskState, u.taskState, u.applied]);
    expect(steps).toEqual([
      [["scheduling", null], null, true],
      [[null], "networking", true],
      [["networking"], "block_device_mapping", true],
      [["block_device_mapping"], "spawning", true],
      [["spawning"], "spawning", true],
      [["spawning"], null, true],
    ]);
    expect(controller.updates.every((u) => u.requestId === ctx.requestId)).toBe(true);
    const last = controller.updates.at(-1)!;
    expect(last).toMatchObject({ vmState: "active", powerState: 1, progress: 100 });
    expect(Date.parse(last.launchedAt!)).toBeGreaterThan(0);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(controller.eventsFor(spec.uuid)).toEqual([`${BUILD_EVENT}:start`, `${BUILD_EVENT}:finish:Success`]);
    // The finished event carries the agent's step timings (bench:create reads them).
    expect(controller.events.at(-1)!.details).toMatch(/^Build timings: no disks, define \d+ ms, start \d+ ms$/);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });

    // Every line of the operation carries the request, user, project and instance.
    const lines = logs.filter((r) => r.requestId === ctx.requestId);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((r) => r.module === "stratus.compute.manager" && r.instanceUuid === spec.uuid && r.userId === "user-1")).toBe(true);
    expect(lines.map((r) => r.message).join("\n")).toMatch(/Took [\d.]+ seconds to build instance\./);
  });

  it("puts the instance in ERROR with libvirt's message as the fault when spawning fails", async () => {
    // A domain with the same name but another uuid makes libvirt refuse the definition.
    const spec = placed({ uuid: "abcdef01-1111-4111-8111-111111111111" });
    const squatter = instanceSpec({ uuid: "abcdef01-2222-4222-8222-222222222222" });
    await hv.define(buildDomainXml(squatter, { domainType: "test" }));

    await manager.buildAndRunInstance(context(), spec, image);
    const last = controller.updates.at(-1)!;
    expect(last).toMatchObject({ vmState: "error", taskState: null, expectedTaskState: ["spawning"], applied: true });
    expect(last.fault?.code).toBe(500);
    expect(last.fault?.message).toMatch(/already exists/);
    expect(last.fault?.details).toMatch(/HypervisorError/);
    const finish = controller.events.at(-1)!;
    expect(finish).toMatchObject({ event: BUILD_EVENT, phase: "finish", result: "Error" });
    expect(finish.traceback).toMatch(/at /);
    expect(await hv.domainState(squatter.uuid)).not.toBeNull(); // not ours: untouched
  });

  it("removes what it made when a later step fails", async () => {
    const spec = placed();
    vi.spyOn(hv, "start").mockRejectedValueOnce(new HypervisorError("internal error: qemu died", "failed", "start"));
    await manager.buildAndRunInstance(context(), spec, image);
    expect(await hv.domainState(spec.uuid)).toBeNull();
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "error", taskState: null, fault: "internal error: qemu died" });
  });

  it("aborts without touching the hypervisor when the instance changed under it (deleted meanwhile)", async () => {
    const spec = placed();
    controller.rows.get(spec.uuid)!.taskState = "deleting";
    await manager.buildAndRunInstance(context(), spec, image);
    expect(await hv.listDomains()).toEqual([]);
    expect(controller.rows.get(spec.uuid)).toMatchObject({ taskState: "deleting", vmState: "building" });
    expect(controller.eventsFor(spec.uuid).at(-1)).toBe(`${BUILD_EVENT}:finish:Error`);
  });
});

describe("terminate_instance", () => {
  it("destroys and undefines the domain, reports DELETED, and is idempotent", async () => {
    const spec = placed();
    await manager.buildAndRunInstance(context(), spec, image);
    controller.rows.get(spec.uuid)!.taskState = "deleting";
    await manager.terminateInstance(context(), { ...spec, vmState: "active", taskState: "deleting" });
    expect(await hv.domainState(spec.uuid)).toBeNull();
    expect(controller.updates.at(-1)).toMatchObject({
      vmState: "deleted",
      taskState: null,
      powerState: 0,
      expectedTaskState: ["deleting"],
      applied: true,
    });
    expect(controller.eventsFor(spec.uuid).slice(-2)).toEqual([`${TERMINATE_EVENT}:start`, `${TERMINATE_EVENT}:finish:Success`]);

    // Again, with nothing left on the hypervisor: still a success.
    controller.rows.get(spec.uuid)!.taskState = "deleting";
    await manager.terminateInstance(context(), { ...spec, taskState: "deleting" });
    expect(controller.eventsFor(spec.uuid).at(-1)).toBe(`${TERMINATE_EVENT}:finish:Success`);
  });

  it("runs one task at a time per instance: a delete during a build waits for it", async () => {
    const spec = placed();
    const ctx = context();
    manager.handleRpc({ method: "build_and_run_instance", context: ctx, instance: spec, image });
    manager.handleRpc({ method: "terminate_instance", context: context(), instance: { ...spec, taskState: "deleting" } });
    expect(manager.isBusy(spec.uuid)).toBe(true);
    // The API marks the row deleting after the build finished spawning (the CAS makes it safe).
    await eventually(() => expect(controller.rows.get(spec.uuid)?.vmState).toBe("active"));
    controller.rows.get(spec.uuid)!.taskState = "deleting";
    await manager.idle();
    expect(manager.isBusy(spec.uuid)).toBe(false);
    expect(controller.eventsFor(spec.uuid)).toEqual([
      `${BUILD_EVENT}:start`,
      `${BUILD_EVENT}:finish:Success`,
      `${TERMINATE_EVENT}:start`,
      `${TERMINATE_EVENT}:finish:Success`,
    ]);
    expect(await hv.domainState(spec.uuid)).toBeNull();
  });
});

describe("rpc handling", () => {
  it("refuses a malformed message with a readable reason and changes nothing", () => {
    const ack = manager.handleRpc({ method: "build_and_run_instance", context: { requestId: "nope" } });
    expect(ack.ok).toBe(false);
    expect(!ack.ok && ack.error).toMatch(/^invalid rpc: /);
    expect(manager.handleRpc({ method: "reboot_instance" })).toMatchObject({ ok: false });
    expect(controller.updates).toEqual([]);
  });

  it("refuses new work while stopping", async () => {
    await manager.stop();
    expect(manager.handleRpc({ method: "terminate_instance", context: context(), instance: placed() })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/stopping/),
    });
  });
});

describe("reconciliation (init_host)", () => {
  it("re-creates missing domains, fails interrupted builds, re-drives deletes and reaps strays", async () => {
    const active = placed({ vmState: "active", taskState: null, powerState: 1 });
    const stopped = placed({ vmState: "stopped", taskState: null, powerState: 4 });
    const building = placed({ vmState: "building", taskState: "spawning" });
    const deleting = placed({ vmState: "active", taskState: "deleting", powerState: 1 });
    const errored = placed({ vmState: "error", taskState: null });
    await hv.define(buildDomainXml(deleting, { domainType: "test" }));
    await hv.start(deleting.uuid);
    const stray = instanceSpec(); // ours, but the database no longer places it here
    await hv.define(buildDomainXml(stray, { domainType: "test" }));
    await hv.start(stray.uuid);
    const foreignUuid = randomUUID(); // somebody else's domain on a shared libvirt
    await hv.define(
      `<domain type='test'><name>foreign</name><uuid>${foreignUuid}</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`,
    );

    const instances = [active, stopped, building, deleting, errored].map((spec) => ({ spec, image: null }));
    const summary = await reconcile({ hypervisor: hv, manager, reporter: controller }, instances, "init-host");
    expect(summary).toEqual({ recreated: 2, failedBuilds: 1, deletesRedriven: 1, reaped: 1, skippedBusy: 0, tasksResolved: 0, leftoversRemoved: 0 });

    expect(await hv.domainState(active.uuid)).toMatchObject({ state: "running" });
    expect(await hv.domainState(stopped.uuid)).toMatchObject({ state: "shutoff" });
    expect(await hv.domainState(building.uuid)).toBeNull();
    expect(controller.rows.get(building.uuid)).toMatchObject({
      vmState: "error",
      taskState: null,
      fault: "Instance build interrupted by compute restart",
    });
    expect(await hv.domainState(deleting.uuid)).toBeNull();
    expect(controller.rows.get(deleting.uuid)).toMatchObject({ vmState: "deleted" });
    expect(await hv.domainState(errored.uuid)).toBeNull();
    expect(await hv.domainState(stray.uuid)).toBeNull();
    expect(await hv.domainState(foreignUuid)).not.toBeNull();
  });

  it("on a controller reconnect leaves builds alone and re-creates nothing", async () => {
    const building = placed({ vmState: "building", taskState: "scheduling" });
    const active = placed({ vmState: "active", taskState: null, powerState: 1 });
    const summary = await reconcile(
      { hypervisor: hv, manager, reporter: controller },
      [building, active].map((spec) => ({ spec, image: null })),
      "reconnect",
    );
    expect(summary).toMatchObject({ recreated: 0, failedBuilds: 0 });
    expect(controller.rows.get(building.uuid)).toMatchObject({ vmState: "building", taskState: "scheduling" });
  });
});

describe("power-state sync", () => {
  it("reports a guest that stopped or vanished behind the agent's back", async () => {
    const power = new PowerSync({ hypervisor: hv, reporter: controller, isBusy: () => false, intervalMs: 60_000 });
    const a = placed();
    const b = placed();
    await manager.buildAndRunInstance(context(), a, image);
    await manager.buildAndRunInstance(context(), b, image);
    power.resetTo([
      { uuid: a.uuid, powerState: 1 },
      { uuid: b.uuid, powerState: 1 },
    ]);
    await power.syncNow();
    expect(controller.powerReports).toEqual([]);

    await hv.destroy(a.uuid);
    await hv.destroy(b.uuid);
    await hv.undefine(b.uuid);
    await power.syncNow();
    expect(controller.powerReports).toEqual([
      { uuid: a.uuid, powerState: 4, reason: "hypervisor reports the domain shut off (destroyed)" },
      { uuid: b.uuid, powerState: 0, reason: "no domain on the hypervisor" },
    ]);
    await power.syncNow(); // nothing new
    expect(controller.powerReports).toHaveLength(2);
  });

  it("reports a re-created guest that stopped the moment after it was seen running", async () => {
    const power = new PowerSync({ hypervisor: hv, reporter: controller, isBusy: () => false, intervalMs: 60_000 });
    const withPower = new ComputeManager({ host: "compute-1", hypervisor: hv, reporter: controller, power });
    const spec = placed({ vmState: "active", taskState: null, powerState: 1 });
    power.resetTo([{ uuid: spec.uuid, powerState: 1 }]);
    // The guest dies the moment after the manager saw it running.
    const domainState = hv.domainState.bind(hv);
    let stopped = false;
    vi.spyOn(hv, "domainState").mockImplementation(async (uuid) => {
      const state = await domainState(uuid);
      if (state?.state === "running" && !stopped) {
        stopped = true;
        await hv.destroy(uuid);
      }
      return state;
    });
    await withPower.recreateDomain(spec, null);
    expect(stopped).toBe(true);
    await power.syncNow();
    expect(controller.powerReports).toEqual([{ uuid: spec.uuid, powerState: 4, reason: "hypervisor reports the domain shut off (destroyed)" }]);
  });
});
