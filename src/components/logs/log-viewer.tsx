"use client";
// Admin → Log Viewer: a live tail of every service's log — API, scheduler, conductor, agents — in
// Nova's format, filtered by host, service, module, level, request id and instance (all kept in
// the URL), with pause and resume. New lines arrive over the live channel; while the reader has
// scrolled up, the view stays where it is.
import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { INPUT_CLASS } from "@/components/ui/form-field";
import { PageHeader } from "@/components/ui/page-header";
import { useLiveStatus } from "@/lib/realtime/live-connection";
import { useTRPC } from "@/lib/trpc/client";
import { filterErrors, readFilterValues, toLogFilters, toSearchParams, type FilterParam, type FilterValues } from "./log-filters";
import { LOG_LEVELS, LogLine } from "./log-line";
import { TAIL_KEEP, useLogTail } from "./use-log-tail";

const LABEL = "block text-sm font-medium text-zinc-800 dark:text-zinc-200";

function FilterInput({
  id,
  label,
  value,
  error,
  onChange,
  placeholder,
  mono = false,
}: {
  id: string;
  label: string;
  value: string;
  error?: string;
  onChange: (v: string) => void;
  placeholder?: string;
  mono?: boolean;
}) {
  return (
    <div className="min-w-48 flex-1 space-y-1">
      <label htmlFor={id} className={LABEL}>
        {label}
      </label>
      <input
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className={`${INPUT_CLASS} ${mono ? "font-mono" : ""}`}
      />
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

function FilterSelect({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: { value: string; label: string }[]; onChange: (v: string) => void }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={LABEL}>
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={INPUT_CLASS}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function LogViewer() {
  const session = useSession();
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const id = useId();
  const live = useLiveStatus();

  const applied = readFilterValues(params);
  const appliedKey = toSearchParams(applied);
  const [draft, setDraft] = useState<FilterValues>(applied);
  // Back/forward changes the URL under the form: follow it.
  useEffect(() => setDraft(readFilterValues(new URLSearchParams(appliedKey))), [appliedKey]);
  const errors = filterErrors(draft);

  const services = useQuery({ ...trpc.service.list.queryOptions(), enabled: session.isAdmin });
  const hosts = [...new Set((services.data ?? []).map((s) => s.host))].sort();
  const binaries = [...new Set((services.data ?? []).map((s) => s.binary))].sort();

  const tail = useLogTail(toLogFilters(applied));
  const list = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);

  // Stay pinned to the newest line unless the reader has scrolled up to read.
  useLayoutEffect(() => {
    const el = list.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [tail.lines]);

  function navigate(values: FilterValues) {
    router.replace(`${pathname}${toSearchParams(values)}`, { scroll: false });
  }
  function set(p: FilterParam, v: string, applyNow = false) {
    const next = { ...draft, [p]: v };
    setDraft(next);
    if (applyNow && Object.keys(filterErrors(next)).length === 0) navigate(next);
  }
  function apply(e: FormEvent) {
    e.preventDefault();
    if (Object.keys(errors).length === 0) navigate(draft);
  }
  const filtered = appliedKey !== "";

  if (!session.isAdmin) {
    return (
      <div className="space-y-6">
        <PageHeader title="Log Viewer" />
        <ErrorAlert>You are not authorized to view service logs: this page needs the admin role.</ErrorAlert>
      </div>
    );
  }

  return (
    <div className="space-y-6">
      <PageHeader
        title="Log Viewer"
        description="Every service's log lines as they are written, in Nova's format. Filter them, pause to read, resume to catch up."
        actions={
          <Button variant={tail.paused ? "primary" : "secondary"} onClick={() => tail.setPaused(!tail.paused)} aria-pressed={tail.paused}>
            {tail.paused ? `Resume${tail.held ? ` (${tail.held} new)` : ""}` : "Pause"}
          </Button>
        }
      />

      <form onSubmit={apply} noValidate className="flex flex-wrap items-end gap-3" aria-label="Log filters">
        <FilterSelect id={`${id}-host`} label="Host" value={draft.host} onChange={(v) => set("host", v, true)} options={[{ value: "", label: "All hosts" }, ...hosts.map((h) => ({ value: h, label: h }))]} />
        <FilterSelect
          id={`${id}-binary`}
          label="Service"
          value={draft.binary}
          onChange={(v) => set("binary", v, true)}
          options={[{ value: "", label: "All services" }, ...binaries.map((b) => ({ value: b, label: b }))]}
        />
        <FilterSelect id={`${id}-level`} label="Level" value={draft.level} onChange={(v) => set("level", v, true)} options={[...LOG_LEVELS]} />
        <FilterInput id={`${id}-module`} label="Module" value={draft.module} error={errors.module} onChange={(v) => set("module", v)} placeholder="stratus.scheduler" mono />
        <FilterInput id={`${id}-request`} label="Request ID" value={draft.request} error={errors.request} onChange={(v) => set("request", v)} placeholder="req-…" mono />
        <FilterInput id={`${id}-instance`} label="Instance ID" value={draft.instance} error={errors.instance} onChange={(v) => set("instance", v)} placeholder="UUID" mono />
        <Button type="submit" variant="primary">
          Filter
        </Button>
        {filtered && <Button onClick={() => navigate(readFilterValues(new URLSearchParams()))}>Clear filters</Button>}
      </form>

      {tail.error && <ErrorAlert>Unable to read logs: {tail.error}</ErrorAlert>}

      <section aria-label="Log tail" className="rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <p className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          <span data-testid="log-tail-status" data-state={tail.paused ? "paused" : live === "connected" ? "following" : "offline"}>
            {tail.paused
              ? `Paused${tail.held ? `: ${tail.held} new line${tail.held === 1 ? "" : "s"} held back` : ""}.`
              : live === "connected"
                ? "Following: new lines appear as they are written."
                : "Live connection down: new lines appear once it is back."}
          </span>
          <span>
            {tail.lines.length} line{tail.lines.length === 1 ? "" : "s"}
            {tail.trimmed ? ` (older ones dropped beyond ${TAIL_KEEP})` : ""}, oldest first
          </span>
        </p>
        {tail.loading ? (
          <p className="py-12 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading logs…
          </p>
        ) : tail.lines.length === 0 ? (
          <EmptyState title="No log lines yet">{filtered ? "Nothing matches these filters so far; matching lines appear here as they are written." : "Lines appear here as services write them."}</EmptyState>
        ) : (
          <ol
            ref={list}
            aria-label="Log lines"
            tabIndex={0}
            onScroll={(e) => {
              const el = e.currentTarget;
              atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
            }}
            className="max-h-[70vh] space-y-px overflow-auto p-2 font-mono text-xs"
          >
            {tail.lines.map((r) => (
              <LogLine key={r.id} r={r} />
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
