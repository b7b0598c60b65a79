// Builds an instance's libvirt domain XML from its spec (Nova's _get_guest_xml, minus the
// devices later issues add: disks from the image cache, console log, network).
import type { InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import type { DiskDevice } from "../storage";
import type { HostCapabilities } from "./hypervisor";

/** The namespace of Stratus's `<metadata>` block; it marks a domain as ours (see isStratusDomain). */
export const STRATUS_XML_NS = "https://stratus.dev/xmlns/libvirt/instance/1.0";

/** XML 1.0 forbids most control characters even as references; libvirt would refuse the file. */
function isXmlChar(code: number): boolean {
  return (code >= 0x20 || code === 0x9 || code === 0xa || code === 0xd) && code !== 0xfffe && code !== 0xffff;
}

/** Escapes text for XML content and for attribute values in either quote style. */
export function xmlEscape(value: string | number): string {
  let out = "";
  for (const ch of String(value)) {
    switch (ch) {
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case "'":
        out += "&apos;";
        break;
      default:
        out += isXmlChar(ch.codePointAt(0)!) ? ch : "\uFFFD";
    }
  }
  return out;
}

/** Nova names domains `instance-%08x` after an integer id; ours is the uuid's first 8 hex digits. */
export function domainName(uuid: string): string {
  return `instance-${uuid.slice(0, 8).toLowerCase()}`;
}

/**
 * KVM when the host offers it, else QEMU's TCG, else whatever the driver runs (the test driver).
 * libvirt offers "kvm" whenever /dev/kvm exists; a host CPU without vmx/svm (a VM without nested
 * virtualisation that still has the device node) cannot run a KVM guest, so it gets TCG.
 */
export function chooseDomainType(caps: HostCapabilities): string {
  for (const preferred of ["kvm", "qemu", "test"]) {
    if (preferred === "kvm" && caps.hardwareVirt === false) continue;
    if (caps.domainTypes.includes(preferred)) return preferred;
  }
  const first = caps.domainTypes[0];
  if (!first) throw new Error("the hypervisor offers no domain type for guests");
  return first;
}

/** TCG's translation-block cache for `type='qemu'` guests (QEMU's default reserves up to 1 GiB). */
export const TCG_TB_CACHE_MIB = 32;

export interface DomainXmlOptions {
  domainType: string;
  /** Who asked for the instance, recorded in the metadata like Nova's <nova:owner>. */
  owner?: Pick<RequestContext, "userId" | "projectId">;
  createdAt?: Date;
  /** Disks in boot order (the first boots), from the instance storage. */
  disks?: DiskDevice[];
  /** File the serial console is captured into. */
  consoleLogPath?: string;
  /** Marks a rescue domain (Nova's rescue XML), booting this image's disk; see isRescueDomain. */
  rescue?: { imageId: string };
}

function diskXml(d: DiskDevice): string[] {
  const e = xmlEscape;
  return [
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='${e(d.format)}'/>`,
    `      <source file='${e(d.path)}'/>`,
    `      <target dev='${e(d.target)}' bus='virtio'/>`,
    `    </disk>`,
  ];
}

function consoleXml(file: string): string[] {
  const e = xmlEscape;
  return [
    // append: a restart (hard reboot, start after stop) adds to the log instead of truncating it.
    `    <serial type='file'>`,
    `      <source path='${e(file)}' append='on'/>`,
    `      <target port='0'/>`,
    `    </serial>`,
    `    <console type='file'>`,
    `      <source path='${e(file)}' append='on'/>`,
    `      <target type='serial' port='0'/>`,
    `    </console>`,
  ];
}

export function buildDomainXml(spec: InstanceSpec, options: DomainXmlOptions): string {
  const e = xmlEscape;
  const created = (options.createdAt ?? new Date()).toISOString();
  const owner = options.owner;
  // QEMU without KVM (TCG): a bounded translation cache, and the CPU model TCG emulates best.
  const tcg = options.domainType === "qemu";
  return [
    `<domain type='${e(options.domainType)}'>`,
    `  <name>${e(domainName(spec.uuid))}</name>`,
    `  <uuid>${e(spec.uuid)}</uuid>`,
    `  <metadata>`,
    `    <stratus:instance xmlns:stratus='${STRATUS_XML_NS}'>`,
    `      <stratus:name>${e(spec.name)}</stratus:name>`,
    `      <stratus:creationTime>${e(created)}</stratus:creationTime>`,
    `      <stratus:flavor vcpus='${e(spec.vcpus)}' memoryMb='${e(spec.memoryMb)}' rootGb='${e(spec.rootGb)}'` +
      ` ephemeralGb='${e(spec.ephemeralGb)}' swapMb='${e(spec.swapMb)}'/>`,
    `      <stratus:image uuid='${e(spec.imageId)}'/>`,
    owner ? `      <stratus:owner user='${e(owner.userId ?? "")}' project='${e(owner.projectId ?? "")}'/>` : null,
    options.rescue ? `      <stratus:rescue image='${e(options.rescue.imageId)}'/>` : null,
    `    </stratus:instance>`,
    `  </metadata>`,
    `  <memory unit='MiB'>${e(spec.memoryMb)}</memory>`,
    `  <currentMemory unit='MiB'>${e(spec.memoryMb)}</currentMemory>`,
    `  <vcpu placement='static'>${e(spec.vcpus)}</vcpu>`,
    // No arch: libvirt picks the host's, which is what a guest of this host should run.
    `  <os>`,
    `    <type>hvm</type>`,
    `    <boot dev='hd'/>`,
    `  </os>`,
    `  <features>`,
    `    <acpi/>`,
    `    <apic/>`,
    tcg ? `    <tcg><tb-cache unit='MiB'>${TCG_TB_CACHE_MIB}</tb-cache></tcg>` : null,
    `  </features>`,
    tcg ? `  <cpu mode='custom' match='exact' check='none'><model fallback='allow'>qemu64</model></cpu>` : null,
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    ...(options.disks ?? []).flatMap(diskXml),
    ...(options.consoleLogPath ? consoleXml(options.consoleLogPath) : []),
    `  </devices>`,
    `</domain>`,
    "",
  ]
    .filter((l): l is string => l !== null)
    .join("\n");
}

/** True when the domain XML carries Stratus's metadata: only such domains may be reaped. */
export function isStratusDomain(xml: string): boolean {
  return xml.includes(STRATUS_XML_NS);
}

/** True for a rescue domain (built with `rescue`): reconciliation tells it from the original. */
export function isRescueDomain(xml: string): boolean {
  return isStratusDomain(xml) && /<(?:\w+:)?rescue\s+image=/.test(xml);
}
