// Nova's utils.synchronized(name, external=True): one holder per name across this process (a
// promise chain) and across processes sharing the instances path (an exclusive lock file holding
// the owner's pid; a lock whose owner died is taken over).
import { mkdirSync } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";

function ownerAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class FileLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pollMs: number;

  constructor(
    readonly dir: string,
    options: { pollMs?: number } = {},
  ) {
    this.pollMs = options.pollMs ?? 100;
  }

  lockPath(name: string): string {
    return path.join(this.dir, `stratus-${name}`);
  }

  /** True while a holder in this process has, or waits for, the lock. */
  isBusy(name: string): boolean {
    return this.tails.has(name);
  }

  /** Runs fn holding the lock `name`; `onWait` is called once if another process holds it. */
  async withLock<T>(name: string, fn: () => Promise<T>, onWait?: () => void): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(name, tail);
    try {
      await previous;
      await this.acquireFile(name, onWait);
      try {
        return await fn();
      } finally {
        await rm(this.lockPath(name), { force: true });
      }
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }

  /** A lock whose owner died; an empty file is a holder between open and write, unless it is old. */
  private async isStale(file: string): Promise<boolean> {
    const [text, info] = await Promise.all([readFile(file, "utf8").catch(() => null), stat(file).catch(() => null)]);
    if (text === null || info === null) return false; // released meanwhile: just retry
    const owner = Number.parseInt(text, 10);
    if (Number.isInteger(owner) && owner > 0) return !ownerAlive(owner);
    return Date.now() - info.mtimeMs > 10_000;
  }

  private async acquireFile(name: string, onWait?: () => void): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const file = this.lockPath(name);
    let waited = false;
    for (;;) {
      try {
        const handle = await open(file, "wx");
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      if (await this.isStale(file)) {
        // Two takers may both see it stale; `wx` still lets only one of them create the new file.
        await rm(file, { force: true });
        continue;
      }
      if (!waited) {
        waited = true;
        onWait?.();
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }
}
