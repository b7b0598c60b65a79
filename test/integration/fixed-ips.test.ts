// Fixed IPs end to end, on a real controller and agent (libvirt's test driver) and a real database
// (SQLite, or PostgreSQL with TEST_DATABASE_URL): a build gets the lowest free address of the
// default network and shows it as Nova's `addresses` (over the API and the live channel, to the
// owner too); the ip filter finds it; a delete frees it for the next build; a full network fails
// the build with Neutron's words and holds nothing; and several processes allocating from one
// pool at once — controllers, as far as the database can tell — never share an address.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "@/generated/sqlite/client";
import { PrismaClient as PostgresClient } from "@/generated/postgres/client";
import { UI_EVENTS, UI_NAMESPACE, type InstanceView } from "@/lib/instance-view";
import { isPostgres, query, repoRoot, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

/** The controller's default network: 10.9.0.0/29, whose pool is 10.9.0.2–10.9.0.6 (five addresses). */
const NETWORK = "test-net";
const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;

let controller: Controller;
let agent: Agent;
let admin: ApiClient;
let demo: ApiClient;
let demoCookie: string;
let imageId: string;

function openDb(url: string): PrismaClient {
  return isPostgres(url)
    ? (new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as PrismaClient)
    : new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}

async function withDb<T>(work: (db: PrismaClient) => Promise<T>): Promise<T> {
  const db = openDb(controller.databaseUrl);
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}

function settle(uuid: string): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await admin.server.get.query({ id: uuid });
      return v.taskState === null && (v.status === "ACTIVE" || v.status === "ERROR") ? v : undefined;
    },
    60_000,
    `instance ${uuid} to settle`,
  );
}

async function launch(api: ApiClient, name: string, count = 1): Promise<InstanceView[]> {
  const { instances } = await api.server.create.mutate({ name, flavorId: "1", imageId, count });
  return Promise.all(instances.map((i) => settle(i.uuid)));
}

const addressOf = (v: InstanceView) => v.addresses[NETWORK]?.map((a) => a.address) ?? [];

async function heldBy(uuid: string): Promise<number> {
  return (await query(controller.databaseUrl, `SELECT id FROM fixed_ips WHERE "instanceUuid" = '${uuid}'`)).length;
}

function uiSocket(cookie: string): Promise<Socket> {
  const socket = connect(`${controller.url}${UI_NAMESPACE}`, { transports: ["websocket"], extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

beforeAll(async () => {
  // The seed creates its own default network ("private"); this controller allocates from NETWORK,
  // which the first test creates once it has seen builds fail without it.
  controller = await startController({ agentHosts: ["compute-1"], env: { STRATUS_DEFAULT_NETWORK: NETWORK } });
  agent = startAgent({ host: "compute-1", controllerUrl: controller.url, tokenFile: controller.tokenFile("compute-1"), env: { STRATUS_DISK_GB: "2000" } });
  await waitForHypervisors(controller.databaseUrl, ["compute-1"], 60_000, [agent]);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo, cookie: demoCookie } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
});

describe("fixed IPs", () => {
  it("fails a build whose network does not exist, in Nova's words, holding neither claim nor address", async () => {
    const [failed] = await launch(admin, "no-net");
    expect(failed).toMatchObject({ status: "ERROR", addresses: {} });
    expect(failed!.fault?.message).toBe(`Failed to allocate the network(s): Network ${NETWORK} could not be found.`);
    expect(await query(controller.databaseUrl, `SELECT id FROM allocations WHERE "instanceUuid" = '${failed!.uuid}'`)).toHaveLength(0);
    await admin.server.delete.mutate({ id: failed!.uuid });
    await withDb((db) => db.network.create({ data: { name: NETWORK, cidr: "10.9.0.0/29" } }));
  });

  it("gives each build the lowest free address, shown as Nova's addresses in the API and the live channel", async () => {
    const socket = await uiSocket(demoCookie);
    const pushed = new Map<string, InstanceView>();
    socket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => pushed.set(v.uuid, v));
    try {
      const built = await launch(admin, "web", 3);
      expect(built.map((v) => v.status)).toEqual(["ACTIVE", "ACTIVE", "ACTIVE"]);
      expect(built.map(addressOf).flat().sort()).toEqual(["10.9.0.2", "10.9.0.3", "10.9.0.4"]);
      for (const v of built) {
        expect(Object.keys(v.addresses)).toEqual([NETWORK]);
        expect(v.addresses[NETWORK]).toEqual([{ address: expect.any(String), version: 4, type: "fixed", macAddress: expect.stringMatching(MAC) }]);
      }
      expect(new Set(built.map((v) => v.addresses[NETWORK]![0]!.macAddress)).size).toBe(3);
      // The list shows what get shows.
      const listed = (await admin.server.list.query({ name: "web" })).items;
      expect(new Map(listed.map((v) => [v.uuid, v.addresses]))).toEqual(new Map(built.map((v) => [v.uuid, v.addresses])));

      // A member's own instance: its address is in the member's view and in the project room's push.
      const [own] = await launch(demo, "demo-vm");
      expect(addressOf(own!)).toEqual(["10.9.0.5"]);
      const seen = await demo.server.get.query({ id: own!.uuid });
      expect(seen.host).toBeNull();
      expect(seen.addresses).toEqual(own!.addresses);
      const live = await eventually(async () => (pushed.get(own!.uuid)?.status === "ACTIVE" ? pushed.get(own!.uuid) : undefined), 10_000, "the ACTIVE push");
      expect(live.addresses).toEqual(own!.addresses);
      expect(live.host).toBeNull();
    } finally {
      socket.disconnect();
    }
  });

  it("filters the list by the start of an address, for members too, and refuses what is not one", async () => {
    const names = async (api: ApiClient, ip: string, extra: { name?: string } = {}) =>
      (await api.server.list.query({ ip, ...extra })).items.map((v) => addressOf(v)[0]).sort();
    expect(await names(admin, "10.9.0.3")).toEqual(["10.9.0.3"]);
    expect(await names(admin, "10.9.0.")).toEqual(["10.9.0.2", "10.9.0.3", "10.9.0.4"]);
    expect(await names(admin, "10.9")).toEqual(["10.9.0.2", "10.9.0.3", "10.9.0.4"]);
    expect(await names(admin, "10.9.0.5")).toEqual([]); // demo's, another project
    expect((await admin.server.list.query({ ip: "10.9.0.5", allProjects: true })).items.map((v) => v.name)).toEqual(["demo-vm"]);
    expect(await names(admin, "10.9.0.2", { name: "web" })).toEqual(["10.9.0.2"]);
    expect(await names(admin, "10.9.0.2", { name: "db" })).toEqual([]);
    expect(await names(admin, "10.0.")).toEqual([]);
    expect(await names(demo, "10.9.")).toEqual(["10.9.0.5"]);
    expect(await errorOf(admin.server.list.query({ ip: "10.9.0.x" }))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringContaining("IP filter must be the start of an IPv4 address, e.g. 10.0.0.12 or 10.0."),
    });
  });

  it("frees a deleted instance's address, and the next build gets it", async () => {
    const [victim] = (await admin.server.list.query({ ip: "10.9.0.3" })).items;
    await admin.server.delete.mutate({ id: victim!.uuid });
    await eventually(async () => ((await admin.server.list.query({ name: "web" })).total === 2 ? true : undefined), 30_000, "the delete");
    expect(await heldBy(victim!.uuid)).toBe(0);
    const [next] = await launch(admin, "reuse");
    expect(addressOf(next!)).toEqual(["10.9.0.3"]);
  });

  it("fails builds past the end of the pool with Neutron's words, and they hold nothing", async () => {
    // Held: .2, .3, .4, .5 of .2–.6; three more builds: one gets .6, two fail.
    const built = await launch(admin, "last", 3);
    const ok = built.filter((v) => v.status === "ACTIVE");
    const failed = built.filter((v) => v.status === "ERROR");
    expect(ok.map(addressOf)).toEqual([["10.9.0.6"]]);
    expect(failed).toHaveLength(2);
    for (const v of failed) {
      expect(v.fault?.message).toBe(`Failed to allocate the network(s): No more IP addresses available on network ${NETWORK}.`);
      expect(v.addresses).toEqual({});
      expect(await heldBy(v.uuid)).toBe(0);
      expect(await query(controller.databaseUrl, `SELECT id FROM allocations WHERE "instanceUuid" = '${v.uuid}'`)).toHaveLength(0);
      const events = (await admin.server.actions.query({ id: v.uuid }))[0]!.events;
      expect(events.find((e) => e.event === "conductor_schedule_and_build_instances")).toMatchObject({ result: "Error", traceback: null });
    }
    const rows = await query<{ address: string | number }>(controller.databaseUrl, `SELECT address FROM fixed_ips ORDER BY address`);
    expect(rows).toHaveLength(5);
  });

  it("never gives one address twice when several processes allocate from one pool at once", async () => {
    // 10.8.0.0/25: 125 addresses for 4 × 40 allocations.
    const PROCESSES = 4;
    const EACH = 40;
    const uuids = await withDb(async (db) => {
      await db.network.create({ data: { name: "race-net", cidr: "10.8.0.0/25" } });
      const project = await db.project.findFirstOrThrow({ where: { name: "admin" } });
      const user = await db.user.findFirstOrThrow({ where: { username: "admin" } });
      const rows = Array.from({ length: PROCESSES * EACH }, (_, i) => ({
        displayName: `race-${i}`,
        projectId: project.id,
        userId: user.id,
        flavorId: "1",
        imageId,
        vcpus: 1,
        memoryMb: 512,
        rootGb: 1,
        vmState: "error",
      }));
      await db.instance.createMany({ data: rows });
      return (await db.instance.findMany({ where: { displayName: { startsWith: "race-" } }, select: { uuid: true } })).map((r) => r.uuid);
    });
    const run = promisify(execFile);
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, async (_, p) => {
        const { stdout } = await run(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(import.meta.dirname, "network/allocation-race.ts")], {
          cwd: repoRoot,
          env: {
            ...process.env,
            DATABASE_URL: controller.databaseUrl,
            STRATUS_DEFAULT_NETWORK: "race-net",
            RACE_UUIDS: uuids.slice(p * EACH, (p + 1) * EACH).join(","),
            STRATUS_LOG_LEVEL: "warn",
          },
        });
        return JSON.parse(stdout.trim().split("\n").at(-1)!) as { won: [string, string][]; exhausted: number; messages: string[]; errors: string[] };
      }),
    );
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    const won = results.flatMap((r) => r.won);
    expect(won).toHaveLength(125);
    expect(new Set(won.map(([, address]) => address)).size).toBe(125);
    expect(results.reduce((s, r) => s + r.exhausted, 0)).toBe(PROCESSES * EACH - 125);
    expect(new Set(results.flatMap((r) => r.messages))).toEqual(new Set(["No more IP addresses available on network race-net."]));
    // The database agrees: one row per winner, the whole pool and nothing outside it.
    const held = await query<{ address: string | number; instanceUuid: string }>(
      controller.databaseUrl,
      `SELECT f.address, f."instanceUuid" FROM fixed_ips f JOIN networks n ON n.id = f."networkId" WHERE n.name = 'race-net' ORDER BY f.address`,
    );
    const first = 10 * 2 ** 24 + 8 * 2 ** 16 + 2;
    expect(held.map((h) => Number(h.address))).toEqual(Array.from({ length: 125 }, (_, i) => first + i));
    expect(new Map(held.map((h) => [h.instanceUuid, Number(h.address)]))).toEqual(
      new Map(won.map(([uuid, address]) => [uuid, address.split(".").reduce((n, o) => n * 256 + Number(o), 0)])),
    );
  });
});
