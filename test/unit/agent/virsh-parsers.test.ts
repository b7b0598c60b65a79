import { describe, expect, it } from "vitest";
import { describeDomainState, domainStateFromCodes } from "../../../agent/driver/domain-state";
import {
  packVersion,
  parseCapabilities,
  parseDomStats,
  parseNodeInfo,
  parseUuidNameList,
  parseVersion,
} from "../../../agent/driver/virsh-parsers";

describe("virsh output parsers", () => {
  it("packs versions like Nova", () => {
    expect(packVersion(7, 2, 22)).toBe(7_002_022);
    expect(parseVersion("Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\n")).toEqual({
      type: "QEMU",
      version: 7_002_022,
      text: "7.2.22",
    });
    expect(parseVersion("Using API: TEST 9.0.0\nRunning hypervisor: TEST 0.0.2")).toMatchObject({ type: "TEST", version: 2 });
    expect(parseVersion("Using API: LXC 9.0.0\n")).toMatchObject({ type: "LXC", version: 0 });
    expect(() => parseVersion("garbage")).toThrow(/unexpected 'virsh version' output/);
  });

  it("parses a real QEMU host's nodeinfo and capabilities", () => {
    const nodeinfo = [
      "CPU model:           x86_64",
      "CPU(s):              2",
      "CPU frequency:       2095 MHz",
      "CPU socket(s):       1",
      "Core(s) per socket:  2",
      "Thread(s) per core:  1",
      "NUMA cell(s):        1",
      "Memory size:         7300896 KiB",
    ].join("\n");
    expect(parseNodeInfo(nodeinfo)).toMatchObject({ cpus: 2, mhz: 2095, memoryKib: 7300896 });
    const caps = `<capabilities>
  <host>
    <uuid>1b2c</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>EPYC-Rome</model>
      <vendor>AMD</vendor>
      <microcode version='1'/>
      <topology sockets='1' dies='1' cores='2' threads='1'/>
    </cpu>
  </host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='i686'><domain type='qemu'/></arch>
  </guest>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'><domain type="qemu"/><domain type='kvm'/></arch>
  </guest>
</capabilities>`;
    expect(parseCapabilities(caps)).toEqual({ arch: "x86_64", model: "EPYC-Rome", vendor: "AMD", domainTypes: ["qemu", "kvm"] });
    // With the host CPU's features listed: whether it has hardware virtualisation.
    const withFeatures = (names: string[]) =>
      caps.replace("</cpu>", `${names.map((n) => `<feature name='${n}'/>`).join("")}</cpu>`);
    expect(parseCapabilities(withFeatures(["hypervisor", "avx2"])).hardwareVirt).toBe(false);
    expect(parseCapabilities(withFeatures(["svm", "avx2"])).hardwareVirt).toBe(true);
    expect(parseCapabilities(withFeatures(["vmx"])).hardwareVirt).toBe(true);
  });

  it("refuses nodeinfo it cannot read instead of reporting zeros", () => {
    expect(() => parseNodeInfo("CPU model: x86_64\nCPU(s): lots")).toThrow(/unexpected 'virsh nodeinfo' output/);
  });

  it("parses list --uuid --name and domstats --raw --state", () => {
    expect(parseUuidNameList("0F1E2D3C-4B5A-4978-8A6B-5C4D3E2F1A0B instance-0f1e2d3c\nabcdef01-2222-4333-8444-555555555555 my vm\n")).toEqual([
      { uuid: "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", name: "instance-0f1e2d3c" },
      { uuid: "abcdef01-2222-4333-8444-555555555555", name: "my vm" },
    ]);
    const stats = parseDomStats("Domain: 'it's'\n  state.state=5\n  state.reason=5\n\nDomain: 'b'\n  state.state=1\n  state.reason=1\n");
    expect(stats.get("it's")).toEqual({ state: 5, reason: 5 });
    expect(stats.get("b")).toEqual({ state: 1, reason: 1 });
  });

  it("maps libvirt states to Nova power states", () => {
    expect(domainStateFromCodes(1, 1)).toEqual({ state: "running", reason: "booted", powerState: 1 });
    expect(domainStateFromCodes(2, 0).powerState).toBe(1); // blocked is running
    expect(domainStateFromCodes(3, 1).powerState).toBe(3);
    expect(domainStateFromCodes(4, 1).powerState).toBe(4); // in shutdown
    expect(domainStateFromCodes(5, 5)).toEqual({ state: "shutoff", reason: "saved", powerState: 4 }); // managed save
    expect(domainStateFromCodes(6, 1)).toEqual({ state: "crashed", reason: "panicked", powerState: 6 });
    expect(domainStateFromCodes(7, 0).powerState).toBe(7);
    expect(domainStateFromCodes(0, 0).powerState).toBe(0);
    expect(domainStateFromCodes(42, 9)).toEqual({ state: "nostate", reason: "unknown", powerState: 0 });
    expect(describeDomainState(domainStateFromCodes(5, 2))).toBe("shut off (destroyed)");
  });
});
