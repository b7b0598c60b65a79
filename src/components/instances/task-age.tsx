"use client";
// How long the running task has been running, from the instance's taskStartedAt: quiet once it is
// past a minute, a warning once past STUCK_TASK_AFTER_MS, so an operation that hangs is noticed
// here rather than minutes later. (The controller's own task deadlines act later, per task.)
import { useNow } from "@/components/ui/clock";
import type { InstanceView } from "@/lib/instance-view";
import { taskStateDisplay } from "@/lib/states";

/** Past this a running task is flagged as taking longer than expected. */
export const STUCK_TASK_AFTER_MS = 5 * 60_000;
/** Below this the age is not worth showing. */
const SHOW_AGE_AFTER_MS = 60_000;

export function taskAgeMs(instance: Pick<InstanceView, "taskState" | "taskStartedAt">, nowMs: number): number | null {
  if (!instance.taskState || !instance.taskStartedAt || nowMs === 0) return null;
  return Math.max(0, nowMs - Date.parse(instance.taskStartedAt));
}

/** "6 min", "1 h 12 min". */
export function formatTaskAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export function isTaskStuck(instance: Pick<InstanceView, "taskState" | "taskStartedAt">, nowMs: number): boolean {
  const age = taskAgeMs(instance, nowMs);
  return age !== null && age >= STUCK_TASK_AFTER_MS;
}

/** "in Powering Off for 6 min", warning-styled once the task is overdue. */
export function TaskAge({ instance }: { instance: InstanceView }) {
  const now = useNow();
  const age = taskAgeMs(instance, now);
  if (age === null || age < SHOW_AGE_AFTER_MS) return null;
  const stuck = age >= STUCK_TASK_AFTER_MS;
  const text = `in ${taskStateDisplay(instance.taskState)} for ${formatTaskAge(age)}`;
  if (!stuck) return <p className="text-xs text-zinc-600 dark:text-zinc-400">{text}</p>;
  return (
    <p
      data-testid="task-overdue"
      title={`Running since ${new Date(Date.parse(instance.taskStartedAt ?? "")).toLocaleString()}; longer than the ${STUCK_TASK_AFTER_MS / 60_000} minutes this usually takes.`}
      className="inline-flex items-center gap-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-600/30 ring-inset dark:bg-amber-500/15 dark:text-amber-200"
    >
      <span aria-hidden="true">⚠</span>
      {text}
      <span className="sr-only">, longer than expected</span>
    </p>
  );
}
