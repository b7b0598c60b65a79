// Conductor's schedule_and_build_instances: place each instance (one after another, so each
// placement sees the claims of the previous ones), claim its resources atomically, and cast the
// build to the chosen host's agent. A host whose agent cannot take the build is dropped and the
// next alternate tried; when none is left the instance goes to ERROR with an explained fault.
import type { RequestContext } from "@/lib/agent-protocol";
import { db, type Instance } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { recordActionFinish, recordEventFinish, recordEventStart } from "@/server/instances/action-log";
import { AgentUnavailable, callAgent } from "@/server/realtime/agent-rpc";
import { ClaimRefused, claim, release } from "@/server/scheduler/claims";
import { loadHostStates } from "@/server/scheduler/host-states";
import { requestFor } from "@/server/scheduler/resources";
import { explainNoValidHost, NoValidHost, selectHosts } from "@/server/scheduler/scheduler";
import { zonesByHost } from "@/server/services/service-registry";
import { addFault, saveInstance } from "./instance-state";
import { imageRef, instanceSpec } from "./specs";

export async function scheduleAndBuildInstances(uuids: string[], ctx: RequestContext, controllerHost: string): Promise<void> {
  for (const uuid of uuids) {
    const instance = await db.instance.findUnique({ where: { uuid } });
    if (!instance || instance.deletedAt || instance.taskState !== "scheduling") continue;
    try {
      await scheduleAndBuild(instance, ctx, controllerHost);
    } catch (err) {
      // Whatever went wrong, the instance must not stay in `scheduling` forever.
      await failBuild(instance, ctx, controllerHost, "conductor_schedule_and_build_instances", err);
    }
  }
}

async function scheduleAndBuild(instance: Instance, ctx: RequestContext, controllerHost: string): Promise<void> {
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: instance.uuid });
  const schedLog = getLogger("stratus.scheduler.manager", { ...ctx, instanceUuid: instance.uuid });
  const { requestId } = ctx;
  await recordEventStart(instance.uuid, requestId, "conductor_schedule_and_build_instances", controllerHost);
  await recordEventStart(instance.uuid, requestId, "schedule_instances", controllerHost);

  const request = requestFor(instance);
  const tried = new Set<string>();
  for (;;) {
    const selection = selectHosts(await loadHostStates(), request, tried);
    schedLog.info(
      `Filtered ${selection.considered} hosts to ${selection.hosts.length} for ${request.vcpus} vCPU, ${request.memoryMb} MB RAM, ${request.diskGb} GB disk`,
    );
    let chosen: string | null = null;
    for (const candidate of selection.hosts) {
      try {
        await claim(candidate, instance.uuid, instance.uuid, request);
        chosen = candidate.host;
        break;
      } catch (err) {
        if (!(err instanceof ClaimRefused)) throw err;
        schedLog.info(`${err.message}; trying the next host`);
        tried.add(candidate.host);
      }
    }
    if (!chosen) {
      const explanation = explainNoValidHost(selectHosts(await loadHostStates(), request));
      schedLog.warn(explanation);
      await recordEventFinish(instance.uuid, requestId, "schedule_instances", controllerHost, {
        result: "Error",
        details: explanation,
      });
      await failBuild(instance, ctx, controllerHost, "conductor_schedule_and_build_instances", new NoValidHost(explanation));
      return;
    }
    schedLog.info(`Selected host ${chosen}`);
    const zone = (await zonesByHost()).get(chosen) ?? "nova";
    const placed = await saveInstance(
      instance.uuid,
      { host: chosen, node: chosen, availabilityZone: zone, step: `Scheduled to ${chosen}` },
      ["scheduling"],
    );
    if (!placed) {
      // Deleted (or reset) while we were scheduling: give the claim back and stop.
      await release(instance.uuid);
      log.info("Instance changed while it was being scheduled; build abandoned");
      return;
    }
    const image = await db.image.findUnique({ where: { id: instance.imageId } });
    try {
      await callAgent(chosen, {
        method: "build_and_run_instance",
        context: ctx,
        instance: instanceSpec({ ...instance, host: chosen }),
        image: imageRef(image, instance.imageId),
      });
    } catch (err) {
      if (!(err instanceof AgentUnavailable)) throw err;
      log.warn(`${err.message}; rescheduling`);
      await release(instance.uuid);
      tried.add(chosen);
      await saveInstance(instance.uuid, { host: null, node: null }, ["scheduling"]);
      continue;
    }
    await recordEventFinish(instance.uuid, requestId, "schedule_instances", controllerHost, {
      result: "Success",
      details: `Selected host ${chosen}`,
    });
    await recordEventFinish(instance.uuid, requestId, "conductor_schedule_and_build_instances", controllerHost, {
      result: "Success",
    });
    log.info(`Build of instance cast to ${chosen}`);
    return;
  }
}

async function failBuild(instance: Instance, ctx: RequestContext, controllerHost: string, event: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  // An expected refusal carries its explanation; only an unexpected failure carries a traceback.
  const traceback = err instanceof Error && !(err instanceof NoValidHost) ? err.stack : undefined;
  const log = getLogger("stratus.conductor.manager", { ...ctx, instanceUuid: instance.uuid });
  log.error(`Build failed: ${message}`);
  await release(instance.uuid);
  await addFault(instance.uuid, { code: 500, message, details: traceback });
  await saveInstance(instance.uuid, { vmState: "error", taskState: null, step: null }, ["scheduling", null]);
  await recordEventFinish(instance.uuid, ctx.requestId, event, controllerHost, {
    result: "Error",
    details: message,
    traceback,
  });
  await recordActionFinish(instance.uuid, ctx.requestId, message);
}
