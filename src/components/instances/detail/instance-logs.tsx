"use client";
// The Logs tab (admins): every log line about this instance from every service — API, scheduler,
// conductor, the agents — in Nova's format, filterable by request id and minimum level. A request
// id clicked in the Action Log lands here filtered to that request. New lines arrive with each
// action change (the live channel refetches this search), and Refresh reads the latest at once.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { INPUT_CLASS } from "@/components/ui/form-field";
import { levelName } from "@/lib/log-format";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { LogSearchRecord } from "@/lib/trpc/types";

export const LOG_LIMIT = 500;

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

function LogLine({ r }: { r: LogSearchRecord }) {
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

export function InstanceLogs({
  uuid,
  requestId,
  level,
  onFilter,
}: {
  uuid: string;
  /** The filters live in the page URL, so a request id from the Action Log links here. */
  requestId: string;
  level: string;
  onFilter: (next: { requestId: string; level: string }) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [draft, setDraft] = useState(requestId);
  useEffect(() => setDraft(requestId), [requestId]);

  const minLevel = level ? Number(level) : undefined;
  const input = {
    instanceUuid: uuid,
    limit: LOG_LIMIT,
    ...(requestId ? { requestId } : {}),
    ...(minLevel !== undefined ? { minLevel } : {}),
  };
  const logs = useQuery({ ...trpc.log.search.queryOptions(input), placeholderData: keepPreviousData });

  function apply(e: FormEvent) {
    e.preventDefault();
    onFilter({ requestId: draft.trim(), level });
  }

  return (
    <div className="space-y-4">
      <form onSubmit={apply} className="flex flex-wrap items-end gap-3" aria-label="Log filters">
        <div className="min-w-64 flex-1 space-y-1">
          <label htmlFor={`${id}-req`} className="block text-sm font-medium text-zinc-800 dark:text-zinc-200">
            Request ID
          </label>
          <input
            id={`${id}-req`}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="req-…"
            autoComplete="off"
            spellCheck={false}
            className={`${INPUT_CLASS} font-mono`}
          />
        </div>
        <div className="space-y-1">
          <label htmlFor={`${id}-level`} className="block text-sm font-medium text-zinc-800 dark:text-zinc-200">
            Level
          </label>
          <select id={`${id}-level`} value={level} onChange={(e) => onFilter({ requestId: draft.trim(), level: e.target.value })} className={INPUT_CLASS}>
            {LOG_LEVELS.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" variant="primary">
          Filter
        </Button>
        {(requestId || level) && (
          <Button
            onClick={() => {
              setDraft("");
              onFilter({ requestId: "", level: "" });
            }}
          >
            Clear filters
          </Button>
        )}
        <Button onClick={() => void logs.refetch()} disabled={logs.isFetching}>
          {logs.isFetching ? "Refreshing…" : "Refresh"}
        </Button>
      </form>

      {logs.isError ? (
        <ErrorAlert>Unable to retrieve logs: {errorMessage(logs.error)}</ErrorAlert>
      ) : logs.isPending ? (
        <p className="py-8 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
          Loading logs…
        </p>
      ) : logs.data.length === 0 ? (
        <EmptyState title="No log lines">
          {requestId ? `Nothing was logged for request ${requestId} on this instance${level ? " at this level" : ""}.` : "Nothing was logged about this instance at this level."}
        </EmptyState>
      ) : (
        <div className="rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          <p className="border-b border-zinc-200 px-4 py-2 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400" aria-live="polite">
            {logs.data.length === LOG_LIMIT ? `The latest ${LOG_LIMIT} lines` : `${logs.data.length} line${logs.data.length === 1 ? "" : "s"}`}
            {requestId ? ` of request ${requestId}` : ""}, oldest first.
          </p>
          <ol aria-label="Log lines" className="max-h-[36rem] space-y-px overflow-auto p-2 font-mono text-xs" tabIndex={0}>
            {logs.data.map((r) => (
              <LogLine key={r.id} r={r} />
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
