// Conductor's schedule_and_build_instances (nova/conductor/manager.py): the filter scheduler picks
// a host and max_attempts − 1 alternates for every instance of the request at once — each pick
// consumed before the next, so a multi-create spreads an anti-affinity group — then each pick is
// claimed atomically in the database and the build cast to its host. Like Nova, a request that
// cannot place every instance fails as a whole, with the explanation Nova never gives.
//
// Alternates: when a host's agent cannot take the build, or the build fails on the host (the
// agent reports vm_state error), the instance moves to its next alternate — claimed anew, without
// calling the scheduler again — and the failing host's failed_builds rises (BuildFailureWeigher).
// The host list is kept on the schedule_instances event ("Selected host A; alternates: B, C"), so
// whichever controller receives the failure can reschedule. When none is left: Nova's
// MaxRetriesExceeded.
import type { InstanceUpdate, RequestContext } from "@/lib/agent-protocol";
import { config } from "@/server/config";
import { db, type Flavor, type Instance } from "@/server/db";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { getLogger } from "@/server/logs/logger";
import { AgentUnavailable, callAgent } from "@/server/realtime/agent-rpc";
import { claim, ClaimRefused, release } from "@/server/scheduler/claims";
import type { Explanation } from "@/server/scheduler/explain";
import { hostStateCache, type PlacementRequest, type ServerGroupRef } from "@/server/scheduler/host-state-cache";
import { SERVER_GROUP_POLICIES, type FlavorSpec, type ServerGroupPolicy } from "@/server/scheduler/request";
import { requestFor } from "@/server/scheduler/resources";
import { AllocationFailed } from "@/server/network/ipam";
import { allocateForBuild, deallocateForInstance } from "./build-network";
import { addFault, saveInstance } from "./instance-state";
import { imageRef, instanceSpec } from "./specs";

const SCHEDULE_EVENT = "schedule_instances";
const CONDUCTOR_EVENT = "conductor_schedule_and_build_instances";
const BUILD_EVENT = "compute__do_build_and_run_instance";
/** How many times a request is scheduled again when claims are refused under it (other controllers). */
const CLAIM_ROUNDS = 3;

/** Nova's NoValidHost, carrying the explanation. */
export class NoValidHost extends Error {
  override readonly name = "NoValidHost";
  constructor(
    message: string,
    readonly details = "",
  ) {
    super(message);
  }
}

export async function scheduleAndBuildInstances(uuids: string[], ctx: RequestContext, controllerHost: string): Promise<void> {
  const rows = await db.instance.findMany({ where: { uuid: { in: uuids } } });
  const byUuid = new Map(rows.map((r) => [r.uuid, r]));
  const instances = uuids.map((u) => byUuid.get(u)).filter((i): i is Instance => !!i && !i.deletedAt && i.taskState === "scheduling");
  if (instances.length === 0) return;
  try {
    await scheduleAndBuild(instances, ctx, controllerHost);
  } catch (err) {
    // Whatever went wrong, no instance may stay in `scheduling` forever.
    for (const instance of instances) await failBuild(instance, ctx, controllerHost, CONDUCTOR_EVENT, err);
  }
}

/** What the scheduler needs to know about the request, read from the first instance (all share it). */
/**
 * The scheduling request for an instance: its flavor (or `flavor`, the one a resize moves it to,
 * with that flavor's extra specs), image properties, zone and server group.
 */
export async function placementRequest(instance: Instance, uuids: string[], flavor?: Flavor): Promise<PlacementRequest> {
  const [current, image, group] = await Promise.all([
    flavor ?? db.flavor.findUnique({ where: { id: instance.flavorId } }),
    db.image.findUnique({ where: { id: instance.imageId } }),
    instance.serverGroupId ? db.serverGroup.findUnique({ where: { id: instance.serverGroupId } }) : null,
  ]);
  return {
    instanceUuids: uuids,
    flavor: flavor ? flavorSpec(flavor, flavor.extraSpecs, flavor.name) : flavorSpec(instance, current?.extraSpecs ?? "{}", current?.name),
    image: stringRecord(image?.properties ?? "{}"),
    availabilityZone: instance.availabilityZone,
    group: group ? groupRef(group) : null,
  };
}

/** The flavor as the instance booted with it (Nova keeps instance.flavor), with its extra specs. */
function flavorSpec(instance: Pick<Instance, "vcpus" | "memoryMb" | "rootGb" | "ephemeralGb" | "swapMb">, extraSpecs: string, name?: string): FlavorSpec {
  return {
    name,
    vcpus: instance.vcpus,
    memoryMb: instance.memoryMb,
    rootGb: instance.rootGb,
    ephemeralGb: instance.ephemeralGb,
    swapMb: instance.swapMb,
    extraSpecs: stringRecord(extraSpecs),
  };
}

export function groupRef(g: { id: string; name: string; policy: string; rules: string }): ServerGroupRef {
  const policy = (SERVER_GROUP_POLICIES as readonly string[]).includes(g.policy) ? (g.policy as ServerGroupPolicy) : "anti-affinity";
  const max = Number(stringRecord(g.rules).max_server_per_host ?? 1);
  return { id: g.id, name: g.name, policy, maxServerPerHost: Number.isInteger(max) && max >= 1 ? max : 1 };
}

function stringRecord(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof x === "string" ? x : JSON.stringify(x)]));
  } catch {
    return {};
  }
}

/** "Selected host A; alternates: B, C" — the event detail the reschedule reads back. */
function hostListDetail(host: string, alternates: readonly string[]): string {
  return `Selected host ${host}; alternates: ${alternates.length ? alternates.join(", ") : "none"}`;
}

function parseHostList(details: string | null): string[] | null {
  const m = /Selected host (\S+); alternates: (.*)$/m.exec(details ?? "");
  if (!m) return null;
  return [m[1]!, ...(m[2] === "none" ? [] : m[2]!.split(",").map((h) => h.trim()))];
}

interface Claimed {
  instance: Instance;
  host: string;
  alternates: string[];
}

async function scheduleAndBuild(instances: Instance[], ctx: RequestContext, controllerHost: string): Promise<void> {
  const schedLog = getLogger("stratus.scheduler.manager", ctx);
  const { requestId } = ctx;
  for (const i of instances) {
    await recordEventStart(i.uuid, requestId, CONDUCTOR_EVENT, controllerHost);
    await recordEventStart(i.uuid, requestId, SCHEDULE_EVENT, controllerHost);
  }
  const cache = hostStateCache();
  const uuids = instances.map((i) => i.uuid);
  const req = await placementRequest(instances[0]!, uuids);
  const resources = requestFor(instances[0]!);
  const refused = new Set<string>();
  let claimed: Claimed[] | null = null;
  let explanation: Explanation | null = null;

  for (let round = 0; round < CLAIM_ROUNDS && !claimed; round++) {
    const started = performance.now();
    const placement = await cache.place({ ...req, ignoreHosts: [...refused] });
    const took = (performance.now() - started).toFixed(2);
    if (!placement.ok) {
      const r = placement.result;
      explanation = r.explanation;
      const failing = r.passes.at(-1);
      if (failing?.failedFilter) schedLog.info(`Filter ${failing.failedFilter} returned 0 hosts`);
      const results = (r.passes.at(-1)?.filters ?? []).map(([name, left], k, all) => `'${name}: (start: ${k ? all[k - 1]![1] : r.passes.at(-1)!.input}, end: ${left})'`);
      schedLog.info(`Filtering removed all hosts for the request with instance ID '${uuids[r.failedInstance]}'. Filter results: [${results.join(", ")}]`);
      break;
    }
    schedLog.info(
      `Scheduled ${uuids.length} instance(s) in ${took} ms: ` +
        placement.selections.map((s) => `${s.instanceUuid} → ${s.host} (alternates: ${s.alternates.join(", ") || "none"})`).join("; "),
    );
    // Claim every pick; a refusal (another controller took the room) tries that instance's
    // alternates, and if none can be claimed the whole request is scheduled again without them.
    const done: Claimed[] = [];
    let failed = false;
    for (const sel of placement.selections) {
      const instance = instances.find((i) => i.uuid === sel.instanceUuid)!;
      if (failed) {
        cache.abandon(instance.uuid);
        continue;
      }
      const host = await claimFirst(instance, [sel.host, ...sel.alternates], req, resources, refused, sel.host);
      if (host) done.push({ instance, host, alternates: sel.alternates.filter((h) => h !== host) });
      else failed = true;
    }
    if (!failed) {
      claimed = done;
      break;
    }
    for (const c of done) await release(c.instance.uuid);
    schedLog.info(`Claims refused on ${[...refused].join(", ")}; scheduling again without them`);
  }

  if (!claimed) {
    const message = explanation?.message ?? `No valid host was found. Claims were refused on ${[...refused].join(", ")}.`;
    const details = explanation?.details ?? "";
    schedLog.warn(`${message}${details ? `\n${details}` : ""}`);
    for (const i of instances) {
      await recordEventFinish(i.uuid, requestId, SCHEDULE_EVENT, controllerHost, { result: "Error", details: details ? `${message}\n${details}` : message });
      await failBuild(i, ctx, controllerHost, CONDUCTOR_EVENT, new NoValidHost(message, details));
    }
    return;
  }

  for (const c of claimed) {
    await recordEventFinish(c.instance.uuid, requestId, SCHEDULE_EVENT, controllerHost, {
      result: "Success",
      details: hostListDetail(c.host, c.alternates),
    });
    let networked: boolean;
    try {
      networked = await allocateForBuild(c.instance, ctx);
    } catch (err) {
      await failBuild(c.instance, ctx, controllerHost, CONDUCTOR_EVENT, err);
      continue;
    }
    if (!networked) {
      await release(c.instance.uuid); // deleted or reset while scheduled: give the claim back too
      continue;
    }
    const host = await buildOn(c.instance, [c.host, ...c.alternates], c.host, req, ctx);
    if (host === "abandoned") continue;
    if (!host) {
      await failBuild(c.instance, ctx, controllerHost, CONDUCTOR_EVENT, maxRetries(c.instance.uuid));
      continue;
    }
    await recordEventFinish(c.instance.uuid, requestId, CONDUCTOR_EVENT, controllerHost, { result: "Success" });
  }
}

/**
 * Claims the first host of `hosts` that accepts; the cache follows (`picked` is the host the
 * scheduler already consumed in memory for this instance). Returns the host or null.
 */
async function claimFirst(
  instance: Instance,
  hosts: string[],
  req: PlacementRequest,
  resources: ReturnType<typeof requestFor>,
  refused: Set<string>,
  picked: string | null,
): Promise<string | null> {
  const cache = hostStateCache();
  const log = getLogger("stratus.scheduler.manager", { instanceUuid: instance.uuid });
  for (const host of hosts) {
    if (refused.has(host)) continue;
    const nodeId = cache.nodeId(host);
    if (nodeId === undefined) continue;
    // The pick is already consumed in memory on the scheduler's host; another host moves it.
    if (host !== picked) cache.moveTo(instance.uuid, host, req.flavor, req.group?.id ?? null);
    picked = null;
    try {
      await claim({ nodeId, host }, instance.uuid, instance.uuid, resources);
      cache.confirm(instance.uuid);
      return host;
    } catch (err) {
      if (!(err instanceof ClaimRefused)) {
        cache.abandon(instance.uuid);
        throw err;
      }
      log.info(`${err.message}; trying the next host`);
      refused.add(host);
      cache.abandon(instance.uuid);
      await cache.refreshHost(host);
    }
  }
  cache.abandon(instance.uuid); // a pick never claimed gives its room back
  return null;
}

/**
 * Casts the build to the first host that takes it: `claimedHost` already holds the claim, any
 * other host is claimed first. Returns the host, null when none took it, "abandoned" when the
 * instance changed meanwhile (deleted).
 */
async function buildOn(
  instance: Instance,
  hosts: string[],
  claimedHost: string | null,
  req: PlacementRequest,
  ctx: RequestContext,
): Promise<string | null | "abandoned"> {
  const cache = hostStateCache();
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: instance.uuid });
  const resources = requestFor(instance);
  const image = await db.image.findUnique({ where: { id: instance.imageId } });
  for (const host of hosts) {
    if (host !== claimedHost && !(await claimFirst(instance, [host], req, resources, new Set(), null))) continue;
    const i = cache.table.index.get(host);
    const zone = (i !== undefined ? cache.table.zones[i]?.[0] : undefined) ?? config.scheduler.defaultAvailabilityZone;
    const placed = await saveInstance(
      instance.uuid,
      { host, node: host, availabilityZone: zone, step: `Scheduled to ${host}` },
      ["scheduling"],
    );
    if (!placed) {
      // Deleted (or reset) while we were scheduling: give the claim back and stop.
      await release(instance.uuid);
      log.info("Instance changed while it was being scheduled; build abandoned");
      return "abandoned";
    }
    try {
      await callAgent(host, {
        method: "build_and_run_instance",
        context: ctx,
        instance: instanceSpec({ ...instance, host }),
        image: imageRef(image, instance.imageId),
      });
      log.info(`Build of instance cast to ${host}`);
      return host;
    } catch (err) {
      if (!(err instanceof AgentUnavailable)) throw err;
      log.warn(`${err.message}; trying the next alternate`);
      await release(instance.uuid);
      await saveInstance(instance.uuid, { host: null, node: null }, ["scheduling"]);
    }
    claimedHost = null;
  }
  return null;
}

function maxRetries(uuid: string): Error {
  return new Error(
    `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`,
  );
}

async function failBuild(
  instance: Instance,
  ctx: RequestContext,
  controllerHost: string,
  event: string,
  err: unknown,
): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  // An expected refusal carries its explanation; only an unexpected failure carries a traceback.
  const expected = err instanceof NoValidHost || err instanceof AllocationFailed || message.startsWith("Exceeded maximum number of retries");
  const traceback = err instanceof Error && !expected ? err.stack : undefined;
  const details = err instanceof NoValidHost && err.details ? `${message}\n${err.details}` : traceback;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: instance.uuid });
  log.error(`Build failed: ${message}`);
  await release(instance.uuid);
  await deallocateForInstance(instance.uuid, ctx.requestId);
  await addFault(instance.uuid, { code: 500, message, details });
  await saveInstance(instance.uuid, { vmState: "error", taskState: null, step: null }, ["scheduling", null]);
  await recordEventFinish(instance.uuid, ctx.requestId, event, controllerHost, {
    result: "Error",
    details: message,
    traceback,
  });
  await recordActionFinish(instance.uuid, ctx.requestId, message);
}

/**
 * A build failed on `host` (the agent reported vm_state error during the build): count the
 * failure against the host, and unless retries are off (max_attempts 1), move the instance to its
 * next alternate instead of letting the error stand. Returns true when the report was handled
 * here (rescheduled, or failed with MaxRetriesExceeded); false lets the caller apply it as is.
 */
export async function rescheduleFailedBuild(host: string, instance: Instance, u: InstanceUpdate): Promise<boolean> {
  const log = getLogger("stratus.conductor.manager", { requestId: u.requestId, instanceUuid: instance.uuid });
  if (!u.requestId || instance.taskState === "deleting") return false;
  // Only a build this request scheduled (not, e.g., a build an agent restart interrupted).
  const action = await db.instanceAction.findFirst({
    where: { instanceUuid: instance.uuid, requestId: u.requestId },
    include: { events: { where: { event: SCHEDULE_EVENT, result: "Success" }, orderBy: { id: "desc" }, take: 1 } },
  });
  const hosts = parseHostList(action?.events[0]?.details ?? null);
  if (!hosts) return false;
  await countBuildFailure(host);
  if (hosts.length <= 1) return false; // no alternates (max_attempts 1): the host's error stands
  const at = hosts.indexOf(host);
  const remaining = at >= 0 ? hosts.slice(at + 1) : [];
  // Take the instance back from the failed host, unless something else (a delete) owns it now.
  const taken = await saveInstance(
    instance.uuid,
    // Nova nils out host and node; the failed host's late reports about it are then ignored.
    { taskState: "scheduling", host: null, node: null, step: `Rescheduling after a build failure on ${host}` },
    u.expectedTaskState ?? ["scheduling", "networking", "block_device_mapping", "spawning"],
    { host, vmState: "building" },
  );
  if (!taken) return false;
  const reason = u.fault?.message ?? "build failed";
  log.warn(`Build of instance failed on ${host}: ${reason}; ${remaining.length ? `rescheduling to ${remaining.join(", ")}` : "no alternates left"}`);
  await release(instance.uuid);
  await recordEventFinish(instance.uuid, u.requestId, BUILD_EVENT, host, {
    result: "Error",
    details: `${reason} (rescheduled${remaining.length ? ` to an alternate of ${remaining.join(", ")}` : ""})`,
  });
  const ctx: RequestContext = { requestId: u.requestId, userId: instance.userId, projectId: instance.projectId };
  const fresh = await db.instance.findUnique({ where: { uuid: instance.uuid } });
  if (!fresh) return true;
  setImmediate(() => {
    void (async () => {
      const req = await placementRequest(fresh, [fresh.uuid]);
      const built = await buildOn(fresh, remaining, null, req, ctx);
      if (built === null) await failBuild(fresh, ctx, config.STRATUS_HOST, CONDUCTOR_EVENT, maxRetries(fresh.uuid));
    })().catch((err: unknown) => failBuild(fresh, ctx, config.STRATUS_HOST, CONDUCTOR_EVENT, err));
  });
  return true;
}

/** Nova's _build_failed: the host's failed_builds rises (BuildFailureWeigher reads it). */
async function countBuildFailure(host: string): Promise<void> {
  await db.computeNode.updateMany({ where: { host }, data: { failedBuilds: { increment: 1 } } });
  const node = await db.computeNode.findUnique({ where: { host }, select: { failedBuilds: true } });
  if (node) hostStateCache().setFailedBuilds(host, node.failedBuilds);
}

/** Nova's _build_succeeded: a successful build resets the host's failed_builds. */
export async function recordBuildSuccess(host: string): Promise<void> {
  const { count } = await db.computeNode.updateMany({ where: { host, failedBuilds: { gt: 0 } }, data: { failedBuilds: 0 } });
  if (count > 0) hostStateCache().setFailedBuilds(host, 0);
}
