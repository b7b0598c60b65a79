// The periodic image cache pass with the real qemu-img: only bases that no instance disk is backed
// by and that are older than the minimum age go; a base in use is never removed, even when old and
// when its disk is held open by a running QEMU (qemu-io holds the same lock here).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { imageInfo } from "@/server/images/qemu-img";
import { addLogSink, type LogRecord } from "@/server/logs/logger";
import { baseFileName } from "../../../agent/imagecache/cache-paths";
import { createHostStorage, type HostStorage } from "../../../agent/imagecache/host-storage";
import { FileImageSource, imageFrom, makeRaw, spec, tempDir, type TestImage } from "./helpers";

const DAY_S = 86_400;
let tmp: { dir: string; cleanup: () => void };
let instances: string;
let logs: LogRecord[];
let removeSink: () => void;
let holder: ChildProcess | null = null;

beforeAll(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterAll(() => vi.restoreAllMocks());
beforeEach(() => {
  tmp = tempDir();
  instances = path.join(tmp.dir, "instances");
  mkdirSync(path.join(tmp.dir, "images"));
  logs = [];
  removeSink = addLogSink((r) => logs.push(r));
});
afterEach(() => {
  holder?.kill("SIGKILL");
  holder = null;
  removeSink();
  tmp.cleanup();
});

function host(source: FileImageSource, minimumAgeS = DAY_S): HostStorage {
  return createHostStorage(
    {
      controllerUrl: "http://unused",
      host: "compute-1",
      token: "unused-token-0123456789",
      instancesPath: instances,
      imageCacheIntervalMs: 0,
      removeUnusedOriginalMinimumAgeMs: minimumAgeS * 1000,
      imageDownloadStallMs: 10_000,
    },
    source,
  );
}

function image(name: string): TestImage {
  return imageFrom(makeRaw(path.join(tmp.dir, "images", `${name}.raw`), "2M"), "raw", name);
}

const base = (i: TestImage) => path.join(instances, "_base", baseFileName(i.ref.id));

function age(file: string, seconds: number): void {
  const t = new Date(Date.now() - seconds * 1000);
  utimesSync(file, t, t);
}

/** Holds the disk open for writing, as the QEMU of a running guest does. */
async function holdOpen(disk: string): Promise<void> {
  holder = spawn("qemu-io", ["-f", "qcow2", disk], { stdio: ["pipe", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.once("data", () => resolve());
    holder!.once("error", reject);
  });
}

const messages = () => logs.filter((r) => r.module === "stratus.compute.imagecache").map((r) => r.message);

describe("image cache pass", () => {
  it("removes only unused bases older than the minimum age, never one in use", async () => {
    const [used, old, young] = [image("used"), image("old"), image("young")];
    const source = new FileImageSource(new Map()).add(used).add(old).add(young);
    const { storage, cache, cacheManager } = host(source);
    const running = spec();
    const [disk] = await storage.prepareInstanceDisks(null, running, used.ref);
    // Old and young are cached by builds whose instances have since been deleted.
    for (const i of [old, young]) {
      const s = spec();
      await storage.prepareInstanceDisks(null, s, i.ref);
      await storage.removeInstanceFiles(s.uuid);
    }
    // A fetch that died half-way, long ago.
    const leftover = `${base(old)}.part`;
    writeFileSync(leftover, "partial");
    age(base(used), 3 * DAY_S);
    age(base(old), 2 * DAY_S);
    age(leftover, 2 * DAY_S);
    age(base(young), 3600);
    await holdOpen(disk!.path);
    await expect(imageInfo(disk!.path)).rejects.toThrow(/Failed to get shared "write" lock/);

    const result = await cacheManager.runPass();

    expect(result.active).toEqual([base(used)]);
    expect(result.removed.sort()).toEqual([base(old), leftover].sort());
    expect(result.tooYoung).toEqual([base(young)]);
    expect(readdirSync(path.join(instances, "_base")).sort()).toEqual([baseFileName(used.ref.id), baseFileName(young.ref.id)].sort());
    expect(cache.isInUse(baseFileName(used.ref.id))).toBe(false);

    const lines = messages();
    expect(lines).toContain(`Active base files: ${base(used)}`);
    expect(lines.find((l) => l.startsWith("Removable base files: "))?.split(" ").slice(3).sort()).toEqual(
      [base(old), leftover, base(young)].sort(),
    );
    expect(lines).toContain(`Base or swap file too young to remove: ${base(young)}`);
    expect(lines).toContain(`Removing base or swap file: ${base(old)}`);
    expect(existsSync(disk!.path)).toBe(true);
  });

  it("removes an unused base at once with a zero minimum age, and fetches it again when needed", async () => {
    const img = image("again");
    const source = new FileImageSource(new Map()).add(img);
    const { storage, cacheManager } = host(source, 0);
    const s = spec();
    await storage.prepareInstanceDisks(null, s, img.ref);
    expect((await cacheManager.runPass()).removed).toEqual([]); // its disk still uses it
    await storage.removeInstanceFiles(s.uuid);
    expect((await cacheManager.runPass()).removed).toEqual([base(img)]);
    await storage.prepareInstanceDisks(null, spec(), img.ref);
    expect(source.count(img.ref.id)).toBe(2);
  });

  it("keeps a base that a build is using right now", async () => {
    const img = image("busy");
    const source = new FileImageSource(new Map()).add(img);
    const { cache, cacheManager } = host(source, 0);
    let pass: Awaited<ReturnType<typeof cacheManager.runPass>> | null = null;
    await cache.use(null, img.ref, undefined, async () => {
      pass = await cacheManager.runPass();
    });
    expect(pass).toMatchObject({ active: [base(img)], removed: [] });
    expect(existsSync(base(img))).toBe(true);
  });
});
