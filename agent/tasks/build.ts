// The build (Nova's _do_build_and_run_instance): the host takes the instance from the scheduler,
// walks it through networking, block_device_mapping and spawning (its disks from the image cache,
// the domain defined and started), and leaves it ACTIVE. A failure leaves it ERROR with a fault and
// removes the domain this build created; a redelivered build never touches an existing domain.
import type { ImageRef, InstanceSpec, RequestContext } from "@/lib/agent-protocol";
import { POWER_STATE, type TaskState } from "@/lib/states";
import { buildDomainXml, chooseDomainType } from "../driver/domain-xml";
import type { DiskDevice, DiskPreparation } from "../storage";
import type { InstanceTaskArgs } from "./power";
import { errorMessage, fault, seconds, UpdateRefused, type TaskRuntime } from "./task-runtime";

export const BUILD_EVENT = "compute__do_build_and_run_instance";

export type BuildArgs = Pick<InstanceTaskArgs, "ctx" | "spec" | "image">;

/**
 * The build's step timings for its finished event, e.g. "image cache miss 412 ms, overlay 95 ms,
 * define 61 ms, start 388 ms" (bench:create reads them back).
 */
export function buildTimings(prepared: DiskPreparation | null, defineMs: number, startMs: number): string {
  const parts = prepared ? [`image cache ${prepared.cache} ${prepared.imageMs} ms`, `overlay ${prepared.overlayMs} ms`] : ["no disks"];
  return [...parts, `define ${defineMs} ms`, `start ${startMs} ms`].join(", ");
}

type BuildStep = (taskState: TaskState | null, text: string, progress: number) => Promise<void>;

async function domainXml(rt: TaskRuntime, spec: InstanceSpec, ctx: RequestContext, disks?: DiskDevice[]): Promise<string> {
  const domainType = chooseDomainType(await rt.hypervisor.capabilities());
  const consoleLogPath = rt.storage?.consoleLogPath(spec.uuid);
  return buildDomainXml(spec, { domainType, owner: ctx, ...(disks ? { disks } : {}), ...(consoleLogPath ? { consoleLogPath } : {}) });
}

/**
 * Nova's _create_image: the instance's disks from the image cache (fetched once per host,
 * converted to raw, overlaid per instance), its progress shown as the build's step.
 */
async function prepareDisks(
  rt: TaskRuntime,
  ctx: RequestContext,
  spec: InstanceSpec,
  image: ImageRef | null,
  step: BuildStep,
  onPrepared?: (p: DiskPreparation) => void,
): Promise<DiskDevice[] | undefined> {
  if (!rt.storage || !image) return undefined;
  await step("spawning", `Preparing disks from image ${image.name}`, 20);
  // Reports go out one after another; a refused one (instance deleted meanwhile) aborts the build.
  let reports = Promise.resolve();
  let refused: unknown = null;
  const disks = await rt.storage.prepareInstanceDisks(
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

export async function buildAndRunInstance(rt: TaskRuntime, a: BuildArgs): Promise<void> {
  const { ctx, spec, image } = a;
  const { uuid } = spec;
  const log = rt.logger(ctx, uuid);
  const started = Date.now();
  rt.event(ctx, uuid, BUILD_EVENT, "start");
  // The task state our last applied update left, for the compare-and-swap of the next one.
  let expected: (TaskState | null)[] = ["scheduling", null];
  let created = false;
  const step: BuildStep = async (taskState, text, progress) => {
    await rt.update(log, ctx, { uuid, expectedTaskState: expected, taskState, step: text, progress });
    expected = [taskState];
  };
  try {
    log.info(
      `Building instance ${spec.name}: ${spec.vcpus} vCPU, ${spec.memoryMb} MB RAM, ${spec.rootGb} GB disk` +
        (image ? `, image ${image.name} (${image.id})` : ""),
    );
    // As Nova's _do_build_and_run_instance: the host takes the build with task_state None (the
    // dashboard shows BUILD with no task) before networking, block_device_mapping, spawning.
    await step(null, `Build started on ${rt.host}`, 0);
    await step("networking", "Allocating network", 10);
    await step("block_device_mapping", "Preparing block devices", 20);
    let prepared: DiskPreparation | null = null;
    const disks = await prepareDisks(rt, ctx, spec, image, step, (p) => (prepared = p));
    await step("spawning", "Defining domain", 30);
    const spawnStarted = Date.now();
    if (await rt.hypervisor.domainState(uuid)) {
      // Not ours to clean up: a redelivered build must never destroy a running instance.
      throw new Error(`Instance ${spec.name} already exists on the hypervisor (domain uuid ${uuid})`);
    }
    const xml = await domainXml(rt, spec, ctx, disks);
    log.debug(`Domain XML:\n${xml}`);
    const defineStarted = Date.now();
    await rt.hypervisor.define(xml);
    const defineMs = Date.now() - defineStarted;
    created = true;
    await step("spawning", "Starting domain", 60);
    const startStarted = Date.now();
    await rt.hypervisor.start(uuid);
    const startMs = Date.now() - startStarted;
    const state = await rt.hypervisor.domainState(uuid);
    const powerState = state?.powerState ?? POWER_STATE.NOSTATE;
    log.info(`Took ${seconds(spawnStarted)} seconds to spawn the instance on the hypervisor.`);
    const timings = buildTimings(prepared, defineMs, startMs);
    log.info(`Build timings: ${timings}`);
    await rt.update(log, ctx, {
      uuid,
      expectedTaskState: ["spawning"],
      vmState: "active",
      taskState: null,
      powerState,
      launchedAt: new Date().toISOString(),
      progress: 100,
    });
    rt.power?.track(uuid, powerState);
    log.info(`Took ${seconds(started)} seconds to build instance.`);
    rt.event(ctx, uuid, BUILD_EVENT, "finish", { result: "Success", details: `Build timings: ${timings}` });
  } catch (err) {
    if (err instanceof UpdateRefused) log.warn(`Build aborted: ${err.message}`);
    else log.error({ err }, "Instance failed to spawn");
    if (created) {
      try {
        await rt.removeDomain(uuid);
        log.info("Removed the domain of the failed build");
      } catch (cleanupErr) {
        log.error({ err: cleanupErr }, "Failed to clean up the domain of the failed build");
      }
    }
    // Guarded by the task state we last set: if the instance is being deleted meanwhile, the
    // delete wins and this is skipped.
    await rt.tryUpdate(log, ctx, {
      uuid,
      expectedTaskState: expected,
      vmState: "error",
      taskState: null,
      ...(created ? { powerState: POWER_STATE.NOSTATE } : {}),
      fault: fault(err),
    });
    rt.power?.track(uuid, POWER_STATE.NOSTATE);
    rt.event(ctx, uuid, BUILD_EVENT, "finish", {
      result: "Error",
      details: errorMessage(err),
      ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
    });
  }
}
