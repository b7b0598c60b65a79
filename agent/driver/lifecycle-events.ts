// libvirt domain events as they happen: one long-lived `virsh -c URI event --all --loop
// --timestamp` child, restarted whenever it exits. Its output is joined into events (some event
// kinds print indented continuation lines) and handed on; the agent turns lifecycle events into an
// immediate power-state sync (Nova's handle_lifecycle_event). Not used on test:/// URIs: the test
// driver keeps its state per connection, so another process would watch an empty host.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface DomainEvent {
  /** virsh's timestamp ("2026-11-26 13:51:28.604+0000"), when printed. */
  time: string | null;
  /** libvirt's event kind: "lifecycle", "reboot", "tunable", ... */
  kind: string;
  /** The domain name as virsh prints it. */
  domain: string;
  /** The rest of the first line ("Stopped Shutdown"), plus continuation lines joined by "; ". */
  detail: string;
}

const HEADER = /^(?:(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d{4}|Z)?): )?event '([^']+)' for domain '(.*?)'(?::\s*(.*))?$/;

/** Parses one header line; null for anything else (continuations, "events received: N"). */
export function parseEventHeader(line: string): DomainEvent | null {
  const m = HEADER.exec(line.trimEnd());
  if (!m) return null;
  return { time: m[1] ?? null, kind: m[2]!, domain: m[3]!, detail: (m[4] ?? "").trim() };
}

/**
 * Joins virsh's event output into events: a header line starts one, indented lines continue it.
 * An event is complete at the next header or when flush() is called (after a quiet moment).
 */
export class EventJoiner {
  private current: DomainEvent | null = null;

  /** Feeds one line; returns the event it completed, if any. */
  push(line: string): DomainEvent | null {
    const header = parseEventHeader(line);
    if (header) {
      const done = this.current;
      this.current = header;
      return done;
    }
    if (this.current && /^\s+\S/.test(line)) {
      const text = line.trim();
      this.current.detail = this.current.detail ? `${this.current.detail}; ${text}` : text;
    }
    return null;
  }

  flush(): DomainEvent | null {
    const done = this.current;
    this.current = null;
    return done;
  }
}

/** The lifecycle event's first word: Started, Stopped, Suspended, Resumed, Shutdown, Crashed, ... */
export function lifecycleKind(e: DomainEvent): string | null {
  return e.kind === "lifecycle" ? (e.detail.split(/\s+/)[0] ?? null) : null;
}

export interface LifecycleEventMonitorOptions {
  uri: string;
  onEvent: (e: DomainEvent) => void;
  /** Told when the child exits or cannot start, and when it is restarted. */
  onStatus?: (message: string) => void;
  binary?: string;
  /** First restart delay; doubles while the child keeps dying quickly, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** Quiet time after which a buffered multi-line event is complete. */
  joinQuietMs?: number;
}

export class LifecycleEventMonitor {
  private child: ChildProcessWithoutNullStreams | null = null;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private readonly o: Required<Omit<LifecycleEventMonitorOptions, "onStatus">> & Pick<LifecycleEventMonitorOptions, "onStatus">;

  constructor(options: LifecycleEventMonitorOptions) {
    this.o = { binary: "virsh", restartDelayMs: 1000, maxRestartDelayMs: 30_000, joinQuietMs: 100, ...options };
    this.delay = this.o.restartDelayMs;
  }

  /** The child's pid (tests, diagnostics). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawn();
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.child?.kill("SIGTERM");
    this.child = null;
  }

  private spawn(): void {
    const started = Date.now();
    const child = spawn(this.o.binary, ["-q", "-c", this.o.uri, "event", "--all", "--loop", "--timestamp"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    const joiner = new EventJoiner();
    let partial = "";
    let quiet: NodeJS.Timeout | null = null;
    const emit = (e: DomainEvent | null): void => {
      if (e) this.o.onEvent(e);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) emit(joiner.push(line));
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => emit(joiner.flush()), this.o.joinQuietMs);
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.stdin.end();
    const gone = (why: string): void => {
      if (this.child !== child) return;
      this.child = null;
      if (quiet) clearTimeout(quiet);
      emit(joiner.push(partial));
      emit(joiner.flush());
      if (this.stopped) return;
      // A child that lived a while was fine; one that dies at once is retried ever more slowly.
      const wait = Date.now() - started > 10_000 ? this.o.restartDelayMs : this.delay;
      this.delay = Math.min(wait * 2, this.o.maxRestartDelayMs);
      const error = stderr.trim().split("\n").pop();
      this.o.onStatus?.(`virsh event monitor ${why}${error ? `: ${error}` : ""}; restarting in ${wait / 1000} s`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped) this.spawn();
      }, wait);
    };
    child.on("error", (err) => gone(`could not start (${err.message})`));
    child.on("close", (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
  }
}
