// The power-state sync's reports: a crash is flagged for a fault, and a lifecycle event arriving
// during a pass gets a pass of its own.
import { describe, expect, it } from "vitest";
import { domainStateFromCodes } from "../../../agent/driver/domain-state";
import type { DomainInfo, Hypervisor } from "../../../agent/driver/hypervisor";
import { PowerSync } from "../../../agent/power-sync";
import { FakeController } from "./fake-controller";

const uuid = "00000000-0000-4000-8000-0000000000aa";

function hypervisorWith(domains: () => DomainInfo[], onList?: () => Promise<void>) {
  let lists = 0;
  const hv = {
    listDomains: async () => {
      lists++;
      await onList?.();
      return domains();
    },
  } as unknown as Hypervisor;
  return { hv, lists: () => lists };
}

describe("PowerSync", () => {
  it("flags a guest that crashed (libvirt 'shut off (crashed)') so the controller records a fault", async () => {
    const controller = new FakeController();
    const { hv } = hypervisorWith(() => [{ uuid, name: "instance-0", ...domainStateFromCodes(5, 3) }]);
    const sync = new PowerSync({ hypervisor: hv, reporter: controller, isBusy: () => false, intervalMs: 60_000 });
    sync.resetTo([{ uuid, powerState: 1 }]);
    await sync.syncNow();
    expect(controller.powerReports).toEqual([{ uuid, powerState: 4, reason: "hypervisor reports the domain shut off (crashed)", crashed: true }]);
  });

  it("runs another pass when an event arrives during one", async () => {
    const controller = new FakeController();
    let state = domainStateFromCodes(1, 1);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const { hv, lists } = hypervisorWith(
      () => [{ uuid, name: "instance-0", ...state }],
      async () => {
        if (first) {
          first = false;
          await gate;
        }
      },
    );
    const sync = new PowerSync({ hypervisor: hv, reporter: controller, isBusy: () => false, intervalMs: 60_000 });
    sync.resetTo([{ uuid, powerState: 1 }]);
    const pass = sync.syncNow();
    state = domainStateFromCodes(5, 1); // the guest shuts down while the first pass reads
    sync.syncSoon();
    release();
    await pass;
    await new Promise((r) => setTimeout(r, 20));
    expect(lists()).toBe(2);
    expect(controller.powerReports.map((r) => r.powerState)).toEqual([4]);
  });
});
