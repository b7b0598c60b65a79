// Pause and unpause (Nova's pause_instance / unpause_instance): the guest's vCPUs stop and resume
// in memory (virsh suspend / resume).
import { runInstanceTask } from "./instance-task";
import type { InstanceTaskArgs } from "./power";
import type { TaskRuntime } from "./task-runtime";

export const PAUSE_EVENT = "compute_pause_instance";
export const UNPAUSE_EVENT = "compute_unpause_instance";

export function pauseInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  return runInstanceTask(rt, {
    ...a,
    event: PAUSE_EVENT,
    title: "Pausing instance",
    expected: a.expected ?? ["pausing"],
    async run(t) {
      await t.step("Pausing the guest", 50);
      await rt.hypervisor.suspend(t.uuid);
      return { vmState: "paused" };
    },
  });
}

export function unpauseInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  return runInstanceTask(rt, {
    ...a,
    event: UNPAUSE_EVENT,
    title: "Unpausing instance",
    expected: a.expected ?? ["unpausing"],
    async run(t) {
      await t.step("Resuming the guest's vCPUs", 50);
      await rt.hypervisor.resume(t.uuid);
      return { vmState: "active" };
    },
  });
}
