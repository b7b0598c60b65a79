"use client";

import { formatExactTime } from "@/lib/exact-time";
import { useNow } from "./clock";

const UNITS: readonly [string, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** Django's timesince, which Horizon's Age column uses: the two largest units ("1 hour, 5 minutes"). */
export function timeSince(fromMs: number, nowMs: number): string {
  let delta = Math.max(0, nowMs - fromMs);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(delta / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(plural(n, unit));
      delta -= n * size;
      if (parts.length === 2 || n === 0) break;
    }
  }
  return parts.length ? parts.join(", ") : "0 minutes";
}

/** "12 seconds ago", "3 minutes ago": for heartbeats, where seconds matter. */
export function timeAgo(fromMs: number, nowMs: number): string {
  const secs = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (secs < 5) return "just now";
  if (secs < 60) return `${secs} seconds ago`;
  return `${timeSince(fromMs, nowMs)} ago`;
}

/** A time label kept current by the shared clock, with the exact time in its tooltip. */
export function RelativeTime({ value, style = "since" }: { value: string | Date | null; style?: "since" | "ago" }) {
  const now = useNow();
  if (value === null) return <span className="text-zinc-500 dark:text-zinc-400">Never</span>;
  const ms = typeof value === "string" ? Date.parse(value) : value.getTime();
  // Before hydration the clock reads 0: render a stable placeholder instead of a wrong age.
  if (now === 0) return <time dateTime={new Date(ms).toISOString()}>&nbsp;</time>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatExactTime(ms)}>
      {style === "since" ? timeSince(ms, now) : timeAgo(ms, now)}
    </time>
  );
}
