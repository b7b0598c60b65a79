// What to do, when the agent starts, with an instance whose task an agent restart interrupted
// (Nova's _init_instance): retry the operation, or clear the task with the vm_state the domain
// shows. Pure, so every rule is tested on its own; reconcile.ts applies the answer.
import type { InstanceSpec, RebootType } from "@/lib/agent-protocol";
import { POWER_STATE, type VmState } from "@/lib/states";
import type { DomainState } from "./driver/hypervisor";

export type Resolution =
  | { kind: "reboot"; rebootType: RebootType; why: string }
  | { kind: "stop" | "start" | "unpause" | "resume" | "unrescue"; why: string }
  | { kind: "clear"; vmState: VmState; why: string }
  /** Not a task this module resolves (no task, a build, a delete, or one Stratus does not run yet). */
  | { kind: "none" };

export interface ObservedDomain {
  state: DomainState;
  /** The domain is a rescue domain (only looked at for rescuing/unrescuing). */
  rescue: boolean;
}

/** vm_states.ALLOW_HARD_REBOOT */
const ALLOW_HARD_REBOOT: readonly VmState[] = ["active", "stopped", "paused", "suspended", "error"];

export function resolveInterruptedTask(spec: Pick<InstanceSpec, "vmState" | "taskState">, domain: ObservedDomain | null): Resolution {
  const running = domain?.state.powerState === POWER_STATE.RUNNING;
  const paused = domain?.state.powerState === POWER_STATE.PAUSED;
  const seen = domain ? `the domain is ${domain.state.state} (${domain.state.reason})` : "the domain is missing";
  const hardOrClear = (why: string): Resolution =>
    ALLOW_HARD_REBOOT.includes(spec.vmState)
      ? { kind: "reboot", rebootType: "HARD", why }
      : { kind: "clear", vmState: spec.vmState, why: `${why}, but vm_state ${spec.vmState} allows no reboot` };

  switch (spec.taskState) {
    // The API's state (the RPC died with the agent) and the pending one: reboot again. A soft
    // reboot of a guest that is not running becomes hard (nova get_reboot_type).
    case "rebooting":
    case "reboot_pending":
      return spec.vmState === "active" && running
        ? { kind: "reboot", rebootType: "SOFT", why: `retrying the soft reboot (${seen})` }
        : hardOrClear(`a soft reboot cannot finish (${seen}): hard rebooting`);
    case "rebooting_hard":
    case "reboot_pending_hard":
      return hardOrClear(`retrying the hard reboot (${seen})`);
    case "reboot_started":
    case "reboot_started_hard":
      return running
        ? { kind: "clear", vmState: "active", why: `the reboot got the guest running (${seen})` }
        : hardOrClear(`the reboot was cut short (${seen}): hard rebooting`);
    case "powering-off":
      return { kind: "stop", why: `retrying the stop request (${seen})` };
    case "powering-on":
      return { kind: "start", why: `retrying the start request (${seen})` };
    case "pausing":
      if (paused) return { kind: "clear", vmState: "paused", why: seen };
      return { kind: "clear", vmState: "active", why: `the pause did not happen (${seen})` };
    case "unpausing":
      if (paused) return { kind: "unpause", why: `unpausing again (${seen})` };
      return { kind: "clear", vmState: "active", why: seen };
    case "suspending":
      if (domain?.state.state === "shutoff" && domain.state.reason === "saved") return { kind: "clear", vmState: "suspended", why: seen };
      return { kind: "clear", vmState: "active", why: `the suspend did not happen (${seen})` };
    case "resuming":
      if (running) return { kind: "clear", vmState: "active", why: seen };
      return { kind: "resume", why: `resuming again (${seen})` };
    case "rescuing":
      if (domain?.rescue) return { kind: "clear", vmState: "rescued", why: `the rescue domain is defined (${seen})` };
      return { kind: "clear", vmState: spec.vmState, why: `the rescue never replaced the domain (${seen})` };
    case "unrescuing":
      // Unrescue is idempotent: it restores the saved definition (or the instance's) and starts it.
      return { kind: "unrescue", why: `finishing the unrescue (${seen})` };
    // A cold migration cut short on the host the instance is still placed on, its source: the
    // conductor fails the move, and the guest runs again as its vm_state says (Nova rolls
    // resize_migrating back with finish_revert_migration and clears resize_prep).
    case "resize_prep":
      return { kind: "clear", vmState: spec.vmState, why: `the move had not started here (${seen})` };
    case "resize_migrating":
    case "resize_migrated":
      if (spec.vmState === "active" && !running) return { kind: "start", why: `the move was cut short with the guest powered off (${seen}): powering it on again` };
      return { kind: "clear", vmState: spec.vmState, why: `the move was cut short (${seen})` };
    default:
      return { kind: "none" };
  }
}
