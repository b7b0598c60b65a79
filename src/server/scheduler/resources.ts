// What an instance consumes on a host, and what a host can still give under its allocation ratios
// (the capacity check Placement does for Nova: (total − reserved) × ratio − used).

export interface ResourceRequest {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface HostCapacity {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  reservedHostCpus: number;
  reservedHostMemoryMb: number;
  reservedHostDiskMb: number;
}

export function requestFor(flavor: { vcpus: number; memoryMb: number; rootGb: number; ephemeralGb: number; swapMb: number }): ResourceRequest {
  return {
    vcpus: flavor.vcpus,
    memoryMb: flavor.memoryMb,
    diskGb: flavor.rootGb + flavor.ephemeralGb + Math.ceil(flavor.swapMb / 1024),
  };
}

export function limits(h: HostCapacity): ResourceRequest {
  return {
    vcpus: (h.vcpus - h.reservedHostCpus) * h.cpuAllocationRatio,
    memoryMb: (h.memoryMb - h.reservedHostMemoryMb) * h.ramAllocationRatio,
    diskGb: (h.localGb - h.reservedHostDiskMb / 1024) * h.diskAllocationRatio,
  };
}

export function free(h: HostCapacity): ResourceRequest {
  const l = limits(h);
  return { vcpus: l.vcpus - h.vcpusUsed, memoryMb: l.memoryMb - h.memoryMbUsed, diskGb: l.diskGb - h.localGbUsed };
}

/**
 * How many more instances of this size fit on the host: the smallest of each resource's room
 * (Placement's capacity, and an instance never larger than the host's total — max_unit).
 */
export function instancesThatFit(h: HostCapacity, req: ResourceRequest): number {
  const l = limits(h);
  const room = (used: number, limit: number, total: number, want: number) =>
    want <= 0 ? Infinity : want > total ? 0 : Math.max(0, Math.floor((limit - used) / want + 1e-9));
  return Math.min(
    room(h.vcpusUsed, l.vcpus, h.vcpus, req.vcpus),
    room(h.memoryMbUsed, l.memoryMb, h.memoryMb, req.memoryMb),
    room(h.localGbUsed, l.diskGb, h.localGb, req.diskGb),
  );
}
