// Reads the end of a console log (Nova's get_console_output): the last N lines within a byte cap,
// reading backwards block by block, so a console log of gigabytes costs as much as the tail asked
// for. The text always starts and ends on UTF-8 character boundaries; `end` is the byte offset where
// it stops, which is where a live follow of the same file continues.
import { open } from "node:fs/promises";
import { completePrefixLength, decodeUtf8, leadingContinuationBytes } from "./utf8";

export interface TailOptions {
  /** Lines wanted from the end; undefined: as much as `maxBytes` allows. */
  tailLines?: number;
  /** The most bytes of the file to return. */
  maxBytes: number;
  /** Bytes read per step backwards (tests make it small). */
  blockSize?: number;
}

export interface TailResult {
  text: string;
  /** There is more of the file before `start`. */
  truncated: boolean;
  /** Byte offsets of the text in the file: [start, end). */
  start: number;
  end: number;
  /** The file's size when it was read (`end` is smaller only by a character still being written). */
  size: number;
  /** Bytes actually read from the file, for tests and diagnostics. */
  bytesRead: number;
}

const NEWLINE = 0x0a;

/** The tail of `file`, or null when it does not exist. */
export async function readTail(file: string, options: TailOptions): Promise<TailResult | null> {
  const blockSize = Math.max(1, options.blockSize ?? 64 * 1024);
  const maxBytes = Math.max(0, Math.floor(options.maxBytes));
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    // The size of the file we opened: a rotation after this point does not mix two files.
    const size = (await handle.stat()).size;
    const limit = Math.max(0, size - maxBytes);
    const blocks: Buffer[] = [];
    let pos = size;
    let start = limit;
    let foundStart = false;
    let needed = options.tailLines;
    let bytesRead = 0;
    while (pos > limit && !foundStart) {
      const length = Math.min(blockSize, pos - limit);
      const from = pos - length;
      const buf = Buffer.alloc(length);
      const { bytesRead: n } = await handle.read(buf, 0, length, from);
      bytesRead += n;
      // A file that shrank while we read: what we have is all there is.
      const block = n < length ? buf.subarray(0, n) : buf;
      blocks.unshift(block);
      if (needed !== undefined) {
        for (let i = block.length - 1; i >= 0; i--) {
          if (block[i] !== NEWLINE) continue;
          const at = from + i;
          if (at === size - 1) continue; // the newline that ends the last line
          if (--needed === 0) {
            start = at + 1;
            foundStart = true;
            break;
          }
        }
      }
      pos = from;
    }
    const region = Buffer.concat(blocks);
    // region holds the bytes [pos, size); cut it to [start, size).
    let body = region.subarray(start - pos);
    if (!foundStart && start > 0) {
      // Cut by the byte cap, not at a line: drop the partial first line when a whole one follows,
      // and never begin inside a character.
      const newline = body.indexOf(NEWLINE);
      const skip = newline >= 0 && newline < body.length - 1 ? newline + 1 : leadingContinuationBytes(body);
      body = body.subarray(skip);
      start += skip;
    }
    // A character the guest is still writing stays for the next read.
    const complete = completePrefixLength(body);
    body = body.subarray(0, complete);
    return { text: decodeUtf8(body), truncated: start > 0, start, end: start + body.length, size, bytesRead };
  } finally {
    await handle.close();
  }
}
