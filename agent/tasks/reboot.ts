// Reboot (Nova's reboot_instance + the libvirt driver's reboot). Soft: reboot_pending →
// reboot_started, an ACPI shutdown, a wait of up to wait_soft_reboot_seconds for the guest to go
// down, and a start; a guest that never goes down gets a hard reboot instead, still under the soft
// task states, and the fallback is recorded on the action event. Hard: reboot_pending_hard →
// reboot_started_hard, then the domain is destroyed and defined again from the database's view.
import type { RebootType } from "@/lib/agent-protocol";
import { POWER_STATE, type TaskState } from "@/lib/states";
import { softReboot } from "../driver/guest-power";
import { runInstanceTask, type ExpectedTaskStates } from "./instance-task";
import type { InstanceTaskArgs } from "./power";
import type { TaskRuntime } from "./task-runtime";

export const REBOOT_EVENT = "compute_reboot_instance";

/** nova/compute/task_states.py soft_reboot_states / hard_reboot_states. */
export const SOFT_REBOOT_STATES: readonly TaskState[] = ["rebooting", "reboot_pending", "reboot_started"];
export const HARD_REBOOT_STATES: readonly TaskState[] = ["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"];

export interface RebootArgs extends InstanceTaskArgs {
  rebootType: RebootType;
}

export function rebootInstance(rt: TaskRuntime, a: RebootArgs): Promise<void> {
  const soft = a.rebootType === "SOFT";
  const expected: ExpectedTaskStates = a.expected ?? (soft ? SOFT_REBOOT_STATES : HARD_REBOOT_STATES);
  const uuid = a.spec.uuid;
  return runInstanceTask(rt, {
    ...a,
    event: REBOOT_EVENT,
    title: soft ? "Rebooting instance" : "Hard rebooting instance",
    expected,
    async run(t) {
      const signal = t.signal ? { signal: t.signal } : {};
      if (soft) {
        await t.taskState("reboot_pending", "Reboot pending", 10);
        await t.taskState("reboot_started", "Asking the guest to shut down (ACPI)", 20);
        const state = await rt.hypervisor.domainState(uuid);
        let reason: string;
        if (state?.powerState === POWER_STATE.RUNNING) {
          const { softRebootWaitMs, pollIntervalMs, startTimeoutMs } = rt.timings;
          const outcome = await softReboot(rt.hypervisor, uuid, { waitMs: softRebootWaitMs, pollIntervalMs, startTimeoutMs, ...signal });
          if (outcome.rebooted) {
            t.log.info(
              outcome.how === "restarted"
                ? "Instance shutdown successfully and was started again."
                : "Instance may have been rebooted during soft reboot, so return now.",
            );
            t.log.info("Instance soft rebooted successfully.");
            return { vmState: "active" };
          }
          reason = outcome.reason;
        } else {
          reason = `the instance is not running (${state ? state.state : "no domain"})`;
        }
        t.log.warn(`Failed to soft reboot instance (${reason}). Trying hard reboot.`);
        t.note(`Soft reboot failed: ${reason}; fell back to a hard reboot.`);
        await t.step("Soft reboot failed; hard rebooting", 50);
      } else {
        await t.taskState("reboot_pending_hard", "Hard reboot pending", 10);
        await t.taskState("reboot_started_hard", "Re-creating the domain", 30);
      }
      await rt.recreateGuest(t.ctx, t.spec, a.image, { start: true, ...signal });
      t.log.info("Instance rebooted successfully.");
      return { vmState: "active" };
    },
    // Nova: a failed reboot leaves a running guest ACTIVE (with a fault), anything else ERROR.
    vmStateOnError: (power) => (power === POWER_STATE.RUNNING ? "active" : "error"),
  });
}
