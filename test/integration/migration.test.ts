// Cold migration and resize end to end on two agents on libvirt's test driver: the disk really
// travels between the agents' instance directories (a qcow2 overlay, re-based onto the
// destination's own cached base and grown for a bigger flavor), claims sit on both hosts until the
// user decides, confirm cleans the source, revert puts the instance back exactly as it was.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { imageInfo } from "@/server/images/qemu-img";
import { query, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const HOSTS = ["compute-1", "compute-2"] as const;
const AGENT_ENV = { STRATUS_DISK_GB: "2000", STRATUS_SHUTDOWN_TIMEOUT: "5" };
const GiB = 1024 ** 3;

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS, "compute-3"] });
  agents = HOSTS.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 16, memoryMb: 32768, env: AGENT_ENV }),
  );
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

function diskOf(host: string, uuid: string): string {
  const agent = agents[HOSTS.indexOf(host as (typeof HOSTS)[number])]!;
  return path.join(agent.stateDir, "instances", uuid, "disk");
}

function settled(api: ApiClient, uuid: string, done: (v: InstanceView) => boolean, timeoutMs = 60_000): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.taskState === null && done(v) ? v : undefined;
    },
    timeoutMs,
    `instance ${uuid} to settle`,
  );
}

/** An ACTIVE instance of `api`'s project, as the admin sees it (with its host). */
async function createActive(api: ApiClient, name: string): Promise<InstanceView> {
  const { instances } = await api.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  return settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
}

async function allocations(uuid: string): Promise<{ consumerId: string; host: string; memoryMb: number }[]> {
  const rows = await query<{ consumerId: string; host: string; memoryMb: number }>(
    controller.databaseUrl,
    `SELECT a."consumerId", n.host, a."memoryMb" FROM allocations a JOIN compute_nodes n ON n.id = a."nodeId" WHERE a."instanceUuid" = '${uuid}' ORDER BY n.host`,
  );
  return rows.map((r) => ({ consumerId: r.consumerId, host: r.host, memoryMb: Number(r.memoryMb) }));
}

async function memoryUsed(host: string): Promise<number> {
  const [r] = await query<{ used: number }>(controller.databaseUrl, `SELECT "memoryMbUsed" AS used FROM compute_nodes WHERE host = '${host}'`);
  return Number(r!.used);
}

const other = (host: string | null) => (host === HOSTS[0] ? HOSTS[1] : HOSTS[0]);

describe("cold migration", () => {
  it("moves the instance and its disk to the other host, holds both claims, and confirm cleans the source", async () => {
    const vm = await createActive(demo, "mover");
    const source = vm.host!;
    const dest = other(source);
    const sourceUsed = await memoryUsed(source);

    await admin.server.migrate.mutate({ id: vm.uuid });
    const moved = await settled(admin, vm.uuid, (v) => v.status === "VERIFY_RESIZE");
    expect(moved).toMatchObject({ host: dest, vmState: "resized", flavorName: "m1.tiny", powerState: 1 });

    // Both copies and both claims exist until the user decides.
    expect(existsSync(diskOf(source, vm.uuid))).toBe(true);
    const destDisk = await imageInfo(diskOf(dest, vm.uuid));
    expect(destDisk.fullBackingFile).toContain(path.join(agents[HOSTS.indexOf(dest)]!.stateDir, "instances", "_base"));
    const [migration] = await admin.server.migrations.query({ id: vm.uuid });
    expect(migration).toMatchObject({ type: "migration", status: "finished", sourceCompute: source, destCompute: dest });
    expect(migration!.diskTotal).toBeGreaterThan(0);
    expect(await allocations(vm.uuid)).toEqual(
      [
        { consumerId: vm.uuid, host: dest, memoryMb: 512 },
        { consumerId: `migration-${migration!.id}`, host: source, memoryMb: 512 },
      ].sort((a, b) => a.host.localeCompare(b.host)),
    );
    // A member sees the move, not the hosts.
    const [seen] = await demo.server.migrations.query({ id: vm.uuid });
    expect(seen).toMatchObject({ status: "finished", sourceCompute: null, destCompute: null });

    await demo.server.confirmResize.mutate({ id: vm.uuid });
    const confirmed = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE");
    expect(confirmed.host).toBe(dest);
    await eventually(async () => ((await admin.server.migrations.query({ id: vm.uuid }))[0]!.status === "confirmed" ? true : undefined));
    expect(existsSync(path.dirname(diskOf(source, vm.uuid)))).toBe(false);
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: dest, memoryMb: 512 }]);
    expect(await memoryUsed(source)).toBe(sourceUsed - 512);

    const actions = await demo.server.actions.query({ id: vm.uuid });
    const migrate = actions.find((a) => a.action === "migrate")!;
    expect(migrate.events.map((e) => [e.event, e.result])).toEqual(
      expect.arrayContaining([
        ["conductor_migrate_server", "Success"],
        ["schedule_instances", "Success"],
        ["compute_prep_resize", "Success"],
        ["compute_resize_instance", "Success"],
        ["compute_finish_resize", "Success"],
      ]),
    );
    await admin.server.delete.mutate({ id: vm.uuid });
  });

  it("keeps a stopped instance stopped on its new host", async () => {
    const vm = await createActive(demo, "stopped-mover");
    await demo.server.stop.mutate({ id: vm.uuid });
    await settled(demo, vm.uuid, (v) => v.status === "SHUTOFF");
    await admin.server.migrate.mutate({ id: vm.uuid, host: other(vm.host) });
    const moved = await settled(admin, vm.uuid, (v) => v.status === "VERIFY_RESIZE");
    expect(moved).toMatchObject({ host: other(vm.host), powerState: 4 });
    await admin.server.confirmResize.mutate({ id: vm.uuid });
    expect(await settled(admin, vm.uuid, (v) => v.vmState === "stopped")).toMatchObject({ status: "SHUTOFF", host: other(vm.host) });
    await admin.server.delete.mutate({ id: vm.uuid });
  });
});

describe("resize", () => {
  it("grows the instance on another host, and revert puts it back on the source as it was", async () => {
    const vm = await createActive(demo, "grower");
    const source = vm.host!;
    await demo.server.resize.mutate({ id: vm.uuid, flavorId: "2" });
    const resized = await settled(demo, vm.uuid, (v) => v.status === "VERIFY_RESIZE");
    expect(resized).toMatchObject({ flavorName: "m1.small", memoryMb: 2048, rootGb: 20, host: null });
    const dest = (await admin.server.get.query({ id: vm.uuid })).host!;
    expect(dest).toBe(other(source));
    expect((await imageInfo(diskOf(dest, vm.uuid))).virtualSize).toBe(20 * GiB);
    expect((await allocations(vm.uuid)).map((a) => a.memoryMb).sort()).toEqual([2048, 512]);

    await demo.server.revertResize.mutate({ id: vm.uuid });
    const reverted = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE");
    expect(reverted).toMatchObject({ host: source, flavorName: "m1.tiny", memoryMb: 512, rootGb: 1, powerState: 1 });
    expect((await imageInfo(diskOf(source, vm.uuid))).virtualSize).toBe(1 * GiB);
    expect(existsSync(path.dirname(diskOf(dest, vm.uuid)))).toBe(false);
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: source, memoryMb: 512 }]);
    expect((await admin.server.migrations.query({ id: vm.uuid }))[0]).toMatchObject({ status: "reverted", type: "resize" });
    await admin.server.delete.mutate({ id: vm.uuid });
  });

  it("refuses what Nova refuses and changes nothing", async () => {
    const vm = await createActive(demo, "refused");
    const big = await createActive(admin, "big-disk");
    await admin.server.resize.mutate({ id: big.uuid, flavorId: "2" });
    await settled(admin, big.uuid, (v) => v.status === "VERIFY_RESIZE");
    await admin.server.confirmResize.mutate({ id: big.uuid });
    await settled(admin, big.uuid, (v) => v.status === "ACTIVE");

    expect(await errorOf(demo.server.resize.mutate({ id: vm.uuid, flavorId: "1" }))).toMatchObject({ code: "BAD_REQUEST", message: "When resizing, instances must change flavor!" });
    expect(await errorOf(admin.server.resize.mutate({ id: big.uuid, flavorId: "1" }))).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/smaller disk is not allowed/) });
    expect(await errorOf(demo.server.migrate.mutate({ id: vm.uuid }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await errorOf(demo.server.confirmResize.mutate({ id: vm.uuid }))).toMatchObject({ code: "CONFLICT" });
    expect(await errorOf(admin.server.migrate.mutate({ id: vm.uuid, host: vm.host ?? "" }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await errorOf(admin.server.migrate.mutate({ id: vm.uuid, host: "nowhere" }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await demo.server.get.query({ id: vm.uuid })).toMatchObject({ status: "ACTIVE", taskState: null });
    expect(await demo.server.migrations.query({ id: vm.uuid })).toEqual([]);
    await admin.server.delete.mutate({ id: vm.uuid });
    await admin.server.delete.mutate({ id: big.uuid });
  });
});

describe("a move that fails", () => {
  // Last: compute-3 stays registered (and "up" for a while) after it stops.
  it("leaves the instance running on its source with its claims as before, and says why", async () => {
    // compute-3 tells its peers an address nothing listens on: the copy cannot reach it.
    const unreachable = startAgent({
      host: "compute-3",
      controllerUrl: controller.url,
      tokenFile: controller.tokenFile("compute-3"),
      cpus: 16,
      memoryMb: 32768,
      env: { ...AGENT_ENV, STRATUS_TRANSFER_ADVERTISE: "127.0.0.2" },
    });
    try {
      await waitForHypervisors(controller.databaseUrl, ["compute-3"], 60_000, [unreachable]);
      const vm = await createActive(demo, "stays");
      await admin.server.migrate.mutate({ id: vm.uuid, host: "compute-3" });
      const after = await eventually(async () => {
        const [m] = await admin.server.migrations.query({ id: vm.uuid });
        return m?.status === "error" ? await settled(admin, vm.uuid, () => true) : undefined;
      });
      expect(after).toMatchObject({ status: "ACTIVE", host: vm.host, powerState: 1, vmState: "active" });
      expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: vm.host, memoryMb: 512 }]);
      expect(await memoryUsed("compute-3")).toBe(0);
      expect(existsSync(path.join(unreachable.stateDir, "instances", vm.uuid))).toBe(false);
      const migrate = (await admin.server.actions.query({ id: vm.uuid })).find((a) => a.action === "migrate")!;
      expect(migrate.events.find((e) => e.event === "compute_resize_instance")).toMatchObject({ result: "Error", details: expect.stringMatching(/ECONNREFUSED/) });
      expect(migrate.message).toBe("Error");
      expect(migrate.events.find((e) => e.event === "conductor_migrate_server")).toMatchObject({
        result: "Error",
        details: expect.stringMatching(/^resize_instance on compute-\d failed: .*ECONNREFUSED/),
      });
      // And it can still move once the way is clear.
      await admin.server.migrate.mutate({ id: vm.uuid, host: other(vm.host) });
      await settled(admin, vm.uuid, (v) => v.status === "VERIFY_RESIZE");
      await admin.server.revertResize.mutate({ id: vm.uuid });
      expect(await settled(admin, vm.uuid, (v) => v.status === "ACTIVE")).toMatchObject({ host: vm.host });
      await admin.server.delete.mutate({ id: vm.uuid });
    } finally {
      await unreachable.stop();
    }
  });
});
