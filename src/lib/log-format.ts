// Renders a structured log record as a Nova (oslo.log) line:
// <time> <pid> <LEVEL> <module> [<req-id> <user> <project>] [instance: <uuid>] <message>
// with the source location appended at DEBUG, as logging_debug_format_suffix does.

export interface LogLine {
  time: Date | string;
  level: number;
  pid: number;
  module: string;
  requestId: string | null;
  userId: string | null;
  projectId: string | null;
  instanceUuid: string | null;
  message: string;
  source: string | null;
}

/** pino's numeric levels mapped to oslo.log's names. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

export function levelName(level: number): string {
  if (level >= 60) return "CRITICAL";
  if (level >= 50) return "ERROR";
  if (level >= 40) return "WARNING";
  if (level >= 30) return "INFO";
  return "DEBUG";
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in the process's local time, like oslo.log's asctime.msecs. */
export function formatTimestamp(t: Date): string {
  return (
    `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`
  );
}

export function formatNovaLine(r: LogLine): string {
  const time = typeof r.time === "string" ? new Date(r.time) : r.time;
  // With a request the context block has Nova's six identity fields; without one it is "[-]".
  const context = r.requestId
    ? `[${r.requestId} ${r.userId ?? "-"} ${r.projectId ?? "-"} - - -]`
    : "[-]";
  const instance = r.instanceUuid ? `[instance: ${r.instanceUuid}] ` : "";
  const suffix = r.level < LEVELS.info && r.source ? ` ${r.source}` : "";
  return `${formatTimestamp(time)} ${r.pid} ${levelName(r.level)} ${r.module} ${context} ${instance}${r.message}${suffix}`;
}
