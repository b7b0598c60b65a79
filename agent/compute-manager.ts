// Nova's ComputeManager on one host: accepts RPCs from the controller and runs each instance's
// tasks one at a time, reporting every state change (as a compare-and-swap on the task state),
// every action event and the request id on every log line. Build and delete live here; the
// lifecycle tasks (stop, start, reboot, pause, suspend, rescue, ...) live in agent/tasks/.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  computeRpcSchema,
  type Ack,
  type ComputeRpc,
  type ImageRef,
  type InstanceSpec,
  type InstanceUpdate,
  type RequestContext,
} from "@/lib/agent-protocol";
import { POWER_STATE, type TaskState } from "@/lib/states";
import { getLogger } from "@/server/logs/logger";
import { buildDomainXml, chooseDomainType } from "./driver/domain-xml";
import type { Hypervisor } from "./driver/hypervisor";
import { InstanceLocks } from "./instance-locks";
import type { Reporter } from "./outbox";
import { pauseInstance, unpauseInstance } from "./tasks/pause";
import { startInstance, stopInstance, type InstanceTaskArgs } from "./tasks/power";
import { rebootInstance, type RebootArgs } from "./tasks/reboot";
import { rescueInstance, unrescueInstance, type RescueArgs } from "./tasks/rescue";
import { resumeInstance, suspendInstance } from "./tasks/suspend";
import {
  errorMessage,
  fault,
  MODULE,
  seconds,
  TaskRuntime,
  UpdateRefused,
  type PowerTracker,
  type TaskTimings,
} from "./tasks/task-runtime";
import type { DiskDevice, DiskPreparation, InstanceStorage } from "./storage";

export { UpdateRefused, type PowerTracker };
export const BUILD_EVENT = "compute__do_build_and_run_instance";
export const TERMINATE_EVENT = "compute_terminate_instance";

export interface ComputeManagerOptions {
  host: string;
  hypervisor: Hypervisor;
  reporter: Reporter;
  power?: PowerTracker;
  /** The instance directories and the image cache; without it domains get no disks (unit tests). */
  storage?: InstanceStorage;
  /** Nova's instances_path: instance files (unrescue.xml) when there is no storage. */
  instancesPath?: string;
  /** shutdown_timeout, wait_soft_reboot_seconds and poll intervals (Nova's defaults otherwise). */
  timings?: Partial<TaskTimings>;
}

/** RPCs carried out by a lifecycle task (agent/tasks/), under the instance's lock. */
type LifecycleMethod = Exclude<ComputeRpc["method"], "build_and_run_instance" | "terminate_instance">;

/**
 * The build's step timings for its finished event, e.g. "image cache miss 412 ms, overlay 95 ms,
 * define 61 ms, start 388 ms" (bench:create reads them back).
 */
export function buildTimings(prepared: DiskPreparation | null, defineMs: number, startMs: number): string {
  const parts = prepared ? [`image cache ${prepared.cache} ${prepared.imageMs} ms`, `overlay ${prepared.overlayMs} ms`] : ["no disks"];
  return [...parts, `define ${defineMs} ms`, `start ${startMs} ms`].join(", ");
}

/** A context for work the agent starts itself (init_host), with its own request id. */
export function newRequestContext(): RequestContext {
  return { requestId: `req-${randomUUID()}`, userId: null, projectId: null };
}

export class ComputeManager {
  private readonly host: string;
  private readonly hypervisor: Hypervisor;
  private readonly reporter: Reporter;
  private readonly power: PowerTracker | undefined;
  private readonly storage: InstanceStorage | undefined;
  private readonly locks = new InstanceLocks();
  /** The task state machinery shared with the lifecycle tasks (agent/tasks/). */
  private readonly rt: TaskRuntime;
  /** Aborts the waits of the lifecycle task running per instance (a delete cuts them short). */
  private readonly running = new Map<string, AbortController>();
  private stopping = false;

  constructor(options: ComputeManagerOptions) {
    this.host = options.host;
    this.hypervisor = options.hypervisor;
    this.reporter = options.reporter;
    this.power = options.power;
    this.storage = options.storage;
    this.rt = new TaskRuntime(options);
  }

  /** Accepts (ack ok) or refuses (ack with the reason) one `rpc` message; the work runs after. */
  handleRpc(raw: unknown): Ack {
    if (this.stopping) return { ok: false, error: `compute service on ${this.host} is stopping` };
    const parsed = computeRpcSchema.safeParse(raw);
    if (!parsed.success) {
      const error = `invalid rpc: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
      getLogger(MODULE).warn(`Refused RPC: ${error}`);
      return { ok: false, error };
    }
    const rpc = parsed.data;
    getLogger(MODULE, { ...rpc.context, instanceUuid: rpc.instance.uuid }).debug(`Accepted RPC ${rpc.method}`);
    const task =
      rpc.method === "build_and_run_instance"
        ? this.buildAndRunInstance(rpc.context, rpc.instance, rpc.image)
        : rpc.method === "terminate_instance"
          ? this.terminateInstance(rpc.context, rpc.instance)
          : this.lifecycleRpc(rpc);
    // Tasks report their own failures; this only catches a bug, which must not kill the agent.
    task.catch((err: unknown) =>
      getLogger(MODULE, { ...rpc.context, instanceUuid: rpc.instance.uuid }).error({ err }, `Unexpected error in ${rpc.method}`),
    );
    return { ok: true };
  }

  /** The task machinery, for work that runs beside the lifecycle tasks (migration steps). */
  get runtime(): TaskRuntime {
    return this.rt;
  }

  /** Runs `task` under the instance's lock, after whatever task holds it now. */
  locked<T>(uuid: string, task: () => Promise<T>): Promise<T> {
    if (this.stopping) return Promise.reject(new Error(`compute service on ${this.host} is stopping`));
    return this.locks.run(uuid, task);
  }

  /** True while a task for the instance runs or waits. */
  isBusy(uuid: string): boolean {
    return this.locks.isBusy(uuid);
  }

  /** Refuses new RPCs and waits for the running tasks. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.locks.idle();
  }

  idle(): Promise<void> {
    return this.locks.idle();
  }

  buildAndRunInstance(ctx: RequestContext, spec: InstanceSpec, image: ImageRef | null): Promise<void> {
    return this.locks.run(spec.uuid, () => this.build(ctx, spec, image));
  }

  terminateInstance(ctx: RequestContext, spec: InstanceSpec): Promise<void> {
    // A delete wins: a lifecycle task waiting on the guest stops now instead of after its wait.
    this.running.get(spec.uuid)?.abort("the instance is being deleted");
    return this.locks.run(spec.uuid, () => this.terminate(ctx, spec));
  }

  stopInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => stopInstance(this.rt, { ...a, signal }));
  }

  startInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => startInstance(this.rt, { ...a, signal }));
  }

  rebootInstance(a: RebootArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => rebootInstance(this.rt, { ...a, signal }));
  }

  pauseInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => pauseInstance(this.rt, { ...a, signal }));
  }

  unpauseInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => unpauseInstance(this.rt, { ...a, signal }));
  }

  suspendInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => suspendInstance(this.rt, { ...a, signal }));
  }

  resumeInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => resumeInstance(this.rt, { ...a, signal }));
  }

  rescueInstance(a: RescueArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => rescueInstance(this.rt, { ...a, signal }));
  }

  unrescueInstance(a: InstanceTaskArgs): Promise<void> {
    return this.lifecycle(a.spec.uuid, (signal) => unrescueInstance(this.rt, { ...a, signal }));
  }

  /**
   * Sets the task state back to None with the vm_state the hypervisor shows (reconciliation of a
   * task an agent restart interrupted when the domain already shows its outcome).
   */
  clearTaskState(spec: InstanceSpec, vmState: InstanceSpec["vmState"], why: string): Promise<void> {
    return this.locks.run(spec.uuid, async () => {
      const ctx = newRequestContext();
      const log = this.logger(ctx, spec.uuid);
      log.warn(`Instance in transitional state ${spec.taskState ?? "None"} at start-up: ${why}; clearing task state`);
      const powerState = await this.rt.observePower(spec.uuid);
      await this.tryUpdate(log, ctx, { uuid: spec.uuid, expectedTaskState: [spec.taskState], vmState, taskState: null, powerState });
      this.power?.track(spec.uuid, powerState);
    });
  }

  /**
   * Re-creates a domain the hypervisor lost (Nova's resume_guests_state_on_host_boot), starting
   * it when the instance should be running (and pausing it again when it was paused).
   */
  recreateDomain(spec: InstanceSpec, image: ImageRef | null): Promise<void> {
    return this.locks.run(spec.uuid, async () => {
      const ctx = newRequestContext();
      const log = this.logger(ctx, spec.uuid);
      try {
        if (await this.hypervisor.domainState(spec.uuid)) return; // someone else re-created it
        log.info(`Re-creating the domain missing from the hypervisor (vm_state ${spec.vmState})`);
        const start = spec.vmState === "active" || spec.vmState === "paused" || spec.vmState === "rescued";
        await this.rt.recreateGuest(ctx, spec, image, { start });
        if (spec.vmState === "paused") await this.hypervisor.suspend(spec.uuid);
        // What the controller knows is the spec's power state, not what the guest shows now: were the
        // guest to stop a moment after its start, tracking its observed state would hide that change
        // from the power sync for good.
        this.power?.track(spec.uuid, spec.powerState);
      } catch (err) {
        log.error({ err }, "Failed to resume instance");
        await this.tryUpdate(log, ctx, {
          uuid: spec.uuid,
          expectedTaskState: [spec.taskState],
          vmState: "error",
          taskState: null,
          fault: fault(err),
        });
      }
    });
  }

  /** Nova's _init_instance for a build cut short by an agent restart: the instance goes to ERROR. */
  failInterruptedBuild(spec: InstanceSpec): Promise<void> {
    return this.locks.run(spec.uuid, async () => {
      const ctx = newRequestContext();
      const log = this.logger(ctx, spec.uuid);
      log.warn("Instance build interrupted by compute restart; setting it to ERROR");
      await this.tryUpdate(log, ctx, {
        uuid: spec.uuid,
        expectedTaskState: [spec.taskState],
        vmState: "error",
        taskState: null,
        fault: { code: 500, message: "Instance build interrupted by compute restart" },
      });
    });
  }

  /** Destroys and undefines a domain no instance on this host owns (Nova's running_deleted reap). */
  reapDomain(uuid: string, name: string, why: string): Promise<void> {
    return this.locks.run(uuid, async () => {
      const log = getLogger(MODULE, { instanceUuid: uuid });
      log.warn(`Destroying domain ${name}: ${why}`);
      try {
        await this.removeDomain(uuid);
      } catch (err) {
        log.error({ err }, `Failed to destroy domain ${name}`);
      }
    });
  }

  /**
   * Removes the files of an instance the controller says belong to nothing on this host any more
   * (a deleted instance, a failed move this host could not be told to clean up).
   */
  removeLeftoverFiles(uuid: string, why: string): Promise<void> {
    return this.locks.run(uuid, async () => {
      const log = getLogger(MODULE, { instanceUuid: uuid });
      log.warn(`Removing the instance files left on this host: ${why}`);
      try {
        await this.storage?.removeInstanceFiles(uuid);
      } catch (err) {
        log.error({ err }, "Failed to remove the instance files");
      }
    });
  }

  private logger(ctx: RequestContext, uuid: string): Logger {
    return getLogger(MODULE, { ...ctx, instanceUuid: uuid });
  }

  /** Runs a lifecycle task under the instance's lock, abortable by a delete. */
  private lifecycle(uuid: string, task: (signal: AbortSignal) => Promise<void>): Promise<void> {
    return this.locks.run(uuid, async () => {
      const controller = new AbortController();
      this.running.set(uuid, controller);
      try {
        await task(controller.signal);
      } finally {
        if (this.running.get(uuid) === controller) this.running.delete(uuid);
      }
    });
  }

  private lifecycleRpc(rpc: Extract<ComputeRpc, { method: LifecycleMethod }>): Promise<void> {
    const base = { ctx: rpc.context, spec: rpc.instance, image: "image" in rpc ? rpc.image : null };
    switch (rpc.method) {
      case "stop_instance":
        return this.stopInstance(base);
      case "start_instance":
        return this.startInstance(base);
      case "reboot_instance":
        // A hard reboot may interrupt the task in flight (ALLOW_REBOOT): stop its waiting now.
        if (rpc.rebootType === "HARD") this.running.get(rpc.instance.uuid)?.abort("a hard reboot was requested");
        return this.rebootInstance({ ...base, rebootType: rpc.rebootType });
      case "pause_instance":
        return this.pauseInstance(base);
      case "unpause_instance":
        return this.unpauseInstance(base);
      case "suspend_instance":
        return this.suspendInstance(base);
      case "resume_instance":
        return this.resumeInstance(base);
      case "rescue_instance":
        return this.rescueInstance({ ...base, rescueImage: rpc.rescueImage });
      case "unrescue_instance":
        return this.unrescueInstance(base);
    }
  }

  private async domainXml(spec: InstanceSpec, ctx: RequestContext, disks?: DiskDevice[]): Promise<string> {
    const domainType = chooseDomainType(await this.hypervisor.capabilities());
    const consoleLogPath = this.storage?.consoleLogPath(spec.uuid);
    return buildDomainXml(spec, { domainType, owner: ctx, ...(disks ? { disks } : {}), ...(consoleLogPath ? { consoleLogPath } : {}) });
  }

  /**
   * Nova's _create_image: the instance's disks from the image cache (fetched once per host,
   * converted to raw, overlaid per instance), its progress shown as the build's step.
   */
  private async prepareDisks(
    ctx: RequestContext,
    spec: InstanceSpec,
    image: ImageRef | null,
    step: (taskState: TaskState | null, text: string, progress: number) => Promise<void>,
    onPrepared?: (p: DiskPreparation) => void,
  ): Promise<DiskDevice[] | undefined> {
    if (!this.storage || !image) return undefined;
    await step("spawning", `Preparing disks from image ${image.name}`, 20);
    // Reports go out one after another; a refused one (instance deleted meanwhile) aborts the build.
    let reports = Promise.resolve();
    let refused: unknown = null;
    const disks = await this.storage.prepareInstanceDisks(
      ctx,
      spec,
      image,
      (p) => {
        reports = reports
          .then(() => step("spawning", p.step, 20 + Math.floor(p.percent / 10)))
          .catch((err: unknown) => void (refused ??= err));
      },
      onPrepared,
    );
    await reports;
    if (refused) throw refused;
    return disks;
  }

  private async build(ctx: RequestContext, spec: InstanceSpec, image: ImageRef | null): Promise<void> {
    const { uuid } = spec;
    const log = this.logger(ctx, uuid);
    const started = Date.now();
    this.event(ctx, uuid, BUILD_EVENT, "start");
    // The task state our last applied update left, for the compare-and-swap of the next one.
    let expected: (TaskState | null)[] = ["scheduling", null];
    let created = false;
    const step = async (taskState: TaskState | null, text: string, progress: number): Promise<void> => {
      await this.update(log, ctx, { uuid, expectedTaskState: expected, taskState, step: text, progress });
      expected = [taskState];
    };
    try {
      log.info(
        `Building instance ${spec.name}: ${spec.vcpus} vCPU, ${spec.memoryMb} MB RAM, ${spec.rootGb} GB disk` +
          (image ? `, image ${image.name} (${image.id})` : ""),
      );
      // As Nova's _do_build_and_run_instance: the host takes the build with task_state None (the
      // dashboard shows BUILD with no task) before networking, block_device_mapping, spawning.
      await step(null, `Build started on ${this.host}`, 0);
      await step("networking", "Allocating network", 10);
      await step("block_device_mapping", "Preparing block devices", 20);
      let prepared: DiskPreparation | null = null;
      const disks = await this.prepareDisks(ctx, spec, image, step, (p) => (prepared = p));
      await step("spawning", "Defining domain", 30);
      const spawnStarted = Date.now();
      if (await this.hypervisor.domainState(uuid)) {
        // Not ours to clean up: a redelivered build must never destroy a running instance.
        throw new Error(`Instance ${spec.name} already exists on the hypervisor (domain uuid ${uuid})`);
      }
      const xml = await this.domainXml(spec, ctx, disks);
      log.debug(`Domain XML:\n${xml}`);
      const defineStarted = Date.now();
      await this.hypervisor.define(xml);
      const defineMs = Date.now() - defineStarted;
      created = true;
      await step("spawning", "Starting domain", 60);
      const startStarted = Date.now();
      await this.hypervisor.start(uuid);
      const startMs = Date.now() - startStarted;
      const state = await this.hypervisor.domainState(uuid);
      const powerState = state?.powerState ?? POWER_STATE.NOSTATE;
      log.info(`Took ${seconds(spawnStarted)} seconds to spawn the instance on the hypervisor.`);
      const timings = buildTimings(prepared, defineMs, startMs);
      log.info(`Build timings: ${timings}`);
      await this.update(log, ctx, {
        uuid,
        expectedTaskState: ["spawning"],
        vmState: "active",
        taskState: null,
        powerState,
        launchedAt: new Date().toISOString(),
        progress: 100,
      });
      this.power?.track(uuid, powerState);
      log.info(`Took ${seconds(started)} seconds to build instance.`);
      this.event(ctx, uuid, BUILD_EVENT, "finish", { result: "Success", details: `Build timings: ${timings}` });
    } catch (err) {
      if (err instanceof UpdateRefused) log.warn(`Build aborted: ${err.message}`);
      else log.error({ err }, "Instance failed to spawn");
      if (created) {
        try {
          await this.removeDomain(uuid);
          log.info("Removed the domain of the failed build");
        } catch (cleanupErr) {
          log.error({ err: cleanupErr }, "Failed to clean up the domain of the failed build");
        }
      }
      // Guarded by the task state we last set: if the instance is being deleted meanwhile, the
      // delete wins and this is skipped.
      await this.tryUpdate(log, ctx, {
        uuid,
        expectedTaskState: expected,
        vmState: "error",
        taskState: null,
        ...(created ? { powerState: POWER_STATE.NOSTATE } : {}),
        fault: fault(err),
      });
      this.power?.track(uuid, POWER_STATE.NOSTATE);
      this.event(ctx, uuid, BUILD_EVENT, "finish", {
        result: "Error",
        details: errorMessage(err),
        ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
      });
    }
  }

  private async terminate(ctx: RequestContext, spec: InstanceSpec): Promise<void> {
    const { uuid } = spec;
    const log = this.logger(ctx, uuid);
    const started = Date.now();
    this.event(ctx, uuid, TERMINATE_EVENT, "start");
    log.info("Terminating instance");
    try {
      await this.removeDomain(uuid);
      // The instance directory goes with the domain; the base stays for the cache pass.
      await this.storage?.removeInstanceFiles(uuid);
      this.power?.forget(uuid);
      log.info(`Took ${seconds(started)} seconds to destroy the instance on the hypervisor.`);
      this.event(ctx, uuid, TERMINATE_EVENT, "finish", { result: "Success" });
      await this.update(log, ctx, {
        uuid,
        expectedTaskState: ["deleting"],
        vmState: "deleted",
        taskState: null,
        powerState: POWER_STATE.NOSTATE,
      });
    } catch (err) {
      if (err instanceof UpdateRefused) {
        log.warn(`Instance destroyed, but the controller did not record the deletion: ${err.message}`);
        return;
      }
      log.error({ err }, "Failed to terminate instance");
      await this.tryUpdate(log, ctx, {
        uuid,
        expectedTaskState: ["deleting"],
        vmState: "error",
        taskState: null,
        fault: fault(err),
      });
      this.event(ctx, uuid, TERMINATE_EVENT, "finish", {
        result: "Error",
        details: errorMessage(err),
        ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
      });
    }
  }

  /** destroy (already stopped is fine) then undefine (already gone is fine): idempotent. */
  private removeDomain(uuid: string): Promise<void> {
    return this.rt.removeDomain(uuid);
  }

  /** Sends an update and waits for the controller; throws UpdateRefused if it was not applied. */
  private update(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    return this.rt.update(log, ctx, u);
  }

  /** An update whose refusal is only logged (error paths: there is nothing left to abort). */
  private async tryUpdate(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    await this.rt.tryUpdate(log, ctx, u);
  }

  /** Action events are queued in order and not waited for: they never change what happens next. */
  private event(
    ctx: RequestContext,
    uuid: string,
    event: string,
    phase: "start" | "finish",
    finish: { result?: "Success" | "Error"; details?: string; traceback?: string } = {},
  ): void {
    this.rt.event(ctx, uuid, event, phase, finish);
  }
}
