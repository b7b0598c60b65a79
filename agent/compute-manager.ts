// Nova's ComputeManager on one host: accepts RPCs from the controller and runs each instance's
// tasks one at a time, reporting every state change (as a compare-and-swap on the task state),
// every action event and the request id on every log line. The tasks themselves live in
// agent/tasks/: the build (build.ts), the delete (terminate.ts) and the lifecycle tasks (stop,
// start, reboot, pause, suspend, rescue, ...).
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
import { getLogger } from "@/server/logs/logger";
import type { Hypervisor } from "./driver/hypervisor";
import { InstanceLocks } from "./instance-locks";
import type { Reporter } from "./outbox";
import { buildAndRunInstance } from "./tasks/build";
import { pauseInstance, unpauseInstance } from "./tasks/pause";
import { startInstance, stopInstance, type InstanceTaskArgs } from "./tasks/power";
import { rebootInstance, type RebootArgs } from "./tasks/reboot";
import { rescueInstance, unrescueInstance, type RescueArgs } from "./tasks/rescue";
import { resumeInstance, suspendInstance } from "./tasks/suspend";
import { fault, MODULE, TaskRuntime, UpdateRefused, type PowerTracker, type TaskTimings } from "./tasks/task-runtime";
import { terminateInstance } from "./tasks/terminate";
import type { InstanceStorage } from "./storage";

export { UpdateRefused, type PowerTracker };
export { BUILD_EVENT, buildTimings } from "./tasks/build";
export { TERMINATE_EVENT } from "./tasks/terminate";

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
    return this.locks.run(spec.uuid, () => buildAndRunInstance(this.rt, { ctx, spec, image }));
  }

  terminateInstance(ctx: RequestContext, spec: InstanceSpec): Promise<void> {
    // A delete wins: a lifecycle task waiting on the guest stops now instead of after its wait.
    this.running.get(spec.uuid)?.abort("the instance is being deleted");
    return this.locks.run(spec.uuid, () => terminateInstance(this.rt, { ctx, spec }));
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

  /** destroy (already stopped is fine) then undefine (already gone is fine): idempotent. */
  private removeDomain(uuid: string): Promise<void> {
    return this.rt.removeDomain(uuid);
  }

  /** An update whose refusal is only logged (error paths: there is nothing left to abort). */
  private async tryUpdate(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    await this.rt.tryUpdate(log, ctx, u);
  }
}
