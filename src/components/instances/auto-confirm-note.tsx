"use client";
// Under a VERIFY_RESIZE status: when the move confirms by itself (STRATUS_RESIZE_CONFIRM_WINDOW,
// Nova's resize_confirm_window), counted down by the shared clock. Nothing when the window is off.
import { timeSince } from "@/components/ui/relative-time";
import { useNow } from "@/components/ui/clock";
import type { InstanceView } from "@/lib/instance-view";

/** "in 4 minutes", "in under a minute", "now". */
export function autoConfirmIn(atMs: number, nowMs: number): string {
  const left = atMs - nowMs;
  if (left <= 0) return "now";
  if (left < 60_000) return "in under a minute";
  return `in ${timeSince(nowMs, atMs)}`;
}

export function AutoConfirmNote({ instance }: { instance: Pick<InstanceView, "status" | "autoConfirmAt"> }) {
  const now = useNow();
  if (instance.status !== "VERIFY_RESIZE" || !instance.autoConfirmAt) return null;
  const at = Date.parse(instance.autoConfirmAt);
  // Before hydration the clock reads 0: a stable placeholder, not a time in the server's locale.
  const title = now === 0 ? undefined : `Confirmed automatically at ${new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })} unless confirmed or reverted before`;
  return (
    <p data-testid="auto-confirm" className="max-w-64 text-xs text-zinc-600 dark:text-zinc-400" title={title}>
      Confirms automatically{now === 0 ? "" : ` ${autoConfirmIn(at, now)}`}
    </p>
  );
}
