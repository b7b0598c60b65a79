// Progress of a running operation. With no percentage yet (0) the bar is indeterminate, as
// Horizon's striped bar is, rather than claiming "0 % done".
export function ProgressBar({ value, label }: { value: number; label: string }) {
  const determinate = value > 0;
  const pct = Math.min(100, Math.max(0, Math.round(value)));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={determinate ? pct : undefined}
      className="relative h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      {determinate ? (
        <div className="h-full rounded-full bg-indigo-500 transition-[width] duration-500" style={{ width: `${pct}%` }} />
      ) : (
        <div className="animate-indeterminate absolute inset-y-0 w-2/5 rounded-full bg-indigo-500/80" />
      )}
    </div>
  );
}
