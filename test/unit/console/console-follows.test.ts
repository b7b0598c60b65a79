// The controller's console follows: a lease is taken on the instance's host when the first browser
// on this controller watches, renewed while any watches, dropped when the last leaves or
// disconnects, re-taken when the host's agent registers again, and moved when the instance moves.
import { Server } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsoleRpc } from "@/lib/agent-protocol";
import { ConsoleFollows } from "@/server/console/console-follows";

const UUID = "0b7d6c3e-5a4f-4e2d-9c1b-aa00bb11cc22";
type Follow = Extract<ConsoleRpc, { method: "console_follow" }>;

const servers: Server[] = [];
const managers: ConsoleFollows[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
  // The servers are not attached to any HTTP server: there is nothing to close.
  servers.splice(0);
});

function setup(initialHost: string | null = "compute-1", leaseSec = 60) {
  const io = new Server();
  servers.push(io);
  const nsp = io.of("/ui");
  const calls: [string, Pick<Follow, "action" | "uuid" | "watchers" | "holder" | "leaseSec">][] = [];
  let host = initialHost;
  const follows = new ConsoleFollows(nsp, {
    holder: "ctl-test",
    leaseSec,
    hostOf: async () => host,
    call: async (h, rpc) => {
      calls.push([h, { action: rpc.action, uuid: rpc.uuid, watchers: rpc.watchers, holder: rpc.holder, leaseSec: rpc.leaseSec }]);
    },
  });
  managers.push(follows);
  // Sockets join and leave the console room through the adapter, as socket.join/leave do.
  const join = (id: string) => nsp.adapter.addAll(id, new Set([`console:${UUID}`]));
  const leave = (id: string) => nsp.adapter.del(id, `console:${UUID}`);
  const disconnect = (id: string) => nsp.adapter.delAll(id);
  return { follows, calls, join, leave, disconnect, moveTo: (h: string | null) => void (host = h) };
}

describe("ConsoleFollows", () => {
  it("takes a lease with the first watcher and drops it with the last", async () => {
    const { follows, calls, join, leave, disconnect } = setup();
    void join("s1");
    await follows.settled();
    expect(calls).toEqual([["compute-1", { action: "start", uuid: UUID, watchers: 1, holder: "ctl-test", leaseSec: 60 }]]);
    void join("s2");
    await follows.settled();
    expect(calls.at(-1)).toEqual(["compute-1", expect.objectContaining({ action: "start", watchers: 2 })]);
    void leave("s1");
    await follows.settled();
    expect(calls.filter(([, c]) => c.action === "stop")).toEqual([]);
    expect(follows.snapshot().get(UUID)).toBe("compute-1");
    disconnect("s2");
    await follows.settled();
    expect(calls.at(-1)).toEqual(["compute-1", expect.objectContaining({ action: "stop", watchers: 0 })]);
    expect(follows.snapshot().size).toBe(0);
  });

  it("ignores rooms that are not console rooms", async () => {
    const { follows, calls } = setup();
    const io = servers[0]!;
    void io.of("/ui").adapter.addAll("s1", new Set([`instance:${UUID}`, "project:p"]));
    await follows.settled();
    expect(calls).toEqual([]);
  });

  it("renews its lease at a third of its length", async () => {
    const { follows, calls, join } = setup("compute-1", 0.3);
    void join("s1");
    await follows.settled();
    await new Promise((r) => setTimeout(r, 250));
    await follows.settled();
    expect(calls.filter(([, c]) => c.action === "start").length).toBeGreaterThanOrEqual(2);
  });

  it("takes its leases again when the host's agent registers", async () => {
    const { follows, calls, join } = setup();
    void join("s1");
    await follows.settled();
    follows.agentRegistered("compute-2");
    await follows.settled();
    expect(calls.length).toBe(1);
    follows.agentRegistered("compute-1");
    await follows.settled();
    expect(calls.length).toBe(2);
    expect(calls[1]![1].action).toBe("start");
  });

  it("moves the lease when the instance moves, and waits for a host it lacks", async () => {
    const { follows, calls, join, moveTo } = setup(null);
    void join("s1");
    await follows.settled();
    expect(calls).toEqual([]);
    expect(follows.snapshot().get(UUID)).toBeNull();
    moveTo("compute-1");
    follows.agentRegistered("compute-1"); // any renewal pass does it too
    await follows.settled();
    expect(calls.map(([h, c]) => `${c.action}@${h}`)).toEqual(["start@compute-1"]);
    moveTo("compute-2");
    follows.changed(UUID);
    await follows.settled();
    expect(calls.map(([h, c]) => `${c.action}@${h}`)).toEqual(["start@compute-1", "stop@compute-1", "start@compute-2"]);
  });
});
