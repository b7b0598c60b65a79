// The console log end to end: a real controller and a real agent on libvirt's test driver, over
// the real API and the real /ui socket. The test driver writes no console log, and the API says so
// in those words; a console file written into the agent's instance directory (as libvirt writes it
// on a real hypervisor) is read by tail and streamed live to the owner's socket only, through
// truncation, an unwatch and an agent restart. (The qemu suite proves the same on a booted guest.)
import { appendFileSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "@/generated/sqlite/client";
import { PrismaClient as PostgresClient } from "@/generated/postgres/client";
import { UI_CONSOLE_EVENTS, type ConsoleChunkMessage } from "@/lib/agent-protocol";
import { UI_NAMESPACE, type InstanceView } from "@/lib/instance-view";
import { hashPassword } from "@/server/auth/password";
import { isPostgres, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const ENV = { STRATUS_REPORT_INTERVAL: "1", STRATUS_SERVICE_DOWN_TIME: "4" };
// A small host: m1.large (8 GB RAM, 80 GB disk) fits nowhere, so it ends in ERROR without a host.
const AGENT_ENV = { STRATUS_DISK_GB: "20" };
const OTHER = { username: "other", password: "other-test-pass", project: "other" };

let controller: Controller;
let agent: Agent;
let demo: ApiClient;
let other: ApiClient;
let demoCookie: string;
let otherCookie: string;
let imageId: string;
let vm: string;
const sockets: Socket[] = [];

function startComputeAgent(stateDir?: string): Agent {
  return startAgent({
    host: "compute-1",
    controllerUrl: controller.url,
    tokenFile: controller.tokenFile("compute-1"),
    cpus: 4,
    memoryMb: 4096,
    env: AGENT_ENV,
    ...(stateDir ? { stateDir } : {}),
  });
}

/** A member of a third project, written straight into the database as the seed writes users. */
async function addMember(databaseUrl: string): Promise<void> {
  const client = isPostgres(databaseUrl)
    ? (new PostgresClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) }) as unknown as PrismaClient)
    : new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: databaseUrl }) });
  try {
    const project = await client.project.create({ data: { name: OTHER.project } });
    const user = await client.user.create({ data: { username: OTHER.username, passwordHash: await hashPassword(OTHER.password) } });
    await client.membership.create({ data: { userId: user.id, projectId: project.id, role: "member" } });
  } finally {
    await client.$disconnect();
  }
}

function uiSocket(cookie: string): Promise<Socket> {
  const socket = connect(`${controller.url}${UI_NAMESPACE}`, { transports: ["websocket"], extraHeaders: { cookie } });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Collects the console chunks a socket receives. */
function collect(socket: Socket): ConsoleChunkMessage[] {
  const chunks: ConsoleChunkMessage[] = [];
  socket.on(UI_CONSOLE_EVENTS.chunk, (c: ConsoleChunkMessage) => chunks.push(c));
  return chunks;
}

const text = (chunks: ConsoleChunkMessage[]) => chunks.map((c) => c.data).join("");

function consoleFile(uuid: string): string {
  return path.join(agent.stateDir, "instances", uuid, "console.log");
}

async function settled(api: ApiClient, uuid: string, done: (v: InstanceView) => boolean): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.taskState === null && done(v) ? v : undefined;
    },
    60_000,
    `instance ${uuid} to settle`,
  );
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => (cond() ? true : undefined), timeoutMs, what);
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `[ ${from + i} ] kernel: line ${from + i}`);

beforeAll(async () => {
  controller = await startController({ env: ENV, agentHosts: ["compute-1"] });
  await addMember(controller.databaseUrl);
  agent = startComputeAgent();
  await waitForHypervisors(controller.databaseUrl, ["compute-1"], 60_000, [agent]);
  ({ api: demo, cookie: demoCookie } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  ({ api: other, cookie: otherCookie } = await login(controller.url, OTHER.username, OTHER.password));
  imageId = (await demo.image.list.query())[0]!.id;
  const { instances } = await demo.server.create.mutate({ name: "console", flavorId: "1", imageId, count: 1 });
  vm = instances[0]!.uuid;
  await settled(demo, vm, (v) => v.status === "ACTIVE");
}, 240_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await agent?.stop();
  await controller?.stop();
});

describe("server.consoleLog", () => {
  it("says the test hypervisor produces no console output, and shows none", async () => {
    const log = await demo.server.consoleLog.query({ id: vm });
    expect(log).toMatchObject({
      text: "",
      available: false,
      truncated: false,
      reason: "The test hypervisor produces no console output",
      endOffset: 0,
      tailLines: 200,
    });
  });

  it("answers NOT_FOUND for another project's instance and for an unknown one", async () => {
    expect(await errorOf(other.server.consoleLog.query({ id: vm }))).toMatchObject({ code: "NOT_FOUND", message: `Instance ${vm} could not be found.` });
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await errorOf(demo.server.consoleLog.query({ id: unknown }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a tail outside 1..10000 lines", async () => {
    expect(await errorOf(demo.server.consoleLog.query({ id: vm, tailLines: 0 }))).toMatchObject({ code: "BAD_REQUEST" });
    const big = await errorOf(demo.server.consoleLog.query({ id: vm, tailLines: 10_001 }));
    expect(big).toMatchObject({ code: "BAD_REQUEST" });
    expect(big.message).toContain("tailLines must be at most 10000");
  });

  it("answers CONFLICT for an instance without a host", async () => {
    const { instances } = await demo.server.create.mutate({ name: "too-big", flavorId: "4", imageId, count: 1 });
    const uuid = instances[0]!.uuid;
    const view = await settled(demo, uuid, (v) => v.status === "ERROR");
    expect(view.host).toBeNull();
    const err = await errorOf(demo.server.consoleLog.query({ id: uuid }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toBe(`Instance ${uuid} is not ready: it has no compute host yet, so it has no console log.`);
    await demo.server.delete.mutate({ id: uuid });
  });

  it("returns the last N lines of the console file on the instance's host", async () => {
    const file = consoleFile(vm);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, lines(1, 1000).join("\n") + "\n");
    const ten = await demo.server.consoleLog.query({ id: vm, tailLines: 10 });
    expect(ten).toMatchObject({ available: true, truncated: true, text: lines(991, 1000).join("\n") + "\n" });
    expect(ten.reason).toBeUndefined();
    const dflt = await demo.server.consoleLog.query({ id: vm });
    expect(dflt.text.split("\n").slice(0, -1)).toEqual(lines(801, 1000));
    const all = await demo.server.consoleLog.query({ id: vm, tailLines: 10_000 });
    expect(all).toMatchObject({ truncated: false, text: lines(1, 1000).join("\n") + "\n" });
    expect(all.endOffset).toBe(Buffer.byteLength(all.text));
  });
});

describe("live console", () => {
  it("streams appended output to the owner's socket and never to another project's", async () => {
    const owner = await uiSocket(demoCookie);
    const stranger = await uiSocket(otherCookie);
    const ownerChunks = collect(owner);
    const strangerChunks = collect(stranger);
    expect(await stranger.emitWithAck(UI_CONSOLE_EVENTS.watch, { uuid: vm })).toBe(false);
    expect(await owner.emitWithAck(UI_CONSOLE_EVENTS.watch, { uuid: vm })).toBe(true);
    await agent.waitForLog(/Following the console log/, 15_000);

    const start = (await demo.server.consoleLog.query({ id: vm, tailLines: 1 })).endOffset;
    const appended = lines(1001, 1003).join("\n") + "\n";
    appendFileSync(consoleFile(vm), appended);
    await until(() => text(ownerChunks) === appended, "the owner to receive the appended lines");
    expect(ownerChunks[0]!.offset).toBe(start);
    expect(ownerChunks.every((c) => c.uuid === vm && !c.reset)).toBe(true);

    // Bounded chunks, contiguous offsets, for a burst of output.
    ownerChunks.length = 0;
    const burst = lines(1004, 6000).join("\n") + "\n";
    const before = (await demo.server.consoleLog.query({ id: vm, tailLines: 1 })).endOffset;
    appendFileSync(consoleFile(vm), burst);
    await until(() => text(ownerChunks) === burst, "the burst to arrive", 30_000);
    let at = before;
    for (const c of ownerChunks) {
      expect(c.offset).toBe(at);
      expect(c.length).toBeLessThanOrEqual(16 * 1024);
      at += c.length;
    }

    // A truncated log starts over, marked as such.
    ownerChunks.length = 0;
    truncateSync(consoleFile(vm), 0);
    appendFileSync(consoleFile(vm), "after truncation\n");
    await until(() => text(ownerChunks) === "after truncation\n", "the chunk after truncation");
    expect(ownerChunks[0]).toMatchObject({ offset: 0, reset: true });

    await new Promise((r) => setTimeout(r, 300));
    expect(strangerChunks).toEqual([]);
    owner.emit(UI_CONSOLE_EVENTS.unwatch, { uuid: vm });
    await agent.waitForLog(/Stopped following the console log/, 15_000);
  });

  it("stops streaming when the last watcher leaves", async () => {
    const owner = await uiSocket(demoCookie);
    const chunks = collect(owner);
    appendFileSync(consoleFile(vm), "nobody is watching\n");
    await new Promise((r) => setTimeout(r, 500));
    expect(chunks).toEqual([]);
  });

  it("follows again after the agent restarts", async () => {
    const owner = await uiSocket(demoCookie);
    const chunks = collect(owner);
    expect(await owner.emitWithAck(UI_CONSOLE_EVENTS.watch, { uuid: vm })).toBe(true);
    await until(() => /Following the console log/.test(agent.logs().split("Stopped following").at(-1) ?? ""), "the follow");
    const stateDir = agent.stateDir;
    await agent.stop();
    agent = startComputeAgent(stateDir);
    await agent.waitForLog(/Registered with the controller/, 60_000);
    // The controller takes its lease again when the agent registers.
    await agent.waitForLog(/Following the console log/, 15_000);
    appendFileSync(consoleFile(vm), "after the agent restart\n");
    await until(() => text(chunks).endsWith("after the agent restart\n"), "output after the restart", 20_000);
  });

  it("drops a watcher's follow when its socket disconnects", async () => {
    const owner = sockets.at(-1)!;
    owner.close();
    await agent.waitForLog(/Stopped following the console log: .* stopped watching/, 15_000);
  });
});
