// libvirt's numeric domain states and reasons (virDomainState, virDomain*Reason), and their
// mapping to Nova power states as nova/virt/libvirt/driver.py's LIBVIRT_POWER_STATE does it.
import { POWER_STATE, type PowerState } from "@/lib/states";
import type { DomainState, LibvirtState } from "./hypervisor";

const STATES: readonly LibvirtState[] = [
  "nostate",
  "running",
  "blocked",
  "paused",
  "shutdown",
  "shutoff",
  "crashed",
  "pmsuspended",
];

/** Reason names per state, indexed by libvirt's reason code. */
const REASONS: Record<LibvirtState, readonly string[]> = {
  nostate: ["unknown"],
  running: [
    "unknown",
    "booted",
    "migrated",
    "restored",
    "from snapshot",
    "unpaused",
    "migration canceled",
    "save canceled",
    "event wakeup",
    "crashed",
    "post-copy",
    "post-copy failed",
  ],
  blocked: ["unknown"],
  paused: [
    "unknown",
    "user",
    "migrating",
    "saving",
    "dumping",
    "I/O error",
    "watchdog",
    "from snapshot",
    "shutting down",
    "creating snapshot",
    "crashed",
    "starting up",
    "post-copy",
    "post-copy failed",
    "api error",
  ],
  shutdown: ["unknown", "user"],
  shutoff: ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot", "daemon"],
  crashed: ["unknown", "panicked"],
  pmsuspended: ["unknown"],
};

/**
 * Nova's mapping. "blocked" is a running guest waiting on a resource; "shutdown" (being shut
 * down) and "shutoff" are both SHUTDOWN, a managed-saved guest included ("shut off (saved)").
 */
const POWER: Record<LibvirtState, PowerState> = {
  nostate: POWER_STATE.NOSTATE,
  running: POWER_STATE.RUNNING,
  blocked: POWER_STATE.RUNNING,
  paused: POWER_STATE.PAUSED,
  shutdown: POWER_STATE.SHUTDOWN,
  shutoff: POWER_STATE.SHUTDOWN,
  crashed: POWER_STATE.CRASHED,
  pmsuspended: POWER_STATE.SUSPENDED,
};

export function novaPowerState(state: LibvirtState): PowerState {
  return POWER[state];
}

/** Builds a DomainState from `domstats --state` codes; unknown codes read as nostate/unknown. */
export function domainStateFromCodes(stateCode: number, reasonCode: number): DomainState {
  const state = STATES[stateCode] ?? "nostate";
  const reason = REASONS[state][reasonCode] ?? "unknown";
  return { state, reason, powerState: novaPowerState(state) };
}

/** virsh's wording, e.g. "shut off (destroyed)", for logs and power reports. */
export function describeDomainState(s: Pick<DomainState, "state" | "reason">): string {
  const words: Record<LibvirtState, string> = {
    nostate: "no state",
    running: "running",
    blocked: "idle",
    paused: "paused",
    shutdown: "in shutdown",
    shutoff: "shut off",
    crashed: "crashed",
    pmsuspended: "pmsuspended",
  };
  return `${words[s.state]} (${s.reason})`;
}
