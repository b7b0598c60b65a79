// The image cache and instance disks with the real qemu-img, in temp dirs: one download however
// many builds start together, verification before anything lands in _base, raw conversion, and
// the qcow2 overlay on the base grown to the flavor.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backingChain, imageInfo } from "@/server/images/qemu-img";
import { baseFileName } from "../../../agent/imagecache/cache-paths";
import { createHostStorage, type HostStorage } from "../../../agent/imagecache/host-storage";
import { ImageChecksumMismatch, ImageUnacceptable } from "../../../agent/imagecache/image-cache";
import { FlavorDiskSmallerThanImage } from "../../../agent/imagecache/instance-storage";
import type { DiskPreparation, StorageProgress } from "../../../agent/storage";
import { FileImageSource, imageFrom, makeRaw, qemuImg, sha256, spec, tempDir } from "./helpers";

let tmp: { dir: string; cleanup: () => void };
let instances: string;
let images: string;

function hostStorage(source: FileImageSource): HostStorage {
  return createHostStorage(
    {
      controllerUrl: "http://unused",
      host: "compute-1",
      token: "unused-token-0123456789",
      instancesPath: instances,
      imageCacheIntervalMs: 0,
      removeUnusedOriginalMinimumAgeMs: 0,
      imageDownloadStallMs: 10_000,
    },
    source,
  );
}

beforeEach(() => {
  tmp = tempDir();
  instances = path.join(tmp.dir, "instances");
  images = path.join(tmp.dir, "images");
  mkdirSync(images);
});
afterEach(() => tmp.cleanup());

const baseDir = () => path.join(instances, "_base");

describe("image cache", () => {
  it("downloads an image once for 10 concurrent builds, even across two processes' caches", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw"), "8M"), "raw");
    const source = new FileImageSource(new Map(), 200).add(image);
    // Two caches over one instances path behave like two agent processes: only the lock file
    // coordinates them.
    const [a, b] = [hostStorage(source), hostStorage(source)];
    const specs = Array.from({ length: 10 }, () => spec());
    const progress: StorageProgress[] = [];
    const disks = await Promise.all(
      specs.map((s, i) => (i % 2 === 0 ? a : b).storage.prepareInstanceDisks(null, s, image.ref, (p) => progress.push(p))),
    );
    expect(source.count(image.ref.id)).toBe(1);
    expect(readdirSync(baseDir())).toEqual([baseFileName(image.ref.id)]);
    for (const [i, [disk]] of disks.entries()) {
      expect(disk).toEqual({ path: path.join(instances, specs[i]!.uuid, "disk"), format: "qcow2", target: "vda" });
    }
    expect(progress.map((p) => p.step)).toContain("Downloading image cirros-test (100%)");
    expect(progress.some((p) => /^Downloading image cirros-test \(\d+%\)$/.test(p.step) && p.percent < 100)).toBe(true);
    expect(progress.some((p) => p.step === "Waiting for image cirros-test")).toBe(true);
  });

  it("reports a cache miss, then hits, with the time to the base and to the overlay", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw"), "8M"), "raw");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const reports: DiskPreparation[] = [];
    const first = spec();
    await storage.prepareInstanceDisks(null, first, image.ref, undefined, (p) => reports.push(p));
    await storage.prepareInstanceDisks(null, spec(), image.ref, undefined, (p) => reports.push(p));
    // The overlay exists already (a hard reboot re-preparing the disks): no overlay time.
    await storage.prepareInstanceDisks(null, first, image.ref, undefined, (p) => reports.push(p));
    expect(reports.map((r) => r.cache)).toEqual(["miss", "hit", "hit"]);
    expect(reports[0]!.overlayMs).toBeGreaterThan(0);
    expect(reports[2]!.overlayMs).toBe(0);
    for (const r of reports) expect(r.imageMs).toBeGreaterThanOrEqual(0);
  });

  it("rejects a download whose sha256 does not match and leaves nothing in _base", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw")), "raw", "bad", { checksum: "0".repeat(64) });
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const s = spec();
    await expect(storage.prepareInstanceDisks(null, s, image.ref)).rejects.toThrow(ImageChecksumMismatch);
    await expect(storage.prepareInstanceDisks(null, s, image.ref)).rejects.toThrow(/Corrupt image download .*sha256 was [0-9a-f]{64}, expected 0{64}/);
    expect(readdirSync(baseDir())).toEqual([]);
    expect(existsSync(path.join(instances, s.uuid, "disk"))).toBe(false);
  });

  it("rejects a truncated download (size differs from the image's)", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw")), "raw", "short");
    image.ref.size = image.ref.size! + 512;
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    await expect(storage.prepareInstanceDisks(null, spec(), image.ref)).rejects.toThrow(/received \d+ bytes, expected \d+/);
    expect(readdirSync(baseDir())).toEqual([]);
  });

  it("refuses an image with a backing file (Nova's ImageUnacceptable)", async () => {
    const parent = makeRaw(path.join(images, "parent.raw"));
    const child = path.join(images, "child.qcow2");
    qemuImg("create", "-f", "qcow2", "-F", "raw", "-b", parent, child);
    const image = imageFrom(child, "qcow2", "sneaky");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const err = await storage.prepareInstanceDisks(null, spec(), image.ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageUnacceptable);
    expect((err as Error).message).toMatch(new RegExp(`^Image ${image.ref.id} is unacceptable: it has a backing file`));
    expect(readdirSync(baseDir())).toEqual([]);
  });

  it("refuses a file that is not the declared format", async () => {
    const text = path.join(images, "notes.txt");
    writeFileSync(text, "this is not a disk image\n");
    const image = imageFrom(text, "qcow2", "text");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    await expect(storage.prepareInstanceDisks(null, spec(), image.ref)).rejects.toThrow(/is not a qcow2 disk image \(qemu-img reads it as raw\)/);
    expect(readdirSync(baseDir())).toEqual([]);
  });

  it("converts a qcow2 image to a raw base with the same contents", async () => {
    const raw = makeRaw(path.join(images, "src.raw"), "6M");
    const qcow2 = path.join(images, "src.qcow2");
    qemuImg("convert", "-f", "raw", "-O", "qcow2", raw, qcow2);
    const image = imageFrom(qcow2, "qcow2");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    await storage.prepareInstanceDisks(null, spec(), image.ref);
    const base = path.join(baseDir(), baseFileName(image.ref.id));
    expect(readdirSync(baseDir())).toEqual([baseFileName(image.ref.id)]); // no .part / .converted left
    const info = await imageInfo(base);
    expect(info).toMatchObject({ format: "raw", virtualSize: 6 * 1024 * 1024, backingFile: null });
    expect(qemuImg("compare", "-f", "raw", "-F", "raw", raw, base)).toMatch(/Images are identical/);
    expect(sha256(base)).toBe(sha256(raw));
  });

  it("makes the instance disk a qcow2 overlay on _base/<sha1(image id)>, grown to the flavor", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw")), "raw");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const s = spec({ rootGb: 2 });
    const [disk] = await storage.prepareInstanceDisks(null, s, image.ref);
    const chain = await backingChain(disk!.path);
    const base = path.join(baseDir(), baseFileName(image.ref.id));
    expect(chain).toHaveLength(2);
    expect(chain[0]).toMatchObject({ format: "qcow2", virtualSize: 2 * 1024 ** 3, fullBackingFile: base, backingFormat: "raw" });
    expect(chain[1]).toMatchObject({ filename: base, format: "raw", virtualSize: 4 * 1024 * 1024 });
    expect(storage.consoleLogPath(s.uuid)).toBe(path.join(instances, s.uuid, "console.log"));

    // Idempotent: a second prepare (hard reboot, re-created domain) keeps the same overlay.
    const before = statSync(disk!.path).ino;
    await storage.prepareInstanceDisks(null, s, image.ref);
    expect(statSync(disk!.path).ino).toBe(before);
  });

  it("sizes the disk to the image for a 0 GB root disk", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw"), "5M"), "raw");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const [disk] = await storage.prepareInstanceDisks(null, spec({ rootGb: 0 }), image.ref);
    expect((await imageInfo(disk!.path)).virtualSize).toBe(5 * 1024 * 1024);
  });

  it("refuses a flavor whose root disk is smaller than the image (FlavorDiskSmallerThanImage)", async () => {
    const big = path.join(images, "big.qcow2");
    qemuImg("create", "-f", "qcow2", big, "2G"); // 2 GiB virtual, a few KiB on disk (and sparse as raw)
    const image = imageFrom(big, "qcow2", "big");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const s = spec({ rootGb: 1 });
    const err = await storage.prepareInstanceDisks(null, s, image.ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlavorDiskSmallerThanImage);
    expect((err as Error).message).toBe(
      "Flavor's disk is too small for requested image. Flavor disk is 1073741824 bytes, image is 2147483648 bytes.",
    );
    expect(readdirSync(path.join(instances, s.uuid))).toEqual([]);
  });

  it("creates and removes a rescue disk on the rescue image's base", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw")), "raw");
    const rescue = imageFrom(makeRaw(path.join(images, "rescue.raw"), "3M"), "raw", "rescue");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image).add(rescue));
    const s = spec();
    await storage.prepareInstanceDisks(null, s, image.ref);
    const disk = await storage.prepareRescueDisk(null, s, rescue.ref);
    expect(disk).toEqual({ path: path.join(instances, s.uuid, "disk.rescue"), format: "qcow2", target: "vda" });
    const [top] = await backingChain(disk.path);
    expect(top).toMatchObject({ virtualSize: 3 * 1024 * 1024, fullBackingFile: path.join(baseDir(), baseFileName(rescue.ref.id)) });
    await storage.removeRescueDisk(s.uuid);
    expect(readdirSync(path.join(instances, s.uuid))).toEqual(["disk"]);
  });

  it("removes the instance directory only; the base stays for the cache pass", async () => {
    const image = imageFrom(makeRaw(path.join(images, "tiny.raw")), "raw");
    const { storage } = hostStorage(new FileImageSource(new Map()).add(image));
    const s = spec();
    await storage.prepareInstanceDisks(null, s, image.ref);
    await storage.removeInstanceFiles(s.uuid);
    expect(existsSync(path.join(instances, s.uuid))).toBe(false);
    expect(readdirSync(baseDir())).toEqual([baseFileName(image.ref.id)]);
    expect(() => storage.instanceDir("../_base")).toThrow(/not an instance uuid/);
  });
});
