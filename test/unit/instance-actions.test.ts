import { describe, expect, it } from "vitest";
import { ACTION_RULES, checkAction, type InstanceActionName } from "@/lib/instance-actions";

const uuid = "0f7c3b1e-5d2a-4c6b-9e8f-1a2b3c4d5e6f";
function inst(vmState: string, taskState: string | null = null, over: { locked?: boolean; launchedAt?: string | null } = {}) {
  return { uuid, vmState, taskState, locked: false, launchedAt: "2026-11-26T00:00:00Z", ...over };
}
const member = { isAdmin: false };
const admin = { isAdmin: true };

describe("checkAction (Nova 26 check_instance_state)", () => {
  it.each<[InstanceActionName, string, string | null, boolean]>([
    ["reboot", "active", null, true],
    ["reboot", "stopped", null, false],
    ["reboot", "active", "rebooting", false],
    ["reboot_hard", "stopped", null, true],
    ["reboot_hard", "error", null, true],
    ["reboot_hard", "active", "reboot_started", true],
    ["reboot_hard", "active", "powering-off", false],
    ["reboot_hard", "rescued", null, false],
    ["stop", "active", null, true],
    ["stop", "error", null, true],
    ["stop", "paused", null, false],
    ["start", "stopped", null, true],
    ["start", "active", null, false],
    ["pause", "active", null, true],
    ["unpause", "paused", null, true],
    ["suspend", "active", null, true],
    ["resume", "suspended", null, true],
    ["resume", "paused", null, false],
    ["rescue", "stopped", null, true],
    ["rescue", "paused", null, false],
    ["unrescue", "rescued", null, true],
    ["resize", "stopped", null, true],
    ["confirm_resize", "resized", null, true],
    ["revert_resize", "active", null, false],
    ["delete", "building", "scheduling", true],
    ["delete", "error", "deleting", true],
  ])("%s on %s/%s → %s", (action, vm, task, allowed) => {
    expect(checkAction(action, inst(vm, task), admin).allowed).toBe(allowed);
  });

  it("words a refusal like Nova's HTTP 409", () => {
    expect(checkAction("reboot", inst("stopped"), member)).toEqual({
      allowed: false,
      code: "CONFLICT",
      reason: `Cannot 'reboot' instance ${uuid} while it is in vm_state stopped`,
    });
    expect(checkAction("pause", inst("active", "rebooting"), member)).toMatchObject({
      reason: `Cannot 'pause' instance ${uuid} while it is in task_state rebooting`,
    });
  });

  it("refuses members on a locked instance but lets admins through", () => {
    const locked = inst("active", null, { locked: true });
    expect(checkAction("stop", locked, member)).toMatchObject({ allowed: false, reason: `Instance ${uuid} is locked` });
    expect(checkAction("stop", locked, admin).allowed).toBe(true);
    expect(checkAction("unlock", locked, member).allowed).toBe(true);
  });

  it("keeps admin-only actions from members", () => {
    expect(checkAction("live_migrate", inst("active"), member)).toMatchObject({ allowed: false, code: "FORBIDDEN" });
    expect(checkAction("reset_state", inst("error"), admin).allowed).toBe(true);
  });

  it("requires an instance that has launched, except for delete", () => {
    expect(checkAction("stop", inst("active", null, { launchedAt: null }), admin).allowed).toBe(false);
    expect(checkAction("delete", inst("building", "spawning", { launchedAt: null }), member).allowed).toBe(true);
  });

  it("names the task state each action sets", () => {
    expect(ACTION_RULES.reboot.setsTaskState).toBe("rebooting");
    expect(ACTION_RULES.reboot_hard.setsTaskState).toBe("rebooting_hard");
    expect(ACTION_RULES.stop.setsTaskState).toBe("powering-off");
    expect(ACTION_RULES.live_migrate.record).toBe("live-migration");
  });
});
