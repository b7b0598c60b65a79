// The image service's file store (Glance's filesystem store): one file per image, `<dir>/<id>`,
// written only by renaming a fully received and verified staging file into place, so a reader never
// sees a partial image. Staging files are dot-files next to it (same file system: rename is atomic).
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { config } from "@/server/config";

const ID = /^[0-9a-fA-F-]{36}$/;

/** The store directory: STRATUS_IMAGE_DIR, relative to the controller's working directory. */
export function imageStoreDir(): string {
  return path.resolve(config.STRATUS_IMAGE_DIR);
}

function checkedId(id: string): string {
  // Ids become file names: only UUIDs, never anything that could climb out of the store.
  if (!ID.test(id)) throw new Error(`not an image id: ${JSON.stringify(id)}`);
  return id.toLowerCase();
}

export function imageFilePath(id: string, dir: string = imageStoreDir()): string {
  return path.join(dir, checkedId(id));
}

/** A fresh staging path for one upload attempt of the image. */
export function stagingFilePath(id: string, dir: string = imageStoreDir()): string {
  return path.join(dir, `.${checkedId(id)}.${randomBytes(6).toString("hex")}.part`);
}

export async function removeImageFile(id: string, dir: string = imageStoreDir()): Promise<void> {
  await rm(imageFilePath(id, dir), { force: true });
}
