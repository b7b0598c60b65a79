// Fixtures for the image cache tests: temp dirs, real images made with qemu-img, and an image
// source that serves local files and counts its downloads.
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import type { DownloadProgress, DownloadResult, ImageSource } from "../../../agent/imagecache/image-source";

export function tempDir(prefix = "stratus-imagecache-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args, { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
}

export function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** A raw image of `size` with a recognisable first sector, so conversions can be compared. */
export function makeRaw(file: string, size = "4M"): string {
  qemuImg("create", "-f", "raw", file, size);
  execFileSync("sh", ["-c", `printf 'STRATUS-TEST-IMAGE' | dd of='${file}' conv=notrunc status=none`]);
  return file;
}

export interface TestImage {
  ref: ImageRef;
  file: string;
}

export function imageFrom(file: string, diskFormat: string, name = "cirros-test", overrides: Partial<ImageRef> = {}): TestImage {
  const { size } = statSync(file);
  return { file, ref: { id: randomUUID(), name, diskFormat, size, checksum: sha256(file), ...overrides } };
}

/** Serves images from local files, slowly if asked, counting downloads per image id. */
export class FileImageSource implements ImageSource {
  readonly downloads = new Map<string, number>();
  constructor(
    private readonly files: Map<string, string>,
    private readonly delayMs = 0,
  ) {}

  add(image: TestImage): this {
    this.files.set(image.ref.id, image.file);
    return this;
  }

  count(id: string): number {
    return this.downloads.get(id) ?? 0;
  }

  async download(_ctx: RequestContext | null, image: ImageRef, target: string, onProgress: DownloadProgress): Promise<DownloadResult> {
    this.downloads.set(image.id, this.count(image.id) + 1);
    const file = this.files.get(image.id);
    if (!file) throw new Error(`no such image ${image.id}`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const hash = createHash("sha256");
    let received = 0;
    const total = statSync(file).size;
    await pipeline(
      createReadStream(file, { highWaterMark: 256 * 1024 }),
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          received += chunk.length;
          hash.update(chunk);
          onProgress(received, total);
          cb(null, chunk);
        },
      }),
      createWriteStream(target, { flags: "wx" }),
    );
    return { size: received, sha256: hash.digest("hex"), announcedSha256: null };
  }
}

export function spec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    uuid: randomUUID(),
    name: "vm-1",
    vcpus: 1,
    memoryMb: 256,
    rootGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    imageId: randomUUID(),
    vmState: "building",
    taskState: "spawning",
    powerState: 0,
    ...overrides,
  };
}
