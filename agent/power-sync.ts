// Nova's _sync_power_states: the hypervisor is the authority on power state. Every interval the
// agent lists its domains and reports each instance whose power state changed since it was last
// known (a guest that shut itself down, crashed, or vanished), through the ordered outbox. A
// libvirt lifecycle event triggers the same pass at once (Nova's handle_lifecycle_event).
import { AGENT_EVENTS } from "@/lib/agent-protocol";
import { POWER_STATE, type PowerState } from "@/lib/states";
import { getLogger } from "@/server/logs/logger";
import { describeDomainState } from "./driver/domain-state";
import type { DomainInfo, Hypervisor } from "./driver/hypervisor";
import type { Reporter } from "./outbox";

export interface PowerSyncOptions {
  hypervisor: Hypervisor;
  reporter: Reporter;
  /** Instances with a task running are skipped, as Nova skips those with a task_state. */
  isBusy: (uuid: string) => boolean;
  intervalMs: number;
}

export class PowerSync {
  /** Last power state known to the controller, per instance this host owns. */
  private readonly known = new Map<string, PowerState>();
  private readonly options: PowerSyncOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A pass was asked for while one ran: it must run again, the change may have come too late. */
  private again = false;
  private paused = false;

  constructor(options: PowerSyncOptions) {
    this.options = options;
  }

  /** Replaces what is known with the database's view (after a registration). */
  resetTo(instances: Iterable<{ uuid: string; powerState: PowerState }>): void {
    this.known.clear();
    for (const i of instances) this.known.set(i.uuid, i.powerState);
  }

  track(uuid: string, powerState: PowerState): void {
    this.known.set(uuid, powerState);
  }

  forget(uuid: string): void {
    this.known.delete(uuid);
  }

  /** While paused (the hypervisor lost its state and is being reconciled) nothing is reported. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  start(): void {
    this.timer = setInterval(() => void this.syncNow(), this.options.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * A pass as soon as possible (a lifecycle event arrived): if one is running, another follows it,
   * so the event's change is never missed.
   */
  syncSoon(): void {
    if (this.running) this.again = true;
    else void this.syncNow();
  }

  /** One sync pass; concurrent callers share the pass in progress. */
  syncNow(): Promise<void> {
    this.running ??= this.sync().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.syncNow();
      }
    });
    return this.running;
  }

  private async sync(): Promise<void> {
    if (this.paused || this.known.size === 0) return;
    const log = getLogger("stratus.compute.manager");
    let domains: DomainInfo[];
    try {
      domains = await this.options.hypervisor.listDomains();
    } catch (err) {
      log.warn(`Power state sync skipped: ${err instanceof Error ? err.message : err}`);
      return;
    }
    if (this.paused) return;
    const byUuid = new Map(domains.map((d) => [d.uuid, d]));
    for (const [uuid, last] of this.known) {
      if (this.options.isBusy(uuid) || this.options.reporter.hasPending(uuid)) continue;
      const domain = byUuid.get(uuid);
      const observed = domain ? domain.powerState : POWER_STATE.NOSTATE;
      if (observed === last) continue;
      const reason = domain
        ? `hypervisor reports the domain ${describeDomainState(domain)}`
        : "no domain on the hypervisor";
      getLogger("stratus.compute.manager", { instanceUuid: uuid }).info(
        `Power state changed from ${last} to ${observed}: ${reason}`,
      );
      this.known.set(uuid, observed);
      const crashed = !!domain && (domain.state === "crashed" || (domain.state === "shutoff" && domain.reason === "crashed"));
      this.options.reporter
        .send(AGENT_EVENTS.powerReport, { uuid, powerState: observed, reason, ...(crashed ? { crashed } : {}) })
        .catch((err: unknown) => log.error({ err }, `Could not queue the power report of ${uuid}`));
    }
  }
}
