"use client";
// The Log Viewer's live tail. It reads the latest lines that match the filters, then follows the
// log store: each stored batch is pushed as a nudge over the live channel, and the tail fetches
// what came after its last line (through log.search, so filters and the admin check are the
// API's). Paused, fetched lines are held back and shown on resume. A reconnect re-follows and
// fetches the gap; no timer polls.
import { useCallback, useEffect, useRef, useState } from "react";
import { UI_EVENTS } from "@/lib/instance-view";
import { useLiveSocket } from "@/lib/realtime/live-connection";
import { errorMessage, useTRPCClient } from "@/lib/trpc/client";
import type { LogSearchInput, LogSearchRecord } from "@/lib/trpc/types";

/** Lines a first read fetches, and the most one nudge fetches. */
export const TAIL_FETCH = 500;
/** Lines kept in the page; the oldest go first. */
export const TAIL_KEEP = 2000;

export type LogFilters = Omit<LogSearchInput, "afterId" | "limit">;

export interface LogTail {
  lines: LogSearchRecord[];
  /** Lines fetched while paused, shown on resume. */
  held: number;
  paused: boolean;
  loading: boolean;
  error: string | null;
  /** Lines dropped from the top to keep the page at TAIL_KEEP. */
  trimmed: number;
  setPaused: (paused: boolean) => void;
}

function keepLast<T>(items: T[], n: number): [T[], number] {
  return items.length > n ? [items.slice(items.length - n), items.length - n] : [items, 0];
}

export function useLogTail(filters: LogFilters): LogTail {
  const client = useTRPCClient();
  const socket = useLiveSocket();
  const [lines, setLines] = useState<LogSearchRecord[]>([]);
  const [heldCount, setHeldCount] = useState(0);
  const [paused, setPausedState] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [trimmed, setTrimmed] = useState(0);

  // What the fetches need without re-subscribing on every change; the shown lines live in a ref
  // too, so appending is one computation rather than a side effect inside a state updater.
  const shown = useRef<LogSearchRecord[]>([]);
  const held = useRef<LogSearchRecord[]>([]);
  const lastId = useRef<number | null>(null);
  const pausedRef = useRef(false);
  const inFlight = useRef(false);
  const again = useRef(false);
  const generation = useRef(0);
  const key = JSON.stringify(filters);

  const show = useCallback((next: LogSearchRecord[], dropped: number) => {
    shown.current = next;
    setLines(next);
    if (dropped) setTrimmed((t) => t + dropped);
  }, []);

  const append = useCallback(
    (fresh: LogSearchRecord[]) => {
      if (fresh.length === 0) return;
      if (pausedRef.current) {
        held.current = keepLast([...held.current, ...fresh], TAIL_KEEP)[0];
        setHeldCount(held.current.length);
        return;
      }
      const [kept, dropped] = keepLast([...shown.current, ...fresh], TAIL_KEEP);
      show(kept, dropped);
    },
    [show],
  );

  /** Fetches what came after the last line; nudges during a fetch coalesce into one more. */
  const fetchNew = useCallback(async () => {
    if (lastId.current === null) return;
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    const gen = generation.current;
    try {
      do {
        again.current = false;
        const rows = await client.log.search.query({ ...(JSON.parse(key) as LogFilters), afterId: lastId.current, limit: TAIL_FETCH });
        if (gen !== generation.current) return;
        if (rows.length) lastId.current = rows[rows.length - 1]!.id;
        append(rows);
        setError(null);
      } while (again.current);
    } catch (e) {
      if (gen === generation.current) setError(errorMessage(e));
    } finally {
      inFlight.current = false;
    }
  }, [client, key, append]);

  // A new filter starts a new tail from the latest matching lines.
  useEffect(() => {
    const gen = ++generation.current;
    lastId.current = null;
    inFlight.current = false;
    setLoading(true);
    show([], 0);
    held.current = [];
    setHeldCount(0);
    setTrimmed(0);
    client.log.search
      .query({ ...(JSON.parse(key) as LogFilters), limit: TAIL_FETCH })
      .then((rows) => {
        if (gen !== generation.current) return;
        // An empty store still needs a starting point, or the first nudge would fetch nothing.
        lastId.current = rows.length ? rows[rows.length - 1]!.id : 0;
        show(rows, 0);
        setError(null);
      })
      .catch((e: unknown) => gen === generation.current && setError(errorMessage(e)))
      .finally(() => gen === generation.current && setLoading(false));
  }, [client, key, show]);

  useEffect(() => {
    if (!socket) return;
    const follow = () => {
      socket.emit(UI_EVENTS.logsFollow, {});
      void fetchNew(); // what was stored while the socket was down
    };
    const onWritten = () => void fetchNew();
    if (socket.connected) socket.emit(UI_EVENTS.logsFollow, {});
    socket.on("connect", follow);
    socket.on(UI_EVENTS.logsWritten, onWritten);
    return () => {
      socket.off("connect", follow);
      socket.off(UI_EVENTS.logsWritten, onWritten);
      if (socket.connected) socket.emit(UI_EVENTS.logsUnfollow, {});
    };
  }, [socket, fetchNew]);

  const setPaused = useCallback(
    (p: boolean) => {
      pausedRef.current = p;
      setPausedState(p);
      if (!p) {
        const h = held.current;
        held.current = [];
        setHeldCount(0);
        append(h);
      }
    },
    [append],
  );

  return { lines, held: heldCount, paused, loading, error, trimmed, setPaused };
}
