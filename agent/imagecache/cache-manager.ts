// Nova's image cache manager pass (libvirt/imagecache.py update): every `manager_interval`, find
// which bases in `_base` the instance disks on this host still use — by asking qemu-img for each
// disk's backing file (`-U`: the disks of running guests are locked) — and remove the unused ones
// whose mtime is older than `remove_unused_original_minimum_age_seconds`. A base in use is never
// removed; age and use are checked again under the base's lock, which a fetch holds.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { imageInfo } from "@/server/images/qemu-img";
import { getLogger } from "@/server/logs/logger";
import { isBaseFileName, isInstanceDirName, type CachePaths } from "./cache-paths";
import type { FileLocks } from "./file-lock";
import type { ImageCache } from "./image-cache";

/** Instance files that may sit on a base. */
const DISK_NAMES = ["disk", "disk.rescue"];
/** Leftovers of an interrupted fetch: removable like an unused base once old enough. */
const LEFTOVER = /^([0-9a-f]{40})\.(part|converted)$/;

export interface CachePassResult {
  active: string[];
  removable: string[];
  tooYoung: string[];
  removed: string[];
}

export interface ImageCacheManagerOptions {
  paths: CachePaths;
  cache: ImageCache;
  locks: FileLocks;
  /** remove_unused_original_minimum_age_seconds, in ms. */
  minimumAgeMs: number;
  /** manager_interval in ms; 0 runs no periodic pass. */
  intervalMs: number;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export class ImageCacheManager {
  private readonly options: ImageCacheManagerOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CachePassResult> | null = null;

  constructor(options: ImageCacheManagerOptions) {
    this.options = options;
  }

  private get log(): Logger {
    return getLogger("stratus.compute.imagecache");
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runPass().catch((err: unknown) => this.log.error({ err }, "Image cache pass failed"));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; a pass asked for while one runs gets that pass's result. */
  runPass(): Promise<CachePassResult> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Base file names that the disks of this host's instances are backed by. */
  private async basesInUse(): Promise<Set<string>> {
    const { paths } = this.options;
    const used = new Set<string>();
    for (const entry of await listDir(paths.root)) {
      if (!isInstanceDirName(entry)) continue;
      for (const name of DISK_NAMES) {
        const disk = path.join(paths.root, entry, name);
        if (!(await stat(disk).then(() => true, () => false))) continue;
        // A disk we cannot read might use any base: then this pass removes nothing.
        const info = await imageInfo(disk, { forceShare: true });
        const backing = info.fullBackingFile ?? info.backingFile;
        if (backing && path.dirname(path.resolve(paths.root, entry, backing)) === paths.baseDir) {
          used.add(path.basename(backing));
        }
      }
    }
    return used;
  }

  private async pass(): Promise<CachePassResult> {
    const { paths, cache, locks, minimumAgeMs } = this.options;
    const log = this.log;
    const result: CachePassResult = { active: [], removable: [], tooYoung: [], removed: [] };
    const entries = (await listDir(paths.baseDir)).sort();
    if (entries.length === 0) return result;
    let used: Set<string>;
    try {
      used = await this.basesInUse();
    } catch (err) {
      log.warn({ err }, "Cannot tell which base files the instance disks use; removing none this pass");
      return result;
    }

    const candidates: { file: string; name: string }[] = [];
    for (const entry of entries) {
      const leftover = LEFTOVER.exec(entry);
      const name = isBaseFileName(entry) ? entry : leftover?.[1];
      if (!name) {
        log.info(`Unknown base file: ${path.join(paths.baseDir, entry)}`);
        continue;
      }
      const file = path.join(paths.baseDir, entry);
      if (used.has(entry) || cache.isInUse(name)) result.active.push(file);
      else candidates.push({ file, name });
    }
    result.removable = candidates.map((c) => c.file);
    if (result.active.length > 0) log.info(`Active base files: ${result.active.join(" ")}`);
    if (result.removable.length > 0) log.info(`Removable base files: ${result.removable.join(" ")}`);

    for (const { file, name } of candidates) {
      await locks.withLock(name, async () => {
        // Re-checked under the lock: a build may have fetched or touched it since the scan.
        const info = await stat(file).catch(() => null);
        if (!info) return;
        const age = Date.now() - info.mtimeMs;
        if (age < minimumAgeMs) {
          result.tooYoung.push(file);
          log.info(`Base or swap file too young to remove: ${file}`);
          return;
        }
        // A build pins its base before it touches it and until its overlay exists.
        if (cache.isInUse(name)) {
          result.active.push(file);
          return;
        }
        log.info(`Removing base or swap file: ${file}`);
        await rm(file, { force: true });
        result.removed.push(file);
      });
    }
    return result;
  }
}
