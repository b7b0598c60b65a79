// The first scheduler: keep hosts whose compute service is enabled and up and that have room for
// the request under their allocation ratios, then prefer the most free RAM (Nova's default RAM
// weigher spreads). Pure over a snapshot, so it is unit-tested without a database; the full
// filter scheduler replaces the filter list and weighers, not this shape.
import { free, type HostCapacity, type ResourceRequest } from "./resources";

export interface HostState extends HostCapacity {
  nodeId: number;
  host: string;
  serviceDisabled: boolean;
  serviceUp: boolean;
}

export type RejectReason = "disabled" | "down" | "vcpus" | "memory" | "disk";

const REASON_TEXT: Record<RejectReason, string> = {
  disabled: "compute service disabled",
  down: "compute service down",
  vcpus: "not enough vCPUs",
  memory: "not enough RAM",
  disk: "not enough disk",
};

export interface Selection {
  /** Hosts that pass, best first. */
  hosts: HostState[];
  /** How many hosts each reason removed (each host counted once, by its first failing check). */
  rejected: Partial<Record<RejectReason, string[]>>;
  considered: number;
}

function rejectReason(h: HostState, req: ResourceRequest): RejectReason | null {
  if (h.serviceDisabled) return "disabled";
  if (!h.serviceUp) return "down";
  const f = free(h);
  if (req.vcpus > f.vcpus) return "vcpus";
  if (req.memoryMb > f.memoryMb) return "memory";
  if (req.diskGb > f.diskGb) return "disk";
  return null;
}

export function selectHosts(hosts: readonly HostState[], req: ResourceRequest, exclude: ReadonlySet<string> = new Set()): Selection {
  const passing: HostState[] = [];
  const rejected: Selection["rejected"] = {};
  for (const h of hosts) {
    if (exclude.has(h.host)) continue;
    const reason = rejectReason(h, req);
    if (reason) (rejected[reason] ??= []).push(h.host);
    else passing.push(h);
  }
  passing.sort((a, b) => free(b).memoryMb - free(a).memoryMb || a.host.localeCompare(b.host));
  return { hosts: passing, rejected, considered: hosts.length - exclude.size };
}

/** Nova's NoValidHost, carrying the explanation Nova never gives. */
export class NoValidHost extends Error {
  override readonly name = "NoValidHost";
}

/** "No valid host was found. 3 hosts: 2 not enough RAM (compute-1, compute-2), 1 compute service down (compute-3)." */
export function explainNoValidHost(sel: Selection): string {
  if (sel.considered <= 0) return "No valid host was found. There are no compute hosts.";
  const parts = (Object.keys(REASON_TEXT) as RejectReason[])
    .filter((r) => sel.rejected[r]?.length)
    .map((r) => {
      const hosts = sel.rejected[r]!;
      const shown = hosts.slice(0, 5).join(", ") + (hosts.length > 5 ? ", …" : "");
      return `${hosts.length} ${REASON_TEXT[r]} (${shown})`;
    });
  const noun = sel.considered === 1 ? "host" : "hosts";
  return `No valid host was found. ${sel.considered} ${noun}: ${parts.join(", ")}.`;
}
