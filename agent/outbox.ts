// The agent's outbox: instance updates, action events and power reports go to the controller in
// the order they were made, each acknowledged before the next is sent. While the controller is
// unreachable they wait; an unacknowledged message is sent again after a reconnect, so a controller
// restart in the middle of an operation loses nothing. With a journal file the queue also survives
// an agent restart.
//
// Delivery is at least once: a message whose ack was lost is sent again. The Delivery tells the
// sender so, because a compare-and-swap refused on the second copy usually means the first one
// was applied.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import {
  actionEventSchema,
  AGENT_EVENTS,
  ackSchema,
  instanceUpdateSchema,
  powerReportSchema,
  type Ack,
} from "@/lib/agent-protocol";

const SCHEMAS = {
  [AGENT_EVENTS.instanceUpdate]: instanceUpdateSchema,
  [AGENT_EVENTS.actionEvent]: actionEventSchema,
  [AGENT_EVENTS.powerReport]: powerReportSchema,
} as const;

export type OutboxEvent = keyof typeof SCHEMAS;
export type OutboxPayload<E extends OutboxEvent> = z.infer<(typeof SCHEMAS)[E]>;

export interface Delivery {
  ack: Ack;
  /** An earlier copy may have reached the controller (its ack was lost). */
  redelivered: boolean;
}

/** What the compute manager needs from the outbox (tests give it a fake). */
export interface Reporter {
  send<E extends OutboxEvent>(event: E, payload: OutboxPayload<E>): Promise<Delivery>;
  /** True while a message about this instance is waiting: the controller's view of it is stale. */
  hasPending(uuid: string): boolean;
}

/** Sends one message and resolves with the raw ack; rejects when not delivered (timeout, offline). */
export type AckSender = (event: string, payload: unknown) => Promise<unknown>;

export interface OutboxOptions {
  send: AckSender;
  /** JSON-lines journal; without it the queue lives in memory only. */
  journalPath?: string;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told about each message the controller refused, so it is logged once, by the owner. */
  onRefused?: (event: OutboxEvent, payload: unknown, error: string) => void;
}

interface Entry {
  id: number;
  event: OutboxEvent;
  payload: unknown;
  uuid: string;
  attemptedBefore: boolean;
  waiters: ((d: Delivery) => void)[];
}

const journalLineSchema = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("add"),
    id: z.number().int(),
    event: z.enum([AGENT_EVENTS.instanceUpdate, AGENT_EVENTS.actionEvent, AGENT_EVENTS.powerReport]),
    payload: z.unknown(),
  }),
  z.object({ op: z.literal("done"), id: z.number().int() }),
]);
type JournalLine = z.infer<typeof journalLineSchema>;

/** Journal lines beyond the live entries after which the file is rewritten. */
const COMPACT_AFTER = 1000;

export class Outbox implements Reporter {
  private readonly queue: Entry[] = [];
  private readonly sender: AckSender;
  private readonly journalPath: string | undefined;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly onRefused: OutboxOptions["onRefused"];
  private nextId = 1;
  private online = false;
  private pumping = false;
  private closed = false;
  private journalLines = 0;
  private wake: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(options: OutboxOptions) {
    this.sender = options.send;
    this.journalPath = options.journalPath;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.onRefused = options.onRefused;
    if (this.journalPath) this.loadJournal(this.journalPath);
  }

  get size(): number {
    return this.queue.length;
  }

  send<E extends OutboxEvent>(event: E, payload: OutboxPayload<E>): Promise<Delivery> {
    if (this.closed) return Promise.reject(new Error("the outbox is closed"));
    // Our own messages are checked here, where a bug can be traced, not refused later.
    const parsed = SCHEMAS[event].safeParse(payload);
    if (!parsed.success) return Promise.reject(new Error(`invalid ${event}: ${parsed.error.message}`));
    const checked: unknown = parsed.data;
    return new Promise<Delivery>((resolve) => {
      const entry = this.add(event, checked);
      entry.waiters.push(resolve);
      void this.pump();
    });
  }

  hasPending(uuid: string): boolean {
    return this.queue.some((e) => e.uuid === uuid);
  }

  /** The connection says whether messages can flow (registered with the controller) or not. */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      this.wake?.();
      void this.pump();
    }
  }

  /** Resolves once the queue is empty (immediately if it is). */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; what is left stays in the journal for the next start. */
  close(): void {
    this.closed = true;
    this.online = false;
    this.wake?.();
  }

  private add(event: OutboxEvent, payload: unknown, id = this.nextId++): Entry {
    const uuid = (payload as { uuid: string }).uuid;
    const entry: Entry = { id, event, payload, uuid, attemptedBefore: false, waiters: [] };
    this.queue.push(entry);
    this.journal({ op: "add", id, event, payload });
    return entry;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let failures = 0;
    try {
      while (this.online && this.queue.length > 0) {
        const entry = this.queue[0]!;
        let raw: unknown;
        try {
          raw = await this.sender(entry.event, entry.payload);
        } catch {
          // Not acknowledged: it may or may not have arrived. Wait, then send it again.
          entry.attemptedBefore = true;
          failures++;
          if (this.online) await this.sleep(Math.min(this.retryDelayMs * 2 ** (failures - 1), this.maxRetryDelayMs));
          continue;
        }
        failures = 0;
        const parsed = ackSchema.safeParse(raw);
        const ack: Ack = parsed.success ? parsed.data : { ok: false, error: `malformed ack: ${JSON.stringify(raw)}` };
        this.queue.shift();
        this.journal({ op: "done", id: entry.id });
        if (!ack.ok) this.onRefused?.(entry.event, entry.payload, ack.error);
        const delivery: Delivery = { ack, redelivered: entry.attemptedBefore };
        for (const w of entry.waiters) w(delivery);
      }
    } finally {
      this.pumping = false;
    }
    if (this.queue.length === 0) {
      this.compactJournal();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private journal(line: JournalLine): void {
    if (!this.journalPath) return;
    appendFileSync(this.journalPath, JSON.stringify(line) + "\n");
    this.journalLines++;
  }

  private loadJournal(file: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    const pending = new Map<number, { event: OutboxEvent; payload: unknown }>();
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (!text.trim()) continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue; // a line torn by a crash mid-write
      }
      const line = journalLineSchema.safeParse(json);
      if (!line.success) continue;
      if (line.data.op === "done") {
        pending.delete(line.data.id);
      } else if (SCHEMAS[line.data.event].safeParse(line.data.payload).success) {
        pending.set(line.data.id, { event: line.data.event, payload: line.data.payload });
      }
    }
    // Rewrite the file with just the survivors, renumbered in their original order.
    this.rewriteJournal([]);
    for (const { event, payload } of pending.values()) this.add(event, payload);
  }

  private compactJournal(): void {
    if (this.journalPath && this.journalLines > COMPACT_AFTER) this.rewriteJournal(this.queue);
  }

  private rewriteJournal(entries: Entry[]): void {
    const file = this.journalPath;
    if (!file) return;
    const lines = entries.map((e) => JSON.stringify({ op: "add", id: e.id, event: e.event, payload: e.payload }) + "\n");
    writeFileSync(`${file}.tmp`, lines.join(""));
    renameSync(`${file}.tmp`, file);
    this.journalLines = lines.length;
  }
}
