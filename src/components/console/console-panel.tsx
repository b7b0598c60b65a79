"use client";
// The console log of one instance, as Horizon's "Log" tab shows it but live: a dark monospace pane
// with the last N lines, following new output as the guest writes it (auto-scrolling while the
// reader is at the bottom), a search that highlights every match and steps between them, and a
// download of the text. It fetches once and then listens; nothing polls.
import {
  memo,
  useDeferredValue,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/form-field";
import { CONSOLE_MAX_TAIL_LINES } from "@/lib/agent-protocol";
import { useLiveStatus } from "@/lib/realtime/live-connection";
import { errorMessage } from "@/lib/trpc/client";
import { displayText, findMatches, splitLines, stepMatch, type Match } from "./console-text";
import { useConsoleStream } from "./use-console-stream";

export const TAIL_CHOICES = [
  { value: 100, label: "Last 100 lines" },
  { value: 500, label: "Last 500 lines" },
  { value: 2000, label: "Last 2,000 lines" },
  { value: CONSOLE_MAX_TAIL_LINES, label: `All (up to ${CONSOLE_MAX_TAIL_LINES.toLocaleString("en-US")} lines)` },
] as const;
const DEFAULT_TAIL = 500;

/** Within this many pixels of the bottom the pane counts as "at the end" and keeps following. */
const STICK_PX = 24;

/** Ends a message from the server with a full stop if it has none. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Saves text as a file, the way a link with `download` does. */
function saveText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const ConsoleLine = memo(function ConsoleLine({
  text,
  matches,
  activeStart,
  idBase,
}: {
  text: string;
  matches: Match[] | undefined;
  /** Start of the active match on this line, if it is here. */
  activeStart: number | null;
  idBase: string;
}) {
  if (!matches || matches.length === 0) return <span>{text + "\n"}</span>;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const m of matches) {
    if (m.start > at) parts.push(text.slice(at, m.start));
    const active = m.start === activeStart;
    parts.push(
      <mark
        key={m.start}
        id={active ? `${idBase}-active` : undefined}
        className={active ? "rounded-sm bg-amber-400 text-zinc-950 outline-2 outline-amber-200" : "rounded-sm bg-amber-200/80 text-zinc-950"}
      >
        {text.slice(m.start, m.end)}
      </mark>,
    );
    at = m.end;
  }
  parts.push(text.slice(at) + "\n");
  return <span>{parts}</span>;
});

export function ConsolePanel({ uuid }: { uuid: string }) {
  const id = useId();
  const [tailLines, setTailLines] = useState<number>(DEFAULT_TAIL);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(-1);
  const [atEnd, setAtEnd] = useState(true);
  const paneRef = useRef<HTMLPreElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const stickRef = useRef(true);
  const live = useLiveStatus();

  const stream = useConsoleStream({ uuid, tailLines, follow, maxLines: CONSOLE_MAX_TAIL_LINES });
  const buffer = stream.buffer;
  const raw = buffer?.text ?? "";
  const shown = useMemo(() => displayText(raw), [raw]);
  const lines = useMemo(() => splitLines(shown), [shown]);
  const searched = useDeferredValue(query);
  const { matches, capped } = useMemo(() => findMatches(lines, searched), [lines, searched]);
  const byLine = useMemo(() => {
    const map = new Map<number, Match[]>();
    for (const m of matches) {
      const list = map.get(m.line);
      if (list) list.push(m);
      else map.set(m.line, [m]);
    }
    return map;
  }, [matches]);
  const activeIndex = matches.length === 0 ? -1 : Math.min(Math.max(active, 0), matches.length - 1);
  const activeMatch = activeIndex >= 0 ? matches[activeIndex] : undefined;

  // A new search starts at its first match.
  useEffect(() => setActive(searched ? 0 : -1), [searched]);

  // Following: stay at the end while the reader is there.
  useLayoutEffect(() => {
    const pane = paneRef.current;
    if (pane && follow && stickRef.current) pane.scrollTop = pane.scrollHeight;
  }, [shown, follow]);

  // Bring the active match into view when the reader moves to it (not on every new chunk).
  const activeKey = activeMatch ? `${(buffer?.droppedLines ?? 0) + activeMatch.line}:${activeMatch.start}` : "";
  useEffect(() => {
    if (!activeKey) return;
    const el = document.getElementById(`${id}-active`);
    if (!el || !paneRef.current) return;
    stickRef.current = false;
    setAtEnd(false);
    el.scrollIntoView({ block: "center", inline: "nearest" });
  }, [activeKey, id]);

  function onScroll() {
    const pane = paneRef.current;
    if (!pane) return;
    const end = pane.scrollHeight - pane.scrollTop - pane.clientHeight < STICK_PX;
    stickRef.current = end;
    if (end !== atEnd) setAtEnd(end);
  }

  function scrollToEnd() {
    const pane = paneRef.current;
    if (!pane) return;
    stickRef.current = true;
    setAtEnd(true);
    pane.scrollTop = pane.scrollHeight;
  }

  function step(direction: 1 | -1) {
    setActive(stepMatch(activeIndex, matches.length, direction));
  }

  function onSearchKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "Enter") {
      e.preventDefault();
      step(e.shiftKey ? -1 : 1);
    } else if (e.key === "Escape" && query) {
      e.preventDefault();
      setQuery("");
    }
  }

  function onPaneKey(e: KeyboardEvent<HTMLPreElement>) {
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      searchRef.current?.focus();
    }
  }

  function onFollow(next: boolean) {
    setFollow(next);
    if (next) scrollToEnd();
  }

  const counter = !searched
    ? ""
    : matches.length === 0
      ? "No matches"
      : `${activeIndex + 1} of ${matches.length}${capped ? "+" : ""}`;
  const tailLabel = TAIL_CHOICES.find((c) => c.value === tailLines)?.label ?? `Last ${tailLines} lines`;
  const liveNote = !follow
    ? "Paused"
    : stream.denied
      ? "Live output not permitted"
      : live === "connected"
        ? "Live"
        : "Reconnecting…";

  return (
    <section aria-labelledby={`${id}-title`} data-testid="instance-console" data-instance={uuid} className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id={`${id}-title`} className="text-base font-semibold">
            Console log
          </h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">The guest&apos;s serial console, as captured on its compute host.</p>
        </div>
        <div role="group" aria-label="Console log controls" className="flex flex-wrap items-end gap-3">
          <label className="flex items-center gap-2 text-sm font-medium text-zinc-800 dark:text-zinc-200">
            <input
              type="checkbox"
              role="switch"
              checked={follow}
              onChange={(e) => onFollow(e.target.checked)}
              aria-describedby={`${id}-live`}
              className="h-4 w-4 rounded border-zinc-300 accent-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-500"
            />
            Follow
          </label>
          <span
            id={`${id}-live`}
            className={
              "inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium " +
              (follow && live === "connected" && !stream.denied
                ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300")
            }
          >
            {liveNote}
          </span>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-tail`} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
              Show
            </label>
            <select
              id={`${id}-tail`}
              value={tailLines}
              onChange={(e) => setTailLines(Number(e.target.value))}
              className={`${INPUT_CLASS} w-auto py-1.5`}
            >
              {TAIL_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-search`} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
              Search
            </label>
            <div className="flex items-center gap-1">
              <input
                ref={searchRef}
                id={`${id}-search`}
                type="search"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                onKeyDown={onSearchKey}
                placeholder="Find in console"
                aria-describedby={`${id}-count ${id}-search-help`}
                aria-keyshortcuts="Enter Shift+Enter Escape"
                className={`${INPUT_CLASS} w-48 py-1.5`}
              />
              <Button size="sm" variant="ghost" onClick={() => step(-1)} disabled={matches.length === 0} aria-label="Previous match">
                <span aria-hidden="true">↑</span>
              </Button>
              <Button size="sm" variant="ghost" onClick={() => step(1)} disabled={matches.length === 0} aria-label="Next match">
                <span aria-hidden="true">↓</span>
              </Button>
              <span id={`${id}-count`} role="status" aria-live="polite" className="min-w-20 text-xs whitespace-nowrap text-zinc-600 tabular-nums dark:text-zinc-400">
                {counter}
              </span>
              <span id={`${id}-search-help`} className="sr-only">
                Enter goes to the next match, Shift+Enter to the previous one, Escape clears the search.
              </span>
            </div>
          </div>
          <Button size="sm" onClick={stream.reload} disabled={stream.fetching}>
            {stream.fetching ? "Loading…" : "Reload"}
          </Button>
          <Button size="sm" onClick={() => saveText(raw, `console-${uuid}.log`)} disabled={!raw}>
            Download
          </Button>
        </div>
      </div>

      {stream.error ? (
        <ErrorAlert>
          {stream.errorCode === "CONFLICT" ? "No console log yet: " : "The console log could not be loaded: "}
          {errorMessage(stream.error)}
        </ErrorAlert>
      ) : null}
      {buffer && !buffer.available ? (
        <p role="status" className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-700 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300">
          {sentence(buffer.reason ?? "The compute host has no console log for this instance")}
          {follow ? " Output will appear here as soon as the guest writes some." : ""}
        </p>
      ) : null}
      {buffer?.truncated ? (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Earlier output is not shown ({tailLabel.toLowerCase()}
          {buffer.droppedLines > 0 ? `; ${CONSOLE_MAX_TAIL_LINES.toLocaleString("en-US")} lines are kept while following` : ""}).
        </p>
      ) : null}

      <div className="relative">
        <pre
          ref={paneRef}
          role="log"
          aria-live={follow ? "polite" : "off"}
          aria-label="Console output"
          aria-busy={stream.loading}
          aria-keyshortcuts="/"
          tabIndex={0}
          onScroll={onScroll}
          onKeyDown={onPaneKey}
          className={`${lines.length === 0 ? "h-32" : "h-[32rem]"} overflow-auto rounded-lg border border-zinc-800 bg-zinc-950 p-3 font-mono text-xs leading-5 whitespace-pre-wrap text-zinc-100 [overflow-wrap:anywhere] focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500`}
        >
          {stream.loading ? (
            <span className="text-zinc-400">Loading console log…</span>
          ) : buffer?.available && lines.length === 0 ? (
            <span className="text-zinc-400">The console log is empty so far.</span>
          ) : lines.length === 0 ? (
            <span className="text-zinc-400">No output.</span>
          ) : (
            lines.map((line, i) => (
              <ConsoleLine
                key={(buffer?.droppedLines ?? 0) + i}
                text={line}
                matches={byLine.get(i)}
                activeStart={activeMatch && activeMatch.line === i ? activeMatch.start : null}
                idBase={id}
              />
            ))
          )}
        </pre>
        {follow && !atEnd && lines.length > 0 ? (
          <Button size="sm" variant="primary" onClick={scrollToEnd} className="absolute right-4 bottom-4 shadow-lg">
            Jump to latest
          </Button>
        ) : null}
      </div>
    </section>
  );
}
