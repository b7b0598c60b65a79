// The filter scheduler end to end, on three real agents (libvirt's test driver): server groups
// spread or gather a multi-create, availability zones from aggregates, the hypervisor view, the
// explained NoValidHost on the fault and the schedule_instances event, and rescheduling — a host
// whose storage breaks after it registered fails the build for real, the instance moves to its
// alternate, the host's failed_builds rises and the BuildFailureWeigher steers away from it; with
// every host broken, Nova's MaxRetriesExceeded.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import { startAgent, startController, waitForHypervisors, query, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const HOSTS = ["compute-1", "compute-2", "compute-3"];
// compute-3 has the most RAM, so the RAM weigher prefers it while it is healthy.
const MEMORY: Record<string, number> = { "compute-1": 16384, "compute-2": 16384, "compute-3": 32768 };

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

async function settle(api: ApiClient, uuid: string, timeoutMs = 60_000): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.status === "ACTIVE" || v.status === "ERROR" ? v : undefined;
    },
    timeoutMs,
    `instance ${uuid} to settle`,
  );
}

async function launch(api: ApiClient, input: { name: string; count?: number; flavorId?: string; serverGroupId?: string; availabilityZone?: string }) {
  const { instances } = await api.server.create.mutate({ flavorId: "1", imageId, count: 1, ...input });
  // Read back as the admin: members are not told host names.
  return Promise.all(instances.map((i) => settle(admin, i.uuid)));
}

async function deleteAll(): Promise<void> {
  const list = await admin.server.list.query({ pageSize: 200, allProjects: true });
  await Promise.all(list.items.map((i) => admin.server.delete.mutate({ id: i.uuid })));
  await eventually(async () => ((await admin.server.list.query({ allProjects: true })).total === 0 ? true : undefined), 60_000, "all deleted");
}

/** Breaks a host's instance storage for real: its instances directory becomes a plain file. */
function breakStorage(agent: Agent): void {
  const dir = path.join(agent.stateDir, "instances");
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(dir, "not a directory: builds on this host fail\n");
}

beforeAll(async () => {
  controller = await startController({ agentHosts: HOSTS });
  agents = HOSTS.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 8, memoryMb: MEMORY[host], env: { STRATUS_DISK_GB: "2000" } }),
  );
  await waitForHypervisors(controller.databaseUrl, HOSTS, 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("server groups", () => {
  it("spreads an anti-affinity multi-create over distinct hosts and explains the one that does not fit", async () => {
    const group = await demo.serverGroup.create.mutate({ name: "web", policy: "anti-affinity" });
    const placed = await launch(demo, { name: "web", count: 3, serverGroupId: group.id });
    expect(placed.every((v) => v.status === "ACTIVE")).toBe(true);
    expect(new Set(placed.map((v) => v.host)).size).toBe(3);

    const [extra] = await launch(demo, { name: "web-4", serverGroupId: group.id });
    expect(extra!.status).toBe("ERROR");
    expect(extra!.fault?.message).toBe("No valid host was found. 3 hosts: 3 already hold a member of anti-affinity group web.");
    // The admin reads which hosts each filter removed; the member the explanation without host names.
    const events = (await admin.server.actions.query({ id: extra!.uuid }))[0]!.events;
    expect(events.find((e) => e.event === "schedule_instances")).toMatchObject({
      result: "Error",
      details: expect.stringMatching(/^No valid host was found\. 3 hosts: 3 already hold a member of anti-affinity group web\.\nServerGroupAntiAffinityFilter: 3 already hold/),
    });
    const seen = (await demo.server.actions.query({ id: extra!.uuid }))[0]!.events;
    expect(seen.find((e) => e.event === "schedule_instances")).toMatchObject({
      result: "Error",
      host: null,
      details: "No valid host was found. 3 hosts: 3 already hold a member of anti-affinity group web.",
    });
    expect((await demo.serverGroup.get.query({ id: group.id })).members).toHaveLength(4);
    await deleteAll();
  });

  it("keeps an affinity group on one host, later members too", async () => {
    const group = await demo.serverGroup.create.mutate({ name: "db", policy: "affinity" });
    const first = await launch(demo, { name: "db", count: 2, serverGroupId: group.id });
    const [later] = await launch(demo, { name: "db-3", serverGroupId: group.id });
    expect(new Set([...first, later!].map((v) => v.host)).size).toBe(1);
    await deleteAll();
  });

  it("validates groups and keeps them to their project", async () => {
    expect(await errorOf(demo.serverGroup.create.mutate({ name: "x", policy: "affinity", rules: { max_server_per_host: 2 } }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "Only the anti-affinity policy takes rules; affinity does not.",
    });
    const mine = await admin.serverGroup.create.mutate({ name: "admins", policy: "soft-anti-affinity" });
    expect(await errorOf(demo.serverGroup.get.query({ id: mine.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await errorOf(demo.server.create.mutate({ name: "x", flavorId: "1", imageId, serverGroupId: mine.id }))).toMatchObject({
      code: "NOT_FOUND",
      message: `Server group ${mine.id} could not be found.`,
    });
    const capped = await admin.serverGroup.create.mutate({ name: "pairs", policy: "anti-affinity", rules: { max_server_per_host: 2 } });
    expect(capped.rules).toEqual({ max_server_per_host: 2 });
    const placed = await launch(admin, { name: "pair", count: 6, serverGroupId: capped.id });
    expect(placed.every((v) => v.status === "ACTIVE")).toBe(true);
    for (const host of HOSTS) expect(placed.filter((v) => v.host === host)).toHaveLength(2);
    await admin.serverGroup.delete.mutate({ id: capped.id });
    // Deleting the group leaves its instances running.
    expect((await admin.server.get.query({ id: placed[0]!.uuid })).status).toBe("ACTIVE");
    await deleteAll();
  });
});

describe("availability zones", () => {
  it("places a launch in the zone it names and refuses an unknown zone", async () => {
    const agg = await admin.aggregate.create.mutate({ name: "rack-1", availabilityZone: "az1" });
    await admin.aggregate.addHost.mutate({ id: agg.id, host: "compute-2" });
    const zones = await demo.aggregate.zones.query();
    expect(zones.map((z) => [z.name, z.hostCount])).toEqual([
      ["az1", 1],
      ["nova", 2],
    ]);
    const [inZone] = await launch(demo, { name: "zoned", availabilityZone: "az1" });
    expect(inZone).toMatchObject({ status: "ACTIVE", host: "compute-2" });
    const [byDefault] = await launch(demo, { name: "nova-zone", availabilityZone: "nova" });
    expect(byDefault!.host).not.toBe("compute-2");
    expect(await errorOf(demo.server.create.mutate({ name: "x", flavorId: "1", imageId, availabilityZone: "az9" }))).toEqual({
      code: "BAD_REQUEST",
      message: "The requested availability zone is not available",
    });
    // Hosts with instances keep their zone; a non-empty aggregate stays.
    expect((await errorOf(admin.aggregate.removeHost.mutate({ id: agg.id, host: "compute-2" }))).code).toBe("CONFLICT");
    expect((await errorOf(admin.aggregate.delete.mutate({ id: agg.id }))).code).toBe("CONFLICT");
    expect((await errorOf(demo.aggregate.list.query())).code).toBe("FORBIDDEN");
    await deleteAll();
    await admin.aggregate.removeHost.mutate({ id: agg.id, host: "compute-2" });
    await admin.aggregate.delete.mutate({ id: agg.id });
    expect((await admin.aggregate.list.query()).length).toBe(0);
  });
});

describe("hypervisors", () => {
  it("shows usage, capacity under the allocation ratios and what still fits", async () => {
    const [one] = await launch(admin, { name: "sized", flavorId: "3" }); // m1.medium: 2 vCPUs, 4096 MB, 40 GB
    const list = await admin.hypervisor.list.query();
    const h = list.find((x) => x.host === one!.host)!;
    expect(h.vcpus).toMatchObject({ used: 2, total: 8, allocationRatio: 16, capacity: 128 });
    expect(h.memoryMb).toMatchObject({ used: 4096, total: MEMORY[h.host], reserved: 512, capacity: (MEMORY[h.host]! - 512) * 1.5 });
    expect(h.localGb).toMatchObject({ used: 40, total: 2000, capacity: 2000 });
    expect(h).toMatchObject({ state: "up", status: "enabled", zone: "nova", instances: 1 });
    const xlarge = h.fits.find((f) => f.name === "m1.xlarge")!;
    expect(xlarge.count).toBe(Math.floor(((MEMORY[h.host]! - 512) * 1.5 - 4096) / 16384));
    await admin.hypervisor.update.mutate({ host: h.host, ramAllocationRatio: 1.0 });
    const after = (await admin.hypervisor.list.query()).find((x) => x.host === h.host)!;
    expect(after.memoryMb.capacity).toBe(MEMORY[h.host]! - 512);
    await admin.hypervisor.update.mutate({ host: h.host, ramAllocationRatio: 1.5 });
    expect((await errorOf(demo.hypervisor.list.query())).code).toBe("FORBIDDEN");
    await deleteAll();
  });
});

describe("rescheduling", () => {
  it("moves a build that fails on its host to the next alternate and remembers the failure", async () => {
    const flaky = agents[2]!; // compute-3: the most RAM, the scheduler's first choice
    breakStorage(flaky);
    const [moved] = await launch(admin, { name: "retry" });
    expect(moved).toMatchObject({ status: "ACTIVE" });
    expect(moved!.host).not.toBe("compute-3");

    // The agent's "finish" of the successful build may land just after the instance went ACTIVE.
    const events = await eventually(async () => {
      const list = (await admin.server.actions.query({ id: moved!.uuid }))[0]!.events;
      return list.filter((e) => e.event === "compute__do_build_and_run_instance").every((e) => e.result) ? list : undefined;
    }, 15_000, "the build events to finish");
    expect(events.find((e) => e.event === "schedule_instances")!.details).toMatch(/^Selected host compute-3; alternates: compute-\d, compute-\d$/);
    const builds = events.filter((e) => e.event === "compute__do_build_and_run_instance");
    expect(builds.map((e) => [e.host, e.result])).toEqual([
      ["compute-3", "Error"],
      [moved!.host, "Success"],
    ]);
    const [failed] = await query<{ failedBuilds: number }>(controller.databaseUrl, `SELECT "failedBuilds" FROM compute_nodes WHERE host = 'compute-3'`);
    expect(Number(failed!.failedBuilds)).toBe(1);
    // Allocations follow the instance: only on the host it runs on.
    const allocations = await query<{ host: string }>(
      controller.databaseUrl,
      `SELECT n.host FROM allocations a JOIN compute_nodes n ON n.id = a."nodeId" WHERE a."instanceUuid" = '${moved!.uuid}'`,
    );
    expect(allocations.map((a) => a.host)).toEqual([moved!.host]);
    // The fixed IP allocated before the first cast stays with the instance through the reschedule.
    const allocated = controller.logs().split("\n").filter((l) => l.includes(moved!.uuid) && l.includes("Allocated fixed IP"));
    expect(allocated).toHaveLength(1);
    expect(allocated[0]).toContain(`Allocated fixed IP ${moved!.addresses.private![0]!.address} `);

    // BuildFailureWeigher: compute-3 still has the most free RAM, but its failure costs it 10⁶.
    const [next] = await launch(admin, { name: "after" });
    expect(next).toMatchObject({ status: "ACTIVE" });
    expect(next!.host).not.toBe("compute-3");
    expect((await admin.hypervisor.list.query()).find((h) => h.host === "compute-3")!.failedBuilds).toBe(1);
    await deleteAll();
  });

  it("gives up with Nova's MaxRetriesExceeded when every alternate fails too", async () => {
    breakStorage(agents[0]!);
    breakStorage(agents[1]!);
    const [doomed] = await launch(admin, { name: "doomed" });
    expect(doomed).toMatchObject({ status: "ERROR" });
    expect(doomed!.fault?.message).toBe(
      `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${doomed!.uuid}.`,
    );
    const builds = (await admin.server.actions.query({ id: doomed!.uuid }))[0]!.events.filter((e) => e.event === "compute__do_build_and_run_instance");
    expect(builds.map((e) => e.result)).toEqual(["Error", "Error", "Error"]);
    expect(new Set(builds.map((e) => e.host)).size).toBe(3);
    const claims = await query(controller.databaseUrl, `SELECT id FROM allocations WHERE "instanceUuid" = '${doomed!.uuid}'`);
    expect(claims).toHaveLength(0);
    // Nova's conductor deallocates the network on MaxRetriesExceeded: no address stays held.
    expect(doomed!.addresses).toEqual({});
    expect(await query(controller.databaseUrl, `SELECT id FROM fixed_ips WHERE "instanceUuid" = '${doomed!.uuid}'`)).toHaveLength(0);
  });
});
