// The claims proof: 200 launches at once against room for exactly K instances. Exactly K become
// ACTIVE, every other one fails with an explained NoValidHost, and no host's allocations exceed
// (total − reserved) × ratio. Then several processes — controllers, as far as the database can tell
// — claim on one host at the same moment: the conditional update lets exactly the room through.
// Runs on SQLite and, in the suite's second pass, on PostgreSQL.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startAgent, startController, waitForHypervisors, query, type Agent, type Controller } from "./harness";
import { eventually, login, type ApiClient } from "./api-client";

const HOSTS = ["compute-1", "compute-2"];
const CPUS = 5; // with cpu_allocation_ratio 1.0: room for 5 m1.tiny per host
const K = HOSTS.length * CPUS;
const LAUNCHES = 200;

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let imageId: string;

beforeAll(async () => {
  controller = await startController({ agentHosts: HOSTS });
  agents = HOSTS.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: CPUS, memoryMb: 16384, env: { STRATUS_DISK_GB: "2000" } }),
  );
  await waitForHypervisors(controller.databaseUrl, HOSTS, 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  imageId = (await admin.image.list.query())[0]!.id;
  for (const host of HOSTS) await admin.hypervisor.update.mutate({ host, cpuAllocationRatio: 1.0 });
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("atomic claims", () => {
  it(`places exactly ${K} of ${LAUNCHES} parallel launches and never overcommits a host`, async () => {
    const hypervisors = await admin.hypervisor.list.query();
    expect(hypervisors.map((h) => [h.host, h.vcpus.capacity, h.fits.find((f) => f.name === "m1.tiny")?.count])).toEqual(
      HOSTS.map((h) => [h, CPUS, CPUS]),
    );

    const launches = await Promise.all(
      Array.from({ length: LAUNCHES }, (_, k) => admin.server.create.mutate({ name: `race-${k}`, flavorId: "1", imageId })),
    );
    const uuids = launches.map((l) => l.instances[0]!.uuid);
    expect(new Set(uuids).size).toBe(LAUNCHES);

    const settled = await eventually(
      async () => {
        const list = await admin.server.list.query({ pageSize: 200 });
        const done = list.items.filter((i) => i.status === "ACTIVE" || i.status === "ERROR");
        return list.total === LAUNCHES && done.length === LAUNCHES ? list.items : undefined;
      },
      180_000,
      "every launch to become ACTIVE or ERROR",
    );
    const active = settled.filter((i) => i.status === "ACTIVE");
    const failed = settled.filter((i) => i.status === "ERROR");
    expect(active).toHaveLength(K);
    expect(failed).toHaveLength(LAUNCHES - K);
    for (const f of failed) expect(f.fault?.message).toBe(`No valid host was found. ${HOSTS.length} hosts: ${HOSTS.length} without enough vCPUs.`);
    for (const host of HOSTS) expect(active.filter((i) => i.host === host)).toHaveLength(CPUS);
    // Each placed instance got its own fixed IP; a NoValidHost never allocates one (as in Nova).
    expect(new Set(active.map((i) => i.addresses.private?.[0]?.address)).size).toBe(K);
    expect(active.every((i) => /^10\.0\.0\.\d+$/.test(i.addresses.private?.[0]?.address ?? ""))).toBe(true);
    expect(failed.every((i) => Object.keys(i.addresses).length === 0)).toBe(true);

    // The database agrees: usage is the sum of the allocations, within the limit, one per instance.
    const nodes = await query<{ id: number; host: string; vcpus: number; vcpusUsed: number; cpuAllocationRatio: number; reservedHostCpus: number }>(
      controller.databaseUrl,
      `SELECT id, host, vcpus, "vcpusUsed", "cpuAllocationRatio", "reservedHostCpus" FROM compute_nodes ORDER BY host`,
    );
    const allocations = await query<{ nodeId: number; instanceUuid: string; vcpus: number }>(
      controller.databaseUrl,
      `SELECT "nodeId", "instanceUuid", vcpus FROM allocations`,
    );
    expect(allocations).toHaveLength(K);
    expect(new Set(allocations.map((a) => a.instanceUuid))).toEqual(new Set(active.map((i) => i.uuid)));
    for (const n of nodes) {
      const used = allocations.filter((a) => Number(a.nodeId) === Number(n.id)).reduce((s, a) => s + Number(a.vcpus), 0);
      expect(Number(n.vcpusUsed)).toBe(used);
      expect(used).toBeLessThanOrEqual((Number(n.vcpus) - Number(n.reservedHostCpus)) * Number(n.cpuAllocationRatio));
    }
    const after = await admin.hypervisor.list.query();
    expect(after.map((h) => [h.host, h.vcpus.used, h.fits.find((f) => f.name === "m1.tiny")?.count])).toEqual(HOSTS.map((h) => [h, CPUS, 0]));

    // The refusals are explained on the schedule_instances event too.
    const actions = await admin.server.actions.query({ id: failed[0]!.uuid });
    const schedule = actions[0]!.events.find((e) => e.event === "schedule_instances");
    expect(schedule).toMatchObject({ result: "Error" });
    expect(schedule!.details).toMatch(/^No valid host was found\. 2 hosts: 2 without enough vCPUs\.\nCoreFilter: 2 without enough vCPUs: compute-1, compute-2$/);
  });

  it("lets exactly the free room through when several processes claim on one host at once", async () => {
    const host = HOSTS[0]!;
    // compute-1 is full at ratio 1.0; at 4.0 it has 4 × 5 − 5 = 15 vCPUs free.
    await admin.hypervisor.update.mutate({ host, cpuAllocationRatio: 4.0 });
    const failed = (await admin.server.list.query({ pageSize: 200 })).items.filter((i) => i.status === "ERROR").map((i) => i.uuid);
    const PROCESSES = 4;
    const EACH = 25;
    expect(failed.length).toBeGreaterThanOrEqual(PROCESSES * EACH);
    const run = promisify(execFile);
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, async (_, p) => {
        const { stdout } = await run(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(import.meta.dirname, "scheduler/claim-race.ts")], {
          cwd: repoRoot,
          env: {
            ...process.env,
            DATABASE_URL: controller.databaseUrl,
            CLAIM_HOST: host,
            CLAIM_UUIDS: failed.slice(p * EACH, (p + 1) * EACH).join(","),
            STRATUS_LOG_LEVEL: "warn",
          },
        });
        return JSON.parse(stdout.trim().split("\n").at(-1)!) as { won: number; refused: number; errors: string[] };
      }),
    );
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(results.reduce((s, r) => s + r.won, 0)).toBe(15);
    expect(results.reduce((s, r) => s + r.refused, 0)).toBe(PROCESSES * EACH - 15);
    const [node] = await query<{ id: number; vcpusUsed: number }>(controller.databaseUrl, `SELECT id, "vcpusUsed" FROM compute_nodes WHERE host = '${host}'`);
    const [sum] = await query<{ n: number }>(controller.databaseUrl, `SELECT COALESCE(SUM(vcpus), 0) AS n FROM allocations WHERE "nodeId" = ${Number(node!.id)}`);
    expect(Number(node!.vcpusUsed)).toBe(20);
    expect(Number(sum!.n)).toBe(20);
  });
});
