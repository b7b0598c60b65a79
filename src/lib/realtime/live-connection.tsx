"use client";
// The dashboard's one live connection: a Socket.IO client on the /ui namespace (the session
// cookie authenticates the handshake). Pushed events patch the React Query caches in place; after
// every (re)connect the live-backed queries are refetched, because events sent while the socket
// was down are gone. Nothing here runs on a data-polling timer.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import {
  UI_EVENTS,
  UI_NAMESPACE,
  type ActionChangedEvent,
  type InstanceRemovedEvent,
  type InstanceView,
  type ServiceView,
} from "@/lib/instance-view";
import { useSession } from "@/components/layout/auth-gate";
import { useTRPC } from "@/lib/trpc/client";
import { IMAGE_CHANGED_EVENT, type ImageView } from "@/server/images/image-view";
import { normalizeImage, RecentImageEvents, removeImage, upsertImage } from "./image-cache";
import { serverListInput, type ServerListInput } from "@/lib/instance-list-query";
import {
  isNewer,
  listLacksRow,
  RecentInstanceEvents,
  removeFromPage,
  replaceInPage,
  type InstancePage,
} from "./instance-cache";
import { upsertService } from "./service-cache";

export type LiveStatus = "connecting" | "connected" | "reconnecting";

interface LiveContextValue {
  status: LiveStatus;
  socket: Socket | null;
}

const LiveContext = createContext<LiveContextValue>({ status: "connecting", socket: null });

/** Whether pushed updates are flowing right now. */
export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/**
 * The live socket (null before it exists), for a component with its own events, such as the
 * console pane's `console:chunk`s. Listeners it adds must be removed when it unmounts.
 */
export function useLiveSocket(): Socket | null {
  return useContext(LiveContext).socket;
}

/**
 * Joins one instance's room while the calling component is mounted, for the events only a page
 * about that instance wants (its action log). Re-joins after every reconnect, since rooms do not
 * survive a new connection.
 */
export function useInstanceRoom(uuid: string | null): void {
  const { socket } = useContext(LiveContext);
  useEffect(() => {
    if (!socket || !uuid) return;
    const join = () => socket.emit("subscribe:instance", { uuid });
    if (socket.connected) join();
    socket.on("connect", join);
    return () => {
      socket.off("connect", join);
      socket.emit("unsubscribe:instance", { uuid });
    };
  }, [socket, uuid]);
}

type Trpc = ReturnType<typeof useTRPC>;

/** Coalesces bursts of "the list may be missing rows" into one refetch. */
function debounced(fn: () => void, ms: number): { run: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    run: () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    },
    cancel: () => clearTimeout(timer),
  };
}

/** Runs `fn` at most once per `ms`, at the end of the window: a steady stream still refreshes. */
function coalesced(fn: () => void, ms: number): { run: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    run: () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        fn();
      }, ms);
    },
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** The input a cached server.list query was made with, defaults filled in as the API fills them. */
function listInput(queryKey: readonly unknown[]): ServerListInput | null {
  const meta = queryKey[1];
  const raw = typeof meta === "object" && meta !== null && "input" in meta ? meta.input : undefined;
  const parsed = serverListInput.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

function bindCacheSync(queryClient: QueryClient, trpc: Trpc, ownProjectId: string) {
  const recent = new RecentInstanceEvents();
  const recentImages = new RecentImageEvents();
  const listFilter = trpc.server.list.queryFilter();
  const refreshLists = debounced(() => void queryClient.invalidateQueries(trpc.server.list.queryFilter()), 300);
  // Host usage follows instances and services; there is no event of its own. Only an open
  // Hypervisors page refetches (invalidation refetches active queries only).
  const refreshHypervisors = coalesced(() => void queryClient.invalidateQueries(trpc.hypervisor.list.queryFilter()), 1000);

  // A list fetched while events flew past may hold rows older than those events: bring it level.
  const unsubscribeCache = queryClient.getQueryCache().subscribe((event) => {
    // Only fetched data; our own setQueryData (manual) must not feed back into this listener.
    if (event.type !== "updated" || event.action.type !== "success" || event.action.manual) return;
    const key = event.query.queryKey;
    if (!Array.isArray(key[0])) return;
    if (key[0][0] === "image" && key[0][1] === "list") {
      const images = event.query.state.data as ImageView[] | undefined;
      const patchedImages = images && recentImages.overlay(images);
      if (patchedImages && patchedImages !== images) queryClient.setQueryData(key, patchedImages);
      return;
    }
    if (key[0][0] !== "server" || key[0][1] !== "list") return;
    const data = event.query.state.data as InstancePage | undefined;
    if (!data) return;
    const patched = recent.overlay(data);
    if (patched !== data) queryClient.setQueryData(key, patched);
  });

  // Instances a list was refetched for once already: if it still lacks them, they are not its rows.
  const refetchedFor = new Set<string>();

  function onInstanceChanged(view: InstanceView): void {
    recent.noteChanged(view);
    refreshHypervisors.run();
    let lacking = false;
    for (const query of queryClient.getQueryCache().findAll(listFilter)) {
      const page = query.state.data as InstancePage | undefined;
      if (!page) continue;
      const next = replaceInPage(page, view);
      if (next !== page) queryClient.setQueryData(query.queryKey, next);
      // A row the list should have but lacks: an instance launched from another tab or the CLI.
      const input = listInput(query.queryKey);
      if (input && listLacksRow(page, view, input, ownProjectId)) lacking = true;
    }
    queryClient.setQueryData(trpc.server.get.queryKey({ id: view.uuid }), (old) =>
      old && isNewer(view, old) ? view : old,
    );
    if (lacking && !refetchedFor.has(view.uuid)) {
      refetchedFor.add(view.uuid);
      refreshLists.run();
    }
  }

  function onInstanceRemoved({ uuid }: InstanceRemovedEvent): void {
    recent.noteRemoved(uuid);
    refreshHypervisors.run();
    refetchedFor.delete(uuid);
    for (const query of queryClient.getQueryCache().findAll(listFilter)) {
      const page = query.state.data as InstancePage | undefined;
      if (!page) continue;
      const next = removeFromPage(page, uuid);
      if (next === page) continue;
      queryClient.setQueryData(query.queryKey, next);
      // Rows from later pages move up into the gap.
      if (next.total > next.items.length) refreshLists.run();
    }
    void queryClient.invalidateQueries({ queryKey: trpc.server.get.queryKey({ id: uuid }) });
  }

  function onServiceChanged(view: ServiceView): void {
    queryClient.setQueryData(trpc.service.list.queryKey(), (old) => (old ? upsertService(old, view) : old));
    refreshHypervisors.run();
  }

  function onActionChanged({ uuid }: ActionChangedEvent): void {
    void queryClient.invalidateQueries({ queryKey: trpc.server.actions.queryKey({ id: uuid }) });
    // Each step of an action logs lines about the instance: an open Logs tab reads them now.
    void queryClient.invalidateQueries({ queryKey: trpc.log.search.queryKey({ instanceUuid: uuid }) });
  }

  /** A move's figures or status changed: its instance's Migrations panel reads them again. */
  function onMigrationChanged({ uuid }: ActionChangedEvent): void {
    void queryClient.invalidateQueries({ queryKey: trpc.server.migrations.queryKey({ id: uuid }) });
  }

  function onImageChanged(raw: ImageView): void {
    // Dates arrive as strings over the socket; the cache holds them as superjson delivered them.
    const view = normalizeImage(raw);
    recentImages.note(view);
    const gone = view.status === "deleted";
    queryClient.setQueryData(trpc.image.list.queryKey(), (old) => (old ? (gone ? removeImage(old, view.id) : upsertImage(old, view)) : old));
    if (gone) void queryClient.invalidateQueries({ queryKey: trpc.image.get.queryKey({ id: view.id }) });
    else queryClient.setQueryData(trpc.image.get.queryKey({ id: view.id }), (old) => (old ? view : old));
  }

  /** Refetch everything the live channel keeps fresh that was loaded before `since`. */
  function resync(since: number): void {
    const stale = { predicate: (q: { state: { dataUpdatedAt: number } }) => q.state.dataUpdatedAt < since };
    void queryClient.invalidateQueries(trpc.server.pathFilter(stale));
    void queryClient.invalidateQueries(trpc.service.pathFilter(stale));
    void queryClient.invalidateQueries(trpc.image.pathFilter(stale));
    void queryClient.invalidateQueries(trpc.hypervisor.pathFilter(stale));
  }

  return {
    onInstanceChanged,
    onInstanceRemoved,
    onServiceChanged,
    onActionChanged,
    onMigrationChanged,
    onImageChanged,
    resync,
    dispose: () => {
      unsubscribeCache();
      refreshLists.cancel();
      refreshHypervisors.cancel();
    },
  };
}

export function LiveConnectionProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projectId = useSession().project.id;
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [socket, setSocket] = useState<Socket | null>(null);

  useEffect(() => {
    const sync = bindCacheSync(queryClient, trpc, projectId);
    const socket = io(UI_NAMESPACE, {
      withCredentials: true,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    let retry: ReturnType<typeof setTimeout> | undefined;
    setSocket(socket);

    socket.on("connect", () => {
      setStatus("connected");
      sync.resync(Date.now());
    });
    socket.on("disconnect", (reason) => {
      setStatus("reconnecting");
      // The server closed us on purpose (e.g. a restart): socket.io will not retry by itself.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", () => {
      setStatus("reconnecting");
      // A refused handshake stops automatic retries; try again later rather than stay dark.
      if (!socket.active) {
        clearTimeout(retry);
        retry = setTimeout(() => socket.connect(), 5000);
      }
    });
    socket.on(UI_EVENTS.instanceChanged, sync.onInstanceChanged);
    socket.on(UI_EVENTS.instanceRemoved, sync.onInstanceRemoved);
    socket.on(UI_EVENTS.serviceChanged, sync.onServiceChanged);
    socket.on(UI_EVENTS.actionChanged, sync.onActionChanged);
    socket.on(UI_EVENTS.migrationChanged, sync.onMigrationChanged);
    socket.on(IMAGE_CHANGED_EVENT, sync.onImageChanged);

    // After a laptop sleep the socket can sit in back-off for a long while; a returning user
    // should not have to wait for the next attempt.
    const onVisible = () => {
      if (document.visibilityState === "visible" && !socket.connected) socket.connect();
    };
    // A dropped network can leave the socket looking open until the ping times out (~45 s); the
    // browser knows sooner, so close the transport and let socket.io's back-off take over.
    const onOffline = () => {
      setStatus("reconnecting");
      socket.io.engine?.close();
    };
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("online", onVisible);
    window.addEventListener("offline", onOffline);

    return () => {
      clearTimeout(retry);
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("online", onVisible);
      window.removeEventListener("offline", onOffline);
      socket.removeAllListeners();
      socket.disconnect();
      sync.dispose();
      setSocket(null);
    };
  }, [queryClient, trpc, projectId]);

  const value = useMemo(() => ({ status, socket }), [status, socket]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
