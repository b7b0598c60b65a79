// Stop and start (Nova's stop_instance / start_instance). Stop is the libvirt driver's power_off:
// an ACPI shutdown, re-sent while waiting up to shutdown_timeout, then destroy. Start is power_on,
// which Nova implements as a hard reboot: the domain is defined again from the database's view
// (re-created if the host lost it) and started.
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { POWER_STATE } from "@/lib/states";
import { powerOff } from "../driver/guest-power";
import { runInstanceTask, type ExpectedTaskStates } from "./instance-task";
import type { TaskRuntime } from "./task-runtime";

export const STOP_EVENT = "compute_stop_instance";
export const START_EVENT = "compute_start_instance";

export interface InstanceTaskArgs {
  ctx: RequestContext;
  spec: InstanceSpec;
  image: ImageRef | null;
  /** Task states the instance may be in; default the one the API sets for this action. */
  expected?: ExpectedTaskStates;
  signal?: AbortSignal;
}

export function stopInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  const uuid = a.spec.uuid;
  return runInstanceTask(rt, {
    ...a,
    event: STOP_EVENT,
    title: "Stopping instance",
    expected: a.expected ?? ["powering-off"],
    async run(t) {
      await t.step("Shutting down the guest (ACPI power button)", 10);
      if (!(await rt.hypervisor.domainState(uuid))) {
        t.log.warn("The instance has no domain on the hypervisor: it is already off");
        t.note("The domain was missing from the hypervisor; nothing to power off.");
        return { vmState: "stopped", powerState: POWER_STATE.NOSTATE };
      }
      const { shutdownTimeoutMs, shutdownRetryIntervalMs, pollIntervalMs } = rt.timings;
      const outcome = await powerOff(rt.hypervisor, uuid, {
        timeoutMs: shutdownTimeoutMs,
        retryIntervalMs: shutdownRetryIntervalMs,
        pollIntervalMs,
        ...(t.signal ? { signal: t.signal } : {}),
      });
      if (outcome.how === "already-off") {
        t.note("The guest was already off.");
      } else if (outcome.how === "clean") {
        t.log.info(`Instance shutdown successfully after ${Math.round(outcome.afterMs / 1000)} seconds.`);
      } else {
        t.log.info(`Instance failed to shutdown in ${Math.round(shutdownTimeoutMs / 1000)} seconds; it was powered off.`);
        t.note(`The guest ignored the ACPI shutdown for ${Math.round(shutdownTimeoutMs / 1000)} s and was powered off.`);
      }
      return { vmState: "stopped" };
    },
  });
}

export function startInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  return runInstanceTask(rt, {
    ...a,
    event: START_EVENT,
    title: "Starting instance",
    expected: a.expected ?? ["powering-on"],
    async run(t) {
      await t.step("Defining the domain from the instance's definition", 20);
      await rt.recreateGuest(t.ctx, t.spec, a.image, { start: true, ...(t.signal ? { signal: t.signal } : {}) });
      return { vmState: "active" };
    },
  });
}
