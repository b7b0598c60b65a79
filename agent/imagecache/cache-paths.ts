// Where the instance storage of one host lives, Nova's layout under instances_path:
//   _base/<sha1(image id)>        the cached image, raw, shared read-only by every overlay
//   locks/                        per-base lock files (Nova's lock_path)
//   <uuid>/disk, disk.rescue, disk.incoming (a migration's), console.log
import { createHash } from "node:crypto";
import path from "node:path";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Nova's get_cache_fname: the base of an image is named after the sha1 of its id. */
export function baseFileName(imageId: string): string {
  return createHash("sha1").update(imageId).digest("hex");
}

export function isBaseFileName(name: string): boolean {
  return /^[0-9a-f]{40}$/.test(name);
}

export function isInstanceDirName(name: string): boolean {
  return UUID.test(name);
}

export class CachePaths {
  readonly root: string;
  readonly baseDir: string;
  readonly lockDir: string;

  constructor(instancesPath: string) {
    this.root = path.resolve(instancesPath);
    this.baseDir = path.join(this.root, "_base");
    this.lockDir = path.join(this.root, "locks");
  }

  base(imageId: string): string {
    return path.join(this.baseDir, baseFileName(imageId));
  }

  instanceDir(uuid: string): string {
    // The name becomes a directory that removeInstanceFiles deletes: never `_base` or `..`.
    if (!isInstanceDirName(uuid)) throw new Error(`not an instance uuid: ${JSON.stringify(uuid)}`);
    return path.join(this.root, uuid.toLowerCase());
  }

  disk(uuid: string): string {
    return path.join(this.instanceDir(uuid), "disk");
  }

  /** A root disk arriving from another host (migration), until it is verified and adopted. */
  incomingDisk(uuid: string): string {
    return path.join(this.instanceDir(uuid), "disk.incoming");
  }

  rescueDisk(uuid: string): string {
    return path.join(this.instanceDir(uuid), "disk.rescue");
  }

  consoleLog(uuid: string): string {
    return path.join(this.instanceDir(uuid), "console.log");
  }
}
