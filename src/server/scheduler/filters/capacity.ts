// The capacity check Placement makes for Nova (GET /allocation_candidates): a resource fits when
// used + requested ≤ (total − reserved) × allocation_ratio, and one instance never asks for more
// than the host's total (max_unit). The same arithmetic as the atomic claim (claims.ts).
import type { HostTable } from "../host-table";

export function vcpusFit(t: HostTable, i: number, vcpus: number): boolean {
  return vcpus <= t.vcpus[i]! && t.vcpusUsed[i]! + vcpus <= (t.vcpus[i]! - t.reservedHostCpus[i]!) * t.cpuAllocationRatio[i]!;
}

export function memoryFits(t: HostTable, i: number, memoryMb: number): boolean {
  return (
    memoryMb <= t.memoryMb[i]! &&
    t.memoryMbUsed[i]! + memoryMb <= (t.memoryMb[i]! - t.reservedHostMemoryMb[i]!) * t.ramAllocationRatio[i]!
  );
}

export function diskFits(t: HostTable, i: number, diskGb: number): boolean {
  return (
    diskGb <= t.localGb[i]! &&
    t.localGbUsed[i]! + diskGb <= (t.localGb[i]! - t.reservedHostDiskMb[i]! / 1024) * t.diskAllocationRatio[i]!
  );
}
