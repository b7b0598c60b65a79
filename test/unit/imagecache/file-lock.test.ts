// The per-base lock: serialises holders in one process and across processes (lock file), and takes
// over a lock whose owner died.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLocks } from "../../../agent/imagecache/file-lock";
import { tempDir } from "./helpers";

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe("FileLocks", () => {
  it("lets one holder at a time in, across two lock sets on one directory", async () => {
    const [a, b] = [new FileLocks(tmp.dir, { pollMs: 10 }), new FileLocks(tmp.dir, { pollMs: 10 })];
    let inside = 0;
    let most = 0;
    const work = async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).withLock("x", work)));
    expect(most).toBe(1);
    expect(existsSync(a.lockPath("x"))).toBe(false);
    expect(a.isBusy("x")).toBe(false);
  });

  it("takes over a lock file left by a dead process", async () => {
    mkdirSync(tmp.dir, { recursive: true });
    const locks = new FileLocks(tmp.dir, { pollMs: 10 });
    writeFileSync(locks.lockPath("y"), "2147483646\n"); // no such pid
    let waited = false;
    expect(await locks.withLock("y", async () => "got it", () => (waited = true))).toBe("got it");
    expect(waited).toBe(false);
  });

  it("waits for a live owner and says so", async () => {
    const locks = new FileLocks(tmp.dir, { pollMs: 10 });
    writeFileSync(path.join(tmp.dir, "stratus-z"), `${process.ppid}\n`); // alive: our parent
    let waited = false;
    const pending = locks.withLock("z", async () => "done", () => (waited = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(waited).toBe(true);
    rmSync(path.join(tmp.dir, "stratus-z"));
    expect(await pending).toBe("done");
  });
});
