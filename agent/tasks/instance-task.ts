// The frame of every lifecycle task, as Nova's @wrap_instance_event + @reverts_task_state +
// @wrap_instance_fault give it to a compute manager method: an action event (start, then finish
// with its result), task-state steps as compare-and-swap updates, and on failure a fault with the
// task state reverted. A task whose instance changed under it (a delete or reset won the CAS, or a
// delete aborted its wait) stops without touching the row again.
import type { Logger } from "pino";
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import type { PowerState, TaskState, VmState } from "@/lib/states";
import { TaskAborted, throwIfAborted } from "../driver/guest-power";
import { isHypervisorError } from "../driver/hypervisor";
import { errorMessage, fault, seconds, UpdateRefused, type TaskRuntime } from "./task-runtime";

export type ExpectedTaskStates = readonly (TaskState | null)[];

export interface TaskOutcome {
  vmState: VmState;
  /** Omitted: read from the hypervisor after the work. */
  powerState?: PowerState;
  /** Recorded on the finished event (e.g. "the guest ignored ACPI; fell back to a hard reboot"). */
  details?: string;
}

/** One step of a running task: the instance's task state moves on, guarded by the last one. */
export class TaskHandle {
  readonly log: Logger;
  /** The task state our last applied update left: the CAS guard of the next one. */
  expected: (TaskState | null)[];
  private readonly notes: string[] = [];

  constructor(
    private readonly rt: TaskRuntime,
    readonly ctx: RequestContext,
    readonly spec: InstanceSpec,
    expected: ExpectedTaskStates,
    readonly signal: AbortSignal | undefined,
  ) {
    this.log = rt.logger(ctx, spec.uuid);
    this.expected = [...expected];
  }

  get uuid(): string {
    return this.spec.uuid;
  }

  /** Moves to the next task state (Nova: instance.task_state = X; save(expected_task_state=...)). */
  async taskState(next: TaskState, step: string, progress?: number): Promise<void> {
    throwIfAborted(this.signal);
    await this.rt.update(this.log, this.ctx, {
      uuid: this.uuid,
      expectedTaskState: this.expected,
      taskState: next,
      step,
      ...(progress === undefined ? {} : { progress }),
    });
    this.expected = [next];
  }

  /** Shows what the task is doing now; also proves the instance is still ours before acting. */
  async step(step: string, progress?: number): Promise<void> {
    throwIfAborted(this.signal);
    await this.rt.update(this.log, this.ctx, {
      uuid: this.uuid,
      expectedTaskState: this.expected,
      step,
      ...(progress === undefined ? {} : { progress }),
    });
  }

  /** Remembers a fact for the finished event's details. */
  note(text: string): void {
    this.notes.push(text);
  }

  get details(): string | undefined {
    return this.notes.length ? this.notes.join(" ") : undefined;
  }
}

export interface InstanceTask {
  ctx: RequestContext;
  spec: InstanceSpec;
  /** The instance's image, to re-create a domain the hypervisor lost; null when not known. */
  image: ImageRef | null;
  /** Action event name: `compute_<method>` (Nova's wrap_instance_event prefix). */
  event: string;
  /** What the log calls the operation ("Stopping instance"). */
  title: string;
  /** Task states the instance may be in when the task starts (the API's, or reconcile's). */
  expected: ExpectedTaskStates;
  signal?: AbortSignal;
  run(t: TaskHandle): Promise<TaskOutcome>;
  /**
   * The vm_state a failure leaves, given the power state seen after it. Default: unchanged
   * (Nova's reverts_task_state); reboot and rescue say otherwise, as Nova does.
   */
  vmStateOnError?(power: PowerState, err: unknown): VmState;
}

/** vm_states whose domain should be running. */
const RUNNING_STATES: readonly VmState[] = ["active", "rescued", "paused"];
/** vm_states whose instance has a domain defined on its host. */
const DEFINED_STATES: readonly VmState[] = ["active", "rescued", "paused", "stopped", "suspended"];

export async function runInstanceTask(rt: TaskRuntime, task: InstanceTask): Promise<void> {
  const { ctx, spec } = task;
  const uuid = spec.uuid;
  const t = new TaskHandle(rt, ctx, spec, task.expected, task.signal);
  const started = Date.now();
  rt.event(ctx, uuid, task.event, "start");
  t.log.info(task.title);
  try {
    const outcome = await task.run(t);
    throwIfAborted(task.signal);
    const powerState = outcome.powerState ?? (await rt.observePower(uuid));
    await rt.update(t.log, ctx, {
      uuid,
      expectedTaskState: t.expected,
      vmState: outcome.vmState,
      taskState: null,
      powerState,
      progress: 100,
    });
    rt.power?.track(uuid, powerState);
    t.log.info(`${task.title}: done in ${seconds(started)} seconds (vm_state ${outcome.vmState}, power state ${powerState})`);
    const details = outcome.details ?? t.details;
    rt.event(ctx, uuid, task.event, "finish", { result: "Success", ...(details ? { details } : {}) });
  } catch (err) {
    if (err instanceof UpdateRefused || err instanceof TaskAborted) {
      // The instance is someone else's now (deleted, reset, timed out by the controller).
      t.log.warn(`${task.title}: abandoned, the instance changed under the task: ${errorMessage(err)}`);
      rt.event(ctx, uuid, task.event, "finish", { result: "Error", details: `Abandoned: ${errorMessage(err)}` });
      return;
    }
    t.log.error({ err }, `${task.title}: failed`);
    let power = await rt.observePower(uuid).catch(() => spec.powerState);
    const vmState = task.vmStateOnError ? task.vmStateOnError(power, err) : spec.vmState;
    const restored = await restoreLostDomain(rt, t, task, vmState, power, err);
    if (restored !== null) power = restored;
    await rt.tryUpdate(t.log, ctx, {
      uuid,
      expectedTaskState: t.expected,
      vmState,
      taskState: null,
      powerState: power,
      fault: fault(restored === null ? err : explainLostDomain(err)),
    });
    rt.power?.track(uuid, power);
    rt.event(ctx, uuid, task.event, "finish", {
      result: "Error",
      details: errorMessage(err),
      ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
    });
  }
}

/**
 * A hypervisor call that timed out resets the connection; on libvirt's test driver that empties
 * the host (its state lives in the connection). The domain is then re-created from the database's
 * view, so the instance is left as the reverted vm_state says rather than without a domain.
 * Returns the power state after the repair, or null when nothing was lost.
 */
async function restoreLostDomain(
  rt: TaskRuntime,
  t: TaskHandle,
  task: InstanceTask,
  vmState: VmState,
  power: PowerState,
  err: unknown,
): Promise<PowerState | null> {
  if (!isHypervisorError(err, "timeout", "connection") || !DEFINED_STATES.includes(vmState)) return null;
  try {
    if (await rt.hypervisor.domainState(t.uuid)) return null;
    t.log.warn("The hypervisor connection was reset and the domain went with it; re-creating it from its definition");
    await rt.recreateGuest(task.ctx, task.spec, task.image, { start: RUNNING_STATES.includes(vmState) });
    if (vmState === "paused") await rt.hypervisor.suspend(t.uuid);
    return await rt.observePower(t.uuid);
  } catch (repairErr) {
    t.log.error({ err: repairErr }, `Could not re-create the lost domain (power state ${power})`);
    return null;
  }
}

function explainLostDomain(err: unknown): Error {
  const e = new Error(
    `${errorMessage(err)}; the hypervisor connection was reset, which lost the domain: it was re-created from its definition`,
  );
  if (err instanceof Error && err.stack) e.stack = err.stack;
  return e;
}
