// The one table of which instance action is allowed in which state: Nova 26's check_instance_state
// decorators (nova/compute/api.py@zed), value for value. The API enforces it (CONFLICT, with Nova's
// wording) and the dashboard uses the same table to enable menu items and say why one is disabled.

export type InstanceActionName =
  | "delete"
  | "stop"
  | "start"
  | "reboot"
  | "reboot_hard"
  | "pause"
  | "unpause"
  | "suspend"
  | "resume"
  | "rescue"
  | "unrescue"
  | "resize"
  | "migrate"
  | "confirm_resize"
  | "revert_resize"
  | "live_migrate"
  | "live_migrate_force_complete"
  | "live_migrate_abort"
  | "lock"
  | "unlock"
  | "reset_state";

/** null in a task list means "no task in flight". */
type TaskStates = ReadonlyArray<string | null> | "any";

export interface ActionRule {
  /** The method name Nova's error message uses ("Cannot 'reboot' instance ..."). */
  method: string;
  /** What the action log records (nova/compute/instance_actions.py). */
  record: string;
  label: string;
  vmStates: readonly string[] | "any";
  taskStates: TaskStates;
  /** The task_state the API writes before it hands the work on (none for some actions). */
  setsTaskState: string | null;
  /** check_instance_lock: refused for a locked instance unless the caller is admin. */
  lockChecked: boolean;
  /** must_have_launched: the instance must have run at least once. */
  mustHaveLaunched: boolean;
  adminOnly: boolean;
  /** Destructive actions ask for confirmation in the dashboard. */
  confirm: boolean;
}

const NO_TASK = [null] as const;
// ALLOW_REBOOT in nova/compute/task_states.py: a hard reboot may interrupt these.
const ALLOW_REBOOT = [
  null,
  "rebooting",
  "reboot_pending",
  "reboot_started",
  "resuming",
  "rebooting_hard",
  "unpausing",
  "pausing",
  "suspending",
] as const;

function rule(r: Omit<ActionRule, "lockChecked" | "mustHaveLaunched" | "adminOnly" | "confirm"> & Partial<ActionRule>): ActionRule {
  return { lockChecked: true, mustHaveLaunched: true, adminOnly: false, confirm: false, ...r };
}

export const ACTION_RULES: Record<InstanceActionName, ActionRule> = {
  delete: rule({ method: "delete", record: "delete", label: "Delete Instance", vmStates: "any", taskStates: "any", setsTaskState: "deleting", mustHaveLaunched: false, confirm: true }),
  stop: rule({ method: "stop", record: "stop", label: "Shut Off Instance", vmStates: ["active", "error"], taskStates: NO_TASK, setsTaskState: "powering-off", confirm: true }),
  start: rule({ method: "start", record: "start", label: "Start Instance", vmStates: ["stopped"], taskStates: NO_TASK, setsTaskState: "powering-on" }),
  reboot: rule({ method: "reboot", record: "reboot", label: "Soft Reboot Instance", vmStates: ["active"], taskStates: NO_TASK, setsTaskState: "rebooting", confirm: true }),
  reboot_hard: rule({ method: "reboot", record: "reboot", label: "Hard Reboot Instance", vmStates: ["active", "stopped", "paused", "suspended", "error"], taskStates: ALLOW_REBOOT, setsTaskState: "rebooting_hard", confirm: true }),
  pause: rule({ method: "pause", record: "pause", label: "Pause Instance", vmStates: ["active"], taskStates: NO_TASK, setsTaskState: "pausing" }),
  unpause: rule({ method: "unpause", record: "unpause", label: "Resume Instance", vmStates: ["paused"], taskStates: NO_TASK, setsTaskState: "unpausing" }),
  suspend: rule({ method: "suspend", record: "suspend", label: "Suspend Instance", vmStates: ["active"], taskStates: NO_TASK, setsTaskState: "suspending" }),
  resume: rule({ method: "resume", record: "resume", label: "Resume Instance", vmStates: ["suspended"], taskStates: NO_TASK, setsTaskState: "resuming" }),
  rescue: rule({ method: "rescue", record: "rescue", label: "Rescue Instance", vmStates: ["active", "stopped", "error"], taskStates: NO_TASK, setsTaskState: "rescuing" }),
  unrescue: rule({ method: "unrescue", record: "unrescue", label: "Unrescue Instance", vmStates: ["rescued"], taskStates: NO_TASK, setsTaskState: "unrescuing" }),
  resize: rule({ method: "resize", record: "resize", label: "Resize Instance", vmStates: ["active", "stopped"], taskStates: NO_TASK, setsTaskState: "resize_prep", confirm: true }),
  migrate: rule({ method: "migrate", record: "migrate", label: "Migrate Instance", vmStates: ["active", "stopped"], taskStates: NO_TASK, setsTaskState: "resize_prep", adminOnly: true, confirm: true }),
  confirm_resize: rule({ method: "confirm_resize", record: "confirmResize", label: "Confirm Resize/Migrate", vmStates: ["resized"], taskStates: NO_TASK, setsTaskState: null }),
  revert_resize: rule({ method: "revert_resize", record: "revertResize", label: "Revert Resize/Migrate", vmStates: ["resized"], taskStates: NO_TASK, setsTaskState: "resize_reverting" }),
  live_migrate: rule({ method: "live_migrate", record: "live-migration", label: "Live Migrate Instance", vmStates: ["active", "paused"], taskStates: NO_TASK, setsTaskState: "migrating", adminOnly: true }),
  live_migrate_force_complete: rule({ method: "live_migrate_force_complete", record: "live_migration_force_complete", label: "Force Complete Live Migration", vmStates: ["active"], taskStates: ["migrating"], setsTaskState: null, adminOnly: true }),
  live_migrate_abort: rule({ method: "live_migrate_abort", record: "live_migration_cancel", label: "Abort Live Migration", vmStates: "any", taskStates: ["migrating"], setsTaskState: null, adminOnly: true }),
  lock: rule({ method: "lock", record: "lock", label: "Lock Instance", vmStates: "any", taskStates: "any", setsTaskState: null, lockChecked: false, mustHaveLaunched: false }),
  unlock: rule({ method: "unlock", record: "unlock", label: "Unlock Instance", vmStates: "any", taskStates: "any", setsTaskState: null, lockChecked: false, mustHaveLaunched: false }),
  reset_state: rule({ method: "reset_state", record: "resetState", label: "Reset State", vmStates: "any", taskStates: "any", setsTaskState: null, lockChecked: false, mustHaveLaunched: false, adminOnly: true }),
};

export interface InstanceStateLike {
  uuid: string;
  vmState: string;
  taskState: string | null;
  locked: boolean;
  launchedAt: Date | string | null;
}

export type ActionCheck = { allowed: true } | { allowed: false; reason: string; code: "FORBIDDEN" | "CONFLICT" };

/** Nova's guards in their order: policy (admin), lock, then vm_state, task_state, launched. */
export function checkAction(action: InstanceActionName, i: InstanceStateLike, caller: { isAdmin: boolean }): ActionCheck {
  const r = ACTION_RULES[action];
  if (r.adminOnly && !caller.isAdmin) {
    return { allowed: false, code: "FORBIDDEN", reason: `Policy doesn't allow ${r.method} to be performed.` };
  }
  if (r.lockChecked && i.locked && !caller.isAdmin) {
    return { allowed: false, code: "CONFLICT", reason: `Instance ${i.uuid} is locked` };
  }
  if (r.vmStates !== "any" && !r.vmStates.includes(i.vmState)) {
    return { allowed: false, code: "CONFLICT", reason: invalidState(r, i.uuid, "vm_state", i.vmState) };
  }
  if (r.taskStates !== "any" && !r.taskStates.includes(i.taskState)) {
    return { allowed: false, code: "CONFLICT", reason: invalidState(r, i.uuid, "task_state", i.taskState ?? "None") };
  }
  if (r.mustHaveLaunched && !i.launchedAt) {
    return { allowed: false, code: "CONFLICT", reason: `Instance ${i.uuid} has not been launched yet. Cannot '${r.method}' it.` };
  }
  return { allowed: true };
}

/** HTTP 409 text of nova/api/openstack/common.py raise_http_conflict_for_instance_invalid_state. */
function invalidState(r: ActionRule, uuid: string, attr: string, state: string): string {
  return `Cannot '${r.method}' instance ${uuid} while it is in ${attr} ${state}`;
}
