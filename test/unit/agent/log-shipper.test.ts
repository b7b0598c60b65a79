import { describe, expect, it } from "vitest";
import type { LogRecord } from "@/server/logs/logger";
import { LogShipper } from "../../../agent/log-shipper";

function record(i: number): LogRecord {
  return {
    time: new Date().toISOString(),
    level: 30,
    pid: 1,
    host: "compute-1",
    binary: "stratus-compute",
    module: "stratus.compute.manager",
    requestId: `req-00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    userId: null,
    projectId: null,
    instanceUuid: null,
    message: `line ${i}`,
    source: null,
  };
}

describe("LogShipper", () => {
  it("ships batches of at most the batch size, in order", async () => {
    const batches: string[][] = [];
    const shipper = new LogShipper({
      batchSize: 2,
      send: async (event, payload) => {
        expect(event).toBe("agent:logs");
        batches.push((payload as { records: { message: string }[] }).records.map((r) => r.message));
        return { ok: true };
      },
    });
    for (let i = 0; i < 5; i++) shipper.push(record(i));
    shipper.setOnline(true);
    await shipper.flush();
    expect(batches).toEqual([["line 0", "line 1"], ["line 2", "line 3"], ["line 4"]]);
    expect(shipper.stats()).toEqual({ buffered: 0, dropped: 0 });
  });

  it("keeps the newest records while offline, counts the dropped ones, and keeps unacked ones", async () => {
    let up = false;
    const shipped: string[] = [];
    const shipper = new LogShipper({
      maxBuffered: 3,
      send: async (_event, payload) => {
        if (!up) throw new Error("operation has timed out");
        shipped.push(...(payload as { records: { message: string }[] }).records.map((r) => r.message));
        return { ok: true };
      },
    });
    for (let i = 0; i < 5; i++) shipper.push(record(i));
    expect(shipper.stats()).toEqual({ buffered: 3, dropped: 2 });
    shipper.setOnline(true);
    await shipper.flush(); // not acknowledged: nothing lost
    expect(shipper.stats().buffered).toBe(3);
    up = true;
    await shipper.flush();
    expect(shipped.slice(0, 3)).toEqual(["line 2", "line 3", "line 4"]);
    expect(shipper.stats().dropped).toBe(0);
  });
});
