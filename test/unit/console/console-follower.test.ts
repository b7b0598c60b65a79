// The console follower: appended bytes arrive as bounded chunks with exact offsets, a truncation
// or rotation starts over with `reset`, a file that does not exist yet is picked up when it
// appears, characters are never split, a failed delivery is offered again, a runaway backlog is
// skipped.
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ConsoleFollower, type ConsoleChunk, type ConsoleFollowerOptions } from "../../../agent/console/console-follower";

const root = mkdtempSync(path.join(os.tmpdir(), "stratus-follow-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const followers: ConsoleFollower[] = [];
afterEach(() => {
  for (const f of followers.splice(0)) f.stop();
});

function freshPath(): string {
  const dir = path.join(root, `instance-${n++}`);
  return path.join(dir, "console.log");
}

function follow(file: string, options: Partial<ConsoleFollowerOptions> = {}) {
  const chunks: ConsoleChunk[] = [];
  const follower = new ConsoleFollower({
    file,
    pollMs: 50,
    emit: async (c) => {
      chunks.push(c);
      return true;
    },
    ...options,
  });
  followers.push(follower);
  return { follower, chunks };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const text = (chunks: ConsoleChunk[]) => chunks.map((c) => c.data).join("");

/** Checks the chunks tile the byte range [from, to) without gaps or overlaps. */
function expectContiguous(chunks: ConsoleChunk[], from: number): number {
  let at = from;
  for (const c of chunks) {
    expect(c.offset).toBe(at);
    at = c.offset + c.length;
  }
  return at;
}

describe("ConsoleFollower", () => {
  it("starts at the end of an existing file and streams what is appended", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "old boot lines\n");
    const { follower, chunks } = follow(file);
    await follower.start();
    expect(follower.offset).toBe(15);
    appendFileSync(file, "login: ");
    await until(() => text(chunks) === "login: ", "the first append");
    appendFileSync(file, "root\n");
    await until(() => text(chunks) === "login: root\n", "the second append");
    expectContiguous(chunks, 15);
    expect(chunks.every((c) => !c.reset)).toBe(true);
  });

  it("starts over with reset when the file is truncated", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "a long first boot\n");
    const { follower, chunks } = follow(file);
    await follower.start();
    truncateSync(file, 0);
    appendFileSync(file, "second\n");
    await until(() => chunks.length > 0 && text(chunks).endsWith("second\n"), "the chunk after truncation");
    expect(chunks[0]).toMatchObject({ offset: 0, reset: true });
    expect(follower.offset).toBe(7);
  });

  it("starts over with reset when the file is replaced (rotation)", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "x".repeat(100));
    const { follower, chunks } = follow(file);
    await follower.start();
    renameSync(file, `${file}.0`);
    // Longer than the old file, so only the inode tells it is a new one.
    writeFileSync(file, "y".repeat(150));
    await until(() => follower.offset === 150, "the rotated file to be read");
    expect(chunks[0]).toMatchObject({ offset: 0, reset: true });
    expect(text(chunks)).toBe("y".repeat(150));
  });

  it("picks up a file (and its directory) that does not exist yet, from its beginning", async () => {
    const file = freshPath();
    const { follower, chunks } = follow(file);
    await follower.start();
    expect(follower.offset).toBe(0);
    mkdirSync(path.dirname(file));
    writeFileSync(file, "SeaBIOS\n");
    await until(() => text(chunks) === "SeaBIOS\n", "the new file");
    expect(chunks[0]).toMatchObject({ offset: 0, length: 8 });
    expect(chunks[0]!.reset).toBeUndefined();
    appendFileSync(file, "Booting\n");
    await until(() => text(chunks) === "SeaBIOS\nBooting\n", "an append to it");
    expectContiguous(chunks, 0);
  });

  it("survives the file being removed and recreated", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "first\n");
    const { follower, chunks } = follow(file);
    await follower.start();
    rmSync(file);
    await new Promise((r) => setTimeout(r, 120));
    writeFileSync(file, "again\n");
    await until(() => text(chunks) === "again\n", "the recreated file");
    expect(chunks[0]).toMatchObject({ offset: 0, reset: true });
  });

  it("never splits a character written in two parts", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    const { follower, chunks } = follow(file);
    await follower.start();
    const rocket = Buffer.from("🚀"); // 4 bytes
    appendFileSync(file, Buffer.concat([Buffer.from("go "), rocket.subarray(0, 2)]));
    await until(() => text(chunks) === "go ", "the complete part");
    await new Promise((r) => setTimeout(r, 150)); // several polls: the half character stays back
    expect(follower.offset).toBe(3);
    appendFileSync(file, Buffer.concat([rocket.subarray(2), Buffer.from("\n")]));
    await until(() => text(chunks) === "go 🚀\n", "the rest");
    expect(text(chunks)).not.toContain("\uFFFD");
    expectContiguous(chunks, 0);
  });

  it("sends a large append in bounded, contiguous chunks", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    const { follower, chunks } = follow(file, { chunkBytes: 4096, bytesPerSecond: 10_000_000, maxBacklogBytes: 10_000_000 });
    await follower.start();
    const big = Array.from({ length: 5000 }, (_, i) => `[ ${i.toString().padStart(5)} ] ünïcødé kernel line`).join("\n") + "\n";
    appendFileSync(file, big);
    const size = Buffer.byteLength(big);
    await until(() => follower.offset === size, "everything to be read");
    expect(chunks.length).toBeGreaterThan(size / 4096);
    expect(chunks.every((c) => c.length <= 4096)).toBe(true);
    expect(expectContiguous(chunks, 0)).toBe(size);
    expect(text(chunks)).toBe(big);
  });

  it("keeps to its rate", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    const { follower, chunks } = follow(file, { chunkBytes: 2048, bytesPerSecond: 20_000, maxBacklogBytes: 1_000_000 });
    await follower.start();
    appendFileSync(file, "z".repeat(60_000));
    const started = Date.now();
    await until(() => follower.offset === 60_000, "the backlog to drain");
    // 20 000 bytes of burst at once, then 40 000 at 20 000 a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(text(chunks).length).toBe(60_000);
  });

  it("offers a chunk again after a failed delivery, once resumed", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    let up = false;
    const delivered: ConsoleChunk[] = [];
    let attempts = 0;
    const follower = new ConsoleFollower({
      file,
      pollMs: 50,
      emit: async (c) => {
        attempts++;
        if (!up) return false;
        delivered.push(c);
        return true;
      },
    });
    followers.push(follower);
    await follower.start();
    appendFileSync(file, "while offline\n");
    await until(() => attempts > 0, "a delivery attempt");
    await new Promise((r) => setTimeout(r, 150));
    expect(attempts).toBe(1); // paused, not retrying in a loop
    expect(follower.offset).toBe(0);
    up = true;
    follower.resume();
    await until(() => delivered.length > 0, "the redelivery");
    expect(delivered[0]).toMatchObject({ offset: 0, data: "while offline\n" });
  });

  it("skips a backlog beyond its bound, and says so", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    let up = false;
    const delivered: ConsoleChunk[] = [];
    const skipped: number[] = [];
    const follower = new ConsoleFollower({
      file,
      pollMs: 50,
      maxBacklogBytes: 1000,
      emit: async (c) => {
        if (!up) return false;
        delivered.push(c);
        return true;
      },
      onSkip: (b) => skipped.push(b),
    });
    followers.push(follower);
    await follower.start();
    appendFileSync(file, "a");
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(file, "€".repeat(2000)); // 6000 bytes more while undeliverable
    up = true;
    follower.resume();
    await until(() => follower.offset === 6001, "the follower to catch up");
    expect(skipped).toEqual([6001 - 1000]);
    // The receiver sees a jump in offsets; the text starts on a character boundary.
    expect(delivered[0]!.offset).toBeGreaterThan(1);
    expect(delivered[0]!.offset).toBeGreaterThanOrEqual(5001);
    expect(text(delivered)).not.toContain("\uFFFD");
    expect(expectContiguous(delivered, delivered[0]!.offset)).toBe(6001);
  });

  it("stops emitting once stopped", async () => {
    const file = freshPath();
    mkdirSync(path.dirname(file));
    writeFileSync(file, "");
    const { follower, chunks } = follow(file);
    await follower.start();
    follower.stop();
    appendFileSync(file, "after stop\n");
    await new Promise((r) => setTimeout(r, 150));
    expect(chunks).toEqual([]);
  });
});
