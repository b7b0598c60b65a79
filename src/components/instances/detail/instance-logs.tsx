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
import { LOG_LEVELS, LogLine } from "@/components/logs/log-line";
import { errorMessage, useTRPC } from "@/lib/trpc/client";

export const LOG_LIMIT = 500;

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
