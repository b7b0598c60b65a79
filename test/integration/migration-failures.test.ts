// Cold migrations whose hosts die mid-move, on two real agent processes on libvirt's test driver
// killed with SIGKILL while the disk is on the wire (STRATUS_TRANSFER_BANDWIDTH keeps a 64 MiB copy
// on the wire for seconds). Each ends consistent and explained: the instance ACTIVE on its source
// with no task, the migration `error`, the destination's claim freed and the source's allocation
// the instance's again, an Error event saying what happened — and the host that died cleans up
// after itself when its agent is back. Last, a source that is gone when the move is confirmed: the
// move is kept, and the source drops its copy when it is back.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { eventually, login, type ApiClient } from "./api-client";
import { allocations, faults, fillDisk, memoryUsed, settled } from "./move-helpers";

const HOSTS = ["compute-1", "compute-2"] as const;
type Host = (typeof HOSTS)[number];
const AGENT_ENV = { STRATUS_DISK_GB: "2000", STRATUS_SHUTDOWN_TIMEOUT: "5", STRATUS_TRANSFER_BANDWIDTH: "16" };
const DISK_MIB = 64;
const MiB = 1024 * 1024;

let controller: Controller;
const agents = new Map<Host, Agent>();
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

function start(host: Host, stateDir?: string): Agent {
  const agent = startAgent({
    host,
    controllerUrl: controller.url,
    tokenFile: controller.tokenFile(host),
    cpus: 16,
    memoryMb: 32768,
    env: AGENT_ENV,
    ...(stateDir ? { stateDir } : {}),
  });
  agents.set(host, agent);
  return agent;
}

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS] });
  for (const host of HOSTS) start(host);
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, [...agents.values()]);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await controller?.stop();
});

const other = (host: string | null): Host => (host === HOSTS[0] ? HOSTS[1] : HOSTS[0]);
const instanceDir = (host: Host, uuid: string) => path.join(agents.get(host)!.stateDir, "instances", uuid);

/** An ACTIVE instance with DISK_MIB of data in its disk, and where it runs. */
async function activeWithData(name: string): Promise<{ uuid: string; source: Host; dest: Host }> {
  const { instances } = await demo.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  const vm = await settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
  const source = vm.host as Host;
  fillDisk(path.join(instanceDir(source, vm.uuid), "disk"), DISK_MIB);
  return { uuid: vm.uuid, source, dest: other(source) };
}

/** Waits until the copy is under way: part of the disk has reached the destination. */
async function copyUnderWay(dest: Host, uuid: string): Promise<void> {
  const part = path.join(instanceDir(dest, uuid), "disk.incoming.part");
  await eventually(async () => (existsSync(part) && statSync(part).size >= 8 * MiB ? true : undefined), 30_000, "the copy to start");
}

async function migrateAction(uuid: string) {
  return eventually(async () => {
    const a = (await admin.server.actions.query({ id: uuid })).find((x) => x.action === "migrate");
    return a?.finishTime ? a : undefined;
  });
}

describe("a cold migration whose host dies mid-copy", () => {
  it("destination dies: the source powers the guest on again, claims go back, the destination drops its half disk on restart", async () => {
    const { uuid, source, dest } = await activeWithData("dest-dies");
    const destUsed = await memoryUsed(controller.databaseUrl, dest);

    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await copyUnderWay(dest, uuid);
    const killed = agents.get(dest)!;
    await killed.kill("SIGKILL");

    const after = await eventually(async () => {
      const [m] = await admin.server.migrations.query({ id: uuid });
      return m?.status === "error" ? settled(admin, uuid, () => true, 30_000) : undefined;
    }, 30_000, "the migration to fail");
    expect(after).toMatchObject({ status: "ACTIVE", vmState: "active", host: source, powerState: 1 });
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: source, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, dest)).toBe(destUsed);
    expect(existsSync(path.join(instanceDir(source, uuid), "disk"))).toBe(true);
    expect(existsSync(path.join(instanceDir(source, uuid), "migration-poweroff.json"))).toBe(false);

    const migrate = await migrateAction(uuid);
    expect(migrate.message).toBe("Error");
    expect(migrate.events.find((e) => e.event === "compute_resize_instance")).toMatchObject({
      result: "Error",
      details: expect.stringMatching(new RegExp(`^Copying the disk to ${dest} failed: `)),
    });
    expect(migrate.events.find((e) => e.event === "conductor_migrate_server")).toMatchObject({
      result: "Error",
      details: expect.stringMatching(new RegExp(`^resize_instance on ${source} failed: .*Copying the disk to ${dest} failed`)),
    });
    expect((await faults(controller.databaseUrl, uuid)).join("\n")).toMatch(/Copying the disk to .* failed/);

    // The half-received disk is still there: nobody could tell the dead agent to remove it.
    expect(existsSync(instanceDir(dest, uuid))).toBe(true);
    const back = start(dest, killed.stateDir);
    await back.waitForLog(/Reconciled \d+ instances .* 1 leftover instance directories removed/, 60_000);
    expect(existsSync(instanceDir(dest, uuid))).toBe(false);
    expect(back.logs()).toMatch(/Removing the instance files left on this host: its instance is on compute-\d and no move in flight involves this host/);

    // Nothing is left half-done: the instance moves on once the destination is back.
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    expect(await settled(admin, uuid, (v) => v.status === "VERIFY_RESIZE", 60_000)).toMatchObject({ host: dest });
    await admin.server.confirmResize.mutate({ id: uuid });
    await settled(admin, uuid, (v) => v.status === "ACTIVE");
    await admin.server.delete.mutate({ id: uuid });
  });

  it("source dies after powering the guest off: the move fails at once, and the source powers the guest on again when it is back", async () => {
    const { uuid, source, dest } = await activeWithData("source-dies");
    const destUsed = await memoryUsed(controller.databaseUrl, dest);

    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await copyUnderWay(dest, uuid);
    // The guest is off for the copy, and the source has noted it.
    expect(existsSync(path.join(instanceDir(source, uuid), "migration-poweroff.json"))).toBe(true);
    const killed = agents.get(source)!;
    await killed.kill("SIGKILL");
    const killedAt = Date.now();

    // The conductor does not wait out the copy's 30 minutes: the agent that took the call is gone.
    const after = await eventually(async () => {
      const [m] = await admin.server.migrations.query({ id: uuid });
      return m?.status === "error" ? settled(admin, uuid, () => true, 10_000) : undefined;
    }, 20_000, "the migration to fail");
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(after).toMatchObject({ status: "ACTIVE", vmState: "active", taskState: null, host: source });
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: source, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, dest)).toBe(destUsed);
    // The destination, alive, was told to drop what it had received, and says so in the action log.
    expect(existsSync(instanceDir(dest, uuid))).toBe(false);
    const migrate = await eventually(async () => {
      const a = await migrateAction(uuid);
      return a.events.some((e) => e.event === "compute_revert_resize" && e.result === "Success") ? a : undefined;
    }, 10_000, "the destination's cleanup event");
    expect(migrate.message).toBe("Error");
    const failure = new RegExp(
      `^resize_instance on ${source} failed: Compute host ${source} is unavailable: its agent disconnected before answering resize_instance; ` +
        `the instance stays on ${source}, whose agent powers the guest on again`,
    );
    expect(migrate.events.find((e) => e.event === "conductor_migrate_server")).toMatchObject({ result: "Error", details: expect.stringMatching(failure) });
    expect((await faults(controller.databaseUrl, uuid)).at(-1)).toMatch(failure);

    // The source comes back: it finds the note and runs the guest again, as before the move.
    const back = start(source, killed.stateDir);
    await back.waitForLog(/Migration \d+ powered the guest off at .* powering it on again/, 60_000);
    const running = await eventually(async () => {
      const a = (await admin.server.actions.query({ id: uuid })).find((x) => x.action === "migrate");
      return a?.events.some((e) => e.event === "compute_start_instance" && e.result === "Success") ? true : undefined;
    }, 30_000, "the guest to be started again");
    expect(running).toBe(true);
    expect(await settled(admin, uuid, () => true)).toMatchObject({ status: "ACTIVE", host: source, powerState: 1 });
    expect(existsSync(path.join(instanceDir(source, uuid), "migration-poweroff.json"))).toBe(false);
    expect(existsSync(path.join(instanceDir(source, uuid), "disk"))).toBe(true);
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: source, memoryMb: 512 }]);
    await admin.server.delete.mutate({ id: uuid });
  });

  it("source gone when the move is confirmed: the move is kept, the source's claim freed, its copy removed when it is back", async () => {
    const { instances } = await demo.server.create.mutate({ name: "confirm-source-gone", flavorId: "1", imageId, count: 1 });
    const vm = await settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
    const source = vm.host as Host;
    const dest = other(source);
    const sourceBefore = await memoryUsed(controller.databaseUrl, source);
    await admin.server.migrate.mutate({ id: vm.uuid, host: dest });
    await settled(admin, vm.uuid, (v) => v.status === "VERIFY_RESIZE");

    const killed = agents.get(source)!;
    await killed.kill("SIGKILL");
    await demo.server.confirmResize.mutate({ id: vm.uuid });
    const kept = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE", 20_000);
    expect(kept).toMatchObject({ host: dest, powerState: 1 });
    expect((await admin.server.migrations.query({ id: vm.uuid }))[0]).toMatchObject({ status: "error" });
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: dest, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, source)).toBe(sourceBefore - 512);
    const confirm = await eventually(async () => {
      const a = (await admin.server.actions.query({ id: vm.uuid })).find((x) => x.action === "confirmResize");
      return a?.finishTime ? a : undefined;
    });
    expect(confirm.message).toBe("Error");
    expect(confirm.events.find((e) => e.event === "conductor_confirm_resize")).toMatchObject({
      result: "Error",
      details: expect.stringMatching(new RegExp(`^confirm_resize on ${source} failed: .*; the move is kept, and ${source} removes its copy when its agent next starts$`)),
    });

    expect(existsSync(instanceDir(source, vm.uuid))).toBe(true);
    const back = start(source, killed.stateDir);
    await back.waitForLog(/Reconciled \d+ instances .* 1 leftover instance directories removed/, 60_000);
    expect(existsSync(instanceDir(source, vm.uuid))).toBe(false);
    expect(await settled(admin, vm.uuid, () => true)).toMatchObject({ status: "ACTIVE", host: dest });
    await admin.server.delete.mutate({ id: vm.uuid });
  });
});
