// What makes an image acceptable as a boot disk, on both sides of the wire: the image service checks
// an upload before it becomes active, and each agent checks again what it downloaded before caching
// it (Nova's fetch_to_raw refuses backing files: ImageUnacceptable). The declared format must be
// what qemu-img finds, so a qcow2 never boots as raw bytes and text never passes for a disk.
import type { DiskFormat, ImageInfo } from "./qemu-img";

const SECTOR = 512;

/** Why `info` (of a file of `size` bytes) is not a usable `declared` disk image, or null if it is. */
export function diskImageProblem(info: ImageInfo, declared: DiskFormat, size: number): string | null {
  if (info.backingFile !== null) {
    // A backing file would make the guest read a file of the host's choosing.
    return `it has a backing file (${info.backingFile}); upload a standalone image`;
  }
  if (info.dataFile !== null) return `it has an external data file (${info.dataFile})`;
  if (info.format !== declared) {
    return `it is not a ${declared} disk image (qemu-img reads it as ${info.format})`;
  }
  if (size === 0 || info.virtualSize === 0) return "it is empty";
  // Any byte string probes as raw; a real raw disk is a whole number of sectors.
  if (declared === "raw" && size % SECTOR !== 0) {
    return `it is not a raw disk image (${size} bytes is not a whole number of ${SECTOR}-byte sectors)`;
  }
  return null;
}
