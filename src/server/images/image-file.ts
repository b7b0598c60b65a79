// Facts about a stored image file, read the way an upload computes them (size, sha256 while
// streaming, qemu-img's view), and a way to put a file into the store by copy-then-rename. Used by
// the seed to register a bundled image exactly as if it had been uploaded.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { diskImageProblem } from "./image-check";
import { createBlankImage, imageInfo, type DiskFormat } from "./qemu-img";

export interface ImageFileFacts {
  size: number;
  sha256: string;
  virtualSize: number;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Size, sha256 and virtual size of an image file; throws when it is not a usable `format` image. */
export async function describeImageFile(file: string, format: DiskFormat): Promise<ImageFileFacts> {
  const { size } = await stat(file);
  const info = await imageInfo(file);
  const problem = diskImageProblem(info, format, size);
  if (problem) throw new Error(`${file} is unacceptable: ${problem}`);
  return { size, sha256: await sha256OfFile(file), virtualSize: info.virtualSize };
}

/**
 * Puts an image at `target` unless one is there: a copy of `source`, or a blank raw disk of
 * `blankBytes`. Written beside the target and renamed, so concurrent writers never see half a file.
 */
export async function ensureImageFile(target: string, source: string | null, blankBytes: number): Promise<void> {
  if (await stat(target).then(() => true, () => false)) return;
  await mkdir(path.dirname(target), { recursive: true });
  const staging = `${target}.${process.pid}.seed.part`;
  try {
    if (source) await copyFile(source, staging);
    else await createBlankImage(staging, "raw", blankBytes);
    await rename(staging, target);
  } finally {
    await rm(staging, { force: true });
  }
}
