// server.list's filters, sort and pagination against a real controller and database (SQLite, or
// PostgreSQL with TEST_DATABASE_URL): rows written straight into the database, listed over the API.
// No agent: these rows are data to list, not guests.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "@/generated/sqlite/client";
import { PrismaClient as PostgresClient } from "@/generated/postgres/client";
import { isPostgres, startController, type Controller } from "./harness";
import { errorOf, login, type ApiClient } from "./api-client";

let controller: Controller;
let admin: ApiClient;
let demo: ApiClient;
const T0 = new Date("2026-11-01T00:00:00Z").getTime();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

interface Row {
  name: string;
  vmState: string;
  taskState?: string;
  flavorId: string;
  host: string | null;
  zone: string | null;
  minute: number;
  deleted?: boolean;
  project?: "demo";
}

const ROWS: Row[] = [
  { name: "web-alpha", vmState: "active", flavorId: "1", host: "h1", zone: "nova", minute: 1 },
  { name: "WEB-beta", vmState: "stopped", flavorId: "2", host: "h2", zone: "az2", minute: 2 },
  { name: "db-1", vmState: "active", taskState: "rebooting", flavorId: "1", host: null, zone: null, minute: 3 },
  { name: "db_2%", vmState: "paused", flavorId: "2", host: "h1", zone: "nova", minute: 4 },
  { name: "web-gone", vmState: "deleted", flavorId: "1", host: "h1", zone: "nova", minute: 5, deleted: true },
  { name: "web-demo", vmState: "active", flavorId: "1", host: "h1", zone: "nova", minute: 6, project: "demo" },
];

async function insertRows(databaseUrl: string): Promise<void> {
  const db = isPostgres(databaseUrl)
    ? (new PostgresClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) }) as unknown as PrismaClient)
    : new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: databaseUrl }) });
  try {
    const projects = new Map((await db.project.findMany()).map((p) => [p.name, p.id]));
    const users = new Map((await db.user.findMany()).map((u) => [u.username, u.id]));
    const image = await db.image.findFirstOrThrow();
    await db.instance.createMany({
      data: ROWS.map((r) => ({
        displayName: r.name,
        projectId: projects.get(r.project ?? "admin")!,
        userId: users.get(r.project ?? "admin")!,
        flavorId: r.flavorId,
        imageId: image.id,
        vcpus: 1,
        memoryMb: r.flavorId === "1" ? 512 : 2048,
        rootGb: 1,
        vmState: r.vmState,
        taskState: r.taskState ?? null,
        host: r.host,
        availabilityZone: r.zone,
        createdAt: at(r.minute),
        updatedAt: at(r.minute),
        deletedAt: r.deleted ? at(r.minute) : null,
      })),
    });
  } finally {
    await db.$disconnect();
  }
}

const names = async (api: ApiClient, input: Parameters<ApiClient["server"]["list"]["query"]>[0]) =>
  (await api.server.list.query(input)).items.map((i) => i.name);

beforeAll(async () => {
  controller = await startController();
  await insertRows(controller.databaseUrl);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
}, 240_000);

afterAll(async () => {
  await controller?.stop();
});

describe("server.list", () => {
  it("lists the project's live rows newest first by default", async () => {
    const page = await admin.server.list.query({});
    expect(page.items.map((i) => i.name)).toEqual(["db_2%", "db-1", "WEB-beta", "web-alpha"]);
    expect(page.total).toBe(4);
    expect(page.items[0]).toMatchObject({ flavorName: "m1.small", imageName: expect.any(String) });
  });

  it("filters by name as a case-insensitive substring, with LIKE's wildcards", async () => {
    // Order by name follows the database's collation (byte-wise on SQLite), so compare as a set.
    expect((await names(admin, { name: "web" })).sort()).toEqual(["WEB-beta", "web-alpha"]);
    expect(await names(admin, { name: "B-1" })).toEqual(["db-1"]);
    expect(await names(admin, { name: "db_" })).toEqual(["db_2%", "db-1"]);
    expect(await names(admin, { name: "%" })).toHaveLength(4);
  });

  it("filters by Nova status, flavor id or name, host, zone and changes-since", async () => {
    expect(await names(admin, { status: "ACTIVE" })).toEqual(["web-alpha"]);
    expect(await names(admin, { status: "REBOOT" })).toEqual(["db-1"]);
    expect(await names(admin, { flavor: "m1.tiny" })).toEqual(["db-1", "web-alpha"]);
    expect(await names(admin, { flavor: "2" })).toEqual(["db_2%", "WEB-beta"]);
    expect(await names(admin, { host: "h1" })).toEqual(["db_2%", "web-alpha"]);
    expect(await names(admin, { zone: "az2" })).toEqual(["WEB-beta"]);
    expect(await names(admin, { changesSince: at(3).toISOString() })).toEqual(["db_2%", "db-1"]);
    expect(await names(admin, { name: "db", status: "PAUSED" })).toEqual(["db_2%"]);
  });

  it("sorts by a key both ways with empty values last, and pages through that order", async () => {
    const byHost = await names(admin, { sort: "host", dir: "asc" });
    expect(byHost.slice(0, 2).sort()).toEqual(["db_2%", "web-alpha"]);
    expect(byHost.slice(2)).toEqual(["WEB-beta", "db-1"]);
    expect((await names(admin, { sort: "host", dir: "desc" })).slice(0, 1)).toEqual(["WEB-beta"]);
    expect((await names(admin, { sort: "host", dir: "desc" })).at(-1)).toBe("db-1");
    expect(await names(admin, { sort: "created", dir: "asc" })).toEqual(["web-alpha", "WEB-beta", "db-1", "db_2%"]);
    expect(await names(admin, { sort: "created", dir: "asc", page: 2, pageSize: 3 })).toEqual(["db_2%"]);
    expect(await names(admin, { sort: "flavor", dir: "desc", pageSize: 2 })).toEqual(expect.arrayContaining(["WEB-beta", "db_2%"]));
  });

  it("keeps host to admins and refuses bad input with a clear error", async () => {
    expect(await errorOf(demo.server.list.query({ host: "h1" }))).toEqual({
      code: "FORBIDDEN",
      message: "Filtering by host is restricted to administrators.",
    });
    expect((await errorOf(demo.server.list.query({ sort: "host" }))).code).toBe("FORBIDDEN");
    const bad = await errorOf(admin.server.list.query({ status: "RUNNING" as "ACTIVE" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("Status must be one of ACTIVE");
    expect(await names(demo, {})).toEqual(["web-demo"]);
  });
});
