// The inverse of statusFromState: which (vm_state, task_state) pairs show a given API status, as
// conditions a database can evaluate. Derived from statusFromState itself rather than written by
// hand, so the status filter can never disagree with the status column.
import { statusFromState, TASK_STATES, VM_STATES, type ApiStatus } from "@/lib/states";

/**
 * One vm_state and the task states that go with it:
 * - `any`: every task state;
 * - `in`: exactly these task states (none of them null);
 * - `notIn`: null or any task state except these (statusFromState's default branch also covers
 *   task states it does not know, so the complement is the faithful form).
 */
export type TaskCondition = { kind: "any" } | { kind: "in"; tasks: string[] } | { kind: "notIn"; tasks: string[] };

export interface StateCondition {
  vmState: string;
  task: TaskCondition;
}

export interface StatusConditions {
  /** Matches when any one of these holds. */
  known: StateCondition[];
  /** UNKNOWN is every vm_state outside Nova's list. */
  unknownVmState: boolean;
}

export function statusConditions(status: ApiStatus): StatusConditions {
  const known: StateCondition[] = [];
  for (const vmState of VM_STATES) {
    const matching = TASK_STATES.filter((t) => statusFromState(vmState, t) === status);
    const others = TASK_STATES.filter((t) => statusFromState(vmState, t) !== status);
    const withNull = statusFromState(vmState, null) === status;
    if (withNull && others.length === 0) known.push({ vmState, task: { kind: "any" } });
    else if (withNull) known.push({ vmState, task: { kind: "notIn", tasks: [...others] } });
    else if (matching.length > 0) known.push({ vmState, task: { kind: "in", tasks: [...matching] } });
  }
  return { known, unknownVmState: status === "UNKNOWN" };
}

/** Evaluates the conditions on one row: the reference the database translation must agree with. */
export function satisfies(conditions: StatusConditions, vmState: string, taskState: string | null): boolean {
  if (conditions.unknownVmState && !(VM_STATES as readonly string[]).includes(vmState)) return true;
  return conditions.known.some((c) => {
    if (c.vmState !== vmState) return false;
    if (c.task.kind === "any") return true;
    if (c.task.kind === "in") return taskState !== null && c.task.tasks.includes(taskState);
    return taskState === null || !c.task.tasks.includes(taskState);
  });
}
