// Structured logging for every Stratus process (controller and agents): pino records with Nova's
// context fields, printed as Nova lines (or JSON with STRATUS_LOG_FORMAT=json) and handed to sinks:
// the controller's log store, or an agent's shipper to the controller.
import os from "node:os";
import pino, { type Logger } from "pino";
import { formatNovaLine, type LogLine } from "@/lib/log-format";

export interface LogRecord extends LogLine {
  time: string;
  host: string;
  binary: string;
}

export type LogSink = (record: LogRecord) => void;

/** Fields a child logger may bind; they become the bracketed context of the Nova line. */
export interface LogContext {
  module?: string;
  requestId?: string | null;
  userId?: string | null;
  projectId?: string | null;
  instanceUuid?: string | null;
}

interface RawRecord {
  level: number;
  time: number;
  pid: number;
  host?: string;
  binary?: string;
  module?: string;
  requestId?: string | null;
  userId?: string | null;
  projectId?: string | null;
  instanceUuid?: string | null;
  msg?: string;
  source?: string;
  err?: { message?: string; stack?: string };
}

// Shared through globalThis: Next's route bundles and server.ts are separate module graphs in one
// process, and both must feed the same sinks.
const shared = globalThis as unknown as { stratusLogSinks?: Set<LogSink>; stratusLogBinaryOf?: (module: string) => string };
const sinks: Set<LogSink> = (shared.stratusLogSinks ??= new Set<LogSink>());

export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

function toRecord(raw: RawRecord): LogRecord {
  let message = raw.msg ?? "";
  if (raw.err?.stack) message += `\n${raw.err.stack}`;
  else if (raw.err?.message) message += `: ${raw.err.message}`;
  return {
    time: new Date(raw.time).toISOString(),
    level: raw.level,
    pid: raw.pid,
    host: raw.host ?? os.hostname(),
    binary: shared.stratusLogBinaryOf?.(raw.module ?? "") ?? raw.binary ?? "stratus",
    module: raw.module ?? "stratus",
    requestId: raw.requestId ?? null,
    userId: raw.userId ?? null,
    projectId: raw.projectId ?? null,
    instanceUuid: raw.instanceUuid ?? null,
    message,
    source: raw.source ?? null,
  };
}

const json = process.env.STRATUS_LOG_FORMAT === "json";

const destination = {
  write(line: string): void {
    let raw: RawRecord;
    try {
      raw = JSON.parse(line) as RawRecord;
    } catch {
      process.stdout.write(line);
      return;
    }
    const record = toRecord(raw);
    process.stdout.write(json ? line : formatNovaLine(record) + "\n");
    for (const sink of sinks) {
      try {
        sink(record);
      } catch {
        // A failing sink must never take logging (or the process) down with it.
      }
    }
  },
};

/** The caller's file:line, captured only for debug records (it costs a stack trace). */
function callSite(): string | undefined {
  const stack = new Error().stack?.split("\n") ?? [];
  const frame = stack.find((l, i) => i > 3 && !l.includes("node_modules") && !l.includes("logger.ts"));
  const m = frame?.match(/\(?([^()\s]+):(\d+):\d+\)?$/);
  return m ? `${m[1]!.replace(process.cwd() + "/", "")}:${m[2]}` : undefined;
}

let root: Logger | undefined;

/**
 * Creates the process's root logger; call once at start-up with the service's binary name. A process
 * that hosts several services (the controller) passes `binaryOf` to name each record's service by
 * its module.
 */
export function initLogging(binary: string, host: string = os.hostname(), binaryOf?: (module: string) => string): Logger {
  if (binaryOf) shared.stratusLogBinaryOf = binaryOf;
  root = pino(
    {
      level: process.env.STRATUS_LOG_LEVEL ?? "info",
      base: { pid: process.pid, host, binary },
      hooks: {
        logMethod(args, method, level) {
          if (level < 30) {
            const source = callSite();
            if (source) {
              const [first, ...rest] = args;
              if (typeof first === "object" && first !== null) {
                return method.apply(this, [{ ...first, source }, ...rest] as Parameters<typeof method>);
              }
              return method.apply(this, [{ source }, ...args] as Parameters<typeof method>);
            }
          }
          return method.apply(this, args);
        },
      },
    },
    destination,
  );
  return root;
}

/** A logger for one module, optionally bound to a request and an instance. */
export function getLogger(module: string, context: Omit<LogContext, "module"> = {}): Logger {
  root ??= initLogging(process.env.STRATUS_BINARY ?? "stratus");
  return root.child({ module, ...context });
}
