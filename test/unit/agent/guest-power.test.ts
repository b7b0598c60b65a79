// The driver-level power routines against a scripted hypervisor: what a guest that honours, ignores
// or reboots itself on an ACPI request does to power off and soft reboot.
import { describe, expect, it } from "vitest";
import { POWER_STATE } from "@/lib/states";
import { domainStateFromCodes } from "../../../agent/driver/domain-state";
import { powerOff, sleep, softReboot, TaskAborted } from "../../../agent/driver/guest-power";
import type { DomainState, Hypervisor } from "../../../agent/driver/hypervisor";

/** A one-domain hypervisor whose guest reacts to ACPI as `behaviour` says. */
function scripted(behaviour: "honours" | "ignores" | "reboots-itself") {
  let state: DomainState = domainStateFromCodes(1, 1);
  let id = 1;
  const calls: string[] = [];
  const hv = {
    domainState: async () => state,
    domainId: async () => (state.powerState === POWER_STATE.RUNNING ? id : null),
    shutdown: async () => {
      calls.push("shutdown");
      if (behaviour === "honours") state = domainStateFromCodes(5, 1);
      if (behaviour === "reboots-itself") id++;
    },
    destroy: async () => {
      calls.push("destroy");
      state = domainStateFromCodes(5, 2);
    },
    start: async () => {
      calls.push("start");
      state = domainStateFromCodes(1, 1);
      id++;
    },
  } as unknown as Hypervisor;
  return { hv, calls, state: () => state };
}

const uuid = "00000000-0000-4000-8000-000000000001";

describe("powerOff", () => {
  it("returns as soon as the guest honours the ACPI request", async () => {
    const g = scripted("honours");
    expect(await powerOff(g.hv, uuid, { timeoutMs: 1000, retryIntervalMs: 100, pollIntervalMs: 10 })).toMatchObject({ how: "clean" });
    expect(g.calls).toEqual(["shutdown"]);
  });

  it("re-sends the request, then destroys a guest that ignores it", async () => {
    const g = scripted("ignores");
    const outcome = await powerOff(g.hv, uuid, { timeoutMs: 300, retryIntervalMs: 100, pollIntervalMs: 20 });
    expect(outcome).toMatchObject({ how: "destroyed" });
    expect(g.calls.filter((c) => c === "shutdown").length).toBeGreaterThanOrEqual(2);
    expect(g.calls.at(-1)).toBe("destroy");
  });

  it("does nothing to a guest that is already off", async () => {
    const g = scripted("honours");
    await g.hv.destroy(uuid);
    expect(await powerOff(g.hv, uuid, { timeoutMs: 300, retryIntervalMs: 100, pollIntervalMs: 20 })).toEqual({ how: "already-off" });
  });
});

describe("softReboot", () => {
  const o = { waitMs: 300, pollIntervalMs: 20, startTimeoutMs: 1000 };

  it("starts a guest that went down", async () => {
    const g = scripted("honours");
    expect(await softReboot(g.hv, uuid, o)).toMatchObject({ rebooted: true, how: "restarted" });
    expect(g.calls).toEqual(["shutdown", "start"]);
  });

  it("counts a guest that rebooted itself (new domain id, still running)", async () => {
    const g = scripted("reboots-itself");
    expect(await softReboot(g.hv, uuid, o)).toMatchObject({ rebooted: true, how: "guest-rebooted" });
  });

  it("gives up after the wait so the caller can hard reboot", async () => {
    const g = scripted("ignores");
    expect(await softReboot(g.hv, uuid, o)).toEqual({ rebooted: false, reason: "the guest did not shut down within 0 s" });
    expect(g.state().powerState).toBe(POWER_STATE.RUNNING);
  });

  it("stops waiting when the task is aborted", async () => {
    const g = scripted("ignores");
    const abort = new AbortController();
    setTimeout(() => abort.abort("the instance is being deleted"), 50);
    await expect(softReboot(g.hv, uuid, { ...o, waitMs: 10_000, signal: abort.signal })).rejects.toBeInstanceOf(TaskAborted);
  });
});

describe("sleep", () => {
  it("rejects at once for an aborted signal", async () => {
    await expect(sleep(1000, AbortSignal.abort("x"))).rejects.toThrow(TaskAborted);
  });
});
