// How sizes read in the instance pages.
export function formatMemory(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

export function formatBytes(size: bigint | number | null): string {
  if (size === null) return "size unknown";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = Number(size);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "1 vCPU, 512 MB RAM, 1 GB disk": what Horizon's flavor popover says, on one line. */
export function flavorSummary(f: { vcpus: number; memoryMb: number; rootGb: number }): string {
  return `${f.vcpus} vCPU${f.vcpus === 1 ? "" : "s"}, ${formatMemory(f.memoryMb)} RAM, ${f.rootGb} GB disk`;
}
