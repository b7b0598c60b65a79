// Admin switches that change where instances go, end to end on two real agents (libvirt's test
// driver): a disabled compute service gets no new instances (and says why when nothing is left),
// a flavor's `capabilities:` extra spec narrows the hosts, a private flavor is bootable only by the
// projects given access, and deleting a flavor leaves the instances built from it alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const HOSTS = ["compute-1", "compute-2"];
// compute-2 has more vCPUs: a `capabilities:vcpus_total` spec can tell them apart.
const CPUS: Record<string, number> = { "compute-1": 8, "compute-2": 16 };

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

async function settle(api: ApiClient, uuid: string): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.status === "ACTIVE" || v.status === "ERROR" ? v : undefined;
    },
    60_000,
    `instance ${uuid} to settle`,
  );
}

async function launch(api: ApiClient, name: string, flavorId: string, count = 1): Promise<InstanceView[]> {
  const { instances } = await api.server.create.mutate({ name, flavorId, imageId, count });
  // Read back as the admin: members are not told host names.
  return Promise.all(instances.map((i) => settle(admin, i.uuid)));
}

const compute = (host: string) => ({ host, binary: "stratus-compute" });

beforeAll(async () => {
  controller = await startController({ agentHosts: HOSTS });
  agents = HOSTS.map((host) => startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: CPUS[host], memoryMb: 16384 }));
  await waitForHypervisors(controller.databaseUrl, HOSTS, 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("compute service enable / disable", () => {
  it("schedules nothing to a disabled host, explains it when no host is left, and uses it again once enabled", async () => {
    const disabled = await admin.service.disable.mutate({ ...compute("compute-2"), reason: "RAM replacement" });
    expect(disabled).toMatchObject({ host: "compute-2", status: "disabled", disabledReason: "RAM replacement", state: "up" });

    const placed = await launch(demo, "while-disabled", "1", 3);
    expect(placed.map((v) => [v.status, v.host])).toEqual([
      ["ACTIVE", "compute-1"],
      ["ACTIVE", "compute-1"],
      ["ACTIVE", "compute-1"],
    ]);

    const one = (await admin.service.list.query()).find((s) => s.binary === "stratus-compute" && s.host === "compute-1")!;
    await admin.service.disable.mutate({ id: one.id });
    const [refused] = await launch(demo, "nowhere", "1");
    expect(refused!.status).toBe("ERROR");
    expect(refused!.fault?.message).toBe("No valid host was found. 2 hosts: 2 with the compute service disabled.");

    // The reason survives the agents' heartbeats; enabling clears it, as Nova does.
    const rows = await admin.service.list.query();
    expect(rows.find((s) => s.id === disabled.id)).toMatchObject({ status: "disabled", disabledReason: "RAM replacement" });
    expect(await admin.service.enable.mutate(compute("compute-2"))).toMatchObject({ status: "enabled", disabledReason: null });
    await admin.service.enable.mutate({ id: one.id });
    const [back] = await launch(demo, "after-enable", "1");
    expect(back!.status).toBe("ACTIVE");
  });

  it("treats a forced-down host as down at once, whatever its heartbeats say", async () => {
    const forced = await admin.service.setForcedDown.mutate({ ...compute("compute-1"), forcedDown: true });
    expect(forced).toMatchObject({ status: "enabled", state: "down", forcedDown: true });
    const placed = await launch(demo, "while-forced-down", "1", 2);
    expect(placed.map((v) => v.host)).toEqual(["compute-2", "compute-2"]);
    expect(await admin.service.setForcedDown.mutate({ ...compute("compute-1"), forcedDown: false })).toMatchObject({ state: "up", forcedDown: false });
  });

  it("refuses bad input and non-admins, changing nothing", async () => {
    expect(await errorOf(admin.service.disable.mutate({ ...compute("compute-1"), reason: "x".repeat(256) }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "reason: The disable reason must be at most 255 characters.",
    });
    expect(await errorOf(admin.service.disable.mutate(compute("no-such-host")))).toMatchObject({
      code: "NOT_FOUND",
      message: "Service stratus-compute on host no-such-host could not be found.",
    });
    expect((await errorOf(demo.service.disable.mutate(compute("compute-1")))).code).toBe("FORBIDDEN");
    expect((await admin.service.list.query()).filter((s) => s.status === "disabled")).toEqual([]);
  });
});

describe("flavors", () => {
  it("places a flavor with a capabilities: extra spec only on the hosts that match it", async () => {
    const flavor = await admin.flavor.create.mutate({ name: "wide", vcpus: 1, memoryMb: 256, rootGb: 1 });
    expect(await errorOf(admin.flavor.setExtraSpecs.mutate({ id: flavor.id, extraSpecs: { "capabilities:vcpus_total": ">= many", "hw:cpu_policy": "dedicated" } }))).toMatchObject({
      code: "BAD_REQUEST",
      message: 'extraSpecs.capabilities:vcpus_total: The value of capabilities:vcpus_total needs a number after ">=".',
    });
    expect((await admin.flavor.adminList.query()).find((f) => f.id === flavor.id)!.extraSpecs).toEqual({});

    await admin.flavor.setExtraSpecs.mutate({ id: flavor.id, extraSpecs: { "capabilities:vcpus_total": ">= 12" } });
    const placed = await launch(demo, "wide", flavor.id, 2);
    expect(placed.map((v) => [v.status, v.host])).toEqual([
      ["ACTIVE", "compute-2"],
      ["ACTIVE", "compute-2"],
    ]);

    await admin.flavor.setExtraSpecs.mutate({ id: flavor.id, extraSpecs: { "capabilities:vcpus_total": ">= 32" } });
    const [none] = await launch(demo, "too-wide", flavor.id);
    expect(none!.fault?.message).toMatch(/^No valid host was found\. 2 hosts: 2 .*vcpus_total/);

    await admin.flavor.unsetExtraSpec.mutate({ id: flavor.id, key: "capabilities:vcpus_total" });
    expect(await errorOf(admin.flavor.unsetExtraSpec.mutate({ id: flavor.id, key: "capabilities:vcpus_total" }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("lets only the projects given access boot a private flavor, and deleting it leaves its instances alone", async () => {
    const flavor = await admin.flavor.create.mutate({ name: "secret", id: "secret-1", vcpus: 1, memoryMb: 128, rootGb: 1, isPublic: false });
    expect(await errorOf(admin.flavor.create.mutate({ name: "secret", vcpus: 1, memoryMb: 1, rootGb: 0 }))).toMatchObject({
      code: "CONFLICT",
      message: "Flavor with name secret already exists.",
    });
    expect((await demo.flavor.list.query()).map((f) => f.id)).not.toContain(flavor.id);
    expect((await errorOf(demo.server.create.mutate({ name: "x", flavorId: flavor.id, imageId, count: 1 }))).code).toBe("NOT_FOUND");

    const demoProject = (await admin.project.list.query()).find((p) => p.name === "demo")!;
    const shared = await admin.flavor.addAccess.mutate({ id: flavor.id, projectId: demoProject.id });
    expect(shared.access).toEqual([{ id: demoProject.id, name: "demo" }]);
    const [vm] = await launch(demo, "private-vm", flavor.id);
    expect(vm).toMatchObject({ status: "ACTIVE", flavorName: "secret" });

    const publicFlavor = (await admin.flavor.adminList.query()).find((f) => f.isPublic)!;
    expect(await errorOf(admin.flavor.addAccess.mutate({ id: publicFlavor.id, projectId: demoProject.id }))).toMatchObject({
      code: "CONFLICT",
      message: "Can not add access to a public flavor.",
    });

    await admin.flavor.delete.mutate({ id: flavor.id });
    expect((await admin.flavor.adminList.query()).map((f) => f.id)).not.toContain(flavor.id);
    expect(await demo.server.get.query({ id: vm!.uuid })).toMatchObject({ status: "ACTIVE", flavorName: "secret", host: null });
    expect(await admin.server.get.query({ id: vm!.uuid })).toMatchObject({ host: vm!.host });
    expect((await errorOf(demo.server.create.mutate({ name: "y", flavorId: flavor.id, imageId, count: 1 }))).code).toBe("NOT_FOUND");
    // The name is free again; the id stays with the deleted flavor's instances.
    await admin.flavor.create.mutate({ name: "secret", vcpus: 1, memoryMb: 128, rootGb: 1 });
    expect(await errorOf(admin.flavor.create.mutate({ name: "other", id: "secret-1", vcpus: 1, memoryMb: 1, rootGb: 0 }))).toMatchObject({ code: "CONFLICT" });
  });
});
