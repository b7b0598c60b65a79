// The host's image cache (Nova's imagebackend cache + images.fetch_to_raw): each image is fetched
// once into `_base/<sha1(image id)>`, however many builds want it at the same moment — callers in
// this process share one fetch, other processes wait on the base's lock file. A fetch goes to
// `<base>.part`, is verified (size, sha256), inspected by qemu-img (backing files are refused:
// ImageUnacceptable), converted to raw through `<base>.converted` when it is not raw, and renamed
// into place, so a base is always whole. Every use touches the base: the cache pass removes only
// bases nobody used for a while.
import { mkdir, rename, rm, stat, utimes } from "node:fs/promises";
import type { ImageRef, RequestContext } from "@/lib/agent-protocol";
import { diskImageProblem } from "@/server/images/image-check";
import { convertImage, DISK_FORMATS, imageInfo, QemuImgError, type DiskFormat } from "@/server/images/qemu-img";
import type { StorageProgress } from "../storage";
import { baseFileName, type CachePaths } from "./cache-paths";
import type { FileLocks } from "./file-lock";
import type { DownloadResult, ImageSource } from "./image-source";

/** Nova's ImageUnacceptable: the image cannot be used as a disk on this host. */
export class ImageUnacceptable extends Error {
  override readonly name = "ImageUnacceptable";
  constructor(imageId: string, reason: string) {
    super(`Image ${imageId} is unacceptable: ${reason}`);
  }
}

/** The bytes received are not the image's bytes (truncated, corrupted, replaced). */
export class ImageChecksumMismatch extends Error {
  override readonly name = "ImageChecksumMismatch";
}

export interface CachedBase {
  /** Absolute path of the raw base file. */
  path: string;
  /** The raw file's size: the disk size the image gives a guest. */
  virtualSize: number;
}

type ProgressListener = (p: StorageProgress) => void;

/**
 * Passes progress on at most every `intervalMs` within one phase (a step, not counting its
 * percentage); a new phase, and the end of one, always pass. Each report costs a round trip.
 */
function throttled(listener: ProgressListener, intervalMs = 250): ProgressListener {
  const phase = (step: string): string => step.replace(/\s*\(\d+%\)$/, "");
  let last: StorageProgress | null = null;
  let lastAt = 0;
  return (p) => {
    const now = Date.now();
    if (last && phase(last.step) === phase(p.step)) {
      if (p.percent === last.percent) return;
      if (now - lastAt < intervalMs && p.percent < 100) return;
    }
    last = p;
    lastAt = now;
    listener(p);
  };
}

interface Fetch {
  promise: Promise<CachedBase>;
  listeners: Set<ProgressListener>;
}

export interface ImageCacheOptions {
  paths: CachePaths;
  source: ImageSource;
  locks: FileLocks;
}

export class ImageCache {
  private readonly paths: CachePaths;
  private readonly source: ImageSource;
  private readonly locks: FileLocks;
  private readonly fetches = new Map<string, Fetch>();
  /** Bases an operation of this process is using right now, by file name: never removable. */
  private readonly pins = new Map<string, number>();

  constructor(options: ImageCacheOptions) {
    this.paths = options.paths;
    this.source = options.source;
    this.locks = options.locks;
  }

  /** True while an operation of this process uses or fetches the base file `name`. */
  isInUse(name: string): boolean {
    return this.pins.has(name) || this.fetches.has(name);
  }

  /** Runs `fn` with the image's base present, touched, and safe from the cache pass meanwhile. */
  async use<T>(
    ctx: RequestContext | null,
    image: ImageRef,
    onProgress: ProgressListener | undefined,
    fn: (base: CachedBase) => Promise<T>,
  ): Promise<T> {
    const name = baseFileName(image.id);
    this.pins.set(name, (this.pins.get(name) ?? 0) + 1);
    try {
      return await fn(await this.fetchBase(ctx, image, onProgress));
    } finally {
      const left = (this.pins.get(name) ?? 1) - 1;
      if (left > 0) this.pins.set(name, left);
      else this.pins.delete(name);
    }
  }

  /** The image's base, fetched if missing. Concurrent callers for one image share one fetch. */
  async fetchBase(ctx: RequestContext | null, image: ImageRef, onProgress?: ProgressListener): Promise<CachedBase> {
    const name = baseFileName(image.id);
    const base = this.paths.base(image.id);
    const cached = await this.touch(base);
    if (cached) return cached;
    let fetch = this.fetches.get(name);
    if (!fetch) {
      const listeners = new Set<ProgressListener>();
      const emit = (p: StorageProgress): void => listeners.forEach((l) => l(p));
      const promise = this.locks
        .withLock(name, () => this.fetchLocked(ctx, image, base, emit), () => emit({ percent: 0, step: `Waiting for image ${image.name}` }))
        .finally(() => this.fetches.delete(name));
      fetch = { promise, listeners };
      this.fetches.set(name, fetch);
    }
    const listener = onProgress ? throttled(onProgress) : null;
    if (listener) fetch.listeners.add(listener);
    try {
      return await fetch.promise;
    } finally {
      if (listener) fetch.listeners.delete(listener);
    }
  }

  /** Marks the base used now (its mtime is what the cache pass ages); null when it is missing. */
  private async touch(base: string): Promise<CachedBase | null> {
    const now = new Date();
    try {
      await utimes(base, now, now);
      return { path: base, virtualSize: (await stat(base)).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  private async fetchLocked(
    ctx: RequestContext | null,
    image: ImageRef,
    base: string,
    emit: ProgressListener,
  ): Promise<CachedBase> {
    // Another process (or an earlier fetch) may have finished while we waited for the lock.
    const done = await this.touch(base);
    if (done) return done;
    const part = `${base}.part`;
    const converted = `${base}.converted`;
    await mkdir(this.paths.baseDir, { recursive: true });
    await Promise.all([rm(part, { force: true }), rm(converted, { force: true })]);
    try {
      const received = await this.source.download(ctx, image, part, (bytes, total) => {
        const percent = total ? Math.min(100, Math.floor((bytes / total) * 100)) : 0;
        emit({ percent, step: `Downloading image ${image.name} (${percent}%)` });
      });
      verifyDownload(image, received);
      const format = await this.inspect(image, part, received.size);
      if (format === "raw") {
        await rename(part, base);
      } else {
        // force_raw_images: guests read the shared base directly, without a qcow2 layer per hop.
        emit({ percent: 100, step: `Converting image ${image.name} to raw` });
        await convertImage(part, format, converted, "raw");
        const check = await imageInfo(converted, { format: "raw" });
        if (check.backingFile) throw new ImageUnacceptable(image.id, "the converted image has a backing file");
        await rename(converted, base);
        await rm(part, { force: true });
      }
    } catch (err) {
      await Promise.all([rm(part, { force: true }), rm(converted, { force: true })]);
      throw err;
    }
    const fetched = await this.touch(base);
    if (!fetched) throw new Error(`base file ${base} vanished right after it was written`);
    return fetched;
  }

  /** qemu-img's verdict on the downloaded file; the format it really is. */
  private async inspect(image: ImageRef, file: string, size: number): Promise<DiskFormat> {
    const declared = DISK_FORMATS.find((f) => f === image.diskFormat);
    if (!declared) throw new ImageUnacceptable(image.id, `disk format ${image.diskFormat} is not supported (qcow2, raw)`);
    let info;
    try {
      info = await imageInfo(file);
    } catch (err) {
      if (err instanceof QemuImgError) throw new ImageUnacceptable(image.id, err.message);
      throw err;
    }
    const problem = diskImageProblem(info, declared, size);
    if (problem) throw new ImageUnacceptable(image.id, problem);
    return declared;
  }
}

/** The bytes must be the ones the image service registered: same size, same sha256. */
function verifyDownload(image: ImageRef, got: DownloadResult): void {
  if (image.size !== null && got.size !== image.size) {
    throw new ImageChecksumMismatch(`Corrupt image download of ${image.id}: received ${got.size} bytes, expected ${image.size}`);
  }
  for (const expected of [image.checksum, got.announcedSha256]) {
    if (expected && expected.toLowerCase() !== got.sha256) {
      throw new ImageChecksumMismatch(`Corrupt image download of ${image.id}: sha256 was ${got.sha256}, expected ${expected.toLowerCase()}`);
    }
  }
}
