import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AGENT_EVENTS } from "@/lib/agent-protocol";
import { Outbox } from "../../../agent/outbox";

/** A fake controller socket: records what arrives, answers as told, or fails like a lost ack. */
class FakeChannel {
  received: { event: string; payload: unknown }[] = [];
  /** How each call ends: "ack" (default), "lose" (arrives, ack lost), "drop" (never arrives). */
  script: ("ack" | "lose" | "drop" | { ok: false; error: string } | Record<string, unknown>)[] = [];
  send = async (event: string, payload: unknown): Promise<unknown> => {
    await new Promise((r) => setTimeout(r, 1));
    const step = this.script.shift() ?? "ack";
    if (step === "drop") throw new Error("operation has timed out");
    this.received.push({ event, payload });
    if (step === "lose") throw new Error("socket has been disconnected");
    return step === "ack" ? { ok: true } : step;
  };
}

const uuid = randomUUID();
const update = (progress: number) => ({ requestId: null, uuid, progress });

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("Outbox", () => {
  it("holds messages while offline and sends them in order once online", async () => {
    const ch = new FakeChannel();
    const outbox = new Outbox({ send: ch.send, retryDelayMs: 5 });
    const deliveries = [10, 20, 30].map((p) => outbox.send(AGENT_EVENTS.instanceUpdate, update(p)));
    await new Promise((r) => setTimeout(r, 20));
    expect(ch.received).toEqual([]);
    expect(outbox.hasPending(uuid)).toBe(true);
    outbox.setOnline(true);
    const results = await Promise.all(deliveries);
    expect(results.map((d) => d.ack.ok)).toEqual([true, true, true]);
    expect(ch.received.map((r) => (r.payload as { progress: number }).progress)).toEqual([10, 20, 30]);
    expect(outbox.hasPending(uuid)).toBe(false);
    expect(outbox.size).toBe(0);
  });

  it("retries an unacknowledged message before anything behind it, and says it was resent", async () => {
    const ch = new FakeChannel();
    ch.script = ["ack", "drop", "lose", "ack", "ack"];
    const outbox = new Outbox({ send: ch.send, retryDelayMs: 2 });
    outbox.setOnline(true);
    const first = outbox.send(AGENT_EVENTS.instanceUpdate, update(1));
    const second = outbox.send(AGENT_EVENTS.actionEvent, {
      requestId: "req-1",
      uuid,
      event: "compute__do_build_and_run_instance",
      phase: "start",
      time: new Date().toISOString(),
    });
    const third = outbox.send(AGENT_EVENTS.powerReport, { uuid, powerState: 1, reason: "test" });
    expect((await first).redelivered).toBe(false);
    expect((await second).redelivered).toBe(true);
    expect((await third).redelivered).toBe(false);
    // "drop" never arrived, "lose" arrived without an ack and was sent again: at least once, in order.
    expect(ch.received.map((r) => r.event)).toEqual([
      AGENT_EVENTS.instanceUpdate,
      AGENT_EVENTS.actionEvent,
      AGENT_EVENTS.actionEvent,
      AGENT_EVENTS.powerReport,
    ]);
  });

  it("stops sending when it goes offline mid-retry and resumes on reconnect", async () => {
    const ch = new FakeChannel();
    ch.script = ["drop", "drop", "drop"];
    const outbox = new Outbox({ send: ch.send, retryDelayMs: 5, maxRetryDelayMs: 10 });
    outbox.setOnline(true);
    const d = outbox.send(AGENT_EVENTS.instanceUpdate, update(5));
    await new Promise((r) => setTimeout(r, 15));
    outbox.setOnline(false);
    await new Promise((r) => setTimeout(r, 40));
    expect(ch.received).toEqual([]);
    outbox.setOnline(true);
    expect((await d).ack.ok).toBe(true);
    expect(ch.received).toHaveLength(1);
  });

  it("passes on refusals and malformed acks without retrying them", async () => {
    const ch = new FakeChannel();
    ch.script = [{ ok: false, error: "invalid agent:instance-update" }, { nonsense: 1 }, { ok: true, applied: false }];
    const refused: string[] = [];
    const outbox = new Outbox({ send: ch.send, onRefused: (_e, _p, error) => refused.push(error) });
    outbox.setOnline(true);
    const a = await outbox.send(AGENT_EVENTS.instanceUpdate, update(1));
    const b = await outbox.send(AGENT_EVENTS.instanceUpdate, update(2));
    const c = await outbox.send(AGENT_EVENTS.instanceUpdate, update(3));
    expect(a.ack).toEqual({ ok: false, error: "invalid agent:instance-update" });
    expect(b.ack.ok).toBe(false);
    expect(c.ack).toEqual({ ok: true, applied: false });
    expect(refused).toHaveLength(2);
    expect(ch.received).toHaveLength(3);
  });

  it("refuses to queue a message that breaks the protocol", async () => {
    const outbox = new Outbox({ send: new FakeChannel().send });
    await expect(outbox.send(AGENT_EVENTS.powerReport, { uuid: "not-a-uuid", powerState: 1, reason: "x" })).rejects.toThrow(
      /invalid agent:power-report/,
    );
    expect(outbox.size).toBe(0);
  });

  it("keeps undelivered messages in its journal across an agent restart", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-outbox-"));
    const journal = path.join(dir, "outbox.jsonl");
    const first = new Outbox({ send: new FakeChannel().send, journalPath: journal });
    void first.send(AGENT_EVENTS.instanceUpdate, update(1));
    void first.send(AGENT_EVENTS.instanceUpdate, update(2));
    first.close(); // the agent dies before the controller is reachable

    const ch = new FakeChannel();
    const second = new Outbox({ send: ch.send, journalPath: journal });
    expect(second.size).toBe(2);
    expect(second.hasPending(uuid)).toBe(true);
    second.setOnline(true);
    await second.drained();
    expect(ch.received.map((r) => (r.payload as { progress: number }).progress)).toEqual([1, 2]);
    // Delivered entries are marked done: a third start has nothing to replay, and junk (a torn
    // line, stray JSON) is skipped rather than fatal.
    appendFileSync(journal, 'null\n{"op":"add","id":9,"event":"nope"}\n{"op":"ad');
    const third = new Outbox({ send: ch.send, journalPath: journal });
    expect(third.size).toBe(0);
    expect(readFileSync(journal, "utf8")).toBe("");
    third.close();
  });
});
