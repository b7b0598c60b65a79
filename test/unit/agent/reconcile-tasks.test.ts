// Reconciliation at agent start finishes the lifecycle tasks an agent restart interrupted, on the
// real test driver: retried (reboot, stop, resume, unrescue) or cleared from the domain's state.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { InstanceSpec } from "@/lib/agent-protocol";
import { ComputeManager } from "../../../agent/compute-manager";
import { buildDomainXml } from "../../../agent/driver/domain-xml";
import { LibvirtHypervisor } from "../../../agent/driver/libvirt-hypervisor";
import { POWEROFF_NOTE, writePoweroffNote } from "../../../agent/migration/poweroff-note";
import { reconcile } from "../../../agent/reconcile";
import { REBOOT_EVENT } from "../../../agent/tasks/reboot";
import { FakeController } from "./fake-controller";
import { FakeStorage } from "./fake-storage";
import { instanceSpec, makeTestHost, type TestHost } from "./test-host";

let host: TestHost;
let hv: LibvirtHypervisor;
let controller: FakeController;
let storage: FakeStorage;
let manager: ComputeManager;

const image = { id: randomUUID(), name: "cirros", diskFormat: "raw", size: 1024, checksum: null };

beforeAll(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterAll(() => vi.restoreAllMocks());

beforeEach(() => {
  host = makeTestHost();
  hv = new LibvirtHypervisor({ uri: host.uri, timeoutMs: 5000 });
  controller = new FakeController();
  storage = new FakeStorage(path.join(host.dir, "instances"));
  manager = new ComputeManager({ host: "compute-1", hypervisor: hv, reporter: controller, storage, timings: { pollIntervalMs: 50 } });
});
afterEach(async () => {
  await manager.idle();
  await hv.close();
  host.cleanup();
});

function placed(overrides: Partial<InstanceSpec>): InstanceSpec {
  const spec = instanceSpec(overrides);
  controller.rows.set(spec.uuid, { vmState: spec.vmState, taskState: spec.taskState, powerState: spec.powerState });
  return spec;
}

async function defineRunning(spec: InstanceSpec, paused = false): Promise<void> {
  await hv.define(buildDomainXml(spec, { domainType: "test" }));
  await hv.start(spec.uuid);
  if (paused) await hv.suspend(spec.uuid);
}

const deps = () => ({ hypervisor: hv, manager, reporter: controller });

describe("interrupted lifecycle tasks at init-host", () => {
  it("finishes each from what the hypervisor shows", async () => {
    const rebootCut = placed({ vmState: "active", taskState: "reboot_started", powerState: 1 }); // domain lost
    const stopping = placed({ vmState: "active", taskState: "powering-off", powerState: 1 });
    await defineRunning(stopping);
    const pausing = placed({ vmState: "active", taskState: "pausing", powerState: 1 });
    await defineRunning(pausing, true);
    const resuming = placed({ vmState: "suspended", taskState: "resuming", powerState: 4 }); // domain lost
    const rebootDone = placed({ vmState: "active", taskState: "reboot_started_hard", powerState: 1 });
    await defineRunning(rebootDone);

    const summary = await reconcile(
      deps(),
      [rebootCut, stopping, pausing, resuming, rebootDone].map((spec) => ({ spec, image })),
      "init-host",
    );
    await manager.idle();
    expect(summary.tasksResolved).toBe(5);
    expect(controller.rows.get(rebootCut.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(controller.eventsFor(rebootCut.uuid)).toEqual([`${REBOOT_EVENT}:start`, `${REBOOT_EVENT}:finish:Success`]);
    // Nova turns an interrupted soft reboot into a hard one: reboot_pending_hard, then started.
    const steps = controller.updates.filter((u) => u.uuid === rebootCut.uuid && u.taskState !== undefined).map((u) => u.taskState);
    expect(steps).toEqual(["reboot_pending_hard", "reboot_started_hard", null]);
    expect(await hv.domainState(rebootCut.uuid)).toMatchObject({ state: "running" });

    expect(controller.rows.get(stopping.uuid)).toMatchObject({ vmState: "stopped", taskState: null, powerState: 4 });
    expect(controller.rows.get(pausing.uuid)).toMatchObject({ vmState: "paused", taskState: null, powerState: 3 });
    expect(controller.rows.get(resuming.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(controller.rows.get(rebootDone.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
  });

  it("finishes an interrupted unrescue from the saved definition", async () => {
    const spec = placed({ vmState: "active", taskState: "rescuing", powerState: 1 });
    await defineRunning(spec);
    const original = await hv.getXml(spec.uuid, { inactive: true });
    await manager.rescueInstance({ ctx: { requestId: `req-${randomUUID()}`, userId: null, projectId: null }, spec, image, rescueImage: image });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "rescued" });
    controller.rows.get(spec.uuid)!.taskState = "unrescuing";

    await reconcile(deps(), [{ spec: { ...spec, vmState: "rescued", taskState: "unrescuing" }, image }], "init-host");
    await manager.idle();
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(await hv.getXml(spec.uuid, { inactive: true })).toBe(original);
  });

  it("re-creates a lost domain after clearing its task (a pause that never happened)", async () => {
    const spec = placed({ vmState: "active", taskState: "pausing", powerState: 1 });
    await reconcile(deps(), [{ spec, image }], "init-host");
    await manager.idle();
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null });
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
  });

  it("leaves tasks alone on a controller reconnect (the agent never stopped)", async () => {
    const spec = placed({ vmState: "active", taskState: "reboot_pending", powerState: 1 });
    await defineRunning(spec);
    const summary = await reconcile(deps(), [{ spec, image }], "reconnect");
    expect(summary.tasksResolved).toBe(0);
    expect(controller.updates).toEqual([]);
  });

  it("never re-creates the missing domain of an instance that is moving (the guest may run on the other host)", async () => {
    const live = placed({ vmState: "active", taskState: "migrating", powerState: 1 });
    const cold = placed({ vmState: "active", taskState: "resize_migrated", powerState: 4 });
    const atStart = await reconcile(deps(), [{ spec: live, image }], "init-host");
    // A lost test-driver connection re-creates what it lost, but not a guest that is moving.
    const afterReset = await reconcile(deps(), [{ spec: cold, image }], "hypervisor-reset");
    await manager.idle();
    expect(atStart.recreated + afterReset.recreated).toBe(0);
    expect(await hv.domainState(live.uuid)).toBeNull();
    expect(await hv.domainState(cold.uuid)).toBeNull();
    expect(controller.updates).toEqual([]);
  });

  it("never reaps the domain of an instance placed elsewhere that a move in flight brings here or takes away", async () => {
    // The incoming copy of a live migration, or the only copy once libvirt finished the move and
    // a controller restart kept the conductor from recording it: the database still says the source.
    const arriving = instanceSpec({ vmState: "active", taskState: "migrating", powerState: 1 });
    const stray = instanceSpec({ vmState: "active", taskState: null, powerState: 1 });
    await defineRunning(arriving);
    await defineRunning(stray);
    for (const mode of ["reconnect", "init-host"] as const) {
      const summary = await reconcile(deps(), [], mode, { moving: [arriving.uuid] });
      await manager.idle();
      expect(summary.reaped).toBe(mode === "reconnect" ? 1 : 0);
    }
    expect(await hv.domainState(arriving.uuid)).toMatchObject({ state: "running" });
    expect(await hv.domainState(stray.uuid)).toBeNull();
  });
});

describe("a cold migration cut short on its source", () => {
  it("powers the guest on again from the move's task state, or just clears it", async () => {
    const copying = placed({ vmState: "active", taskState: "resize_migrating", powerState: 1 }); // domain lost with the agent
    const copied = placed({ vmState: "stopped", taskState: "resize_migrated", powerState: 4 });
    const preparing = placed({ vmState: "active", taskState: "resize_prep", powerState: 1 });
    await defineRunning(preparing);
    await mkdir(storage.instanceDir(copying.uuid), { recursive: true });
    await writePoweroffNote(storage.instanceDir(copying.uuid), 7);

    const summary = await reconcile(deps(), [copying, copied, preparing].map((spec) => ({ spec, image })), "init-host");
    await manager.idle();
    expect(summary.tasksResolved).toBe(3);
    expect(controller.rows.get(copying.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(await hv.domainState(copying.uuid)).toMatchObject({ state: "running" });
    expect(existsSync(path.join(storage.instanceDir(copying.uuid), POWEROFF_NOTE))).toBe(false);
    // A guest that was off before the move stays off; one the move never touched keeps running.
    expect(controller.rows.get(copied.uuid)).toMatchObject({ vmState: "stopped", taskState: null });
    expect(await hv.domainState(copied.uuid)).toMatchObject({ state: "shutoff" });
    expect(controller.rows.get(preparing.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
  });

  it("powers on a guest the move left off after the conductor had already failed the move", async () => {
    // The conductor cleared the task when the agent went away; only the note says the guest ran.
    const spec = placed({ vmState: "active", taskState: null, powerState: 1 });
    await hv.define(buildDomainXml(spec, { domainType: "test" })); // defined, shut off (a real libvirtd keeps it)
    await mkdir(storage.instanceDir(spec.uuid), { recursive: true });
    await writePoweroffNote(storage.instanceDir(spec.uuid), 8);
    const summary = await reconcile(deps(), [{ spec, image }], "init-host");
    await manager.idle();
    expect(summary.tasksResolved).toBe(1);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" });
    expect(controller.rows.get(spec.uuid)).toMatchObject({ vmState: "active", taskState: null, powerState: 1 });
    expect(existsSync(path.join(storage.instanceDir(spec.uuid), POWEROFF_NOTE))).toBe(false);

    // Without the note a guest found off is not this rule's business (the power sync reports it).
    const other = placed({ vmState: "active", taskState: null, powerState: 1 });
    await hv.define(buildDomainXml(other, { domainType: "test" }));
    expect((await reconcile(deps(), [{ spec: other, image }], "init-host")).tasksResolved).toBe(0);
    await manager.idle();
    expect(await hv.domainState(other.uuid)).toMatchObject({ state: "shutoff" });
  });

  it("removes the instance directories the controller names as leftovers, never a wanted one", async () => {
    const kept = placed({ vmState: "active", taskState: null, powerState: 1 });
    await defineRunning(kept);
    const gone = randomUUID();
    for (const uuid of [kept.uuid, gone]) {
      await mkdir(storage.instanceDir(uuid), { recursive: true });
      await writeFile(path.join(storage.instanceDir(uuid), "disk.incoming.part"), "half a disk");
    }
    const summary = await reconcile(deps(), [{ spec: kept, image }], "init-host", {
      leftovers: [
        { uuid: gone, reason: "its instance is on compute-2 and no move in flight involves this host" },
        { uuid: kept.uuid, reason: "a stale view" },
      ],
    });
    expect(summary.leftoversRemoved).toBe(1);
    expect(existsSync(storage.instanceDir(gone))).toBe(false);
    expect(existsSync(storage.instanceDir(kept.uuid))).toBe(true);
  });
});

