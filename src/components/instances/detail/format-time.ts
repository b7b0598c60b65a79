// Exact times for detail views, where "3 minutes" is not precise enough.
import { formatExactTime } from "@/lib/exact-time";

export function formatDateTime(value: Date | string | null): string {
  if (value === null) return "-";
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return "-";
  return formatExactTime(d.getTime());
}

export function isoOf(value: Date | string): string {
  return (typeof value === "string" ? new Date(value) : value).toISOString();
}

/** "0.4 s", "12 s", "3 min 5 s" between two times. */
export function formatDuration(from: Date | string, to: Date | string): string {
  const ms = Math.max(0, new Date(to).getTime() - new Date(from).getTime());
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min${s % 60 ? ` ${s % 60} s` : ""}`;
}
