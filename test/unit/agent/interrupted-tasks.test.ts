// Nova's _init_instance rules for a task an agent restart interrupted, one case per task state.
import { describe, expect, it } from "vitest";
import type { InstanceSpec } from "@/lib/agent-protocol";
import { domainStateFromCodes } from "../../../agent/driver/domain-state";
import { resolveInterruptedTask, type ObservedDomain } from "../../../agent/interrupted-tasks";

const running: ObservedDomain = { state: domainStateFromCodes(1, 1), rescue: false };
const paused: ObservedDomain = { state: domainStateFromCodes(3, 1), rescue: false };
const shutoff: ObservedDomain = { state: domainStateFromCodes(5, 1), rescue: false };
const saved: ObservedDomain = { state: domainStateFromCodes(5, 5), rescue: false };
const rescueRunning: ObservedDomain = { ...running, rescue: true };

function kind(vmState: InstanceSpec["vmState"], taskState: InstanceSpec["taskState"], domain: ObservedDomain | null) {
  const r = resolveInterruptedTask({ vmState, taskState }, domain);
  if (r.kind === "reboot") return `reboot ${r.rebootType}`;
  if (r.kind === "clear") return `clear ${r.vmState}`;
  return r.kind;
}

describe("resolveInterruptedTask", () => {
  it.each([
    // reboots: pending retried; soft of a non-running guest becomes hard; started + running cleared
    ["active", "rebooting", running, "reboot SOFT"],
    ["active", "reboot_pending", running, "reboot SOFT"],
    ["active", "reboot_pending", shutoff, "reboot HARD"],
    ["active", "reboot_pending", null, "reboot HARD"],
    ["stopped", "reboot_pending_hard", shutoff, "reboot HARD"],
    ["active", "rebooting_hard", running, "reboot HARD"],
    ["active", "reboot_started", running, "clear active"],
    ["active", "reboot_started_hard", running, "clear active"],
    ["active", "reboot_started", shutoff, "reboot HARD"],
    ["active", "reboot_started", null, "reboot HARD"],
    ["rescued", "reboot_started", null, "clear rescued"],
    // power
    ["active", "powering-off", running, "stop"],
    ["stopped", "powering-on", shutoff, "start"],
    // pause
    ["active", "pausing", paused, "clear paused"],
    ["active", "pausing", running, "clear active"],
    ["paused", "unpausing", paused, "unpause"],
    ["paused", "unpausing", running, "clear active"],
    ["paused", "unpausing", null, "clear active"],
    // suspend
    ["active", "suspending", saved, "clear suspended"],
    ["active", "suspending", running, "clear active"],
    ["active", "suspending", null, "clear active"],
    ["suspended", "resuming", running, "clear active"],
    ["suspended", "resuming", saved, "resume"],
    ["suspended", "resuming", null, "resume"],
    // rescue
    ["active", "rescuing", rescueRunning, "clear rescued"],
    ["stopped", "rescuing", shutoff, "clear stopped"],
    ["active", "rescuing", null, "clear active"],
    ["rescued", "unrescuing", rescueRunning, "unrescue"],
    ["rescued", "unrescuing", running, "unrescue"],
    // a cold migration cut short on its source: the guest runs again as its vm_state says
    ["active", "resize_prep", running, "clear active"],
    ["active", "resize_migrating", shutoff, "start"],
    ["active", "resize_migrating", null, "start"],
    ["active", "resize_migrated", shutoff, "start"],
    ["active", "resize_migrating", running, "clear active"],
    ["stopped", "resize_migrating", shutoff, "clear stopped"],
    // not ours to resolve
    ["active", null, running, "none"],
    ["active", "migrating", running, "none"],
  ] as const)("%s/%s with domain %o → %s", (vmState, taskState, domain, expected) => {
    expect(kind(vmState, taskState, domain)).toBe(expected);
  });

  it("explains what it saw", () => {
    const r = resolveInterruptedTask({ vmState: "active", taskState: "reboot_started" }, null);
    expect(r).toMatchObject({ kind: "reboot", rebootType: "HARD", why: expect.stringMatching(/cut short \(the domain is missing\)/) });
  });
});
