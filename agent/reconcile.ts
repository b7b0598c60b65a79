// Nova's init_host/_init_instance: after registering, line the hypervisor up with the database's
// view of this host. Domains the database wants but the hypervisor lacks are re-created; a build or
// delete cut short by an agent restart is finished (error, or delete re-driven); any other task an
// agent restart interrupted is retried or cleared from the domain's real state (interrupted-tasks);
// a guest a failed cold migration left powered off runs again; domains of instances the database
// no longer places here are reaped (unless a move in flight involves this host), and instance
// directories it names as leftovers removed.
import type { ImageRef, InstanceSpec, RegisterAck } from "@/lib/agent-protocol";
import { POWER_STATE, type TaskState, type VmState } from "@/lib/states";
import { getLogger } from "@/server/logs/logger";
import { isRescueDomain, isStratusDomain } from "./driver/domain-xml";
import type { DomainInfo, Hypervisor } from "./driver/hypervisor";
import { newRequestContext, type ComputeManager } from "./compute-manager";
import { resolveInterruptedTask, type ObservedDomain } from "./interrupted-tasks";
import { readPoweroffNote, removePoweroffNote } from "./migration/poweroff-note";
import type { Reporter } from "./outbox";

/**
 * init-host: first registration after the agent started (interrupted builds go to ERROR).
 * hypervisor-reset: the hypervisor connection was re-opened and may have lost its domains.
 * reconnect: the controller came back; the hypervisor kept its state.
 */
export type ReconcileMode = "init-host" | "hypervisor-reset" | "reconnect";

const BUILD_TASKS: readonly (TaskState | null)[] = ["scheduling", "networking", "block_device_mapping", "spawning"];
/**
 * A move in flight that nothing above resolved (a live migration, a cold move seen on a reconnect):
 * the guest may already run on the other host, so a missing domain here is never re-created (two
 * copies of one guest); the conductor settles where the instance is.
 */
const IN_FLIGHT: readonly (TaskState | null)[] = ["migrating", "resize_prep", "resize_migrating", "resize_migrated", "resize_finish"];

/** The source's task states of a cold migration. */
const MOVE_TASKS: readonly (TaskState | null)[] = ["resize_prep", "resize_migrating", "resize_migrated"];

/** vm_states whose instance has a domain on its host (shelved_offloaded, error, building do not). */
const HAS_DOMAIN: readonly VmState[] = ["active", "stopped", "paused", "suspended", "rescued", "resized", "soft-delete", "shelved"];

export interface ReconcileDeps {
  hypervisor: Hypervisor;
  manager: ComputeManager;
  reporter: Reporter;
}

export interface ReconcileSummary {
  recreated: number;
  failedBuilds: number;
  deletesRedriven: number;
  reaped: number;
  skippedBusy: number;
  /** Interrupted lifecycle tasks retried or cleared. */
  tasksResolved: number;
  /** Instance directories removed because the controller named them leftovers. */
  leftoversRemoved: number;
}

/** What else the registration answer says about this host beyond its instances. */
export type ReconcileHints = Pick<RegisterAck, "leftovers" | "moving">;

export async function reconcile(
  deps: ReconcileDeps,
  instances: RegisterAck["instances"],
  mode: ReconcileMode,
  { leftovers = [], moving = [] }: ReconcileHints = {},
): Promise<ReconcileSummary> {
  const log = getLogger("stratus.compute.manager");
  const summary: ReconcileSummary = { recreated: 0, failedBuilds: 0, deletesRedriven: 0, reaped: 0, skippedBusy: 0, tasksResolved: 0, leftoversRemoved: 0 };
  const domains = new Map<string, DomainInfo>((await deps.hypervisor.listDomains()).map((d) => [d.uuid, d]));
  const work: Promise<void>[] = [];
  // A running task or an undelivered report means the database's view of the instance is stale.
  const busy = (uuid: string): boolean => deps.manager.isBusy(uuid) || deps.reporter.hasPending(uuid);

  const wanted = new Set<string>();
  for (const { spec, image } of instances) {
    if (spec.vmState !== "deleted") wanted.add(spec.uuid);
    if (busy(spec.uuid)) {
      summary.skippedBusy++;
      continue;
    }
    const domain = domains.get(spec.uuid);
    if (spec.taskState === "deleting") {
      summary.deletesRedriven++;
      getLogger("stratus.compute.manager", { instanceUuid: spec.uuid }).info("Re-driving the interrupted delete");
      work.push(deps.manager.terminateInstance(newRequestContext(), spec));
    } else if (spec.vmState === "building" || BUILD_TASKS.includes(spec.taskState)) {
      // Only an agent restart interrupts a build; on a reconnect the build may be on its way.
      if (mode === "init-host") {
        summary.failedBuilds++;
        work.push(deps.manager.failInterruptedBuild(spec));
      }
    } else if (mode === "init-host" && spec.taskState !== null && (await resolveTask(deps, spec, image, domain ?? null, work))) {
      summary.tasksResolved++;
      // A move cut short is settled from its task state: a power-off note it left is done with.
      const dir = MOVE_TASKS.includes(spec.taskState) ? instanceDirOf(deps, spec.uuid) : null;
      if (dir) work.push(removePoweroffNote(dir));
    } else if (mode === "init-host" && (await resumeAfterFailedMove(deps, spec, image, domain ?? null, work))) {
      summary.tasksResolved++;
    } else if (IN_FLIGHT.includes(spec.taskState)) {
      getLogger("stratus.compute.manager", { instanceUuid: spec.uuid }).info(`Left alone: a move is in flight (task state ${spec.taskState})`);
    } else if (!domain && mode !== "reconnect" && HAS_DOMAIN.includes(spec.vmState)) {
      summary.recreated++;
      work.push(deps.manager.recreateDomain(spec, image));
    }
  }

  const movingHere = new Set(moving);
  for (const domain of domains.values()) {
    if (wanted.has(domain.uuid) || busy(domain.uuid)) continue;
    if (movingHere.has(domain.uuid)) {
      // Placed elsewhere but moving through this host: the conductor decides where it ends up.
      getLogger("stratus.compute.manager", { instanceUuid: domain.uuid }).info(`Left alone: domain ${domain.name} belongs to a move in flight`);
      continue;
    }
    // Only domains Stratus defined: anything else on a shared libvirt is not ours to touch.
    let ours = false;
    try {
      ours = isStratusDomain(await deps.hypervisor.getXml(domain.uuid));
    } catch (err) {
      log.warn(`Could not read domain ${domain.name}: ${err instanceof Error ? err.message : err}`);
    }
    if (!ours) {
      log.info(`Domain ${domain.name} (${domain.uuid}) is not a Stratus instance; leaving it alone`);
      continue;
    }
    summary.reaped++;
    const known = instances.some((i) => i.spec.uuid === domain.uuid);
    work.push(
      deps.manager.reapDomain(
        domain.uuid,
        domain.name,
        known ? "its instance is deleted" : "the database places no such instance on this host",
      ),
    );
  }

  for (const { uuid, reason } of leftovers) {
    // A directory the database wants here, or one a task is using, is not a leftover after all.
    if (wanted.has(uuid) || busy(uuid)) continue;
    summary.leftoversRemoved++;
    work.push(deps.manager.removeLeftoverFiles(uuid, reason));
  }

  await Promise.all(work);
  log.info(
    `Reconciled ${instances.length} instances with ${domains.size} domains (${mode}): ` +
      `${summary.recreated} re-created, ${summary.failedBuilds} interrupted builds set to ERROR, ` +
      `${summary.deletesRedriven} deletes re-driven, ${summary.tasksResolved} interrupted tasks resolved, ` +
      `${summary.reaped} domains reaped, ${summary.leftoversRemoved} leftover instance directories removed, ${summary.skippedBusy} busy`,
  );
  return summary;
}

function instanceDirOf(deps: ReconcileDeps, uuid: string): string | null {
  try {
    return deps.manager.runtime.instanceDir(uuid);
  } catch {
    return null;
  }
}

/**
 * A guest the agent powered off for a cold migration's copy and never powered on again because it
 * died (migration/poweroff-note.ts): the move failed — the instance is still placed here with no
 * task — so the guest runs again, as it did before the move (Nova's _init_instance for an
 * instance found in resize_migrating). A stale note (the guest runs, or the instance moved on) goes.
 */
async function resumeAfterFailedMove(
  deps: ReconcileDeps,
  spec: InstanceSpec,
  image: ImageRef | null,
  domain: DomainInfo | null,
  work: Promise<void>[],
): Promise<boolean> {
  const dir = instanceDirOf(deps, spec.uuid);
  const note = dir ? await readPoweroffNote(dir) : null;
  if (!dir || !note) return false;
  if (spec.taskState !== null || spec.vmState !== "active" || domain?.powerState === POWER_STATE.RUNNING) {
    await removePoweroffNote(dir);
    return false;
  }
  getLogger("stratus.compute.manager", { instanceUuid: spec.uuid }).info(
    `Migration ${note.migrationId} powered the guest off at ${note.at} and the agent stopped before it was moved: powering it on again`,
  );
  const start = deps.manager.startInstance({ ctx: newRequestContext(), spec, image, expected: [null] });
  work.push(start.then(() => removePoweroffNote(dir)));
  return true;
}

/**
 * Retries or clears a lifecycle task an agent restart interrupted (Nova's _init_instance). The
 * task runs under the state the database shows, so a concurrent change still wins its CAS.
 * Returns false when the task is not one this resolves.
 */
async function resolveTask(
  deps: ReconcileDeps,
  spec: InstanceSpec,
  image: ImageRef | null,
  domain: DomainInfo | null,
  work: Promise<void>[],
): Promise<boolean> {
  let observed: ObservedDomain | null = null;
  if (domain) {
    const rescue = spec.taskState === "rescuing" || spec.taskState === "unrescuing" ? isRescueDomain(await deps.hypervisor.getXml(domain.uuid)) : false;
    observed = { state: domain, rescue };
  }
  const r = resolveInterruptedTask(spec, observed);
  if (r.kind === "none") return false;
  const log = getLogger("stratus.compute.manager", { instanceUuid: spec.uuid });
  const args = { ctx: newRequestContext(), spec, image, expected: [spec.taskState] };
  const m = deps.manager;
  if (r.kind === "clear") {
    work.push(
      m.clearTaskState(spec, r.vmState, r.why).then(() =>
        // A domain the restart lost (the test driver loses them all) comes back as the vm_state says.
        !domain && HAS_DOMAIN.includes(r.vmState) ? m.recreateDomain({ ...spec, vmState: r.vmState, taskState: null }, image) : undefined,
      ),
    );
    return true;
  }
  log.info(`Instance in transitional state ${spec.taskState ?? "None"} at start-up: ${r.why}`);
  switch (r.kind) {
    case "reboot":
      work.push(m.rebootInstance({ ...args, rebootType: r.rebootType }));
      break;
    case "stop":
      work.push(m.stopInstance(args));
      break;
    case "start":
      work.push(m.startInstance(args));
      break;
    case "unpause":
      work.push(m.unpauseInstance(args));
      break;
    case "resume":
      work.push(m.resumeInstance(args));
      break;
    case "unrescue":
      work.push(m.unrescueInstance(args));
      break;
  }
  return true;
}
