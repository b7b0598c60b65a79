// qemu-img, the one tool both the image service and the agents' image cache trust to read disk
// images (Nova's nova/virt/images.py qemu_img_info and libvirt/utils.py). Its JSON is parsed with
// zod; every call has a timeout, and runs with LC_ALL=C so its messages are stable to match.
import { execFile } from "node:child_process";
import { z } from "zod";

/** The formats Stratus accepts for images and instance disks. */
export const DISK_FORMATS = ["qcow2", "raw"] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

const infoJsonSchema = z.object({
  filename: z.string(),
  format: z.string(),
  "virtual-size": z.number().int().nonnegative(),
  "actual-size": z.number().int().nonnegative().optional(),
  "backing-filename": z.string().optional(),
  "full-backing-filename": z.string().optional(),
  "backing-filename-format": z.string().optional(),
  "format-specific": z
    .object({ type: z.string(), data: z.object({ "data-file": z.string().optional() }).loose() })
    .optional(),
});

export interface ImageInfo {
  filename: string;
  format: string;
  virtualSize: number;
  actualSize: number | null;
  /** As written in the image header (relative names stay relative). */
  backingFile: string | null;
  /** Resolved against the image's directory, as qemu opens it. */
  fullBackingFile: string | null;
  backingFormat: string | null;
  /** qcow2's external data file: as dangerous as a backing file in an untrusted image. */
  dataFile: string | null;
}

export class QemuImgError extends Error {
  override readonly name = "QemuImgError";
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

const MiB = 1024 * 1024;

function run(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "qemu-img",
      args,
      { timeout: timeoutMs, maxBuffer: 16 * MiB, env: { ...process.env, LC_ALL: "C", LANG: "C" } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = stderr.trim() || error.message;
        const why = error.killed ? `timed out after ${timeoutMs} ms` : detail;
        reject(new QemuImgError(`qemu-img ${args[0]} failed: ${why.replace(/^qemu-img: /, "")}`, stderr));
      },
    );
  });
}

function toInfo(raw: z.infer<typeof infoJsonSchema>): ImageInfo {
  return {
    filename: raw.filename,
    format: raw.format,
    virtualSize: raw["virtual-size"],
    actualSize: raw["actual-size"] ?? null,
    backingFile: raw["backing-filename"] ?? null,
    fullBackingFile: raw["full-backing-filename"] ?? null,
    backingFormat: raw["backing-filename-format"] ?? null,
    dataFile: raw["format-specific"]?.data["data-file"] ?? null,
  };
}

export interface InfoOptions {
  /** Open as this format instead of probing (probing is what finds out what a file really is). */
  format?: string;
  /** `-U`: read a disk a running guest holds open (otherwise: "Failed to get shared 'write' lock"). */
  forceShare?: boolean;
  timeoutMs?: number;
}

function infoArgs(file: string, options: InfoOptions, chain: boolean): string[] {
  return [
    "info",
    "--output=json",
    ...(chain ? ["--backing-chain"] : []),
    ...(options.forceShare ? ["-U"] : []),
    ...(options.format ? ["-f", options.format] : []),
    file,
  ];
}

export async function imageInfo(file: string, options: InfoOptions = {}): Promise<ImageInfo> {
  const out = await run(infoArgs(file, options, false), options.timeoutMs ?? 30_000);
  return toInfo(infoJsonSchema.parse(JSON.parse(out)));
}

/** The image and every backing file under it, top first. */
export async function backingChain(file: string, options: InfoOptions = {}): Promise<ImageInfo[]> {
  const out = await run(infoArgs(file, options, true), options.timeoutMs ?? 30_000);
  return z.array(infoJsonSchema).parse(JSON.parse(out)).map(toInfo);
}

export async function convertImage(
  source: string,
  sourceFormat: string,
  target: string,
  targetFormat: DiskFormat,
  timeoutMs = 30 * 60_000,
): Promise<void> {
  await run(["convert", "-f", sourceFormat, "-O", targetFormat, source, target], timeoutMs);
}

/** A qcow2 overlay on `backingFile` (absolute), `sizeBytes` large. -F is mandatory since QEMU 7. */
export async function createOverlay(
  file: string,
  backingFile: string,
  backingFormat: DiskFormat,
  sizeBytes: number,
  timeoutMs = 60_000,
): Promise<void> {
  await run(["create", "-f", "qcow2", "-F", backingFormat, "-b", backingFile, file, String(sizeBytes)], timeoutMs);
}

export async function createBlankImage(file: string, format: DiskFormat, sizeBytes: number): Promise<void> {
  await run(["create", "-f", format, file, String(sizeBytes)], 60_000);
}

/**
 * Points a qcow2 overlay at another backing file without reading either (`rebase -u`): for a disk
 * that arrived from another host, whose identical base lives at a different path here.
 */
export async function rebaseUnsafe(file: string, backingFile: string, backingFormat: DiskFormat): Promise<void> {
  await run(["rebase", "-u", "-f", "qcow2", "-F", backingFormat, "-b", backingFile, file], 60_000);
}

/** Grows a disk to `sizeBytes` (never used to shrink: a guest's filesystem would be cut). */
export async function growImage(file: string, format: DiskFormat, sizeBytes: number): Promise<void> {
  await run(["resize", "-f", format, file, String(sizeBytes)], 60_000);
}
