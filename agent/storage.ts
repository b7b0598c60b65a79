// What the compute manager needs from the host's instance storage (Nova's imagebackend + image
// cache): the instance directory `<instances>/<uuid>/` with its root disk as a qcow2 overlay on the
// cached base `<instances>/_base/<sha1(image id)>`, the rescue disk, and the serial console log.
// The compute manager and domain XML depend on this interface; agent/imagecache/ implements it.
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";

export interface DiskDevice {
  /** Absolute path of the disk file. */
  path: string;
  format: "qcow2" | "raw";
  /** Guest device name, in boot order: "vda", "vdb", ... */
  target: string;
}

export interface StorageProgress {
  /** 0–100 of the step (image download, conversion). */
  percent: number;
  step: string;
}

/** How an instance's root disk came to be: the build's timing breakdown (bench:create). */
export interface DiskPreparation {
  /** "hit": the base was in `_base` already; "miss": it was fetched (or another fetch was awaited). */
  cache: "hit" | "miss";
  /** Until the base was there: download, checks and conversion on a miss. */
  imageMs: number;
  /** Creating the qcow2 overlay; 0 when it existed already. */
  overlayMs: number;
}

export interface InstanceStorage {
  /** `<instances>/<uuid>`: created on demand. */
  instanceDir(uuid: string): string;
  /** The file libvirt captures the serial console into (`<instances>/<uuid>/console.log`). */
  consoleLogPath(uuid: string): string;
  /**
   * Makes the instance's disks exist: the image in the cache (fetched once per host even when many
   * builds want it at once, checksum verified, converted to raw), then the overlay grown to the
   * flavor's root disk. Idempotent: an existing overlay is reused (hard reboot, re-creation).
   * Throws a clear error for an image that is too big for the flavor or not a disk image.
   */
  prepareInstanceDisks(
    ctx: RequestContext | null,
    spec: InstanceSpec,
    image: ImageRef,
    onProgress?: (p: StorageProgress) => void,
    onPrepared?: (p: DiskPreparation) => void,
  ): Promise<DiskDevice[]>;
  /** A fresh rescue disk from the rescue image, as `disk.rescue` in the instance directory. */
  prepareRescueDisk(ctx: RequestContext | null, spec: InstanceSpec, image: ImageRef): Promise<DiskDevice>;
  removeRescueDisk(uuid: string): Promise<void>;
  /** The root disk file, as the source of a migration sends it. */
  rootDiskPath(uuid: string): string;
  /** Where a migration's incoming root disk is written until it is adopted. */
  incomingDiskPath(uuid: string): string;
  /**
   * Makes a disk that arrived from another host this instance's root disk: the image's base in
   * this host's cache (fetched if missing), the overlay pointed at it, grown to the flavor's root
   * disk when that is larger. Throws when no disk arrived or it would have to shrink.
   */
  adoptIncomingDisk(ctx: RequestContext | null, spec: InstanceSpec, image: ImageRef): Promise<DiskDevice[]>;
  /** Removes the instance directory; the base stays for others (the cache pass ages it out). */
  removeInstanceFiles(uuid: string): Promise<void>;
}
