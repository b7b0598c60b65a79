// Watches a running live migration on the source (Nova's _live_migration_monitor): reads the job's
// figures about once a second and hands them on, carries out the operator's Abort and Force
// complete, and applies the completion timeout (abort, or force completion, when the migration
// has run longer than allowed). Nova pauses the guest to force completion when post-copy is off;
// we also lift the bandwidth cap, since the point is to finish now.
import type { Logger } from "pino";
import type { MigrationProgress, TimeoutAction } from "@/lib/live-migration-protocol";
import type { Hypervisor } from "../driver/hypervisor";
import type { JobStats } from "../driver/job-stats";

export type ProgressFigures = Omit<MigrationProgress, "migrationId" | "uuid">;

export interface LiveMigrationMonitorOptions {
  hypervisor: Pick<Hypervisor, "jobStats" | "abortJob" | "suspend" | "setMigrationBandwidth">;
  uuid: string;
  /** 0: no completion timeout. */
  completionTimeoutSec: number;
  timeoutAction: TimeoutAction;
  intervalMs: number;
  log: Logger;
  onProgress: (figures: ProgressFigures) => void;
}

/** The figures the dashboard shows, from one reading of the job and the one before it. */
export function progressFigures(stats: JobStats, previous: { at: number; processed: number } | null, now: number, forced: boolean): ProgressFigures {
  const processed = stats.memoryProcessed + stats.diskProcessed;
  const remaining = stats.memoryRemaining + stats.diskRemaining;
  // libvirt's own rate when it has one; else what moved since the last reading.
  let rate = stats.memoryBps + stats.diskBps;
  if (rate === 0 && previous && now > previous.at) rate = Math.max(0, ((processed - previous.processed) * 1000) / (now - previous.at));
  return {
    elapsedMs: stats.elapsedMs,
    memoryTotal: stats.memoryTotal,
    memoryProcessed: stats.memoryProcessed,
    memoryRemaining: stats.memoryRemaining,
    diskTotal: stats.diskTotal,
    diskProcessed: stats.diskProcessed,
    diskRemaining: stats.diskRemaining,
    bytesPerSecond: Math.round(rate),
    etaSeconds: rate > 0 ? Math.ceil(remaining / rate) : null,
    iteration: stats.memoryIteration,
    forced,
  };
}

/** Nova's instance.progress during a live migration: how much is no longer left to copy. */
export function progressPercent(f: Pick<ProgressFigures, "memoryTotal" | "memoryRemaining" | "diskTotal" | "diskRemaining">): number {
  const total = f.memoryTotal + f.diskTotal;
  if (total <= 0) return 0;
  return Math.min(99, Math.max(0, Math.floor(100 - ((f.memoryRemaining + f.diskRemaining) * 100) / total)));
}

export class LiveMigrationMonitor {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private previous: { at: number; processed: number } | null = null;
  private ticking = false;
  private timeoutHandled = false;
  private _forced = false;
  private _abortReason: string | null = null;

  constructor(private readonly o: LiveMigrationMonitorOptions) {}

  /** Whether the guest was paused to force completion. */
  get forced(): boolean {
    return this._forced;
  }

  /** Why the migration was aborted here, if it was. */
  get abortReason(): string | null {
    return this._abortReason;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async abort(reason: string): Promise<void> {
    this._abortReason ??= reason;
    this.o.log.warn(`Aborting the live migration: ${reason}`);
    await this.o.hypervisor.abortJob(this.o.uuid);
  }

  async forceComplete(reason: string): Promise<void> {
    if (this._forced) return;
    this._forced = true;
    this.o.log.warn(`Forcing the live migration to complete (pausing the guest): ${reason}`);
    await this.o.hypervisor.suspend(this.o.uuid);
    await this.o.hypervisor.setMigrationBandwidth(this.o.uuid, 0);
  }

  /** One reading; exported behaviour for tests through `tickNow`. */
  async tickNow(now = Date.now()): Promise<void> {
    const stats = await this.o.hypervisor.jobStats(this.o.uuid);
    if (!stats || stats.type !== "unbounded") return;
    const figures = progressFigures(stats, this.previous, now, this._forced);
    this.previous = { at: now, processed: stats.memoryProcessed + stats.diskProcessed };
    this.o.onProgress(figures);
    const limit = this.o.completionTimeoutSec;
    if (limit > 0 && !this.timeoutHandled && now - this.started > limit * 1000) {
      this.timeoutHandled = true;
      const why = `the migration ran longer than its completion timeout of ${limit} s`;
      if (this.o.timeoutAction === "abort") await this.abort(why);
      else await this.forceComplete(why);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.tickNow();
    } catch (err) {
      // The job may end between two readings; the migration's own result decides what happened.
      this.o.log.debug(`Live migration figures unavailable: ${err instanceof Error ? err.message : err}`);
    } finally {
      this.ticking = false;
    }
  }
}
