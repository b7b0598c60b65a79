// What the agent registers: the host as the hypervisor sees it (Nova's get_available_resource)
// and the domains it runs now.
import { statfsSync } from "node:fs";
import { domainReportSchema, type DomainReport, type NodeResources } from "@/lib/agent-protocol";
import type { Hypervisor } from "./driver/hypervisor";

/** Size of the file system holding `dir`, in whole GiB (Nova's local_gb). */
export function filesystemGb(dir: string): number {
  const s = statfsSync(dir);
  return Math.floor((s.blocks * s.bsize) / 1024 ** 3);
}

export interface NodeResourceOptions {
  host: string;
  localGb: number;
}

export async function readNodeResources(hv: Hypervisor, options: NodeResourceOptions): Promise<NodeResources> {
  const info = await hv.nodeInfo();
  const version = await hv.version();
  const caps = await hv.capabilities();
  // The test driver's capabilities are canned (i686, no model) and its hostname is the machine's,
  // shared by every simulated host on it: the node file and the agent's host name are the truth.
  const simulated = version.type === "TEST";
  const arch = simulated ? info.cpuModel : caps.arch;
  const model = caps.model ?? info.cpuModel;
  return {
    hypervisorHostname: simulated ? options.host : await hv.hostname(),
    hypervisorType: version.type,
    hypervisorVersion: version.version,
    libvirtUri: hv.uri,
    cpuModel: model,
    cpuInfo: {
      arch,
      model,
      ...(caps.vendor ? { vendor: caps.vendor } : {}),
      mhz: info.mhz,
      sockets: info.sockets,
      cores: info.coresPerSocket,
      threads: info.threadsPerCore,
      numaCells: info.numaCells,
    },
    vcpus: info.cpus,
    memoryMb: Math.floor(info.memoryKib / 1024),
    localGb: options.localGb,
  };
}

/** The domains to register; one whose uuid the protocol would refuse is left out, not fatal. */
export async function readDomainReports(hv: Hypervisor): Promise<DomainReport[]> {
  const reports: DomainReport[] = [];
  for (const d of await hv.listDomains()) {
    const r = domainReportSchema.safeParse({ uuid: d.uuid, name: d.name, powerState: d.powerState });
    if (r.success) reports.push(r.data);
  }
  return reports;
}
