// Guest power operations built from the driver's primitives, as Nova's libvirt driver does them:
// clean shutdown (ACPI, re-sent, then destroy), soft reboot (ACPI shutdown, wait for the guest to
// go down, start it again) and the wait for a domain to run. They poll the hypervisor, which is
// the authority on power state, and stop early when the task is aborted (the instance is being
// deleted).
import { POWER_STATE } from "@/lib/states";
import { isHypervisorError, type DomainState, type Hypervisor } from "./hypervisor";

/** The task was aborted from outside (a delete arrived); the caller must not touch the instance. */
export class TaskAborted extends Error {
  override readonly name = "TaskAborted";
}

/** Resolves after `ms`, or rejects with TaskAborted as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TaskAborted(String(signal.reason ?? "aborted")));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new TaskAborted(String(signal?.reason ?? "aborted")));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TaskAborted(String(signal.reason ?? "aborted"));
}

/** Nova's SHUTDOWN_STATES: the guest is not running any more. */
export function isDown(s: DomainState | null): boolean {
  return s === null || s.powerState === POWER_STATE.SHUTDOWN || s.powerState === POWER_STATE.CRASHED || s.powerState === POWER_STATE.NOSTATE;
}

export interface PollOptions {
  /** How often the hypervisor is asked (Nova: once per second). */
  pollIntervalMs: number;
  signal?: AbortSignal;
}

export interface CleanShutdownOptions extends PollOptions {
  /** Nova's shutdown_timeout: how long the guest gets before it is destroyed. */
  timeoutMs: number;
  /** Nova's SHUTDOWN_RETRY_INTERVAL: the ACPI request is re-sent this often (guests miss one). */
  retryIntervalMs: number;
}

export type ShutdownOutcome =
  /** The guest was not running. */
  | { how: "already-off" }
  /** The guest honoured the ACPI request. */
  | { how: "clean"; afterMs: number }
  /** The guest ignored it for the whole timeout and was destroyed. */
  | { how: "destroyed"; afterMs: number };

/** Nova's power_off: _clean_shutdown, then _destroy when the guest did not go down in time. */
export async function powerOff(hv: Hypervisor, uuid: string, o: CleanShutdownOptions): Promise<ShutdownOutcome> {
  const started = Date.now();
  if (isDown(await hv.domainState(uuid))) return { how: "already-off" };
  await hv.shutdown(uuid);
  let lastRequest = Date.now();
  while (Date.now() - started < o.timeoutMs) {
    if (isDown(await hv.domainState(uuid))) return { how: "clean", afterMs: Date.now() - started };
    if (Date.now() - lastRequest >= o.retryIntervalMs) {
      lastRequest = Date.now();
      // A lost or ignored request is retried; a failure here only means the guest went down.
      await hv.shutdown(uuid).catch(() => undefined);
    }
    await sleep(Math.min(o.pollIntervalMs, Math.max(1, o.timeoutMs - (Date.now() - started))), o.signal);
  }
  if (isDown(await hv.domainState(uuid))) return { how: "clean", afterMs: Date.now() - started };
  await destroyIfRunning(hv, uuid);
  return { how: "destroyed", afterMs: Date.now() - started };
}

/** virsh destroy, where "not running" and "no such domain" are fine. */
export async function destroyIfRunning(hv: Hypervisor, uuid: string): Promise<void> {
  try {
    await hv.destroy(uuid);
  } catch (err) {
    if (!isHypervisorError(err, "not-running", "no-domain")) throw err;
  }
}

/** Waits until the domain runs (Nova's _wait_for_running, 0.5 s polls); throws after timeoutMs. */
export async function waitForRunning(hv: Hypervisor, uuid: string, timeoutMs: number, o: PollOptions): Promise<DomainState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await hv.domainState(uuid);
    if (state?.powerState === POWER_STATE.RUNNING) return state;
    if (Date.now() >= deadline) {
      throw new Error(`the domain did not reach running within ${timeoutMs / 1000} s (it is ${state ? state.state : "gone"})`);
    }
    await sleep(o.pollIntervalMs, o.signal);
  }
}

export interface SoftRebootOptions extends PollOptions {
  /** Nova's [libvirt] wait_soft_reboot_seconds. */
  waitMs: number;
  /** How long a started domain may take to report running. */
  startTimeoutMs: number;
}

export type SoftRebootOutcome =
  | { rebooted: true; how: "restarted" | "guest-rebooted"; afterMs: number }
  /** The guest did not go down (or libvirt refused): the caller falls back to a hard reboot. */
  | { rebooted: false; reason: string };

/**
 * Nova's _soft_reboot: ACPI shutdown, then poll once per interval for up to `waitMs`. Success when
 * the domain id changed (the guest really went down) and it is shut off — then it is started
 * again — or when it changed while running (the guest rebooted itself). The first look comes
 * after one interval: no guest finishes an ACPI shutdown at once, and the pause keeps the
 * `reboot_started` state observable.
 */
export async function softReboot(hv: Hypervisor, uuid: string, o: SoftRebootOptions): Promise<SoftRebootOutcome> {
  const started = Date.now();
  let oldId: number | null;
  try {
    oldId = await hv.domainId(uuid);
    await hv.shutdown(uuid);
  } catch (err) {
    if (isHypervisorError(err)) return { rebooted: false, reason: err.message };
    throw err;
  }
  while (Date.now() - started < o.waitMs) {
    await sleep(o.pollIntervalMs, o.signal);
    const state = await hv.domainState(uuid);
    if (!state) return { rebooted: false, reason: "the domain disappeared during the soft reboot" };
    if (isDown(state)) {
      throwIfAborted(o.signal);
      await hv.start(uuid);
      await waitForRunning(hv, uuid, o.startTimeoutMs, o);
      return { rebooted: true, how: "restarted", afterMs: Date.now() - started };
    }
    if (state.powerState === POWER_STATE.RUNNING && (await hv.domainId(uuid)) !== oldId) {
      return { rebooted: true, how: "guest-rebooted", afterMs: Date.now() - started };
    }
  }
  return { rebooted: false, reason: `the guest did not shut down within ${Math.round(o.waitMs / 1000)} s` };
}
