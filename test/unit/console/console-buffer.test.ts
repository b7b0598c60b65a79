// The browser's console text: a tail continued by live chunks placed by byte offset — duplicates
// dropped, overlaps trimmed on character boundaries, gaps reported, restarts marked, lines capped.
import { describe, expect, it } from "vitest";
import { applyChunk, fromSnapshot, replayOnto, RESTART_MARKER, trimLines, type ConsoleBuffer } from "@/components/console/console-buffer";
import { displayText, findMatches, splitLines, stepMatch } from "@/components/console/console-text";

const bytes = (s: string) => new TextEncoder().encode(s).length;
const tail = (text: string, endOffset = bytes(text)): ConsoleBuffer =>
  fromSnapshot({ text, truncated: false, available: true, endOffset });
const chunk = (offset: number, data: string, reset?: boolean) => ({ offset, length: bytes(data), data, ...(reset ? { reset } : {}) });

describe("applyChunk", () => {
  it("appends a chunk that continues the text", () => {
    const r = applyChunk(tail("boot\n"), chunk(5, "login: "), 100);
    expect(r).toMatchObject({ gap: false, buffer: { text: "boot\nlogin: ", end: 12 } });
  });

  it("drops a chunk the tail already holds", () => {
    const b = tail("boot\nlogin: ");
    const r = applyChunk(b, chunk(5, "login: "), 100);
    expect(r.buffer).toBe(b);
    expect(r.gap).toBe(false);
  });

  it("trims the part of an overlapping chunk the tail holds, by bytes", () => {
    const b = tail("café ");
    // The chunk began before "é" (2 bytes) and goes on.
    const r = applyChunk(b, chunk(3, "é ünïcode\n"), 100);
    expect(r.buffer.text).toBe("café ünïcode\n");
    expect(r.buffer.end).toBe(bytes("café ünïcode\n"));
  });

  it("reports a gap and keeps the text", () => {
    const b = tail("boot\n");
    const r = applyChunk(b, chunk(50, "later\n"), 100);
    expect(r.gap).toBe(true);
    expect(r.buffer).toBe(b);
  });

  it("marks a restart of the file and continues from it", () => {
    const r = applyChunk(tail("old run\n", 8), chunk(0, "new run\n", true), 100);
    expect(r.gap).toBe(false);
    expect(r.buffer.text).toBe(`old run\n${RESTART_MARKER}new run\n`);
    expect(r.buffer.end).toBe(8);
  });

  it("fills a console that had no log yet", () => {
    const empty = fromSnapshot({ text: "", truncated: false, available: false, reason: "no log yet", endOffset: 0 });
    const r = applyChunk(empty, chunk(0, "SeaBIOS\n"), 100);
    expect(r.buffer).toMatchObject({ text: "SeaBIOS\n", available: true, end: 8 });
    expect(r.buffer.reason).toBeUndefined();
  });

  it("keeps at most maxLines lines, marking the text truncated", () => {
    let b = tail("1\n2\n3\n");
    b = applyChunk(b, chunk(6, "4\n5\n"), 3).buffer;
    expect(b).toMatchObject({ text: "3\n4\n5\n", truncated: true, droppedLines: 2 });
    expect(trimLines(tail("a\nb\nc"), 2).text).toBe("b\nc");
  });
});

describe("console text", () => {
  it("removes escape sequences and control characters, keeps tabs and newlines", () => {
    expect(displayText("\u001b[0;32m  OK  \u001b[0m Started\r\n\tx\u0007\u001b]0;title\u0007y\n")).toBe("  OK   Started\n\txy\n");
    // A broken OSC sequence never swallows later lines.
    expect(displayText("a\u001b]0;broken\nb\n")).toBe("a\nb\n");
  });

  it("splits lines without an extra empty last one", () => {
    expect(splitLines("a\n\nb\n")).toEqual(["a", "", "b"]);
    expect(splitLines("a\nb")).toEqual(["a", "b"]);
    expect(splitLines("")).toEqual([]);
  });

  it("finds every match case-insensitively, with regex characters taken literally", () => {
    const lines = ["Kernel panic", "kernel: [1.0] ok", "no (match) here", "KERNEL kernel"];
    expect(findMatches(lines, "kernel").matches).toEqual([
      { line: 0, start: 0, end: 6 },
      { line: 1, start: 0, end: 6 },
      { line: 3, start: 0, end: 6 },
      { line: 3, start: 7, end: 13 },
    ]);
    expect(findMatches(lines, "[1.0]").matches).toEqual([{ line: 1, start: 8, end: 13 }]);
    expect(findMatches(lines, "(match)").matches).toHaveLength(1);
    expect(findMatches(lines, "").matches).toEqual([]);
    expect(findMatches(["aaaa"], "a", 3)).toMatchObject({ capped: true });
  });

  it("steps between matches, wrapping around", () => {
    expect(stepMatch(-1, 3, 1)).toBe(0);
    expect(stepMatch(2, 3, 1)).toBe(0);
    expect(stepMatch(0, 3, -1)).toBe(2);
    expect(stepMatch(0, 0, 1)).toBe(-1);
  });
});

describe("replayOnto", () => {
  const snap = (text: string, endOffset = bytes(text)) => ({ text, truncated: false, available: true, endOffset });

  it("places chunks that arrived around the fetch after the tail, dropping repeats", () => {
    const received = [
      { chunk: chunk(0, "a\n"), seq: 1 },
      { chunk: chunk(2, "b\n"), seq: 2 },
      { chunk: chunk(4, "c\n"), seq: 3 },
    ];
    expect(replayOnto(snap("a\nb\n"), received, 1, 100)).toMatchObject({ resync: false, buffer: { text: "a\nb\nc\n", end: 6 } });
  });

  it("never replays a restart the tail already shows", () => {
    // Follow paused, the log restarted, follow resumed: the fresh tail is the new file.
    const received = [{ chunk: chunk(0, "rebooted\n", true), seq: 5 }];
    const r = replayOnto(snap("rebooted\nlater\n"), received, 7, 100);
    expect(r).toMatchObject({ resync: false, buffer: { text: "rebooted\nlater\n" } });
  });

  it("reads the tail again after a restart that came while it was read", () => {
    const received = [{ chunk: chunk(0, "rebooted\n", true), seq: 8 }];
    expect(replayOnto(snap("old file, long\n"), received, 7, 100).resync).toBe(true);
  });

  it("reads the tail again when the chunks start beyond it", () => {
    const received = [{ chunk: chunk(40, "x\n"), seq: 2 }];
    const r = replayOnto(snap("a\n"), received, 0, 100);
    expect(r.resync).toBe(true);
    expect(r.buffer.text).toBe("a\n");
  });
});
