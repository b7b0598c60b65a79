// The controller's bounded, indexed log store: records of this process (through a log sink) and of
// every agent (shipped over the live channel) are written in batches, and the oldest are pruned
// beyond the configured bound.
import { config } from "@/server/config";
import { db } from "@/server/db";
import type { LogRecordWire } from "@/lib/agent-protocol";
import { publishLogsWritten } from "@/server/realtime/publish";
import { addLogSink, type LogRecord } from "./logger";

const FLUSH_MS = 500;
const MAX_PENDING = 20_000;

let pending: LogRecordWire[] = [];
let flushing = false;
let dropped = 0;
let writesSincePrune = 0;

export function storeLogRecords(records: LogRecordWire[]): void {
  pending.push(...records);
  // Never let a log storm grow memory without bound: shed the oldest and count them.
  if (pending.length > MAX_PENDING) {
    dropped += pending.length - MAX_PENDING;
    pending = pending.slice(-MAX_PENDING);
  }
}

async function flush(): Promise<void> {
  if (flushing || pending.length === 0) return;
  flushing = true;
  const batch = pending;
  pending = [];
  try {
    await db.logRecord.createMany({
      data: batch.map((r) => ({ ...r, time: new Date(r.time) })),
    });
    publishLogsWritten();
    writesSincePrune += batch.length;
    if (writesSincePrune > 5_000) {
      writesSincePrune = 0;
      await prune();
    }
  } catch {
    // The store is best effort; stdout keeps every line regardless.
    dropped += batch.length;
  } finally {
    flushing = false;
  }
}

async function prune(): Promise<void> {
  const cutoff = await db.logRecord.findFirst({
    orderBy: { id: "desc" },
    skip: config.STRATUS_LOG_STORE_MAX,
    select: { id: true },
  });
  if (cutoff) await db.logRecord.deleteMany({ where: { id: { lte: cutoff.id } } });
}

export function droppedLogRecords(): number {
  return dropped;
}

/** Starts storing this process's own records and flushing the batch periodically. */
export function startLogStore(): () => Promise<void> {
  const removeSink = addLogSink((r: LogRecord) => storeLogRecords([r]));
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();
  return async () => {
    removeSink();
    clearInterval(timer);
    await flush();
  };
}
