import { describe, expect, it } from "vitest";
import { buildDomainXml, chooseDomainType, domainName, isStratusDomain, xmlEscape } from "../../../agent/driver/domain-xml";
import { instanceSpec } from "./test-host";

describe("domain XML", () => {
  it("escapes every XML special character and control characters", () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    expect(xmlEscape("bell\u0007")).toBe("bell\uFFFD");
    expect(xmlEscape(42)).toBe("42");
  });

  it("builds a Nova-like domain from the spec, with the user's text escaped", () => {
    const spec = instanceSpec({
      uuid: "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
      name: `</stratus:name><evil attr='1'>&`,
      imageId: `img" onload='x'`,
      vcpus: 2,
      memoryMb: 512,
    });
    const xml = buildDomainXml(spec, {
      domainType: "kvm",
      owner: { userId: "u<1>", projectId: "p&2" },
      createdAt: new Date("2026-01-02T03:04:05Z"),
    });
    expect(xml).toContain("<domain type='kvm'>");
    expect(xml).toContain("<name>instance-0f1e2d3c</name>");
    expect(xml).toContain("<uuid>0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b</uuid>");
    expect(xml).toContain("<memory unit='MiB'>512</memory>");
    expect(xml).toContain("<vcpu placement='static'>2</vcpu>");
    expect(xml).toContain("<stratus:name>&lt;/stratus:name&gt;&lt;evil attr=&apos;1&apos;&gt;&amp;</stratus:name>");
    expect(xml).toContain("<stratus:image uuid='img&quot; onload=&apos;x&apos;'/>");
    expect(xml).toContain("<stratus:owner user='u&lt;1&gt;' project='p&amp;2'/>");
    expect(xml).toContain("<stratus:creationTime>2026-01-02T03:04:05.000Z</stratus:creationTime>");
    expect(isStratusDomain(xml)).toBe(true);
    expect(isStratusDomain("<domain type='kvm'><name>not-ours</name></domain>")).toBe(false);
    expect(domainName("ABCDEF01-0000-4000-8000-000000000000")).toBe("instance-abcdef01");
  });

  it("prefers KVM, then QEMU, then whatever the driver offers", () => {
    expect(chooseDomainType({ arch: "x86_64", domainTypes: ["qemu", "kvm"] })).toBe("kvm");
    expect(chooseDomainType({ arch: "x86_64", domainTypes: ["qemu"] })).toBe("qemu");
    expect(chooseDomainType({ arch: "i686", domainTypes: ["test"] })).toBe("test");
    expect(chooseDomainType({ arch: "x86_64", domainTypes: ["lxc"] })).toBe("lxc");
    expect(() => chooseDomainType({ arch: "x86_64", domainTypes: [] })).toThrow(/no domain type/);
  });

  it("uses TCG when libvirt offers kvm on a CPU without vmx/svm (a /dev/kvm that cannot run guests)", () => {
    expect(chooseDomainType({ arch: "x86_64", domainTypes: ["qemu", "kvm"], hardwareVirt: false })).toBe("qemu");
    expect(chooseDomainType({ arch: "x86_64", domainTypes: ["qemu", "kvm"], hardwareVirt: true })).toBe("kvm");
  });

  it("gives TCG guests a bounded translation cache and the qemu64 CPU; KVM guests neither", () => {
    const spec = instanceSpec({ uuid: "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b" });
    const tcg = buildDomainXml(spec, { domainType: "qemu" });
    expect(tcg).toContain("<tcg><tb-cache unit='MiB'>32</tb-cache></tcg>");
    expect(tcg).toContain("<model fallback='allow'>qemu64</model>");
    const kvm = buildDomainXml(spec, { domainType: "kvm" });
    expect(kvm).not.toContain("<tcg>");
    expect(kvm).not.toContain("<cpu");
  });
});
