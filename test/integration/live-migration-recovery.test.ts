// Live migrations whose conductor went away, settled by the recovery pass of a real controller with
// two agents on libvirt's test driver. The test driver cannot move a guest, so each case stages in
// the database what a controller that died mid-migration leaves behind: the instance in task state
// migrating, an open migration naming its conductor, and (once scheduling began) the source's
// allocation handed to the migration. The guest-moving cases, with a controller really killed
// mid-migration, run on QEMU (test/integration/qemu/live-migration.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { eventually, login, type ApiClient } from "./api-client";
import { execute, query, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { allocations, memoryUsed, settled } from "./move-helpers";

const HOSTS = ["compute-1", "compute-2"] as const;

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;
/** This controller's STRATUS_HOST, as its conductor service row names it. */
let thisController: string;

beforeAll(async () => {
  // The pass runs every second here (STRATUS_TASK_DEADLINE_INTERVAL); a conductor is down after 10 s.
  controller = await startController({ agentHosts: [...HOSTS], env: { STRATUS_TASK_DEADLINE_INTERVAL: "1", STRATUS_SERVICE_DOWN_TIME: "10", STRATUS_REPORT_INTERVAL: "2" } });
  agents = HOSTS.map((host) => startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), env: { STRATUS_DISK_GB: "500" } }));
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
  const [row] = await query<{ host: string }>(controller.databaseUrl, `SELECT host FROM services WHERE "binary" = 'stratus-conductor'`);
  thisController = row!.host;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

/** A timestamp both databases read back as Prisma wrote it. */
const at = (ms = Date.now()) => `'${new Date(ms).toISOString().replace("Z", "+00:00")}'`;

async function createActive(name: string): Promise<InstanceView> {
  const { instances } = await demo.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  return settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
}

/** What a conductor that died while the migration was `status` left behind; returns the migration id. */
async function orphan(vm: InstanceView, status: string, conductorHost: string, handedOver: boolean): Promise<number> {
  const dest = HOSTS.find((h) => h !== vm.host)!;
  await execute(controller.databaseUrl, `UPDATE instances SET "taskState" = 'migrating' WHERE uuid = '${vm.uuid}'`);
  const destColumns = status === "accepted" ? "NULL, NULL" : `'${dest}', '${dest}'`;
  await execute(
    controller.databaseUrl,
    `INSERT INTO migrations ("instanceUuid", "migrationType", status, "sourceCompute", "sourceNode", "destCompute", "destNode", "conductorHost", "createdAt", "updatedAt")
     VALUES ('${vm.uuid}', 'live-migration', '${status}', '${vm.host}', '${vm.host}', ${destColumns}, '${conductorHost}', ${at()}, ${at()})`,
  );
  const [m] = await query<{ id: number }>(controller.databaseUrl, `SELECT id FROM migrations WHERE "instanceUuid" = '${vm.uuid}' ORDER BY id DESC`);
  if (handedOver) await execute(controller.databaseUrl, `UPDATE allocations SET "consumerId" = 'migration-${m!.id}' WHERE "consumerId" = '${vm.uuid}'`);
  return Number(m!.id);
}

async function migrationStatus(id: number): Promise<string> {
  const [m] = await query<{ status: string }>(controller.databaseUrl, `SELECT status FROM migrations WHERE id = ${id}`);
  return m!.status;
}

describe("live migrations whose conductor went away", () => {
  it("rolls back one another controller left while preparing: the source's claim is the instance's again", async () => {
    const vm = await createActive("orphan-preparing");
    const used = await memoryUsed(controller.databaseUrl, vm.host!);
    const id = await orphan(vm, "preparing", "controller-gone", true);
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: `migration-${id}`, host: vm.host, memoryMb: 512 }]);

    const back = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE", 30_000);
    expect(back).toMatchObject({ host: vm.host, taskState: null, powerState: 1 });
    expect(await migrationStatus(id)).toBe("error");
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: vm.host, memoryMb: 512 }]);
    expect(await memoryUsed(controller.databaseUrl, vm.host!)).toBe(used);
    expect(controller.logs()).toMatch(new RegExp(`Migration ${id} \\(preparing\\) lost its conductor on controller-gone`));
  });

  it("keeps the instance's claim when its own controller restarted before the claim was handed over", async () => {
    const vm = await createActive("orphan-accepted");
    const id = await orphan(vm, "accepted", thisController, false);
    await settled(admin, vm.uuid, (v) => v.status === "ACTIVE", 30_000);
    expect(await migrationStatus(id)).toBe("error");
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: vm.host, memoryMb: 512 }]);
  });

  it("leaves a migration alone while its controller's conductor is up, and takes it over once that is down", async () => {
    const vm = await createActive("orphan-running");
    await execute(
      controller.databaseUrl,
      `INSERT INTO services ("binary", host, "lastSeenAt", "createdAt", "updatedAt") VALUES ('stratus-conductor', 'controller-b', ${at()}, ${at()}, ${at()})`,
    );
    const id = await orphan(vm, "running", "controller-b", true);
    // Several passes go by (one a second) while controller-b reports in.
    await new Promise((r) => setTimeout(r, 4000));
    expect(await migrationStatus(id)).toBe("running");
    expect((await admin.server.get.query({ id: vm.uuid })).taskState).toBe("migrating");

    // controller-b stops reporting: its last report is older than the down time.
    await execute(controller.databaseUrl, `UPDATE services SET "lastSeenAt" = ${at(Date.now() - 60_000)} WHERE host = 'controller-b'`);
    const back = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE", 30_000);
    expect(back).toMatchObject({ host: vm.host, taskState: null });
    expect(await migrationStatus(id)).toBe("error");
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: vm.host, memoryMb: 512 }]);
    const [m] = await query<{ conductorHost: string }>(controller.databaseUrl, `SELECT "conductorHost" FROM migrations WHERE id = ${id}`);
    expect(m!.conductorHost).toBe(thisController);
    await eventually(async () => (controller.logs().includes(`No migration left to cancel on ${vm.host}`) ? true : undefined), 10_000, "the abort's answer in the log");
  });
});
