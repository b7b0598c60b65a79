// One task at a time per instance (Nova's @utils.synchronized(instance.uuid)): a delete that
// arrives during a build waits for the build to finish, then runs.
export class InstanceLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly counts = new Map<string, number>();

  /** Runs fn after every earlier task for the same uuid has settled. */
  run<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(uuid) ?? Promise.resolve();
    this.counts.set(uuid, (this.counts.get(uuid) ?? 0) + 1);
    const result = previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(uuid, tail);
    void tail.then(() => {
      const left = (this.counts.get(uuid) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(uuid, left);
      } else {
        this.counts.delete(uuid);
        this.tails.delete(uuid);
      }
    });
    return result;
  }

  /** True while a task for the instance runs or waits. */
  isBusy(uuid: string): boolean {
    return this.counts.has(uuid);
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
