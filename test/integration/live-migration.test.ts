// Live migration where it cannot happen: on libvirt's test driver (the embedded default) the API
// says so before anything changes, the host picker says so per host, and Abort / Force complete
// refuse when no migration runs. The migration itself is proven on real QEMU
// (test/integration/qemu/live-migration.test.ts and e2e/live-migration.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { errorOf, eventually, login, type ApiClient } from "./api-client";
import { query, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";

const HOSTS = ["compute-1", "compute-2"] as const;

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let vm: InstanceView;

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS] });
  agents = HOSTS.map((host) => startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 8, memoryMb: 16384, env: { STRATUS_DISK_GB: "500" } }));
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  const imageId = (await admin.image.list.query())[0]!.id;
  const { instances } = await demo.server.create.mutate({ name: "stay-put", flavorId: "1", imageId, count: 1 });
  vm = await eventually(
    async () => {
      const v = await admin.server.get.query({ id: instances[0]!.uuid });
      return v.status === "ACTIVE" && v.taskState === null ? v : undefined;
    },
    60_000,
    "the instance to run",
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("live migration on libvirt's test driver", () => {
  it("is refused up front with the reason, and nothing changes", async () => {
    const err = await errorOf(admin.server.liveMigrate.mutate({ id: vm.uuid }));
    expect(err).toMatchObject({ code: "BAD_REQUEST" });
    expect(err.message).toMatch(/test driver \(test:\/\/\/\) cannot move a running guest\. Use cold migration/);
    const named = await errorOf(admin.server.liveMigrate.mutate({ id: vm.uuid, host: HOSTS.find((h) => h !== vm.host)! }));
    expect(named.code).toBe("BAD_REQUEST");

    const after = await admin.server.get.query({ id: vm.uuid });
    expect(after).toMatchObject({ status: "ACTIVE", taskState: null, host: vm.host });
    expect(await admin.server.migrations.query({ id: vm.uuid })).toEqual([]);
    const rows = await query<{ n: number }>(controller.databaseUrl, `SELECT COUNT(*) AS n FROM instance_actions WHERE "instanceUuid" = '${vm.uuid}' AND action = 'live-migration'`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("is an admin's action, like Nova's policy", async () => {
    expect((await errorOf(demo.server.liveMigrate.mutate({ id: vm.uuid }))).code).toBe("FORBIDDEN");
    expect((await errorOf(demo.server.liveMigrateAbort.mutate({ id: vm.uuid }))).code).toBe("FORBIDDEN");
  });

  it("marks test-driver hosts as unable to take a live migration in the host picker", async () => {
    const targets = await admin.server.migrationTargets.query({ id: vm.uuid });
    expect(targets.map((t) => ({ host: t.host, liveMigration: t.liveMigration }))).toEqual([{ host: HOSTS.find((h) => h !== vm.host)!, liveMigration: false }]);
  });

  it("refuses Abort and Force complete when no live migration runs", async () => {
    const abort = await errorOf(admin.server.liveMigrateAbort.mutate({ id: vm.uuid }));
    expect(abort).toMatchObject({ code: "CONFLICT" });
    expect(abort.message).toMatch(/task_state None/);
    expect((await errorOf(admin.server.liveMigrateForceComplete.mutate({ id: vm.uuid }))).code).toBe("CONFLICT");
  });

  it("refuses input that is not an instance id or a host name", async () => {
    expect((await errorOf(admin.server.liveMigrate.mutate({ id: "not-a-uuid" }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(admin.server.liveMigrate.mutate({ id: vm.uuid, host: "" }))).code).toBe("BAD_REQUEST");
  });
});
