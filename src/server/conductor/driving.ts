// Which instances' moves this process's conductor is driving (or settling) now. A conductor drives
// a move from memory, as Nova's does, and each move's record names the controller it runs on
// (`migrations.conductorHost`). After a restart that controller drives nothing, which is how the
// recovery pass (move-recovery.ts) tells a move being driven from one that lost its conductor.

/** Counted, not a set: a settle may call into code that marks the same instance again. */
const driving = new Map<string, number>();

export function drivenHere(uuid: string): boolean {
  return driving.has(uuid);
}

/** Runs `work` with `uuid` marked as driven by this process. */
export async function driveMove<T>(uuid: string, work: () => Promise<T>): Promise<T> {
  driving.set(uuid, (driving.get(uuid) ?? 0) + 1);
  try {
    return await work();
  } finally {
    const left = (driving.get(uuid) ?? 1) - 1;
    if (left > 0) driving.set(uuid, left);
    else driving.delete(uuid);
  }
}

/** The conductor that drove a move went away (its controller restarted or died). */
export class ConductorLost extends Error {}
