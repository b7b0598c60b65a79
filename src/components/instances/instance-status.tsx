// How an instance's state reads in the table: Horizon's display names, a tone per status, and the
// progress of whatever operation is running.
import { ProgressBar } from "@/components/ui/progress-bar";
import { StatusChip, type Tone } from "@/components/ui/status-chip";
import type { InstanceView } from "@/lib/instance-view";
import { statusDisplay, taskStateDisplay, type ApiStatus } from "@/lib/states";
import { AutoConfirmNote } from "./auto-confirm-note";
import { TaskAge } from "./task-age";

// Horizon's STATUS_CHOICES: these statuses are at rest; anything else is on its way somewhere.
const AT_REST: ReadonlySet<ApiStatus> = new Set(["ACTIVE", "SHUTOFF", "SUSPENDED", "PAUSED", "RESCUE", "SHELVED", "SHELVED_OFFLOADED"]);

/** Horizon's "warning" row: a task is running or the status is not a resting one (ERROR never is). */
export function isInTransition(instance: InstanceView): boolean {
  if (instance.status === "ERROR") return instance.taskState !== null;
  return instance.taskState !== null || !AT_REST.has(instance.status);
}

export function statusTone(instance: InstanceView): Tone {
  if (instance.status === "ERROR") return "danger";
  if (isInTransition(instance)) return "warning";
  if (instance.status === "ACTIVE") return "success";
  if (instance.status === "VERIFY_RESIZE") return "info";
  return "neutral";
}

export function InstanceStatus({ instance }: { instance: InstanceView }) {
  return (
    <div className="space-y-1">
      <StatusChip tone={statusTone(instance)} pulse={isInTransition(instance)}>
        {statusDisplay(instance.status)}
      </StatusChip>
      {instance.status === "ERROR" && instance.fault && (
        <p className="line-clamp-2 max-w-64 min-w-44 text-xs text-red-700 dark:text-red-400" title={instance.fault.details ?? instance.fault.message}>
          <span className="sr-only">Fault: </span>
          {instance.fault.message}
        </p>
      )}
      <AutoConfirmNote instance={instance} />
    </div>
  );
}

export function InstanceTask({ instance }: { instance: InstanceView }) {
  const task = taskStateDisplay(instance.taskState);
  if (!isInTransition(instance)) return <span className="text-zinc-500 dark:text-zinc-400">{task}</span>;
  const pct = Math.round(instance.progress);
  return (
    <div className="min-w-36 space-y-1">
      <span className="font-medium">{task}</span>
      <ProgressBar value={instance.progress} label={`${instance.name}: ${task}`} />
      {(instance.step || pct > 0) && (
        <p className="max-w-48 truncate text-xs text-zinc-500 dark:text-zinc-400" title={instance.step ?? undefined}>
          {instance.step}
          {instance.step && pct > 0 ? " · " : ""}
          {pct > 0 ? `${pct}%` : ""}
        </p>
      )}
      <TaskAge instance={instance} />
    </div>
  );
}
