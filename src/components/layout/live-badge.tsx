"use client";

import { useLiveStatus } from "@/lib/realtime/live-connection";

/** Says so plainly when pushed updates have stopped, so a quiet table is never mistaken for a calm cloud. */
export function LiveBadge() {
  const status = useLiveStatus();
  if (status === "connected") {
    return (
      <span className="inline-flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400" data-testid="live-status" data-status="connected">
        <span aria-hidden="true" className="size-2 rounded-full bg-emerald-500" />
        Live
      </span>
    );
  }
  if (status === "connecting") {
    return (
      <span className="inline-flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400" data-testid="live-status" data-status="connecting">
        <span aria-hidden="true" className="size-2 rounded-full bg-zinc-400" />
        Connecting…
      </span>
    );
  }
  return (
    <span
      role="status"
      data-testid="live-status"
      data-status="reconnecting"
      className="inline-flex items-center gap-1.5 rounded-full bg-amber-100 px-2.5 py-1 text-xs font-medium text-amber-900 ring-1 ring-amber-600/30 ring-inset dark:bg-amber-500/15 dark:text-amber-200"
    >
      <span aria-hidden="true" className="size-2 rounded-full bg-amber-500 motion-safe:animate-pulse" />
      Live updates paused — reconnecting
    </span>
  );
}
