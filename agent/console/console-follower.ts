// Follows one console log as it grows (`tail -F`): the file's directory is watched (inotify through
// fs.watch) so an append, a truncation, a rotation (a new file under the same name) and the file's
// first appearance are seen at once, with a slow stat as a safety net for missed events. Appended
// bytes are read from the last offset and handed out in bounded chunks cut on UTF-8 character
// boundaries, at a bounded rate: the file is the buffer, so a chatty guest only makes the reader
// fall behind, and a backlog beyond `maxBacklogBytes` is skipped (the receiver sees the jump in
// offsets and refetches the tail instead).
import { watch, type FSWatcher } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { completePrefixLength, decodeUtf8, leadingContinuationBytes } from "./utf8";

export interface ConsoleChunk {
  /** Byte offset of `data` in the file. */
  offset: number;
  /** Bytes of the file `data` covers (the next chunk starts at offset + length). */
  length: number;
  data: string;
  /** The file was truncated or replaced: this chunk starts it over from offset 0. */
  reset?: boolean;
}

export interface FollowerTuning {
  /** Largest chunk, in bytes of the file. */
  chunkBytes: number;
  /** Sustained rate, in bytes per second; bursts up to max(chunkBytes, bytesPerSecond). */
  bytesPerSecond: number;
  /** Unsent bytes beyond this are skipped. */
  maxBacklogBytes: number;
  /** Interval of the safety stat while following, in ms. */
  pollMs: number;
}

export const DEFAULT_FOLLOWER_TUNING: FollowerTuning = {
  chunkBytes: 16 * 1024,
  bytesPerSecond: 64 * 1024,
  maxBacklogBytes: 256 * 1024,
  pollMs: 2000,
};

export interface ConsoleFollowerOptions extends Partial<FollowerTuning> {
  file: string;
  /**
   * Delivers one chunk. Resolves true once delivered; false (or a rejection) when it could not be,
   * which pauses the follower until resume(): the same bytes are offered again then.
   */
  emit: (chunk: ConsoleChunk) => Promise<boolean>;
  /** Told when a backlog was skipped, with the bytes skipped. */
  onSkip?: (bytes: number) => void;
  now?: () => number;
}

export class ConsoleFollower {
  readonly file: string;
  private readonly tuning: FollowerTuning;
  private readonly emit: ConsoleFollowerOptions["emit"];
  private readonly onSkip: ConsoleFollowerOptions["onSkip"];
  private readonly now: () => number;
  private position = 0;
  /** Inode of the file being followed; null while there is none. */
  private ino: number | null = null;
  private hadFile = false;
  private resetNext = false;
  private alignNext = false;
  private running = false;
  private paused = false;
  private pumping = false;
  private again = false;
  private watcher: FSWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private rateTimer: NodeJS.Timeout | null = null;
  private tokens: number;
  private lastRefill: number;
  private idleWaiters: (() => void)[] = [];

  constructor(options: ConsoleFollowerOptions) {
    this.file = options.file;
    this.tuning = {
      chunkBytes: options.chunkBytes ?? DEFAULT_FOLLOWER_TUNING.chunkBytes,
      bytesPerSecond: options.bytesPerSecond ?? DEFAULT_FOLLOWER_TUNING.bytesPerSecond,
      maxBacklogBytes: options.maxBacklogBytes ?? DEFAULT_FOLLOWER_TUNING.maxBacklogBytes,
      pollMs: options.pollMs ?? DEFAULT_FOLLOWER_TUNING.pollMs,
    };
    this.emit = options.emit;
    this.onSkip = options.onSkip;
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.lastRefill = this.now();
  }

  /** The byte offset up to which the file has been handed out. */
  get offset(): number {
    return this.position;
  }

  get following(): boolean {
    return this.running;
  }

  /**
   * Starts at the current end of the file (what is there already is read with the tail reader),
   * or at its beginning once it appears if it does not exist yet.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const handle = await open(this.file, "r");
      try {
        const st = await handle.stat();
        this.ino = st.ino;
        this.hadFile = true;
        this.position = st.size;
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (!this.running) return; // stopped while starting
    this.watchDirectory();
    this.pollTimer = setInterval(() => {
      if (!this.watcher) this.watchDirectory(); // the directory may exist now
      this.poke();
    }, this.tuning.pollMs);
    this.pollTimer.unref();
  }

  stop(): void {
    this.running = false;
    this.watcher?.close();
    this.watcher = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.rateTimer = null;
  }

  /** Continues after a failed delivery (the connection is back). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.poke();
  }

  /** Looks at the file now. */
  poke(): void {
    void this.pump();
  }

  /** Resolves when the follower has nothing in hand (caught up, paused, waiting for its rate). */
  idle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get burst(): number {
    return Math.max(this.tuning.chunkBytes, this.tuning.bytesPerSecond);
  }

  private watchDirectory(): void {
    const name = path.basename(this.file);
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.poke();
      });
      // The directory went away (instance deleted): fall back to the safety stat until it returns.
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = null;
        this.poke();
      });
    } catch {
      this.watcher = null; // no directory yet
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && this.running && !this.paused);
    } catch {
      // An unreadable file (permissions, I/O error) is looked at again on the next event or stat.
    } finally {
      this.pumping = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.tuning.bytesPerSecond);
    this.lastRefill = now;
  }

  /** Hands out what was appended, chunk by chunk, until caught up, paused or out of rate. */
  private async drain(): Promise<void> {
    while (this.running && !this.paused) {
      let handle;
      try {
        handle = await open(this.file, "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        this.ino = null; // gone: when a file appears again it is a new one
        return;
      }
      try {
        const st = await handle.stat();
        if (this.ino === null) {
          // First sight of the file, or a new one after the old was removed: start from its beginning.
          if (this.hadFile) this.resetNext = true;
          this.position = 0;
          this.ino = st.ino;
          this.hadFile = true;
        } else if (st.ino !== this.ino || st.size < this.position) {
          // Rotated (a new file under the name) or truncated: start over.
          this.ino = st.ino;
          this.position = 0;
          this.resetNext = true;
        }
        const size = st.size;
        if (size === this.position) return;
        if (size - this.position > this.tuning.maxBacklogBytes) {
          const skipTo = size - this.tuning.maxBacklogBytes;
          this.onSkip?.(skipTo - this.position);
          this.position = skipTo;
          this.alignNext = true;
        }
        this.refill();
        const backlog = size - this.position;
        // Read at least a little at a time (or all of a small backlog), never a trickle of bytes.
        const want = Math.min(backlog, this.tuning.chunkBytes, Math.floor(this.tokens));
        if (want < Math.min(backlog, 1024)) {
          this.waitForRate(Math.min(backlog, 1024));
          return;
        }
        const buf = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buf, 0, want, this.position);
        if (bytesRead === 0) return;
        let from = 0;
        if (this.alignNext) {
          from = leadingContinuationBytes(buf, bytesRead);
          this.alignNext = false;
        }
        let end = completePrefixLength(buf, bytesRead);
        if (end <= from) {
          // Only the start of a character: wait for its other bytes, unless more is already there.
          if (this.position + bytesRead >= size) {
            this.position += from;
            return;
          }
          end = bytesRead;
        }
        const chunk: ConsoleChunk = {
          offset: this.position + from,
          length: end - from,
          data: decodeUtf8(buf.subarray(from, end)),
          ...(this.resetNext ? { reset: true } : {}),
        };
        const delivered = await this.emit(chunk).catch(() => false);
        if (!this.running) return;
        if (!delivered) {
          this.paused = true;
          // Skipped alignment bytes are not worth resending; the chunk itself is.
          this.position += from;
          return;
        }
        this.position = chunk.offset + chunk.length;
        this.tokens -= end;
        this.resetNext = false;
      } finally {
        await handle.close();
      }
    }
  }

  private waitForRate(bytes: number): void {
    if (this.rateTimer) return;
    const ms = Math.max(10, Math.ceil(((bytes - this.tokens) / this.tuning.bytesPerSecond) * 1000));
    this.rateTimer = setTimeout(() => {
      this.rateTimer = null;
      this.poke();
    }, ms);
    this.rateTimer.unref();
  }
}
