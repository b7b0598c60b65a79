// One service log line as the dashboard shows it: the service and host it came from, then the line
// in Nova's format, with a left border and tint by level.
import { levelName } from "@/lib/log-format";
import type { LogSearchRecord } from "@/lib/trpc/types";

/** pino levels offered as a minimum, named as oslo.log names them. */
export const LOG_LEVELS = [
  { value: "", label: "All levels" },
  { value: "20", label: "DEBUG and above" },
  { value: "30", label: "INFO and above" },
  { value: "40", label: "WARNING and above" },
  { value: "50", label: "ERROR and above" },
] as const;

const LEVEL_STYLE: Record<string, string> = {
  DEBUG: "border-zinc-300 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400",
  INFO: "border-sky-400 text-zinc-800 dark:border-sky-600 dark:text-zinc-200",
  WARNING: "border-amber-500 text-amber-900 bg-amber-50/60 dark:text-amber-200 dark:bg-amber-500/5",
  ERROR: "border-red-500 text-red-900 bg-red-50/60 dark:text-red-200 dark:bg-red-500/5",
  CRITICAL: "border-red-700 text-red-950 bg-red-100/60 dark:text-red-100 dark:bg-red-500/10",
};

export function LogLine({ r }: { r: LogSearchRecord }) {
  const level = levelName(r.level);
  return (
    <li className={`border-l-4 py-1 pr-2 pl-3 ${LEVEL_STYLE[level] ?? ""}`} data-level={level} data-request-id={r.requestId ?? ""}>
      <span className="mr-2 inline-block rounded bg-zinc-100 px-1.5 font-sans text-[11px] font-medium text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
        {r.binary}@{r.host}
      </span>
      <span className="break-all whitespace-pre-wrap">{r.line}</span>
    </li>
  );
}
