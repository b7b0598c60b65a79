// The controller side's pure rules: what counts as an acceptable disk image, and byte ranges.
import { describe, expect, it } from "vitest";
import { diskImageProblem } from "@/server/images/image-check";
import { parseRange } from "@/server/images/image-download";
import { HttpError } from "@/server/images/http-reply";
import type { ImageInfo } from "@/server/images/qemu-img";

const info = (o: Partial<ImageInfo> = {}): ImageInfo => ({
  filename: "f",
  format: "raw",
  virtualSize: 1024,
  actualSize: 1024,
  backingFile: null,
  fullBackingFile: null,
  backingFormat: null,
  dataFile: null,
  ...o,
});

describe("diskImageProblem", () => {
  it("accepts a standalone image of the declared format", () => {
    expect(diskImageProblem(info(), "raw", 1024)).toBeNull();
    expect(diskImageProblem(info({ format: "qcow2" }), "qcow2", 200_000)).toBeNull();
  });
  it.each([
    [info({ backingFile: "/etc/shadow" }), "raw", 1024, /has a backing file \(\/etc\/shadow\)/],
    [info({ format: "qcow2", dataFile: "/dev/sda" }), "qcow2", 1024, /external data file/],
    [info({ format: "raw" }), "qcow2", 1024, /not a qcow2 disk image \(qemu-img reads it as raw\)/],
    [info({ format: "qcow2" }), "raw", 1024, /not a raw disk image \(qemu-img reads it as qcow2\)/],
    [info({ virtualSize: 512 }), "raw", 26, /26 bytes is not a whole number of 512-byte sectors/],
    [info({ virtualSize: 0 }), "raw", 0, /empty/],
  ] as const)("refuses %#", (i, declared, size, why) => {
    expect(diskImageProblem(i, declared, size)).toMatch(why);
  });
});

describe("parseRange", () => {
  it("reads single ranges, open and suffix forms", () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=95-500", 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull(); // whole file instead of multipart
  });
  it("refuses unsatisfiable ranges with 416", () => {
    for (const bad of ["bytes=100-", "bytes=5-2", "items=0-1", "bytes=-0"]) {
      const err = (() => {
        try {
          parseRange(bad, 100);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(416);
    }
  });
});
