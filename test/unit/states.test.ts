import { describe, expect, it } from "vitest";
import { powerStateDisplay, statusDisplay, statusFromState, taskStateDisplay, TASK_STATES } from "@/lib/states";

describe("statusFromState (nova.api.openstack.common._STATE_MAP)", () => {
  it.each([
    ["active", null, "ACTIVE"],
    ["active", "rebooting", "REBOOT"],
    ["active", "reboot_pending", "REBOOT"],
    ["active", "reboot_started", "REBOOT"],
    ["active", "rebooting_hard", "HARD_REBOOT"],
    ["active", "reboot_started_hard", "HARD_REBOOT"],
    ["active", "updating_password", "PASSWORD"],
    ["active", "rebuild_spawning", "REBUILD"],
    ["active", "migrating", "MIGRATING"],
    ["active", "resize_prep", "RESIZE"],
    ["active", "resize_finish", "RESIZE"],
    ["active", "deleting", "ACTIVE"],
    ["building", "scheduling", "BUILD"],
    ["building", "spawning", "BUILD"],
    ["stopped", null, "SHUTOFF"],
    ["stopped", "resize_migrating", "RESIZE"],
    ["stopped", "rebuilding", "REBUILD"],
    ["resized", null, "VERIFY_RESIZE"],
    ["resized", "resize_reverting", "REVERT_RESIZE"],
    ["resized", "resize_confirming", "VERIFY_RESIZE"],
    ["paused", null, "PAUSED"],
    ["paused", "migrating", "MIGRATING"],
    ["suspended", null, "SUSPENDED"],
    ["rescued", null, "RESCUE"],
    ["error", null, "ERROR"],
    ["error", "rebuilding", "REBUILD"],
    ["error", "deleting", "ERROR"],
    ["deleted", null, "DELETED"],
    ["soft-delete", null, "SOFT_DELETED"],
    ["shelved", null, "SHELVED"],
    ["shelved_offloaded", null, "SHELVED_OFFLOADED"],
    ["no-such-state", null, "UNKNOWN"],
  ] as const)("%s / %s → %s", (vm, task, status) => {
    expect(statusFromState(vm, task)).toBe(status);
  });
});

describe("display names (Horizon)", () => {
  it("names statuses as Horizon does", () => {
    expect(statusDisplay("ACTIVE")).toBe("Active");
    expect(statusDisplay("SHUTOFF")).toBe("Shutoff");
    expect(statusDisplay("RESIZE")).toBe("Resize/Migrate");
    expect(statusDisplay("VERIFY_RESIZE")).toBe("Confirm or Revert Resize/Migrate");
  });

  it("shows an empty task as None and keeps Horizon's quirks", () => {
    expect(taskStateDisplay(null)).toBe("None");
    expect(taskStateDisplay("unpausing")).toBe("Resuming");
    expect(taskStateDisplay("image_snapshot")).toBe("Snapshotting");
    expect(taskStateDisplay("powering-off")).toBe("Powering Off");
  });

  it("has a display name for every one of Nova's 42 task states", () => {
    expect(TASK_STATES).toHaveLength(42);
    for (const t of TASK_STATES) expect(taskStateDisplay(t)).not.toBe(t);
  });

  it("maps power states by their frozen indexes", () => {
    expect(powerStateDisplay(0)).toBe("No State");
    expect(powerStateDisplay(1)).toBe("Running");
    expect(powerStateDisplay(3)).toBe("Paused");
    expect(powerStateDisplay(4)).toBe("Shut Down");
    expect(powerStateDisplay(6)).toBe("Crashed");
    expect(powerStateDisplay(7)).toBe("Suspended");
    expect(powerStateDisplay(42)).toBe("No State");
  });
});
