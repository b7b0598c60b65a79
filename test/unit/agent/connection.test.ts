import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_EVENTS, type Ack, type RegisterPayload } from "@/lib/agent-protocol";
import { addLogSink, type LogRecord } from "@/server/logs/logger";
import { AgentConnection } from "../../../agent/connection";
import { Outbox } from "../../../agent/outbox";
import { SocketController, TOKEN } from "./socket-controller";
import { eventually } from "./eventually";

const registration: RegisterPayload = {
  host: "compute-1",
  version: "0.1.0",
  pid: process.pid,
  node: {
    hypervisorHostname: "compute-1",
    hypervisorType: "TEST",
    hypervisorVersion: 2,
    libvirtUri: "test:///tmp/node.xml",
    cpuModel: "x86_64",
    cpuInfo: { arch: "x86_64", model: "x86_64", mhz: 2400, sockets: 1, cores: 4, threads: 1, numaCells: 1 },
    vcpus: 4,
    memoryMb: 8192,
    localGb: 100,
  },
  domains: [],
};

let server: SocketController;
let connection: AgentConnection | null = null;
let logs: LogRecord[] = [];
let removeSink: () => void;

beforeAll(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  removeSink = addLogSink((r) => logs.push(r));
});
afterAll(() => {
  removeSink();
  vi.restoreAllMocks();
});
afterEach(async () => {
  connection?.close();
  connection = null;
  await server.stop();
  logs = [];
});

function connect(outbox?: Outbox, onRpc: () => Ack = () => ({ ok: true })): AgentConnection {
  connection = new AgentConnection({
    controllerUrl: server.url,
    host: "compute-1",
    token: TOKEN,
    ackTimeoutMs: 1000,
    maxBackoffMs: 100,
    registration: async () => registration,
    onRegistered: () => undefined,
    onOnline: (online) => outbox?.setOnline(online),
    onRpc,
  });
  connection.start();
  return connection;
}

describe("AgentConnection against a real Socket.IO server", () => {
  it("registers on connect, heartbeats, and answers RPCs with the handler's ack", async () => {
    server = new SocketController();
    await server.start();
    const c = connect(undefined, () => ({ ok: false, error: "invalid rpc: nope" }));
    await eventually(() => expect(c.online).toBe(true));
    expect(server.registrations).toEqual([registration]);
    await eventually(() => expect(server.heartbeats).toBeGreaterThanOrEqual(2));
    expect(await server.rpc({ method: "bogus" })).toEqual({ ok: false, error: "invalid rpc: nope" });
  });

  it("logs a refused handshake as an ERROR and keeps retrying until it is let in", async () => {
    server = new SocketController();
    server.acceptedToken = "another-token-0123456789";
    await server.start();
    const c = connect();
    await eventually(() => expect(logs.some((r) => r.level === 50 && /refused this agent: unauthorized/.test(r.message))).toBe(true));
    expect(c.online).toBe(false);
    server.acceptedToken = TOKEN; // an operator fixes the credential
    await eventually(() => expect(c.online).toBe(true));
  });

  it("delivers what was queued across a controller restart, in order, after registering again", async () => {
    server = new SocketController();
    await server.start();
    const outbox = new Outbox({ send: (e, p) => connection!.send(e, p), retryDelayMs: 20, maxRetryDelayMs: 50 });
    const c = connect(outbox);
    await eventually(() => expect(c.online).toBe(true));
    const uuid = randomUUID();
    await outbox.send(AGENT_EVENTS.instanceUpdate, { requestId: null, uuid, progress: 1 });

    const port = server.port;
    await server.stop();
    await eventually(() => expect(c.online).toBe(false));
    const queued = [2, 3, 4].map((progress) => outbox.send(AGENT_EVENTS.instanceUpdate, { requestId: null, uuid, progress }));

    const restarted = new SocketController();
    await restarted.start(port);
    server = restarted;
    await Promise.all(queued);
    expect(restarted.reports.map(([, p]) => p.progress)).toEqual([2, 3, 4]);
    expect(restarted.registrations).toHaveLength(1);
  }, 15_000);
});
