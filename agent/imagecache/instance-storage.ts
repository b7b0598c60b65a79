// InstanceStorage over the image cache (Nova's Qcow2 image backend): the instance's root disk is
// a qcow2 overlay `<instances>/<uuid>/disk` on the raw base `_base/<sha1(image id)>`, grown to the
// flavor's root disk; a rescue disk is the same on the rescue image. Disks are created beside their
// final name and renamed, so a crash never leaves a disk that looks finished.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { createOverlay, growImage, imageInfo, rebaseUnsafe } from "@/server/images/qemu-img";
import type { DiskDevice, DiskPreparation, InstanceStorage, StorageProgress } from "../storage";
import type { CachePaths } from "./cache-paths";
import type { CachedBase, ImageCache } from "./image-cache";

const GiB = 1024 ** 3;

/** Nova's FlavorDiskSmallerThanImage. */
export class FlavorDiskSmallerThanImage extends Error {
  override readonly name = "FlavorDiskSmallerThanImage";
  constructor(flavorBytes: number, imageBytes: number) {
    super(`Flavor's disk is too small for requested image. Flavor disk is ${flavorBytes} bytes, image is ${imageBytes} bytes.`);
  }
}

/** The root disk's size: the flavor's root disk, or the image's own size for a 0 GB flavor. */
export function rootDiskBytes(spec: Pick<InstanceSpec, "rootGb">, base: CachedBase): number {
  if (spec.rootGb === 0) return base.virtualSize;
  const bytes = spec.rootGb * GiB;
  if (bytes < base.virtualSize) throw new FlavorDiskSmallerThanImage(bytes, base.virtualSize);
  return bytes;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function createOverlayAtomically(file: string, base: CachedBase, sizeBytes: number): Promise<void> {
  const part = `${file}.part`;
  await rm(part, { force: true });
  try {
    await createOverlay(part, base.path, "raw", sizeBytes);
    await rename(part, file);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

export class ImageCacheStorage implements InstanceStorage {
  constructor(
    private readonly paths: CachePaths,
    private readonly cache: ImageCache,
  ) {}

  instanceDir(uuid: string): string {
    return this.paths.instanceDir(uuid);
  }

  consoleLogPath(uuid: string): string {
    return this.paths.consoleLog(uuid);
  }

  async prepareInstanceDisks(
    ctx: RequestContext | null,
    spec: InstanceSpec,
    image: ImageRef,
    onProgress?: (p: StorageProgress) => void,
    onPrepared?: (p: DiskPreparation) => void,
  ): Promise<DiskDevice[]> {
    const disk = this.paths.disk(spec.uuid);
    await mkdir(this.paths.instanceDir(spec.uuid), { recursive: true });
    const started = Date.now();
    const cache = (await exists(this.paths.base(image.id))) ? "hit" : "miss";
    let imageMs = 0;
    let overlayMs = 0;
    // Even for an existing overlay the base must be there (a re-created domain after the cache
    // lost it): Nova's _create_images_and_backing fetches missing backing files.
    await this.cache.use(ctx, image, onProgress, async (base) => {
      imageMs = Date.now() - started;
      if (await exists(disk)) return;
      const size = rootDiskBytes(spec, base);
      onProgress?.({ percent: 100, step: "Creating root disk" });
      const overlayStarted = Date.now();
      await createOverlayAtomically(disk, base, size);
      overlayMs = Date.now() - overlayStarted;
    });
    onPrepared?.({ cache, imageMs, overlayMs });
    return [{ path: disk, format: "qcow2", target: "vda" }];
  }

  async prepareRescueDisk(ctx: RequestContext | null, spec: InstanceSpec, image: ImageRef): Promise<DiskDevice> {
    const disk = this.paths.rescueDisk(spec.uuid);
    await mkdir(this.paths.instanceDir(spec.uuid), { recursive: true });
    await this.cache.use(ctx, image, undefined, async (base) => {
      // Always fresh, at the image's own size (Nova applies no root size to `.rescue`).
      await rm(disk, { force: true });
      await createOverlayAtomically(disk, base, base.virtualSize);
    });
    return { path: disk, format: "qcow2", target: "vda" };
  }

  async removeRescueDisk(uuid: string): Promise<void> {
    await rm(this.paths.rescueDisk(uuid), { force: true });
  }

  rootDiskPath(uuid: string): string {
    return this.paths.disk(uuid);
  }

  incomingDiskPath(uuid: string): string {
    return this.paths.incomingDisk(uuid);
  }

  async adoptIncomingDisk(ctx: RequestContext | null, spec: InstanceSpec, image: ImageRef): Promise<DiskDevice[]> {
    const incoming = this.paths.incomingDisk(spec.uuid);
    const disk = this.paths.disk(spec.uuid);
    if (!(await exists(incoming))) {
      if (await exists(disk)) return [{ path: disk, format: "qcow2", target: "vda" }]; // adopted by an earlier try
      throw new Error(`No disk arrived for instance ${spec.uuid} on this host`);
    }
    await this.cache.use(ctx, image, undefined, async (base) => {
      await rebaseUnsafe(incoming, base.path, "raw");
      const size = rootDiskBytes(spec, base);
      const current = (await imageInfo(incoming, { format: "qcow2" })).virtualSize;
      if (size < current) throw new Error(`Resize to a smaller disk is not possible: ${current} bytes now, the flavor gives ${size}`);
      if (size > current) await growImage(incoming, "qcow2", size);
      await rename(incoming, disk);
    });
    return [{ path: disk, format: "qcow2", target: "vda" }];
  }

  async removeInstanceFiles(uuid: string): Promise<void> {
    await rm(this.paths.instanceDir(uuid), { recursive: true, force: true });
  }
}
