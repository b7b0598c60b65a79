// What every compute task needs on one host: the hypervisor, the reporter to the controller (state
// changes as compare-and-swap updates, action events), the instance storage and the timings. The
// compute manager owns one and hands it to each task.
import path from "node:path";
import type { Logger } from "pino";
import { AGENT_EVENTS, type ImageRef, type InstanceSpec, type InstanceUpdate, type RequestContext } from "@/lib/agent-protocol";
import { POWER_STATE, type PowerState } from "@/lib/states";
import { getLogger } from "@/server/logs/logger";
import { buildDomainXml, chooseDomainType } from "../driver/domain-xml";
import { destroyIfRunning, waitForRunning } from "../driver/guest-power";
import { isHypervisorError, type Hypervisor } from "../driver/hypervisor";
import type { Reporter } from "../outbox";
import type { DiskDevice, InstanceStorage } from "../storage";

export const MODULE = "stratus.compute.manager";

/** The controller did not apply a state change: the instance changed under us (or was refused). */
export class UpdateRefused extends Error {
  override readonly name = "UpdateRefused";
}

/** What the manager tells the power-state sync about the instances it changes. */
export interface PowerTracker {
  track(uuid: string, powerState: PowerState): void;
  forget(uuid: string): void;
}

/** Nova's timing options of power operations (nova/conf/compute.py, [libvirt]). */
export interface TaskTimings {
  /** shutdown_timeout: a guest gets this long to honour an ACPI shutdown before it is destroyed. */
  shutdownTimeoutMs: number;
  /** SHUTDOWN_RETRY_INTERVAL: the ACPI request is re-sent this often while waiting. */
  shutdownRetryIntervalMs: number;
  /** [libvirt] wait_soft_reboot_seconds: a soft reboot becomes hard after this long. */
  softRebootWaitMs: number;
  /** How often a waiting task asks the hypervisor (Nova: 1 s). */
  pollIntervalMs: number;
  /** How long a started domain may take to report running. */
  startTimeoutMs: number;
}

export const DEFAULT_TIMINGS: TaskTimings = {
  shutdownTimeoutMs: 60_000,
  shutdownRetryIntervalMs: 10_000,
  softRebootWaitMs: 120_000,
  pollIntervalMs: 1_000,
  startTimeoutMs: 60_000,
};

export interface TaskRuntimeOptions {
  host: string;
  hypervisor: Hypervisor;
  reporter: Reporter;
  power?: PowerTracker;
  /** The image cache and instance files; without it domains get no disks (tests, early setups). */
  storage?: InstanceStorage;
  /** Nova's instances_path: where `<uuid>/unrescue.xml` lives when there is no storage. */
  instancesPath?: string;
  timings?: Partial<TaskTimings>;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(2);
}

/** An instance fault from an error (Nova's wrap_instance_fault): message capped at 255. */
export function fault(err: unknown): NonNullable<InstanceUpdate["fault"]> {
  const message = errorMessage(err) || "Unknown error";
  return {
    code: 500,
    message: message.length > 255 ? `${message.slice(0, 252)}...` : message,
    ...(err instanceof Error && err.stack ? { details: err.stack } : {}),
  };
}

export interface EventFinish {
  result?: "Success" | "Error";
  details?: string;
  traceback?: string;
}

export class TaskRuntime {
  readonly host: string;
  readonly hypervisor: Hypervisor;
  readonly reporter: Reporter;
  readonly power: PowerTracker | undefined;
  readonly storage: InstanceStorage | undefined;
  readonly timings: TaskTimings;
  private readonly instancesPath: string | undefined;

  constructor(o: TaskRuntimeOptions) {
    this.host = o.host;
    this.hypervisor = o.hypervisor;
    this.reporter = o.reporter;
    this.power = o.power;
    this.storage = o.storage;
    this.instancesPath = o.instancesPath;
    this.timings = { ...DEFAULT_TIMINGS, ...o.timings };
  }

  logger(ctx: RequestContext, uuid: string): Logger {
    return getLogger(MODULE, { ...ctx, instanceUuid: uuid });
  }

  /** `<instances>/<uuid>`, where the instance's files (disks, console log, unrescue.xml) live. */
  instanceDir(uuid: string): string {
    if (this.storage) return this.storage.instanceDir(uuid);
    if (this.instancesPath) return path.join(this.instancesPath, uuid);
    throw new Error("this agent has neither instance storage nor an instances path");
  }

  /** Sends an update and waits for the controller; throws UpdateRefused if it was not applied. */
  async update(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<void> {
    const { ack, redelivered } = await this.reporter.send(AGENT_EVENTS.instanceUpdate, { requestId: ctx.requestId, ...u });
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
  async tryUpdate(log: Logger, ctx: RequestContext, u: Omit<InstanceUpdate, "requestId">): Promise<boolean> {
    try {
      await this.update(log, ctx, u);
      return true;
    } catch (err) {
      log.warn(`Could not record the instance's state: ${errorMessage(err)}`);
      return false;
    }
  }

  /** Action events are queued in order and not waited for: they never change what happens next. */
  event(ctx: RequestContext, uuid: string, event: string, phase: "start" | "finish", finish: EventFinish = {}): void {
    this.reporter
      .send(AGENT_EVENTS.actionEvent, { requestId: ctx.requestId, uuid, event, phase, time: new Date().toISOString(), ...finish })
      .catch((err: unknown) => this.logger(ctx, uuid).error({ err }, `Could not queue action event ${event} ${phase}`));
  }

  /** The power state the hypervisor reports now (NOSTATE for a missing domain). */
  async observePower(uuid: string): Promise<PowerState> {
    return (await this.hypervisor.domainState(uuid))?.powerState ?? POWER_STATE.NOSTATE;
  }

  /** The instance's disks from storage (idempotent: an existing overlay is reused). */
  async instanceDisks(ctx: RequestContext, spec: InstanceSpec, image: ImageRef | null): Promise<DiskDevice[]> {
    if (!this.storage || !image) return [];
    return this.storage.prepareInstanceDisks(ctx, spec, image);
  }

  /** The domain XML from the database's view of the instance (Nova's _get_guest_xml). */
  async domainXml(
    ctx: RequestContext,
    spec: InstanceSpec,
    extra: { disks: DiskDevice[]; rescue?: { imageId: string } },
  ): Promise<string> {
    const domainType = chooseDomainType(await this.hypervisor.capabilities());
    return buildDomainXml(spec, {
      domainType,
      owner: ctx,
      disks: extra.disks,
      ...(this.storage ? { consoleLogPath: this.storage.consoleLogPath(spec.uuid) } : {}),
      ...(extra.rescue ? { rescue: extra.rescue } : {}),
    });
  }

  /** destroy (already stopped is fine) then undefine (already gone is fine): idempotent. */
  async removeDomain(uuid: string): Promise<void> {
    await destroyIfRunning(this.hypervisor, uuid);
    try {
      await this.hypervisor.undefine(uuid);
    } catch (err) {
      if (!isHypervisorError(err, "no-domain")) throw err;
    }
  }

  /**
   * Nova's _hard_reboot core: throw away the domain (and any managed-save image), define it again
   * from the database's view and, if asked, start it and wait until it runs.
   */
  async recreateGuest(
    ctx: RequestContext,
    spec: InstanceSpec,
    image: ImageRef | null,
    options: { start: boolean; signal?: AbortSignal },
  ): Promise<void> {
    const xml = await this.domainXml(ctx, spec, { disks: await this.instanceDisks(ctx, spec, image) });
    await this.removeDomain(spec.uuid);
    await this.hypervisor.define(xml);
    if (!options.start) return;
    await this.hypervisor.start(spec.uuid);
    await waitForRunning(this.hypervisor, spec.uuid, this.timings.startTimeoutMs, {
      pollIntervalMs: Math.min(500, this.timings.pollIntervalMs),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}
