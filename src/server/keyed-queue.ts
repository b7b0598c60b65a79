// Runs async work one at a time per key within this process, in arrival order: work that would
// only race itself (e.g. allocations from one address pool) waits its turn instead of colliding.
// Other processes are not seen here; whatever they share must still be settled by the database.
const tails = new Map<string, Promise<unknown>>();

export function runExclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(work);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  // The last one out leaves no entry behind.
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}
