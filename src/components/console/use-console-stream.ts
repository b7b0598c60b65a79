"use client";
// The console text of one instance, kept live: the tail from server.consoleLog, then, while
// following, the `console:chunk`s of the live socket placed by byte offset. Nothing polls: a gap
// in offsets, following again, a change of the instance's state and a reconnect (the live
// connection refetches every server.* query after one) fetch the tail again.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { UI_CONSOLE_EVENTS, type ConsoleChunkMessage } from "@/lib/agent-protocol";
import { useLiveSocket, useLiveStatus } from "@/lib/realtime/live-connection";
import { trpcErrorCode, useTRPC } from "@/lib/trpc/client";
import { applyChunk, replayOnto, type ConsoleBuffer, type ReceivedChunk } from "./console-buffer";

/** Chunks kept to place after a tail that was being fetched while they arrived. */
const RECENT_CHUNKS = 64;
/** The server answers a watch once the agent follows (at most ~5 s); past this, stop waiting. */
const WATCH_ACK_TIMEOUT_MS = 10_000;

export interface ConsoleStreamOptions {
  uuid: string;
  tailLines: number;
  follow: boolean;
  /** Lines kept while following; older ones are dropped (and the text marked truncated). */
  maxLines: number;
}

export interface ConsoleStream {
  buffer: ConsoleBuffer | null;
  loading: boolean;
  fetching: boolean;
  error: unknown;
  errorCode: string | undefined;
  /** The server refused to stream this console to us (not our instance any more). */
  denied: boolean;
  reload: () => void;
}

export function useConsoleStream({ uuid, tailLines, follow, maxLines }: ConsoleStreamOptions): ConsoleStream {
  const trpc = useTRPC();
  const socket = useLiveSocket();
  const live = useLiveStatus();
  // While following, the tail is read once the server says the agent follows the file (the watch
  // ack), so the tail reaches at least where the first chunk begins. Without a live connection
  // there is nothing to wait for.
  const [watchAcked, setWatchAcked] = useState(false);
  const [denied, setDenied] = useState(false);
  const query = useQuery({
    ...trpc.server.consoleLog.queryOptions({ id: uuid, tailLines }),
    // Fresh until told otherwise: chunks keep it current, resyncs refetch it.
    staleTime: Infinity,
    enabled: !follow || watchAcked || denied || live !== "connected",
  });
  // The instance as the page's live cache holds it: a change of state may bring a console log.
  const instance = useQuery(trpc.server.get.queryOptions({ id: uuid }));
  const [buffer, setBuffer] = useState<ConsoleBuffer | null>(null);
  const bufferRef = useRef<ConsoleBuffer | null>(null);
  const recent = useRef<ReceivedChunk[]>([]);
  /** Chunks received so far, and how many had arrived when the latest fetch of the tail began. */
  const received = useRef(0);
  const receivedAtFetch = useRef(0);
  const queryRef = useRef(query);
  queryRef.current = query;

  const commit = useCallback((next: ConsoleBuffer | null) => {
    bufferRef.current = next;
    setBuffer(next);
  }, []);

  /** Fetches the tail again unless a fetch is already on its way. */
  const resync = useCallback(() => {
    if (!queryRef.current.isFetching) void queryRef.current.refetch();
  }, []);

  const fetching = query.isFetching;
  useEffect(() => {
    if (fetching) receivedAtFetch.current = received.current;
  }, [fetching]);

  // A fresh tail replaces the text; chunks that arrived while it was read are placed after it.
  const snapshot = query.data;
  useEffect(() => {
    if (!snapshot) return;
    const { buffer: next, resync: again } = replayOnto(snapshot, recent.current, receivedAtFetch.current, maxLines);
    commit(next);
    if (again) resync();
  }, [snapshot, maxLines, commit, resync]);

  /** Asks to watch; once acknowledged, (re)reads the tail so it meets the chunks. */
  const watch = useCallback(() => {
    if (!socket?.connected) return;
    socket.timeout(WATCH_ACK_TIMEOUT_MS).emit(UI_CONSOLE_EVENTS.watch, { uuid }, (err: Error | null, ok: unknown) => {
      // No answer: read the tail anyway; chunks that do come are placed by offset.
      if (err) return setWatchAcked(true);
      setDenied(ok !== true);
      if (ok !== true) return;
      setWatchAcked(true);
      if (queryRef.current.data !== undefined) resync();
    });
  }, [socket, uuid, resync]);

  // Live chunks, while following.
  useEffect(() => {
    if (!socket || !follow) return;
    const onChunk = (chunk: ConsoleChunkMessage) => {
      if (chunk?.uuid !== uuid) return;
      // Chunks before a restart belong to the old file: never replay them onto the new one.
      if (chunk.reset) recent.current = [];
      recent.current.push({ chunk, seq: ++received.current });
      if (recent.current.length > RECENT_CHUNKS) recent.current.shift();
      const current = bufferRef.current;
      if (!current) return; // the tail is still loading; it will take this chunk from `recent`
      const r = applyChunk(current, chunk, maxLines);
      if (r.buffer !== current) commit(r.buffer);
      if (r.gap) resync();
    };
    socket.on(UI_CONSOLE_EVENTS.chunk, onChunk);
    // Watch now (following again after a pause: the ack catches up with what was written), and
    // again after every reconnect, since rooms do not survive one.
    watch();
    socket.on("connect", watch);
    return () => {
      socket.off("connect", watch);
      socket.off(UI_CONSOLE_EVENTS.chunk, onChunk);
      if (socket.connected) socket.emit(UI_CONSOLE_EVENTS.unwatch, { uuid });
    };
  }, [socket, uuid, follow, maxLines, commit, resync, watch]);

  // The instance got a host, started, rebooted...: a console that was missing may be there now.
  // hostId, not host: members are not told host names, but can tell that the host changed.
  const host = instance.data?.hostId ?? null;
  const status = instance.data?.status ?? null;
  const seenState = useRef<{ host: string | null; status: string | null } | null>(null);
  useEffect(() => {
    const before = seenState.current;
    seenState.current = { host, status };
    if (!before || (before.host === host && before.status === status)) return;
    const missing = queryRef.current.isError || bufferRef.current?.available === false;
    const moved = before.host !== host;
    if (!missing && !moved) return;
    // Re-watching brings the agent's follow to the instance's (new) host at once; its ack rereads.
    if (follow && socket?.connected) watch();
    else resync();
  }, [host, status, follow, socket, watch, resync]);

  return {
    buffer,
    loading: query.isPending,
    fetching: query.isFetching,
    error: query.error,
    errorCode: query.error ? trpcErrorCode(query.error) : undefined,
    denied,
    reload: () => void queryRef.current.refetch(),
  };
}
