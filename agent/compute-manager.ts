// Nova's ComputeManager on one host: accepts RPCs from the controller and runs each instance's
// tasks one at a time, reporting every state change (as a compare-and-swap on the task state),
// every action event and the request id on every log line.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  AGENT_EVENTS,
  computeRpcSchema,
  type Ack,
  type ImageRef,
  type InstanceSpec,
  type InstanceUpdate,
  type RequestContext,
} from "@/lib/agent-protocol";
import { POWER_STATE, type PowerState, type TaskState } from "@/lib/states";
import { getLogger } from "@/server/logs/logger";
import { buildDomainXml, chooseDomainType } from "./driver/domain-xml";
import { isHypervisorError, type Hypervisor } from "./driver/hypervisor";
import { InstanceLocks } from "./instance-locks";
import type { Reporter } from "./outbox";

const MODULE = "stratus.compute.manager";
export const BUILD_EVENT = "compute__do_build_and_run_instance";
export const TERMINATE_EVENT = "compute_terminate_instance";

/** The controller did not apply a state change: the instance changed under us (or was refused). */
export class UpdateRefused extends Error {
  override readonly name = "UpdateRefused";
}

/** What the manager tells the power-state sync about the instances it changes. */
export interface PowerTracker {
  track(uuid: string, powerState: PowerState): void;
  forget(uuid: string): void;
}

export interface ComputeManagerOptions {
  host: string;
  hypervisor: Hypervisor;
  reporter: Reporter;
  power?: PowerTracker;
}

/** A context for work the agent starts itself (init_host), with its own request id. */
export function newRequestContext(): RequestContext {
  return { requestId: `req-${randomUUID()}`, userId: null, projectId: null };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(2);
}

function fault(err: unknown): NonNullable<InstanceUpdate["fault"]> {
  const message = errorMessage(err) || "Unknown error";
  return {
    code: 500,
    message: message.length > 255 ? `${message.slice(0, 252)}...` : message,
    ...(err instanceof Error && err.stack ? { details: err.stack } : {}),
  };
}

export class ComputeManager {
  private readonly host: string;
  private readonly hypervisor: Hypervisor;
  private readonly reporter: Reporter;
  private readonly power: PowerTracker | undefined;
  private readonly locks = new InstanceLocks();
  private stopping = false;

  constructor(options: ComputeManagerOptions) {
    this.host = options.host;
    this.hypervisor = options.hypervisor;
    this.reporter = options.reporter;
    this.power = options.power;
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
        : this.terminateInstance(rpc.context, rpc.instance);
    // Tasks report their own failures; this only catches a bug, which must not kill the agent.
    task.catch((err: unknown) =>
      getLogger(MODULE, { ...rpc.context, instanceUuid: rpc.instance.uuid }).error({ err }, `Unexpected error in ${rpc.method}`),
    );
    return { ok: true };
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
    return this.locks.run(spec.uuid, () => this.terminate(ctx, spec));
  }

  /**
   * Re-creates a domain the hypervisor lost (Nova's resume_guests_state_on_host_boot), starting
   * it when the instance should be running.
   */
  recreateDomain(spec: InstanceSpec, start: boolean): Promise<void> {
    return this.locks.run(spec.uuid, async () => {
      const ctx = newRequestContext();
      const log = this.logger(ctx, spec.uuid);
      try {
        if (await this.hypervisor.domainState(spec.uuid)) return; // someone else re-created it
        log.info(`Re-creating the domain missing from the hypervisor (vm_state ${spec.vmState})`);
        await this.hypervisor.define(await this.domainXml(spec, ctx));
        if (start) await this.hypervisor.start(spec.uuid);
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

  private logger(ctx: RequestContext, uuid: string): Logger {
    return getLogger(MODULE, { ...ctx, instanceUuid: uuid });
  }

  private async domainXml(spec: InstanceSpec, ctx: RequestContext): Promise<string> {
    const domainType = chooseDomainType(await this.hypervisor.capabilities());
    return buildDomainXml(spec, { domainType, owner: ctx });
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
      await step(null, `Build started on ${this.host}`, 0);
      await step("networking", "Allocating network", 10);
      await step("block_device_mapping", "Preparing block devices", 20);
      await step("spawning", "Defining domain", 30);
      const spawnStarted = Date.now();
      if (await this.hypervisor.domainState(uuid)) {
        // Not ours to clean up: a redelivered build must never destroy a running instance.
        throw new Error(`Instance ${spec.name} already exists on the hypervisor (domain uuid ${uuid})`);
      }
      const xml = await this.domainXml(spec, ctx);
      log.debug(`Domain XML:\n${xml}`);
      await this.hypervisor.define(xml);
      created = true;
      await step("spawning", "Starting domain", 60);
      await this.hypervisor.start(uuid);
      const state = await this.hypervisor.domainState(uuid);
      const powerState = state?.powerState ?? POWER_STATE.NOSTATE;
      log.info(`Took ${seconds(spawnStarted)} seconds to spawn the instance on the hypervisor.`);
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
      this.event(ctx, uuid, BUILD_EVENT, "finish", { result: "Success" });
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
  private async removeDomain(uuid: string): Promise<void> {
    try {
      await this.hypervisor.destroy(uuid);
    } catch (err) {
      if (!isHypervisorError(err, "not-running", "no-domain")) throw err;
    }
    try {
      await this.hypervisor.undefine(uuid);
    } catch (err) {
      if (!isHypervisorError(err, "no-domain")) throw err;
    }
  }

  /** Sends an update and waits for the controller; throws UpdateRefused if it was not applied. */
  private async update(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    const { ack, redelivered } = await this.reporter.send(AGENT_EVENTS.instanceUpdate, {
      requestId: ctx.requestId,
      ...u,
    });
    const refusal = !ack.ok ? ack.error : ack.applied === false ? "the instance's task state changed" : null;
    if (refusal === null) return;
    if (redelivered) {
      // Our first copy most likely got through and its ack was lost: carry on.
      log.info(`Update resent after a lost ack was not applied (${refusal}); assuming the first copy was`);
      return;
    }
    throw new UpdateRefused(
      `instance update refused by the controller (${refusal}); expected task state ${JSON.stringify(u.expectedTaskState ?? "any")}`,
    );
  }

  /** An update whose refusal is only logged (error paths: there is nothing left to abort). */
  private async tryUpdate(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    try {
      await this.update(log, ctx, u);
    } catch (err) {
      log.warn(`Could not record the instance's state: ${errorMessage(err)}`);
    }
  }

  /** Action events are queued in order and not waited for: they never change what happens next. */
  private event(
    ctx: RequestContext,
    uuid: string,
    event: string,
    phase: "start" | "finish",
    finish: { result?: "Success" | "Error"; details?: string; traceback?: string } = {},
  ): void {
    this.reporter
      .send(AGENT_EVENTS.actionEvent, { requestId: ctx.requestId, uuid, event, phase, time: new Date().toISOString(), ...finish })
      .catch((err: unknown) => this.logger(ctx, uuid).error({ err }, `Could not queue action event ${event} ${phase}`));
  }
}
