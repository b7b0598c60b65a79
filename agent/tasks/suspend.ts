// Suspend and resume (Nova's suspend_instance / resume_instance): the guest's memory is saved to
// disk by libvirt (managedsave) and the domain stops; resume starts it, which restores that state.
// On libvirt's test driver `virsh managedsave` sometimes never returns (virsh misses the end of
// its own job): the driver bounds the call, the connection is reset, and the task frame re-creates
// the lost domain and records why — the instance ends ACTIVE with an explained fault, never stuck.
import { waitForRunning } from "../driver/guest-power";
import { runInstanceTask } from "./instance-task";
import type { InstanceTaskArgs } from "./power";
import type { TaskRuntime } from "./task-runtime";

export const SUSPEND_EVENT = "compute_suspend_instance";
export const RESUME_EVENT = "compute_resume_instance";

export function suspendInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  return runInstanceTask(rt, {
    ...a,
    event: SUSPEND_EVENT,
    title: "Suspending instance",
    expected: a.expected ?? ["suspending"],
    async run(t) {
      await t.step("Saving the guest's memory to disk (managed save)", 30);
      await rt.hypervisor.managedSave(t.uuid);
      return { vmState: "suspended" };
    },
  });
}

export function resumeInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  return runInstanceTask(rt, {
    ...a,
    event: RESUME_EVENT,
    title: "Resuming instance",
    expected: a.expected ?? ["resuming"],
    async run(t) {
      const signal = t.signal ? { signal: t.signal } : {};
      await t.step("Restoring the guest from its saved state", 30);
      const state = await rt.hypervisor.domainState(t.uuid);
      if (!state) {
        t.log.warn("The domain is missing from the hypervisor, and its saved state with it; booting the instance afresh");
        t.note("The domain and its saved memory state were lost; the instance was booted afresh.");
        await rt.recreateGuest(t.ctx, t.spec, a.image, { start: true, ...signal });
        return { vmState: "active" };
      }
      if (state.state === "paused") await rt.hypervisor.resume(t.uuid);
      else if (state.state !== "running") await rt.hypervisor.start(t.uuid);
      await waitForRunning(rt.hypervisor, t.uuid, rt.timings.startTimeoutMs, { pollIntervalMs: 500, ...signal });
      return { vmState: "active" };
    },
  });
}
