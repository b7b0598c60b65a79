// Task deadlines: which deadline a task state gets, what expiring it does and how it is explained,
// and the controller's STRATUS_TASK_DEADLINES override.
import { describe, expect, it } from "vitest";
import { computeRpcSchema } from "@/lib/agent-protocol";
import { toComputeRpc, type ComputeAction } from "@/server/conductor/lifecycle";
import { deadlineFor, DEFAULT_TASK_DEADLINES, expiryOutcome, FALLBACK_DEADLINE } from "@/server/conductor/task-deadlines";
import { instanceSpec } from "./agent/test-host";

describe("deadlineFor", () => {
  it("uses the defaults, a soft reboot getting Nova's 120 s wait on top", () => {
    expect(deadlineFor("scheduling", {})).toBe(300);
    expect(deadlineFor("spawning", {})).toBe(600);
    expect(deadlineFor("rebooting", {})).toBe(420);
    expect(deadlineFor("reboot_started_hard", {})).toBe(300);
    expect(deadlineFor("deleting", {})).toBe(300);
    expect(deadlineFor("resize_prep", {})).toBe(FALLBACK_DEADLINE);
  });

  it("lets an override win for its own task state only", () => {
    expect(deadlineFor("rebooting", { rebooting: 30 })).toBe(30);
    expect(deadlineFor("reboot_pending", { rebooting: 30 })).toBe(DEFAULT_TASK_DEADLINES.reboot_pending);
  });
});

describe("expiryOutcome", () => {
  it("returns a rolled-back task to its vm_state's status", () => {
    expect(expiryOutcome({ vmState: "active", taskState: "rebooting" }, 300)).toEqual({
      kind: "rollback",
      message: "Task rebooting exceeded its 300 s deadline; the instance was returned to ACTIVE",
    });
    expect(expiryOutcome({ vmState: "stopped", taskState: "powering-on" }, 300).message).toMatch(/returned to SHUTOFF$/);
  });

  it("sets a build to ERROR and drives a delete again", () => {
    expect(expiryOutcome({ vmState: "building", taskState: "spawning" }, 600)).toEqual({
      kind: "error",
      message: "Task spawning exceeded its 600 s deadline; the instance was set to ERROR",
    });
    expect(expiryOutcome({ vmState: "active", taskState: "deleting" }, 300).kind).toBe("delete");
  });
});

describe("toComputeRpc", () => {
  const base = {
    context: { requestId: "req-00000000-0000-4000-8000-000000000000", userId: "u", projectId: "p" },
    instance: instanceSpec({ vmState: "active", taskState: "rebooting", powerState: 1 }),
    image: { id: "img", name: "cirros", diskFormat: "raw", size: 1, checksum: null },
  };
  const actions: ComputeAction[] = [
    { method: "stop_instance" },
    { method: "start_instance" },
    { method: "reboot_instance", rebootType: "HARD" },
    { method: "pause_instance" },
    { method: "unpause_instance" },
    { method: "suspend_instance" },
    { method: "resume_instance" },
    { method: "rescue_instance", rescueImage: { ...base.image, id: "rescue" } },
    { method: "unrescue_instance" },
  ];
  it.each(actions.map((a) => [a.method, a] as const))("builds a valid %s", (_m, action) => {
    const rpc = toComputeRpc(action, base);
    expect(computeRpcSchema.parse(rpc)).toEqual(rpc);
    expect(rpc.method).toBe(action.method);
  });
});
