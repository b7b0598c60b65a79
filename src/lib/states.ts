// Nova's three state fields, value for value (nova/objects/fields.py), and the API status derived
// from them (nova/api/openstack/common.py _STATE_MAP). Shared by the server, the agent and the UI.
import { z } from "zod";

export const VM_STATES = [
  "active",
  "building",
  "paused",
  "suspended",
  "stopped",
  "rescued",
  "resized",
  "soft-delete",
  "deleted",
  "error",
  "shelved",
  "shelved_offloaded",
] as const;
export type VmState = (typeof VM_STATES)[number];
export const vmStateSchema = z.enum(VM_STATES);

export const TASK_STATES = [
  "scheduling",
  "block_device_mapping",
  "networking",
  "spawning",
  "image_snapshot",
  "image_snapshot_pending",
  "image_pending_upload",
  "image_uploading",
  "image_backup",
  "updating_password",
  "resize_prep",
  "resize_migrating",
  "resize_migrated",
  "resize_finish",
  "resize_reverting",
  "resize_confirming",
  "rebooting",
  "reboot_pending",
  "reboot_started",
  "rebooting_hard",
  "reboot_pending_hard",
  "reboot_started_hard",
  "pausing",
  "unpausing",
  "suspending",
  "resuming",
  "powering-off",
  "powering-on",
  "rescuing",
  "unrescuing",
  "rebuilding",
  "rebuild_block_device_mapping",
  "rebuild_spawning",
  "migrating",
  "deleting",
  "soft-deleting",
  "restoring",
  "shelving",
  "shelving_image_pending_upload",
  "shelving_image_uploading",
  "shelving_offloading",
  "unshelving",
] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const taskStateSchema = z.enum(TASK_STATES);

/** Stored as Nova's int index; 2 and 5 are unused and frozen so the order never changes. */
export const POWER_STATE = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerState = (typeof POWER_STATE)[keyof typeof POWER_STATE];
export const powerStateSchema = z.union([
  z.literal(0),
  z.literal(1),
  z.literal(3),
  z.literal(4),
  z.literal(6),
  z.literal(7),
]);

/** Horizon's POWER_DISPLAY_CHOICES, indexed by the stored int. */
const POWER_DISPLAY = [
  "No State",
  "Running",
  "Blocked",
  "Paused",
  "Shut Down",
  "Shut Off",
  "Crashed",
  "Suspended",
  "Failed",
  "Building",
];
export function powerStateDisplay(p: number): string {
  return POWER_DISPLAY[p] ?? "No State";
}

/** Nova's API statuses (the `status` of GET /servers). */
export const API_STATUSES = [
  "ACTIVE",
  "BUILD",
  "REBOOT",
  "HARD_REBOOT",
  "PASSWORD",
  "REBUILD",
  "MIGRATING",
  "RESIZE",
  "SHUTOFF",
  "VERIFY_RESIZE",
  "REVERT_RESIZE",
  "PAUSED",
  "SUSPENDED",
  "RESCUE",
  "ERROR",
  "DELETED",
  "SOFT_DELETED",
  "SHELVED",
  "SHELVED_OFFLOADED",
  "UNKNOWN",
] as const;
export type ApiStatus = (typeof API_STATUSES)[number];

const SOFT_REBOOT: readonly string[] = ["rebooting", "reboot_pending", "reboot_started"];
const HARD_REBOOT: readonly string[] = ["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"];
const REBUILD: readonly string[] = ["rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"];
const RESIZING: readonly string[] = ["resize_prep", "resize_migrating", "resize_migrated", "resize_finish"];

/** nova.api.openstack.common.status_from_state */
export function statusFromState(vmState: string, taskState: string | null): ApiStatus {
  const t = taskState ?? "";
  switch (vmState) {
    case "active":
      if (SOFT_REBOOT.includes(t)) return "REBOOT";
      if (HARD_REBOOT.includes(t)) return "HARD_REBOOT";
      if (t === "updating_password") return "PASSWORD";
      if (REBUILD.includes(t)) return "REBUILD";
      if (t === "migrating") return "MIGRATING";
      if (RESIZING.includes(t)) return "RESIZE";
      return "ACTIVE";
    case "building":
      return "BUILD";
    case "stopped":
      if (RESIZING.includes(t)) return "RESIZE";
      if (REBUILD.includes(t)) return "REBUILD";
      return "SHUTOFF";
    case "resized":
      return t === "resize_reverting" ? "REVERT_RESIZE" : "VERIFY_RESIZE";
    case "paused":
      return t === "migrating" ? "MIGRATING" : "PAUSED";
    case "suspended":
      return "SUSPENDED";
    case "rescued":
      return "RESCUE";
    case "error":
      return REBUILD.includes(t) ? "REBUILD" : "ERROR";
    case "deleted":
      return "DELETED";
    case "soft-delete":
      return "SOFT_DELETED";
    case "shelved":
      return "SHELVED";
    case "shelved_offloaded":
      return "SHELVED_OFFLOADED";
    default:
      return "UNKNOWN";
  }
}

/** Horizon's STATUS_DISPLAY_CHOICES. */
const STATUS_DISPLAY: Record<ApiStatus, string> = {
  ACTIVE: "Active",
  BUILD: "Build",
  REBOOT: "Reboot",
  HARD_REBOOT: "Hard Reboot",
  PASSWORD: "Password",
  REBUILD: "Rebuild",
  MIGRATING: "Migrating",
  RESIZE: "Resize/Migrate",
  SHUTOFF: "Shutoff",
  VERIFY_RESIZE: "Confirm or Revert Resize/Migrate",
  REVERT_RESIZE: "Revert Resize/Migrate",
  PAUSED: "Paused",
  SUSPENDED: "Suspended",
  RESCUE: "Rescue",
  ERROR: "Error",
  DELETED: "Deleted",
  SOFT_DELETED: "Soft Deleted",
  SHELVED: "Shelved",
  SHELVED_OFFLOADED: "Shelved Offloaded",
  UNKNOWN: "Unknown",
};
export function statusDisplay(s: ApiStatus): string {
  return STATUS_DISPLAY[s];
}

/** Horizon's TASK_DISPLAY_CHOICES; an empty task shows as "None". */
const TASK_DISPLAY: Record<TaskState, string> = {
  scheduling: "Scheduling",
  block_device_mapping: "Block Device Mapping",
  networking: "Networking",
  spawning: "Spawning",
  image_snapshot: "Snapshotting",
  image_snapshot_pending: "Image Snapshot Pending",
  image_pending_upload: "Image Pending Upload",
  image_uploading: "Image Uploading",
  image_backup: "Image Backup",
  updating_password: "Updating Password",
  resize_prep: "Preparing Resize or Migrate",
  resize_migrating: "Resizing or Migrating",
  resize_migrated: "Resized or Migrated",
  resize_finish: "Finishing Resize or Migrate",
  resize_reverting: "Reverting Resize or Migrate",
  resize_confirming: "Confirming Resize or Migrate",
  rebooting: "Rebooting",
  reboot_pending: "Reboot Pending",
  reboot_started: "Reboot Started",
  rebooting_hard: "Hard Rebooting",
  reboot_pending_hard: "Hard Reboot Pending",
  reboot_started_hard: "Hard Reboot Started",
  pausing: "Pausing",
  unpausing: "Resuming",
  suspending: "Suspending",
  resuming: "Resuming",
  "powering-off": "Powering Off",
  "powering-on": "Powering On",
  rescuing: "Rescuing",
  unrescuing: "Unrescuing",
  rebuilding: "Rebuilding",
  rebuild_block_device_mapping: "Rebuild Block Device Mapping",
  rebuild_spawning: "Rebuild Spawning",
  migrating: "Migrating",
  deleting: "Deleting",
  "soft-deleting": "Soft Deleting",
  restoring: "Restoring",
  shelving: "Shelving",
  shelving_image_pending_upload: "Shelving Image Pending Upload",
  shelving_image_uploading: "Shelving Image Uploading",
  shelving_offloading: "Shelving Offloading",
  unshelving: "Unshelving",
};
export function taskStateDisplay(t: string | null): string {
  if (t === null) return "None";
  return (TASK_DISPLAY as Record<string, string>)[t] ?? t;
}
