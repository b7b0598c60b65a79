// The compute side of live migration (Nova's pre_live_migration, live_migration,
// post_live_migration_at_destination, post_live_migration, rollback_live_migration_at_destination,
// live_migration_abort and live_migration_force_complete). The guest's memory and disks travel
// from this host's libvirtd to the destination's (peer to peer, with the local disks copied into
// overlays the destination created on its own cached base image); the source watches the job and
// streams its figures to the controller. A migration that fails or is cancelled leaves the guest
// running on the source, as it was.
import type { Ack, RequestContext } from "@/lib/agent-protocol";
import {
  liveMigrationRpcSchema,
  MIGRATION_PROGRESS_EVENT,
  type LiveDestination,
  type LiveMigrationRpc,
  type LiveMigrationRpcOf,
  type MigrationProgress,
} from "@/lib/live-migration-protocol";
import { POWER_STATE } from "@/lib/states";
import { isHypervisorError } from "../driver/hypervisor";
import { TaskHandle } from "../tasks/instance-task";
import { errorMessage, type TaskRuntime } from "../tasks/task-runtime";
import { LiveMigrationMonitor, progressPercent } from "./live-migration-monitor";
import { invalidRpc, recordedStep } from "./recorded-step";

const EVENTS = {
  pre_live_migration: "compute_pre_live_migration",
  live_migration: "compute_live_migration",
  post_live_migration_at_destination: "compute_post_live_migration_at_destination",
  post_live_migration: "compute_post_live_migration",
  rollback_live_migration_at_destination: "compute_rollback_live_migration_at_destination",
} as const;

/** How often the source reads the job's figures (Nova: every 0.5 s, saved every 5 s). */
const MONITOR_INTERVAL_MS = 1000;
/** The row's step and progress change at most this often (each is a database write). */
const STEP_INTERVAL_MS = 2000;
const MiB = 1024 * 1024;

export const TEST_DRIVER_REFUSAL =
  "Live migration needs a real hypervisor: libvirt's test driver (test:///) cannot move a running guest. " +
  "Use cold migration (Migrate Instance) instead.";

export interface LiveMigrationSettings {
  /** This host's libvirtd as other hosts reach it. */
  uri: string;
  inboundAddress: string;
  bandwidthMiBps: number;
}

export interface LiveMigrationTaskDeps {
  rt: TaskRuntime;
  settings: LiveMigrationSettings;
  instancesPath: string;
  /** Runs `task` under the instance's lock (the compute manager's). */
  locked: <T>(uuid: string, task: () => Promise<T>) => Promise<T>;
  /** Fire-and-forget report to the controller (progress is superseded by the next one). */
  send: (event: string, payload: MigrationProgress) => Promise<unknown>;
}

type Outcome = { outcome: "completed" | "cancelled"; reason?: string; forced: boolean; elapsedMs: number };

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** Rewrites the source's instance paths in a domain XML to the destination's. */
export function rewritePaths(xml: string, from: string, to: string): string {
  const a = from.replace(/\/+$/, "") + "/";
  const b = to.replace(/\/+$/, "") + "/";
  return a === b ? xml : xml.split(a).join(b);
}

export class LiveMigrationTasks {
  /** The live migrations running from this host, by migration id. */
  private readonly running = new Map<number, LiveMigrationMonitor>();

  constructor(private readonly d: LiveMigrationTaskDeps) {}

  async handleRpc(raw: unknown): Promise<Ack> {
    const parsed = liveMigrationRpcSchema.safeParse(raw);
    if (!parsed.success) return invalidRpc(parsed.error);
    const rpc = parsed.data;
    try {
      // Abort and force complete act on a migration that holds the instance's lock.
      if (rpc.method === "live_migration_abort" || rpc.method === "live_migration_force_complete") return { ok: true, ...(await this.control(rpc)) };
      // Taking the lock and letting it go at once: it is free when no migration holds it.
      if (rpc.method === "live_migration_wait") return { ok: true, ...(await this.d.locked(rpc.instance.uuid, () => Promise.resolve({}))) };
      return { ok: true, ...(await this.d.locked(rpc.instance.uuid, () => this.run(rpc))) };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  private run(rpc: Exclude<LiveMigrationRpc, { method: "live_migration_abort" | "live_migration_force_complete" | "live_migration_wait" }>): Promise<Record<string, unknown>> {
    switch (rpc.method) {
      case "pre_live_migration":
        return this.preLiveMigration(rpc);
      case "live_migration":
        return this.liveMigration(rpc);
      case "post_live_migration_at_destination":
        return this.postAtDestination(rpc);
      case "post_live_migration":
        return this.postAtSource(rpc);
      case "rollback_live_migration_at_destination":
        return this.rollbackAtDestination(rpc);
    }
  }

  private step<T>(ctx: RequestContext, uuid: string, method: keyof typeof EVENTS, work: () => Promise<{ result: T; details?: string }>): Promise<T> {
    return recordedStep(this.d.rt, ctx, uuid, EVENTS[method], work);
  }

  /** Destination: the disks the guest's are copied into, on this host's own cached base image. */
  private preLiveMigration(rpc: LiveMigrationRpcOf<"pre_live_migration">): Promise<{ dest: LiveDestination }> {
    const { rt, settings, instancesPath } = this.d;
    const uuid = rpc.instance.uuid;
    return this.step(rpc.context, uuid, "pre_live_migration", async () => {
      if (!rt.hypervisor.canMigrateLive) throw new Error(TEST_DRIVER_REFUSAL);
      if (!rt.storage) throw new Error("this host has no instance storage to receive a guest's disks into");
      if (await rt.hypervisor.domainState(uuid)) throw new Error(`Instance ${uuid} already has a domain on this host`);
      // Leftovers of an earlier, failed move to this host are not this move's.
      await rt.storage.removeInstanceFiles(uuid);
      const disks = await rt.storage.prepareInstanceDisks(rpc.context, rpc.instance, rpc.image);
      rt.logger(rpc.context, uuid).info(`Ready to take instance ${rpc.instance.name} in from ${rpc.migration.peerHost}: ${disks.length} disk(s) created (migration ${rpc.migration.id})`);
      return { result: { dest: { libvirtUri: settings.uri, inboundAddress: settings.inboundAddress, instancesPath } } };
    });
  }

  /** Source: the migration itself, watched until libvirt says it is over. */
  private async liveMigration(rpc: LiveMigrationRpcOf<"live_migration">): Promise<Outcome> {
    const { rt, settings, instancesPath } = this.d;
    const spec = rpc.instance;
    const uuid = spec.uuid;
    const peer = rpc.migration.peerHost;
    const t = new TaskHandle(rt, rpc.context, spec, ["migrating"], undefined);
    return this.step<Outcome>(rpc.context, uuid, "live_migration", async () => {
      if (!rt.hypervisor.canMigrateLive) throw new Error(TEST_DRIVER_REFUSAL);
      const state = await rt.hypervisor.domainState(uuid);
      if (!state || (state.state !== "running" && state.state !== "paused")) {
        throw new Error(`Instance ${uuid} is not running on this host (${state ? state.state : "no domain"}); only a running or paused guest can be live-migrated`);
      }
      const wasPaused = state.state === "paused";
      const liveXml = rewritePaths(await rt.hypervisor.getXml(uuid, { migratable: true }), instancesPath, rpc.dest.instancesPath);
      const persistentXml = rewritePaths(await rt.hypervisor.getXml(uuid, { inactive: true, migratable: true }), instancesPath, rpc.dest.instancesPath);
      // Steps reach members too, who are not told host names (the migration record names them for admins).
      await t.step("Live migrating", 0);

      let lastStep = 0;
      let reports = Promise.resolve();
      const monitor = new LiveMigrationMonitor({
        hypervisor: rt.hypervisor,
        uuid,
        completionTimeoutSec: rpc.completionTimeoutSec,
        timeoutAction: rpc.timeoutAction,
        intervalMs: MONITOR_INTERVAL_MS,
        log: t.log,
        onProgress: (figures) => {
          this.d.send(MIGRATION_PROGRESS_EVENT, { migrationId: rpc.migration.id, uuid, ...figures }).catch(() => undefined);
          if (Date.now() - lastStep < STEP_INTERVAL_MS) return;
          lastStep = Date.now();
          const eta = figures.etaSeconds === null ? "" : `, about ${figures.etaSeconds} s left`;
          const what = `Live migrating: memory ${mib(figures.memoryRemaining)} of ${mib(figures.memoryTotal)} left` +
            (figures.diskTotal > 0 ? `, disk ${mib(figures.diskRemaining)} of ${mib(figures.diskTotal)} left` : "") + eta;
          reports = reports.then(() => t.step(what, progressPercent(figures)).catch((err: unknown) => t.log.warn(`Progress not recorded: ${errorMessage(err)}`)));
        },
      });
      this.running.set(rpc.migration.id, monitor);
      const started = Date.now();
      monitor.start();
      try {
        await rt.hypervisor.migrateLive(uuid, {
          destUri: rpc.dest.libvirtUri,
          dataUri: `tcp://${rpc.dest.inboundAddress.includes(":") ? `[${rpc.dest.inboundAddress}]` : rpc.dest.inboundAddress}`,
          destXml: liveXml,
          persistentXml,
          copyStorage: true,
          bandwidthMiBps: settings.bandwidthMiBps,
        });
      } catch (err) {
        const cancelled = isHypervisorError(err, "cancelled") || monitor.abortReason !== null;
        // The guest stays here: a pause that was meant to make it converge is undone.
        if (monitor.forced && !wasPaused) await rt.hypervisor.resume(uuid).catch((e: unknown) => t.log.error({ err: e }, "Could not resume the guest after the failed migration"));
        rt.power?.track(uuid, await rt.observePower(uuid));
        if (!cancelled) throw err;
        const reason = monitor.abortReason ?? "cancelled on the hypervisor";
        t.log.warn(`Live migration to ${peer} cancelled (${reason}); the instance keeps running here`);
        return { result: { outcome: "cancelled", reason, forced: monitor.forced, elapsedMs: Date.now() - started }, details: `Cancelled: ${reason}` };
      } finally {
        monitor.stop();
        this.running.delete(rpc.migration.id);
        await reports;
      }
      // The domain is gone from here (undefined by libvirt): nothing of it is ours to report now.
      rt.power?.forget(uuid);
      const elapsedMs = Date.now() - started;
      t.log.info(`Live migration to ${peer} completed in ${(elapsedMs / 1000).toFixed(2)} s${monitor.forced ? " (forced: the guest was paused to converge)" : ""}`);
      return { result: { outcome: "completed", forced: monitor.forced, elapsedMs }, details: `Migrated to ${peer} in ${(elapsedMs / 1000).toFixed(2)} s${monitor.forced ? ", forced to complete" : ""}` };
    });
  }

  /** Source: the operator's Abort or Force complete, for a migration running from this host. */
  private async control(rpc: LiveMigrationRpcOf<"live_migration_abort" | "live_migration_force_complete">): Promise<Record<string, never>> {
    const monitor = this.running.get(rpc.migration.id);
    if (!monitor) throw new Error(`No live migration ${rpc.migration.id} is running on this host`);
    const who = rpc.context.userId ? `requested by user ${rpc.context.userId}` : "requested";
    if (rpc.method === "live_migration_abort") await monitor.abort(`aborted by an operator (${who})`);
    else await monitor.forceComplete(`force complete ${who}`);
    return {};
  }

  /** Destination: the guest arrived; it runs again if it ran before (a forced completion paused it). */
  private postAtDestination(rpc: LiveMigrationRpcOf<"post_live_migration_at_destination">): Promise<{ powerState: number; downtimeMs: number | null; elapsedMs: number | null; memoryProcessed: number | null }> {
    const { rt } = this.d;
    const uuid = rpc.instance.uuid;
    return this.step(rpc.context, uuid, "post_live_migration_at_destination", async () => {
      const state = await rt.hypervisor.domainState(uuid);
      if (!state) throw new Error(`Instance ${uuid} did not arrive on this host`);
      if (state.state === "paused" && rpc.instance.vmState === "active") await rt.hypervisor.resume(uuid);
      const job = await rt.hypervisor.jobStats(uuid, { completed: true }).catch(() => null);
      const powerState = await rt.observePower(uuid);
      rt.power?.track(uuid, powerState);
      const downtimeMs = job && job.type === "completed" ? job.downtimeMs : null;
      return {
        result: {
          powerState,
          downtimeMs,
          elapsedMs: job && job.type === "completed" ? job.elapsedMs : null,
          memoryProcessed: job && job.type === "completed" ? job.memoryProcessed : null,
        },
        details: downtimeMs === null ? undefined : `Guest downtime ${downtimeMs} ms`,
      };
    });
  }

  /** Source: what is left of the guest that moved away (libvirt already undefined the domain). */
  private postAtSource(rpc: LiveMigrationRpcOf<"post_live_migration">): Promise<Record<string, never>> {
    const { rt } = this.d;
    const uuid = rpc.instance.uuid;
    return this.step(rpc.context, uuid, "post_live_migration", async () => {
      const state = await rt.hypervisor.domainState(uuid);
      // Never take down a guest that still runs here: then the move did not happen after all.
      if (state && state.powerState === POWER_STATE.RUNNING) throw new Error(`Instance ${uuid} still runs on this host; its files are kept`);
      await rt.removeDomain(uuid);
      await rt.storage?.removeInstanceFiles(uuid);
      rt.power?.forget(uuid);
      return { result: {}, details: "Removed the instance's files from the source host" };
    });
  }

  /** Destination: undo pre_live_migration, unless the guest is already running here. */
  private rollbackAtDestination(rpc: LiveMigrationRpcOf<"rollback_live_migration_at_destination">): Promise<{ guestIsHere: boolean }> {
    const { rt } = this.d;
    const uuid = rpc.instance.uuid;
    return this.step<{ guestIsHere: boolean }>(rpc.context, uuid, "rollback_live_migration_at_destination", async () => {
      const state = await rt.hypervisor.domainState(uuid);
      const incoming = state?.state === "paused" && (state.reason === "migrating" || state.reason === "starting up");
      if (state && !incoming && state.state !== "shutoff") {
        rt.logger(rpc.context, uuid).warn(`Not rolling back: the guest already runs on this host (${state.state})`);
        return { result: { guestIsHere: true }, details: "The guest already runs on this host: nothing removed" };
      }
      await rt.removeDomain(uuid);
      await rt.storage?.removeInstanceFiles(uuid);
      return { result: { guestIsHere: false }, details: "Removed the disks prepared for the migration" };
    });
  }
}
