// The compute side of cold migration and resize (Nova's prep_resize, resize_instance,
// finish_resize, confirm_resize, revert_resize, finish_revert_resize). Each step runs under the
// instance's lock and answers the conductor when it is done, so the conductor can carry the move
// on or roll it back. The disk goes from source to destination directly (agent/migration/
// transfer-*.ts); the source keeps its copy until the move is confirmed, which is what makes a
// revert — or a failed copy — leave the instance exactly as it was.
import type { Ack, ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { migrationRpcSchema, type MigrationRpc, type MigrationRpcOf } from "@/lib/migration-protocol";
import { POWER_STATE, type PowerState } from "@/lib/states";
import { powerOff, waitForRunning } from "../driver/guest-power";
import { runInstanceTask, TaskHandle } from "../tasks/instance-task";
import { errorMessage, fault, seconds, type TaskRuntime } from "../tasks/task-runtime";
import { removePoweroffNote, writePoweroffNote } from "./poweroff-note";
import { invalidRpc, recordedStep } from "./recorded-step";
import { sendDisk } from "./transfer-client";
import type { TransferServer } from "./transfer-server";

/** How long a destination keeps a transfer slot open for its source. */
const TRANSFER_SLOT_TTL_MS = 60 * 60_000;
const MiB = 1024 * 1024;

export const MIGRATION_EVENTS = {
  prep_resize: "compute_prep_resize",
  resize_instance: "compute_resize_instance",
  finish_resize: "compute_finish_resize",
  confirm_resize: "compute_confirm_resize",
  revert_resize: "compute_revert_resize",
  finish_revert_resize: "compute_finish_revert_resize",
} as const;

export interface MigrationTaskDeps {
  rt: TaskRuntime;
  transfer: TransferServer;
  /** STRATUS_TRANSFER_BANDWIDTH: the most bytes per second a disk is sent at; 0 or absent: no limit. */
  sendBytesPerSec?: number;
  /** Runs `task` under the instance's lock (the compute manager's). */
  locked: <T>(uuid: string, task: () => Promise<T>) => Promise<T>;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export class MigrationTasks {
  constructor(private readonly d: MigrationTaskDeps) {}

  /** Validates a migration RPC and answers once its step is done, with a reason if it failed. */
  async handleRpc(raw: unknown): Promise<Ack> {
    const parsed = migrationRpcSchema.safeParse(raw);
    if (!parsed.success) return invalidRpc(parsed.error);
    const rpc = parsed.data;
    try {
      if (rpc.method === "migration_wait") return { ok: true, ...(await this.d.locked(rpc.instance.uuid, () => Promise.resolve({}))) };
      return { ok: true, ...(await this.d.locked(rpc.instance.uuid, () => this.run(rpc))) };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  private run(rpc: Exclude<MigrationRpc, { method: "migration_wait" }>): Promise<Record<string, unknown>> {
    switch (rpc.method) {
      case "prep_resize":
        return this.prepResize(rpc);
      case "resize_instance":
        return this.resizeInstance(rpc);
      case "finish_resize":
        return this.finish(rpc, "finish_resize", "resize_finish", "resized").then(() => ({}));
      case "confirm_resize":
        return this.cleanUp(rpc, "confirm_resize", "Removing the instance from the source host").then(() => ({}));
      case "revert_resize":
        return this.cleanUp(rpc, "revert_resize", "Removing the instance from the destination host").then(() => ({}));
      case "finish_revert_resize":
        return this.finish(rpc, "finish_revert_resize", "resize_reverting", rpc.powerOn ? "active" : "stopped").then(() => ({}));
    }
  }

  private step<T>(ctx: RequestContext, uuid: string, method: keyof typeof MIGRATION_EVENTS, work: () => Promise<{ result: T; details?: string }>): Promise<T> {
    return recordedStep(this.d.rt, ctx, uuid, MIGRATION_EVENTS[method], work);
  }

  /** Destination: a clean instance directory and a slot for the disk. */
  private prepResize(rpc: MigrationRpcOf<"prep_resize">): Promise<{ transferUrl: string }> {
    const { rt, transfer } = this.d;
    const uuid = rpc.instance.uuid;
    const log = rt.logger(rpc.context, uuid);
    return this.step(rpc.context, uuid, "prep_resize", async () => {
      if (!rt.storage) throw new Error("this host has no instance storage to receive a disk into");
      if (await rt.hypervisor.domainState(uuid)) throw new Error(`Instance ${uuid} already has a domain on this host`);
      // Leftovers of an earlier, failed move to this host are not this move's.
      await rt.storage.removeInstanceFiles(uuid);
      void transfer.expect({ migrationId: rpc.migration.id, uuid, token: rpc.token, target: rt.storage.incomingDiskPath(uuid), ttlMs: TRANSFER_SLOT_TTL_MS });
      log.info(`Prepared to receive instance ${rpc.instance.name} from ${rpc.migration.peerHost} (migration ${rpc.migration.id})`);
      return { result: { transferUrl: transfer.url(rpc.migration.id) } };
    });
  }

  /**
   * Source: Nova's migrate_disk_and_power_off. The guest is powered off and its disk streamed to
   * the destination. If the copy fails the guest is powered on again here and the task state
   * reverted: the instance stays where it was, running as before.
   */
  private async resizeInstance(rpc: MigrationRpcOf<"resize_instance">): Promise<{ bytes: number; sha256: string; seconds: number }> {
    const { rt } = this.d;
    const spec = rpc.instance;
    const t = new TaskHandle(rt, rpc.context, spec, ["resize_prep"], undefined);
    const wasRunning = spec.powerState === POWER_STATE.RUNNING;
    return this.step(rpc.context, spec.uuid, "resize_instance", async () => {
      if (!rt.storage) throw new Error("this host has no instance storage to send a disk from");
      const started = Date.now();
      try {
        await t.taskState("resize_migrating", "Powering off the guest", 5);
        const { shutdownTimeoutMs, shutdownRetryIntervalMs, pollIntervalMs } = rt.timings;
        if (await rt.hypervisor.domainState(spec.uuid)) {
          // Should this agent die before the move ends, its next start powers the guest on again.
          if (wasRunning) await writePoweroffNote(rt.instanceDir(spec.uuid), rpc.migration.id);
          await powerOff(rt.hypervisor, spec.uuid, { timeoutMs: shutdownTimeoutMs, retryIntervalMs: shutdownRetryIntervalMs, pollIntervalMs });
        }
        rt.power?.track(spec.uuid, POWER_STATE.SHUTDOWN);
        await t.step("Copying the disk to the destination host", 10);
        let shown = 0;
        let reports = Promise.resolve();
        const sent = await sendDisk({
          url: rpc.transferUrl,
          token: rpc.token,
          uuid: spec.uuid,
          file: rt.storage.rootDiskPath(spec.uuid),
          ...(this.d.sendBytesPerSec ? { bytesPerSec: this.d.sendBytesPerSec } : {}),
          onProgress: ({ sent, total }) => {
            const pct = total > 0 ? Math.floor((sent / total) * 100) : 100;
            if (pct < shown + 5 && sent < total) return;
            shown = pct;
            // One report at a time, in order; a refused one shows up at the end.
            reports = reports.then(() => t.step(`Copying the disk to the destination host: ${mib(sent)} of ${mib(total)}`, 10 + Math.floor(pct * 0.8)));
          },
        }).catch((err: unknown) => {
          throw new Error(`Copying the disk to ${rpc.migration.peerHost} failed: ${errorMessage(err)}`, { cause: err });
        });
        await reports;
        const rate = sent.seconds > 0 ? ` (${(sent.bytes / MiB / sent.seconds).toFixed(1)} MiB/s)` : "";
        await t.taskState("resize_migrated", "Disk copied", 90);
        t.log.info(`Copied ${mib(sent.bytes)} to ${rpc.migration.peerHost} in ${sent.seconds.toFixed(2)} s${rate}; took ${seconds(started)} s in all`);
        return { result: sent, details: `Copied ${mib(sent.bytes)} to ${rpc.migration.peerHost} in ${sent.seconds.toFixed(2)} s${rate}, sha256 ${sent.sha256}` };
      } catch (err) {
        t.log.error({ err }, "Migrating the disk failed; the instance stays on this host");
        const power = await this.restorePower(rpc.context, spec, wasRunning);
        if (!wasRunning || power === POWER_STATE.RUNNING) await removePoweroffNote(rt.instanceDir(spec.uuid)).catch(() => undefined);
        await rt.tryUpdate(t.log, rpc.context, {
          uuid: spec.uuid,
          expectedTaskState: t.expected,
          taskState: null,
          powerState: power,
          fault: fault(err),
        });
        throw err;
      }
    });
  }

  /** Powers the source guest back on after a failed copy, as it was. */
  private async restorePower(ctx: RequestContext, spec: InstanceSpec, wasRunning: boolean): Promise<PowerState> {
    const { rt } = this.d;
    if (!wasRunning) return rt.observePower(spec.uuid);
    try {
      await rt.hypervisor.start(spec.uuid);
    } catch (err) {
      rt.logger(ctx, spec.uuid).error({ err }, "Could not power the guest on again after the failed migration");
    }
    const power = await rt.observePower(spec.uuid);
    rt.power?.track(spec.uuid, power);
    return power;
  }

  /**
   * Destination (finish_resize) or source (finish_revert_resize): the domain defined from the
   * instance as the conductor sends it — new flavor or old — and started if it ran before.
   */
  private finish(
    rpc: MigrationRpcOf<"finish_resize" | "finish_revert_resize">,
    method: "finish_resize" | "finish_revert_resize",
    expected: "resize_finish" | "resize_reverting",
    vmState: "resized" | "active" | "stopped",
  ): Promise<void> {
    const { rt } = this.d;
    let failure: unknown = null;
    return runInstanceTask(rt, {
      ctx: rpc.context,
      spec: rpc.instance,
      image: rpc.image,
      event: MIGRATION_EVENTS[method],
      title: method === "finish_resize" ? "Finishing the migration on the destination" : "Reverting the migration on the source",
      expected: [expected],
      vmStateOnError: (_power, err) => {
        failure = err;
        return "error";
      },
      run: async (t) => {
        const disks = await this.disksFor(rpc.context, rpc.instance, rpc.image, method);
        await t.step("Defining the domain", 40);
        const xml = await rt.domainXml(rpc.context, rpc.instance, { disks });
        await rt.removeDomain(rpc.instance.uuid);
        await rt.hypervisor.define(xml);
        if (rpc.powerOn) {
          await t.step("Starting the domain", 70);
          await rt.hypervisor.start(rpc.instance.uuid);
          await waitForRunning(rt.hypervisor, rpc.instance.uuid, rt.timings.startTimeoutMs, { pollIntervalMs: Math.min(500, rt.timings.pollIntervalMs) });
        }
        // Back on the source as it was: the guest no longer waits on the move.
        if (method === "finish_revert_resize") await removePoweroffNote(rt.instanceDir(rpc.instance.uuid));
        return { vmState, ...(rpc.powerOn ? {} : { powerState: POWER_STATE.SHUTDOWN }) };
      },
    }).then(() => {
      if (failure) throw failure;
    });
  }

  private async disksFor(ctx: RequestContext, spec: InstanceSpec, image: ImageRef, method: "finish_resize" | "finish_revert_resize") {
    const storage = this.d.rt.storage;
    if (!storage) return [];
    // The destination adopts the disk that arrived; the source still has its own.
    return method === "finish_resize" ? storage.adoptIncomingDisk(ctx, spec, image) : storage.prepareInstanceDisks(ctx, spec, image);
  }

  /** The host the instance is leaving for good (confirm) or that it never settled on (revert). */
  private cleanUp(rpc: MigrationRpcOf<"confirm_resize" | "revert_resize">, method: "confirm_resize" | "revert_resize", what: string): Promise<void> {
    const { rt, transfer } = this.d;
    const uuid = rpc.instance.uuid;
    return this.step(rpc.context, uuid, method, async () => {
      rt.logger(rpc.context, uuid).info(`${what} (migration ${rpc.migration.id})`);
      transfer.cancel(rpc.migration.id);
      await rt.removeDomain(uuid);
      await rt.storage?.removeInstanceFiles(uuid);
      rt.power?.forget(uuid);
      return { result: undefined };
    });
  }
}
