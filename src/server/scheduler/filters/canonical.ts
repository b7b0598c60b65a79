// Nova's canonical names for image and host properties (nova/objects/fields.py): Architecture,
// HVType and VMMode, with their historical aliases. An unknown name is invalid (Nova raises).
const ARCHITECTURES = new Set(
  "alpha armv6 armv7l armv7b aarch64 cris i686 ia64 lm32 m68k microblaze microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppcle ppc64 ppc64le ppcemb s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb".split(
    " ",
  ),
);
const HV_TYPES = new Set(
  "baremetal bhyve docker fake hyperv ironic kqemu kvm lxc lxd openvz parallels phyp qemu test uml vbox vz vmware xen zvm prsm".split(" "),
);
const VM_MODES = new Set(["hvm", "xen", "uml", "exe"]);

export class InvalidName extends Error {}

export function canonicalArchitecture(name: string): string {
  let n = name.toLowerCase();
  if (n === "i386" || n === "i486" || n === "i586" || n === "x86_32" || n === "x86_32p") n = "i686";
  if (n === "amd64") n = "x86_64";
  if (!ARCHITECTURES.has(n)) throw new InvalidName(`Architecture name '${name}' is not recognised`);
  return n;
}

export function canonicalHvType(name: string): string {
  let n = name.toLowerCase();
  if (n === "xapi") n = "xen";
  if (!HV_TYPES.has(n)) throw new InvalidName(`Hypervisor virtualization type '${name}' is not recognised`);
  return n;
}

export function canonicalVmMode(name: string): string {
  let n = name.toLowerCase();
  if (n === "pv") n = "xen";
  if (n === "hv" || n === "baremetal") n = "hvm";
  if (!VM_MODES.has(n)) throw new InvalidName(`Virtual machine mode '${name}' is not recognised`);
  return n;
}

/** A host's supported_instances from what its agent reports (one arch, one hypervisor type, HVM guests). */
export function supportedInstancesOf(arch: string, hypervisorType: string): string[][] {
  try {
    return [[canonicalArchitecture(arch), canonicalHvType(hypervisorType), "hvm"]];
  } catch {
    return [];
  }
}
