// The tail reader: the last N lines of a console log without reading the whole file, within a byte
// cap, never splitting a UTF-8 character, honest about what it left out.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTail } from "../../../agent/console/tail-reader";
import { completePrefixLength, leadingContinuationBytes } from "../../../agent/console/utf8";

const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-tail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer): string {
  const f = path.join(dir, `console-${n++}.log`);
  writeFileSync(f, content);
  return f;
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(7, "0")}`);

describe("readTail", () => {
  it("returns the last N lines of a large file, reading only its end", async () => {
    // 20 MB of console log: 1.5 M lines of 13 bytes.
    const count = 1_500_000;
    const f = path.join(dir, "large.log");
    writeFileSync(f, "");
    const batch = 100_000;
    for (let i = 1; i <= count; i += batch) await appendFile(f, lines(i, i + batch - 1).join("\n") + "\n");
    const tail = await readTail(f, { tailLines: 10, maxBytes: 512 * 1024 });
    expect(tail).not.toBeNull();
    expect(tail!.text).toBe(lines(count - 9, count).join("\n") + "\n");
    expect(tail!.truncated).toBe(true);
    expect(tail!.size).toBe(count * 13);
    expect(tail!.end).toBe(tail!.size);
    expect(tail!.start).toBe(tail!.size - 10 * 13);
    // One 64 KiB block from the end, not 20 MB.
    expect(tail!.bytesRead).toBeLessThanOrEqual(64 * 1024);
  });

  it("counts a last line without a newline as a line", async () => {
    const f = file("a\nb\nc\nd");
    expect((await readTail(f, { tailLines: 2, maxBytes: 1000 }))!.text).toBe("c\nd");
    const g = file("a\nb\nc\nd\n");
    expect((await readTail(g, { tailLines: 2, maxBytes: 1000 }))!.text).toBe("c\nd\n");
    expect((await readTail(g, { tailLines: 1, maxBytes: 1000 }))!.text).toBe("d\n");
  });

  it("returns the whole file, not truncated, when it has fewer lines than asked", async () => {
    const f = file("one\ntwo\n");
    const tail = await readTail(f, { tailLines: 200, maxBytes: 1000 });
    expect(tail).toMatchObject({ text: "one\ntwo\n", truncated: false, start: 0, end: 8, size: 8 });
  });

  it("keeps blank lines as lines", async () => {
    const f = file("a\n\n\nb\n");
    expect((await readTail(f, { tailLines: 3, maxBytes: 1000 }))!.text).toBe("\n\nb\n");
  });

  it("finds lines across many small blocks", async () => {
    const f = file(lines(1, 500).join("\n") + "\n");
    const tail = await readTail(f, { tailLines: 37, maxBytes: 1_000_000, blockSize: 7 });
    expect(tail!.text).toBe(lines(464, 500).join("\n") + "\n");
    expect(tail!.truncated).toBe(true);
  });

  it("stops at the byte cap at a line boundary and says it truncated", async () => {
    const f = file(lines(1, 1000).join("\n") + "\n"); // 13 bytes a line
    const tail = await readTail(f, { tailLines: 1000, maxBytes: 100 });
    // 100 bytes reach into line 993; its partial start is dropped: lines 994..1000.
    expect(tail!.text).toBe(lines(994, 1000).join("\n") + "\n");
    expect(tail!.truncated).toBe(true);
    expect(tail!.end - tail!.start).toBeLessThanOrEqual(100);
  });

  it("reads everything up to the cap when no line count is given", async () => {
    const f = file("x\ny\n");
    expect(await readTail(f, { maxBytes: 1000 })).toMatchObject({ text: "x\ny\n", truncated: false });
  });

  it("never starts inside a UTF-8 character when the cap cuts a long line", async () => {
    // One line of 3-byte characters: a cap of 100 bytes lands inside one of them.
    const f = file("€".repeat(1000));
    const tail = await readTail(f, { tailLines: 5, maxBytes: 100 });
    expect(tail!.text).not.toContain("\uFFFD");
    expect(tail!.text).toBe("€".repeat(33));
    expect(tail!.truncated).toBe(true);
    expect(tail!.end).toBe(3000);
  });

  it("finds lines across blocks that split multi-byte characters", async () => {
    const text = Array.from({ length: 50 }, (_, i) => `ünïcødé ✓ ${i} 🚀`).join("\n") + "\n";
    const f = file(text);
    const tail = await readTail(f, { tailLines: 3, maxBytes: 10_000, blockSize: 5 });
    expect(tail!.text).toBe(text.split("\n").slice(-4).join("\n"));
  });

  it("leaves a character still being written for later", async () => {
    const euro = Buffer.from("€"); // e2 82 ac
    const f = file(Buffer.concat([Buffer.from("boot ok\nlogin: "), euro.subarray(0, 2)]));
    const tail = await readTail(f, { tailLines: 10, maxBytes: 1000 });
    expect(tail!.text).toBe("boot ok\nlogin: ");
    expect(tail!.size).toBe(17);
    expect(tail!.end).toBe(15); // the follow continues at the cut character
  });

  it("shows bytes that are not UTF-8 as replacement characters, offsets intact", async () => {
    const f = file(Buffer.from([0x61, 0xff, 0xfe, 0x0a, 0x62, 0x0a]));
    const tail = await readTail(f, { tailLines: 10, maxBytes: 1000 });
    expect(tail!.text).toBe("a\uFFFD\uFFFD\nb\n");
    expect(tail!.end).toBe(6);
  });

  it("returns an empty, untruncated text for an empty file", async () => {
    expect(await readTail(file(""), { tailLines: 10, maxBytes: 1000 })).toMatchObject({ text: "", truncated: false, end: 0 });
  });

  it("returns null for a missing file", async () => {
    expect(await readTail(path.join(dir, "nope.log"), { tailLines: 10, maxBytes: 1000 })).toBeNull();
  });
});

describe("UTF-8 boundaries", () => {
  it("cuts before an incomplete last character only", () => {
    const euro = Buffer.from("a€"); // 61 e2 82 ac
    expect(completePrefixLength(euro)).toBe(4);
    expect(completePrefixLength(euro, 3)).toBe(1);
    expect(completePrefixLength(euro, 2)).toBe(1);
    const rocket = Buffer.from("🚀"); // 4 bytes
    expect(completePrefixLength(rocket, 3)).toBe(0);
    expect(completePrefixLength(Buffer.from([0x80, 0x80, 0x80, 0x80]))).toBe(4);
  });

  it("skips the continuation bytes of a character begun before the read", () => {
    expect(leadingContinuationBytes(Buffer.from("€").subarray(1))).toBe(2);
    expect(leadingContinuationBytes(Buffer.from("abc"))).toBe(0);
  });
});
