import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POWER_STATE } from "@/lib/states";
import { buildDomainXml, domainName } from "../../../agent/driver/domain-xml";
import { HypervisorError } from "../../../agent/driver/hypervisor";
import { LibvirtHypervisor } from "../../../agent/driver/libvirt-hypervisor";
import { instanceSpec, makeTestHost, type TestHost } from "./test-host";

let host: TestHost;
let hv: LibvirtHypervisor;

beforeEach(() => {
  host = makeTestHost(12, 24576);
  hv = new LibvirtHypervisor({ uri: host.uri, timeoutMs: 5000 });
});
afterEach(async () => {
  await hv.close();
  host.cleanup();
});

async function defineInstance(name = "vm-1") {
  const spec = instanceSpec({ name });
  await hv.define(buildDomainXml(spec, { domainType: "test" }));
  return spec;
}

describe("LibvirtHypervisor on test:///<node.xml>", () => {
  it("reads the simulated host from nodeinfo, version and capabilities", async () => {
    expect(await hv.nodeInfo()).toEqual({
      cpuModel: "x86_64",
      cpus: 12,
      mhz: 2400,
      sockets: 1,
      coresPerSocket: 12,
      threadsPerCore: 1,
      numaCells: 1,
      memoryKib: 24576 * 1024,
    });
    expect(await hv.version()).toEqual({ type: "TEST", version: 2, text: "0.0.2" });
    const caps = await hv.capabilities();
    expect(caps.domainTypes).toEqual(["test"]);
    expect(caps.arch).toBe("i686");
    expect((await hv.hostname()).length).toBeGreaterThan(0);
  });

  it("starts empty, then defines, starts, lists, destroys and undefines a domain", async () => {
    expect(await hv.listDomains()).toEqual([]);
    const spec = await defineInstance();
    expect(await hv.listDomains()).toEqual([
      { uuid: spec.uuid, name: domainName(spec.uuid), state: "shutoff", reason: "unknown", powerState: POWER_STATE.SHUTDOWN },
    ]);
    await hv.start(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toEqual({ state: "running", reason: "booted", powerState: POWER_STATE.RUNNING });
    await hv.destroy(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toEqual({
      state: "shutoff",
      reason: "destroyed",
      powerState: POWER_STATE.SHUTDOWN,
    });
    await hv.undefine(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toBeNull();
    expect(await hv.listDomains()).toEqual([]);
  });

  it("maps pause and shutdown as Nova's libvirt driver does", async () => {
    const spec = await defineInstance();
    await hv.start(spec.uuid);
    await hv.suspend(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "paused", reason: "user", powerState: POWER_STATE.PAUSED });
    await hv.resume(spec.uuid);
    await hv.reboot(spec.uuid);
    await hv.reset(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ powerState: POWER_STATE.RUNNING });
    await hv.shutdown(spec.uuid);
    expect(await hv.domainState(spec.uuid)).toMatchObject({ reason: "shutdown", powerState: POWER_STATE.SHUTDOWN });
  });

  it("maps a managed save to SHUTDOWN and undefines it with its image", async () => {
    // virsh sometimes misses the end of this job on the test driver (see jobTimeoutMs): the call
    // then times out quickly, the connection (and the domain) is gone, and we try again.
    let saved: Awaited<ReturnType<typeof defineInstance>> | null = null;
    for (let attempt = 0; attempt < 3 && !saved; attempt++) {
      const spec = await defineInstance();
      await hv.start(spec.uuid);
      try {
        await hv.managedSave(spec.uuid);
        saved = spec;
      } catch (e) {
        expect(e).toMatchObject({ code: "timeout" });
      }
    }
    expect(saved).not.toBeNull();
    expect(await hv.domainState(saved!.uuid)).toMatchObject({ state: "shutoff", reason: "saved", powerState: POWER_STATE.SHUTDOWN });
    // undefine takes the managed-save image with it (the test driver refuses --nvram: fallback)
    await hv.undefine(saved!.uuid);
    expect(await hv.domainState(saved!.uuid)).toBeNull();
  });

  it("lists several domains with names containing spaces and quotes", async () => {
    const a = instanceSpec();
    const b = instanceSpec();
    await hv.define(buildDomainXml(a, { domainType: "test" }).replace(/<name>[^<]*<\/name>/, "<name>it's a vm</name>"));
    await hv.define(buildDomainXml(b, { domainType: "test" }));
    await hv.start(b.uuid);
    const list = await hv.listDomains();
    expect(list.find((d) => d.uuid === a.uuid)).toMatchObject({ name: "it's a vm", state: "shutoff" });
    expect(list.find((d) => d.uuid === b.uuid)).toMatchObject({ state: "running", powerState: POWER_STATE.RUNNING });
  });

  it("rejects with libvirt's message and a code callers can act on", async () => {
    const spec = await defineInstance();
    const notRunning = await hv.destroy(spec.uuid).catch((e: unknown) => e);
    expect(notRunning).toBeInstanceOf(HypervisorError);
    expect(notRunning).toMatchObject({ code: "not-running" });
    expect((notRunning as Error).message).toMatch(/Requested operation is not valid: domain is not running/);

    const missing = await hv.start("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "no-domain" });

    await hv.start(spec.uuid);
    await expect(hv.start(spec.uuid)).rejects.toMatchObject({ code: "already-running" });

    const invalid = await hv.define("<domain type='test'><name>x</name></domain").catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: "failed" });
  });

  it("returns the domain XML it stored, metadata included", async () => {
    const spec = await defineInstance("db <primary> & 'friends'");
    const xml = await hv.getXml(spec.uuid);
    expect(xml).toContain(`<uuid>${spec.uuid}</uuid>`);
    expect(xml).toContain("db &lt;primary&gt; &amp; 'friends'");
  });

  it("times out a hung call, reports a reset with state lost, and works again", async () => {
    await defineInstance();
    const resets: { reason: string; stateLost: boolean }[] = [];
    hv.onReset((r) => resets.push(r));
    const err = await hv.virsh(["event", "--all", "--loop"], 300).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "timeout" });
    expect(resets).toEqual([{ reason: expect.stringMatching(/timed out/), stateLost: true }]);
    // The new connection is a fresh test host: the domain went with the old one.
    expect(await hv.listDomains()).toEqual([]);
    expect((await hv.nodeInfo()).cpus).toBe(12);
  });
});
