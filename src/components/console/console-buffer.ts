// The console text a browser shows: a tail fetched from the API, continued by live chunks placed by
// their byte offsets in the file. A chunk that repeats what the tail already holds is dropped, one
// that overlaps it is trimmed, one that leaves a gap asks for the tail again (the caller refetches),
// and one that restarts the file (truncation, rotation) is marked in the text. Pure functions, so
// the rules are testable without a socket.

export interface ConsoleSnapshot {
  text: string;
  truncated: boolean;
  available: boolean;
  reason?: string;
  endOffset: number;
}

export interface ConsoleChunkLike {
  offset: number;
  length: number;
  data: string;
  reset?: boolean;
}

export interface ConsoleBuffer {
  /** The console text as the guest wrote it (escape sequences included). */
  text: string;
  /** Byte offset in the file where `text` ends. */
  end: number;
  /** Older output exists that `text` does not hold. */
  truncated: boolean;
  available: boolean;
  reason?: string;
  /** Lines dropped from the front since the snapshot: keeps line keys stable while trimming. */
  droppedLines: number;
}

/** Marks in the text where the console log was truncated or replaced by a new file. */
export const RESTART_MARKER = "---- console log restarted (truncated or rotated) ----\n";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function fromSnapshot(s: ConsoleSnapshot): ConsoleBuffer {
  return {
    text: s.text,
    end: s.endOffset,
    truncated: s.truncated,
    available: s.available,
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
    droppedLines: 0,
  };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Keeps at most `maxLines` lines, dropping whole lines from the front. */
export function trimLines(buffer: ConsoleBuffer, maxLines: number): ConsoleBuffer {
  const newlines = countNewlines(buffer.text);
  // A last line without its newline is a line too.
  const lines = newlines + (buffer.text.length > 0 && !buffer.text.endsWith("\n") ? 1 : 0);
  const excess = lines - maxLines;
  if (excess <= 0) return buffer;
  let cut = -1;
  for (let k = 0; k < excess; k++) cut = buffer.text.indexOf("\n", cut + 1);
  return { ...buffer, text: buffer.text.slice(cut + 1), truncated: true, droppedLines: buffer.droppedLines + excess };
}

export interface ChunkResult {
  buffer: ConsoleBuffer;
  /** Bytes are missing between the buffer and the chunk: fetch the tail again. */
  gap: boolean;
}

/** Places one live chunk after the buffer's text. */
export function applyChunk(buffer: ConsoleBuffer, chunk: ConsoleChunkLike, maxLines: number): ChunkResult {
  const chunkEnd = chunk.offset + chunk.length;
  if (chunk.reset) {
    const keep = buffer.text.length > 0;
    const text = keep ? `${buffer.text}${buffer.text.endsWith("\n") ? "" : "\n"}${RESTART_MARKER}${chunk.data}` : chunk.data;
    const next: ConsoleBuffer = { ...buffer, text, end: chunkEnd, available: true };
    delete next.reason;
    // A reset chunk starts the new file at 0; anything else means the start was missed.
    return { buffer: trimLines(next, maxLines), gap: chunk.offset !== 0 };
  }
  if (chunkEnd <= buffer.end) return { buffer, gap: false }; // already shown
  if (chunk.offset > buffer.end) return { buffer, gap: true };
  let data = chunk.data;
  if (chunk.offset < buffer.end) {
    // Overlap: both sides are cut on character boundaries of the same file.
    data = decoder.decode(encoder.encode(data).subarray(buffer.end - chunk.offset));
  }
  const next: ConsoleBuffer = { ...buffer, text: buffer.text + data, end: chunkEnd, available: true };
  delete next.reason;
  return { buffer: trimLines(next, maxLines), gap: false };
}

/** A live chunk as the browser keeps it for replay, numbered in arrival order. */
export interface ReceivedChunk {
  chunk: ConsoleChunkLike;
  seq: number;
}

/**
 * A fresh tail, with the chunks that arrived around its fetch placed after it. Plain chunks are
 * placed by offset (repeats drop out). A restart chunk is never replayed: one that arrived before
 * the fetch began is already in the tail, and of one that arrived while it ran nobody can say
 * whether the tail saw it, so the tail is fetched again (`resync`).
 */
export function replayOnto(
  snapshot: ConsoleSnapshot,
  received: readonly ReceivedChunk[],
  fetchStartedAfterSeq: number,
  maxLines: number,
): { buffer: ConsoleBuffer; resync: boolean } {
  let buffer = fromSnapshot(snapshot);
  let resync = false;
  let gap = false;
  for (const { chunk, seq } of received) {
    if (chunk.reset) {
      if (seq > fetchStartedAfterSeq) resync = true;
      continue;
    }
    const r = applyChunk(buffer, chunk, maxLines);
    buffer = r.buffer;
    gap ||= r.gap;
  }
  // A chunk beyond the tail with nothing to bridge it: the tail was read before the follow began.
  if (gap && received.some(({ chunk }) => chunk.offset + chunk.length > buffer.end)) resync = true;
  return { buffer, resync };
}
