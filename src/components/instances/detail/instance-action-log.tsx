"use client";
// The Action Log tab (`nova instance-action-list` / Horizon's Action Log, and more): every action
// with its request id, user, start, finish, duration and result, each expandable to its events with
// host, times, result and details — and, for admins, the traceback. New actions and events appear
// live: the page joins the instance's room and `action:changed` refetches this list.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { ErrorAlert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { StatusChip, type Tone } from "@/components/ui/status-chip";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { InstanceActionEventRecord, InstanceActionRecord } from "@/lib/trpc/types";
import { formatDateTime, formatDuration, isoOf } from "./format-time";

/** Horizon's audit_tables display names, and ours for the actions Horizon lacks. */
const ACTION_DISPLAY: Record<string, string> = {
  create: "Create",
  delete: "Delete",
  stop: "Stop",
  start: "Start",
  reboot: "Reboot",
  pause: "Pause",
  unpause: "Resume",
  suspend: "Suspend",
  resume: "Resume",
  rescue: "Rescue",
  unrescue: "Unrescue",
  lock: "Lock",
  unlock: "Unlock",
  resetState: "Reset State",
  rebuild: "Rebuild",
  resize: "Resize",
  confirmResize: "Confirm Resize/Migrate",
  revertResize: "Revert Resize/Migrate",
  migrate: "Migrate",
  "live-migration": "Live Migration",
  live_migration_cancel: "Abort Live Migration",
  live_migration_force_complete: "Force Complete Live Migration",
  shelve: "Shelve",
  unshelve: "Unshelve",
  createImage: "Create Image",
};

export function actionDisplay(action: string): string {
  return ACTION_DISPLAY[action] ?? action;
}

type Result = "In progress" | "Success" | "Error";

function actionResult(a: InstanceActionRecord): Result {
  if (a.message === "Error" || a.events.some((e) => e.result === "Error")) return "Error";
  if (a.finishTime) return "Success";
  return "In progress";
}

const RESULT_TONE: Record<Result, Tone> = { "In progress": "warning", Success: "success", Error: "danger" };

function EventResult({ e }: { e: InstanceActionEventRecord }) {
  if (!e.result) return <StatusChip tone="warning">Running</StatusChip>;
  return <StatusChip tone={e.result === "Error" ? "danger" : "success"}>{e.result}</StatusChip>;
}

const TH = "whitespace-nowrap px-3 py-2 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-3 py-2.5 align-top";

function Events({ action, isAdmin }: { action: InstanceActionRecord; isAdmin: boolean }) {
  if (action.events.length === 0) {
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">No events recorded for this action yet.</p>;
  }
  return (
    <table className="w-full text-xs">
      <caption className="sr-only">Events of {actionDisplay(action.action)} ({action.requestId})</caption>
      <thead>
        <tr>
          <th scope="col" className={TH}>
            Event
          </th>
          {isAdmin && (
            <th scope="col" className={TH}>
              Host
            </th>
          )}
          <th scope="col" className={TH}>
            Start
          </th>
          <th scope="col" className={TH}>
            Finish
          </th>
          <th scope="col" className={TH}>
            Result
          </th>
          <th scope="col" className={TH}>
            Details
          </th>
        </tr>
      </thead>
      <tbody>
        {action.events.map((e, i) => (
          <tr key={`${e.event}-${i}`} className="border-t border-zinc-200 dark:border-zinc-800" data-testid={`event-${e.event}`}>
            <th scope="row" className={`${TD} text-left font-mono font-normal break-all`}>
              {e.event}
            </th>
            {isAdmin && <td className={`${TD} whitespace-nowrap`}>{e.host ?? "-"}</td>}
            <td className={`${TD} whitespace-nowrap`}>
              <time dateTime={isoOf(e.startTime)}>{formatDateTime(e.startTime)}</time>
            </td>
            <td className={`${TD} whitespace-nowrap`}>
              {e.finishTime ? (
                <>
                  <time dateTime={isoOf(e.finishTime)}>{formatDateTime(e.finishTime)}</time>
                  <span className="block text-zinc-500 dark:text-zinc-400">{formatDuration(e.startTime, e.finishTime)}</span>
                </>
              ) : (
                "-"
              )}
            </td>
            <td className={TD}>
              <EventResult e={e} />
            </td>
            <td className={`${TD} max-w-md`}>
              {e.details ? <p className="break-words whitespace-pre-wrap">{e.details}</p> : <span className="text-zinc-500 dark:text-zinc-400">-</span>}
              {isAdmin && e.traceback && (
                <details className="mt-1">
                  <summary className="cursor-pointer font-medium text-indigo-700 dark:text-indigo-300">Traceback</summary>
                  <pre className="mt-1 max-h-72 overflow-auto rounded bg-zinc-950 p-2 font-mono text-[11px] whitespace-pre text-zinc-100">{e.traceback}</pre>
                </details>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InstanceActionLog({ uuid, logsHref }: { uuid: string; logsHref: (requestId: string) => string }) {
  const trpc = useTRPC();
  const session = useSession();
  const actions = useQuery(trpc.server.actions.queryOptions({ id: uuid }));
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());

  function toggle(id: number) {
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  if (actions.isError) return <ErrorAlert>Unable to retrieve the action log: {errorMessage(actions.error)}</ErrorAlert>;
  if (actions.isPending) {
    return (
      <p className="py-8 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
        Loading the action log…
      </p>
    );
  }
  if (actions.data.length === 0) return <EmptyState title="No actions recorded">Actions on this instance appear here as they are requested.</EmptyState>;

  const columns = 8;
  return (
    <div className="overflow-x-auto rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-sm">
        <caption className="sr-only">Action log, newest first</caption>
        <thead className="bg-zinc-50 dark:bg-zinc-900/60">
          <tr>
            <th scope="col" className={`${TH} w-10`}>
              <span className="sr-only">Events</span>
            </th>
            <th scope="col" className={TH}>
              Action
            </th>
            <th scope="col" className={TH}>
              Request ID
            </th>
            <th scope="col" className={TH}>
              User
            </th>
            <th scope="col" className={TH}>
              Start
            </th>
            <th scope="col" className={TH}>
              Finish
            </th>
            <th scope="col" className={TH}>
              Result
            </th>
            <th scope="col" className={TH}>
              Message
            </th>
          </tr>
        </thead>
        <tbody>
          {actions.data.map((a) => {
            const expanded = open.has(a.id);
            const result = actionResult(a);
            const eventsId = `action-${a.id}-events`;
            const firstError = a.events.find((e) => e.result === "Error" && e.details)?.details;
            return (
              <Fragment key={a.id}>
                <tr className="border-t border-zinc-200 dark:border-zinc-800" data-testid={`action-row-${a.requestId}`} data-action={a.action} data-result={result}>
                  <td className={TD}>
                    <button
                      type="button"
                      aria-expanded={expanded}
                      aria-controls={expanded ? eventsId : undefined}
                      aria-label={`${expanded ? "Hide" : "Show"} ${a.events.length} event${a.events.length === 1 ? "" : "s"} of ${actionDisplay(a.action)} ${a.requestId}`}
                      onClick={() => toggle(a.id)}
                      className="inline-flex size-6 items-center justify-center rounded text-zinc-600 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-300 dark:hover:bg-zinc-800"
                    >
                      <span aria-hidden="true" className={`transition-transform ${expanded ? "rotate-90" : ""}`}>
                        ▸
                      </span>
                    </button>
                  </td>
                  <th scope="row" className={`${TD} text-left font-medium whitespace-nowrap`}>
                    {actionDisplay(a.action)}
                    <span className="block text-xs font-normal text-zinc-500 dark:text-zinc-400">
                      {a.events.length} event{a.events.length === 1 ? "" : "s"}
                    </span>
                  </th>
                  <td className={`${TD} font-mono text-xs`}>
                    {session.isAdmin ? (
                      <Link
                        href={logsHref(a.requestId)}
                        className="text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-indigo-300"
                        aria-label={`Logs of request ${a.requestId}`}
                        scroll={false}
                      >
                        {a.requestId}
                      </Link>
                    ) : (
                      a.requestId
                    )}
                  </td>
                  <td className={TD}>
                    {a.userId === session.user.id ? (
                      <span className="whitespace-nowrap">
                        {session.user.username} <span className="text-zinc-500 dark:text-zinc-400">(you)</span>
                      </span>
                    ) : (
                      <span className="font-mono text-xs break-all">{a.userId}</span>
                    )}
                  </td>
                  <td className={`${TD} whitespace-nowrap`}>
                    <time dateTime={isoOf(a.startTime)}>{formatDateTime(a.startTime)}</time>
                  </td>
                  <td className={`${TD} whitespace-nowrap`}>
                    {a.finishTime ? (
                      <>
                        <time dateTime={isoOf(a.finishTime)}>{formatDateTime(a.finishTime)}</time>
                        <span className="block text-xs text-zinc-500 dark:text-zinc-400">took {formatDuration(a.startTime, a.finishTime)}</span>
                      </>
                    ) : (
                      "-"
                    )}
                  </td>
                  <td className={TD}>
                    <StatusChip tone={RESULT_TONE[result]} pulse={result === "In progress"}>
                      {result}
                    </StatusChip>
                  </td>
                  <td className={`${TD} max-w-xs text-xs break-words`}>
                    {a.message ?? (firstError ? null : <span className="text-zinc-500 dark:text-zinc-400">-</span>)}
                    {firstError && <span className="block text-red-700 dark:text-red-400">{firstError}</span>}
                  </td>
                </tr>
                {expanded && (
                  <tr id={eventsId} className="bg-zinc-50/70 dark:bg-zinc-950/40">
                    <td />
                    <td colSpan={columns - 1} className="px-3 pb-3">
                      <Events action={a} isAdmin={session.isAdmin} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
