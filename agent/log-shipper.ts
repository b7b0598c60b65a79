// Ships the agent's log records to the controller's log store in batches (`agent:logs`), so one
// request id finds every line of an operation on every host. Logs are best effort: while the
// controller is unreachable a bounded buffer keeps the newest records and counts what it dropped.
import { AGENT_EVENTS, logBatchSchema, type LogRecordWire } from "@/lib/agent-protocol";
import { addLogSink, getLogger, type LogRecord } from "@/server/logs/logger";
import type { AckSender } from "./outbox";

export interface LogShipperOptions {
  send: AckSender;
  /** Records per batch; the protocol allows up to 1000. */
  batchSize?: number;
  intervalMs?: number;
  /** Records kept while offline; the oldest go first. */
  maxBuffered?: number;
}

export class LogShipper {
  private readonly sender: AckSender;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly maxBuffered: number;
  private buffer: LogRecordWire[] = [];
  private dropped = 0;
  private online = false;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(options: LogShipperOptions) {
    this.sender = options.send;
    this.batchSize = Math.min(options.batchSize ?? 1000, 1000);
    this.intervalMs = options.intervalMs ?? 500;
    this.maxBuffered = options.maxBuffered ?? 20_000;
  }

  start(): void {
    this.unsubscribe = addLogSink((r) => this.push(r));
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (online) void this.flush();
  }

  /** Records waiting to be shipped and records dropped so far (for tests and diagnostics). */
  stats(): { buffered: number; dropped: number } {
    return { buffered: this.buffer.length, dropped: this.dropped };
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  push(r: LogRecord): void {
    this.buffer.push({
      time: r.time,
      level: r.level,
      host: r.host,
      binary: r.binary,
      pid: r.pid,
      module: r.module,
      requestId: r.requestId,
      userId: r.userId,
      projectId: r.projectId,
      instanceUuid: r.instanceUuid,
      message: r.message,
      source: r.source,
    });
    const excess = this.buffer.length - this.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Sends what is buffered; concurrent callers share the flush in progress. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    while (this.online && this.buffer.length > 0) {
      const records = this.buffer.slice(0, this.batchSize);
      const batch = logBatchSchema.parse({ records });
      let ok = false;
      try {
        const ack = (await this.sender(AGENT_EVENTS.logs, batch)) as { ok?: unknown } | undefined;
        ok = ack?.ok === true;
      } catch {
        ok = false;
      }
      // Refused or lost: keep the records for the next tick rather than spin.
      if (!ok) return;
      // Records that arrived meanwhile were appended, and overflow may have trimmed the front:
      // remove exactly what was sent.
      const sent = new Set(records);
      this.buffer = this.buffer.filter((r) => !sent.has(r));
      if (this.dropped > 0) {
        const n = this.dropped;
        this.dropped = 0;
        getLogger("stratus.compute.log_shipper").warn(
          `Dropped ${n} log records while the controller was unreachable (buffer holds ${this.maxBuffered})`,
        );
      }
    }
  }
}
