// Parsers for the virsh outputs the driver reads. Each one validates what it extracts and throws
// a readable error when virsh prints something unexpected, rather than reporting zeros upward.
import { z } from "zod";
import type { HostCapabilities, HypervisorVersion, NodeInfo } from "./hypervisor";

/** `Key:   value` lines, as nodeinfo and dominfo print them. */
function keyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

const count = z.coerce.number().int().positive();

const nodeInfoSchema = z.object({
  cpuModel: z.string(),
  cpus: count,
  mhz: z.coerce.number().nonnegative(),
  sockets: count,
  coresPerSocket: count,
  threadsPerCore: count,
  numaCells: count,
  memoryKib: count,
});

/** `virsh nodeinfo`. */
export function parseNodeInfo(text: string): NodeInfo {
  const kv = keyValues(text);
  const number = (key: string, unit?: string): string | undefined => {
    const v = kv.get(key);
    return unit && v?.endsWith(unit) ? v.slice(0, -unit.length).trim() : v;
  };
  const parsed = nodeInfoSchema.safeParse({
    cpuModel: kv.get("CPU model"),
    cpus: number("CPU(s)"),
    mhz: number("CPU frequency", "MHz"),
    sockets: number("CPU socket(s)"),
    coresPerSocket: number("Core(s) per socket"),
    threadsPerCore: number("Thread(s) per core"),
    numaCells: number("NUMA cell(s)"),
    memoryKib: number("Memory size", "KiB"),
  });
  if (!parsed.success) throw new Error(`unexpected 'virsh nodeinfo' output: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Nova's packed version: major * 1_000_000 + minor * 1_000 + micro. */
export function packVersion(major: number, minor: number, micro: number): number {
  return major * 1_000_000 + minor * 1_000 + micro;
}

/**
 * `virsh version`. The hypervisor line is "Running hypervisor: QEMU 7.2.22"; drivers that do
 * not report one fall back to the API line's driver name with version 0.
 */
export function parseVersion(text: string): HypervisorVersion {
  const running = /^Running hypervisor:\s+(\S+)\s+(\d+)\.(\d+)\.(\d+)\s*$/m.exec(text);
  if (running) {
    const [, type, major, minor, micro] = running;
    return {
      type: type!,
      version: packVersion(Number(major), Number(minor), Number(micro)),
      text: `${major}.${minor}.${micro}`,
    };
  }
  const api = /^Using API:\s+(\S+)/m.exec(text);
  if (api) return { type: api[1]!, version: 0, text: "0.0.0" };
  throw new Error(`unexpected 'virsh version' output: ${JSON.stringify(text.slice(0, 200))}`);
}

function firstElementText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml);
  return m ? decodeXmlText(m[1]!).trim() : undefined;
}

/** Undoes XML's predefined entities and numeric references in text content. */
export function decodeXmlText(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

/** `virsh capabilities`: host CPU arch/model/vendor and the domain types guests can use. */
export function parseCapabilities(xml: string): HostCapabilities {
  const host = /<host>([\s\S]*?)<\/host>/.exec(xml)?.[1];
  const cpu = host ? /<cpu>([\s\S]*?)<\/cpu>/.exec(host)?.[1] : undefined;
  const arch = cpu ? firstElementText(cpu, "arch") : undefined;
  if (!arch) throw new Error("unexpected 'virsh capabilities' output: no <host><cpu><arch>");
  const domainTypes = [...new Set([...xml.matchAll(/<domain\s+type=['"]([^'"]+)['"]/g)].map((m) => m[1]!))];
  const model = cpu ? firstElementText(cpu, "model") : undefined;
  const vendor = cpu ? firstElementText(cpu, "vendor") : undefined;
  const features = cpu ? [...cpu.matchAll(/<feature\s+name=['"]([^'"]+)['"]/g)].map((m) => m[1]!) : [];
  const hardwareVirt = features.length > 0 ? features.includes("vmx") || features.includes("svm") : undefined;
  return {
    arch,
    domainTypes,
    ...(model ? { model } : {}),
    ...(vendor ? { vendor } : {}),
    ...(hardwareVirt === undefined ? {} : { hardwareVirt }),
  };
}

/** `virsh list --all --uuid --name`: one `<uuid> <name>` per line (names may contain spaces). */
export function parseUuidNameList(text: string): { uuid: string; name: string }[] {
  const out: { uuid: string; name: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F-]{36})\s+(.+)$/.exec(line.trim());
    if (m) out.push({ uuid: m[1]!.toLowerCase(), name: m[2]! });
  }
  return out;
}

/** `virsh domstats --raw --state`: per domain name, libvirt's state and reason codes. */
export function parseDomStats(text: string): Map<string, { state: number; reason: number }> {
  const out = new Map<string, { state: number; reason: number }>();
  let current: { state: number; reason: number } | null = null;
  for (const line of text.split("\n")) {
    const domain = /^Domain: '(.*)'\s*$/.exec(line);
    if (domain) {
      current = { state: 0, reason: 0 };
      out.set(domain[1]!, current);
      continue;
    }
    const field = /^\s+state\.(state|reason)=(\d+)\s*$/.exec(line);
    if (field && current) current[field[1] as "state" | "reason"] = Number(field[2]);
  }
  return out;
}
