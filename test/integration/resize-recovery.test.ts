// Cold migrations, confirms and reverts whose controller is killed (SIGKILL) in the middle, on two
// real agent processes on libvirt's test driver; the controller starts again on the same database
// and its recovery pass (every second here) settles what its predecessor was driving. A move whose
// guest had not reached its destination is rolled back to its source, running as before; a confirm
// or a revert is run again to its end. STRATUS_TRANSFER_BANDWIDTH keeps a 64 MiB copy on the wire
// for seconds, and an agent frozen with SIGSTOP holds a confirm or revert step until the restart.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, login, type ApiClient } from "./api-client";
import { execute, query, restartController, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { allocations, faults, fillDisk, memoryUsed, settled } from "./move-helpers";

const HOSTS = ["compute-1", "compute-2"] as const;
type Host = (typeof HOSTS)[number];
const CONTROLLER_ENV = { STRATUS_TASK_DEADLINE_INTERVAL: "1" };
const DISK_MIB = 64;

let controller: Controller;
const agents = new Map<Host, Agent>();
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

async function signIn(): Promise<void> {
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
}

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS], env: CONTROLLER_ENV });
  for (const host of HOSTS) {
    const env = { STRATUS_DISK_GB: "2000", STRATUS_TRANSFER_BANDWIDTH: "16" };
    agents.set(host, startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 16, memoryMb: 32768, env }));
  }
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, [...agents.values()]);
  await signIn();
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  for (const a of agents.values()) if (a.exitInfo() === null) process.kill(-a.pid, "SIGCONT");
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await controller?.stop();
});

const other = (host: string | null): Host => (host === HOSTS[0] ? HOSTS[1] : HOSTS[0]);
const instanceDir = (host: Host, uuid: string) => path.join(agents.get(host)!.stateDir, "instances", uuid);

/** Kills the controller and starts it again; `whileDown` runs in between. */
async function restart(whileDown?: () => Promise<void>): Promise<void> {
  controller = await restartController(controller, { env: CONTROLLER_ENV, ...(whileDown ? { whileDown } : {}) });
  await signIn();
}

async function activeOn(name: string): Promise<{ uuid: string; source: Host; dest: Host }> {
  const { instances } = await demo.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  const vm = await settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
  return { uuid: vm.uuid, source: vm.host as Host, dest: other(vm.host) };
}

async function migration(uuid: string): Promise<{ id: number; status: string; conductorHost: string | null }> {
  const [m] = await query<{ id: number; status: string; conductorHost: string | null }>(
    controller.databaseUrl,
    `SELECT id, status, "conductorHost" FROM migrations WHERE "instanceUuid" = '${uuid}' ORDER BY id DESC`,
  );
  return { ...m!, id: Number(m!.id) };
}

async function action(uuid: string, name: string) {
  return eventually(async () => {
    const a = (await admin.server.actions.query({ id: uuid })).find((x) => x.action === name);
    return a?.finishTime ? a : undefined;
  }, 30_000, `the ${name} action to finish`);
}

/** Freezes an agent (its socket stays open, it answers nothing) until `thaw`. */
function freeze(host: Host): { thaw: () => void } {
  const pid = agents.get(host)!.pid;
  process.kill(-pid, "SIGSTOP");
  return { thaw: () => process.kill(-pid, "SIGCONT") };
}

describe("a cold move whose controller dies", () => {
  it("mid-copy: rolled back once the controller is back, the guest running on its source as before, the destination cleaned", async () => {
    const { uuid, source, dest } = await activeOn("copy-orphaned");
    fillDisk(path.join(instanceDir(source, uuid), "disk"), DISK_MIB);
    const destUsed = await memoryUsed(controller.databaseUrl, dest);
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await eventually(async () => ((await admin.server.get.query({ id: uuid })).taskState === "resize_migrating" ? true : undefined), 30_000, "the copy to start");
    expect(await migration(uuid)).toMatchObject({ status: "migrating" });

    await restart();

    const back = await settled(admin, uuid, (v) => v.status === "ACTIVE", 60_000);
    expect(back).toMatchObject({ host: source, vmState: "active", powerState: 1 });
    expect(await migration(uuid)).toMatchObject({ status: "error" });
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: source, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, dest)).toBe(destUsed);
    expect(existsSync(instanceDir(dest, uuid))).toBe(false);
    expect(existsSync(path.join(instanceDir(source, uuid), "disk"))).toBe(true);
    expect(existsSync(path.join(instanceDir(source, uuid), "migration-poweroff.json"))).toBe(false);
    const lost = /the conductor driving it \(.+\) went away while it was migrating/;
    const migrate = await action(uuid, "migrate");
    expect(migrate.message).toBe("Error");
    expect(migrate.events.find((e) => e.event === "conductor_migrate_server")).toMatchObject({ result: "Error", details: expect.stringMatching(lost) });
    expect(migrate.events.find((e) => e.event === "compute_finish_revert_resize")).toMatchObject({ result: "Success" });
    expect((await faults(controller.databaseUrl, uuid)).at(-1)).toMatch(lost);
    expect(controller.logs()).toMatch(/Migration \d+ \(migrating\) lost its conductor on .+; settling it/);

    // Nothing is left half-done: the instance moves on.
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    expect(await settled(admin, uuid, (v) => v.status === "VERIFY_RESIZE", 60_000)).toMatchObject({ host: dest });
    await admin.server.revertResize.mutate({ id: uuid });
    await settled(admin, uuid, (v) => v.status === "ACTIVE" && v.host === source);
    await admin.server.delete.mutate({ id: uuid });
  });

  it("mid-confirm: the confirm is run again and the move kept, the source's copy and claim gone", async () => {
    const { uuid, source, dest } = await activeOn("confirm-orphaned");
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await settled(admin, uuid, (v) => v.status === "VERIFY_RESIZE", 60_000);
    const sourceUsed = await memoryUsed(controller.databaseUrl, source);

    // The source holds the confirm: the controller dies waiting for its answer.
    const source_ = freeze(source);
    try {
      await demo.server.confirmResize.mutate({ id: uuid });
      await eventually(async () => ((await migration(uuid)).status === "confirming" ? true : undefined), 10_000, "the confirm to start");
      await restart(async () => source_.thaw());
    } finally {
      source_.thaw();
    }

    const kept = await settled(admin, uuid, (v) => v.status === "ACTIVE", 60_000);
    expect(kept).toMatchObject({ host: dest, powerState: 1 });
    expect(await migration(uuid)).toMatchObject({ status: "confirmed" });
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: dest, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, source)).toBe(sourceUsed - 512);
    expect(existsSync(instanceDir(source, uuid))).toBe(false);
    const confirm = await action(uuid, "confirmResize");
    expect(confirm.message).not.toBe("Error");
    expect(confirm.events.filter((e) => e.event === "conductor_confirm_resize").at(-1)).toMatchObject({
      result: "Success",
      details: expect.stringMatching(/^Run again: the conductor driving it \(.+\) went away while it was confirming\. Removed the instance from /),
    });
    await admin.server.delete.mutate({ id: uuid });
  });

  it("mid-revert: the revert is run again and the instance is back on its source with its claim", async () => {
    const { uuid, source, dest } = await activeOn("revert-orphaned");
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await settled(admin, uuid, (v) => v.status === "VERIFY_RESIZE", 60_000);
    const destUsed = await memoryUsed(controller.databaseUrl, dest);

    // The destination holds the revert's first step.
    const dest_ = freeze(dest);
    try {
      await demo.server.revertResize.mutate({ id: uuid });
      await eventually(async () => ((await migration(uuid)).status === "reverting" ? true : undefined), 10_000, "the revert to start");
      await restart(async () => dest_.thaw());
    } finally {
      dest_.thaw();
    }

    const back = await settled(admin, uuid, (v) => v.status === "ACTIVE", 60_000);
    expect(back).toMatchObject({ host: source, powerState: 1 });
    expect(await migration(uuid)).toMatchObject({ status: "reverted" });
    expect(await allocations(controller.databaseUrl, uuid)).toEqual([{ consumerId: uuid, host: source, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, dest)).toBe(destUsed - 512);
    expect(existsSync(instanceDir(dest, uuid))).toBe(false);
    expect((await action(uuid, "revertResize")).message).not.toBe("Error");
    await admin.server.delete.mutate({ id: uuid });
  });

  it("after the destination finished but before its answer arrived: the move is finished and waits for the user", async () => {
    const { uuid, source, dest } = await activeOn("finish-orphaned");
    await admin.server.migrate.mutate({ id: uuid, host: dest });
    await settled(admin, uuid, (v) => v.status === "VERIFY_RESIZE", 60_000);
    // What a conductor killed while finish_resize ran leaves: the move still post-migrating, owned
    // by a controller that is gone (its conductor service never reported, so it is down).
    const { id } = await migration(uuid);
    await execute(controller.databaseUrl, `UPDATE migrations SET status = 'post-migrating', "conductorHost" = 'controller-gone' WHERE id = ${id}`);

    await eventually(async () => ((await migration(uuid)).status === "finished" ? true : undefined), 30_000, "the move to be finished");
    expect(await migration(uuid)).toMatchObject({ conductorHost: expect.not.stringMatching(/^controller-gone$/) });
    expect(await admin.server.get.query({ id: uuid })).toMatchObject({ status: "VERIFY_RESIZE", host: dest });
    const migrate = await action(uuid, "migrate");
    expect(migrate.events.filter((e) => e.event === "conductor_migrate_server").at(-1)).toMatchObject({
      result: "Success",
      details: expect.stringMatching(new RegExp(`^Moved from ${source} to ${dest}; finished by .+: the conductor driving it \\(controller-gone\\) went away while it was post-migrating$`)),
    });
    await admin.server.confirmResize.mutate({ id: uuid });
    await settled(admin, uuid, (v) => v.status === "ACTIVE" && v.host === dest);
    await admin.server.delete.mutate({ id: uuid });
  });
});
