// Rescue and unrescue (Nova's rescue_instance / unrescue_instance and the libvirt driver's legacy
// rescue): the current domain definition is saved to `<instance dir>/unrescue.xml`, and a rescue
// domain boots a fresh disk of the rescue image first (vda) with the instance's own disk second
// (vdb), so the user can repair it. Unrescue destroys the rescue domain, defines exactly the saved
// XML again, starts it, and removes the rescue files.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ImageRef } from "@/lib/agent-protocol";
import { isRescueDomain } from "../driver/domain-xml";
import { destroyIfRunning, waitForRunning } from "../driver/guest-power";
import type { DiskDevice } from "../storage";
import { runInstanceTask } from "./instance-task";
import type { InstanceTaskArgs } from "./power";
import type { TaskRuntime } from "./task-runtime";

export const RESCUE_EVENT = "compute_rescue_instance";
export const UNRESCUE_EVENT = "compute_unrescue_instance";
export const UNRESCUE_XML = "unrescue.xml";

/** Legacy rescue disk mapping (nova/virt/libvirt/blockinfo.py): rescue disk vda, then the own disks. */
export function rescueDiskLayout(rescueDisk: DiskDevice | null, own: readonly DiskDevice[]): DiskDevice[] {
  const ordered = rescueDisk ? [rescueDisk, ...own] : [...own];
  return ordered.map((d, i) => ({ ...d, target: `vd${String.fromCharCode("a".charCodeAt(0) + i)}` }));
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export interface RescueArgs extends InstanceTaskArgs {
  rescueImage: ImageRef;
}

export function rescueInstance(rt: TaskRuntime, a: RescueArgs): Promise<void> {
  const uuid = a.spec.uuid;
  // Until the original domain is replaced, a failure leaves the instance as it was.
  let replaced = false;
  return runInstanceTask(rt, {
    ...a,
    event: RESCUE_EVENT,
    title: `Rescuing instance with image ${a.rescueImage.name} (${a.rescueImage.id})`,
    expected: a.expected ?? ["rescuing"],
    async run(t) {
      const signal = t.signal ? { signal: t.signal } : {};
      const hv = rt.hypervisor;
      await t.step("Saving the domain definition", 10);
      const dir = rt.instanceDir(uuid);
      await mkdir(dir, { recursive: true });
      const savedPath = path.join(dir, UNRESCUE_XML);
      if (!(await hv.domainState(uuid))) {
        t.log.warn("The instance has no domain on the hypervisor; defining it from its definition first");
        t.note("The domain was missing and was re-created from the instance's definition before the rescue.");
        await rt.recreateGuest(t.ctx, t.spec, a.image, { start: false });
      }
      const current = await hv.getXml(uuid, { inactive: true });
      if (isRescueDomain(current)) {
        // A rescue domain left behind (an interrupted unrescue): the saved original must be kept.
        if ((await readIfExists(savedPath)) === null) throw new Error(`the domain is a rescue domain and ${savedPath} is missing`);
        t.log.warn("The domain is still a rescue domain; keeping the saved original definition");
      } else {
        await writeFile(savedPath, current, { mode: 0o600 });
      }

      await t.step(`Preparing the rescue disk from image ${a.rescueImage.name}`, 30);
      const rescueDisk = rt.storage ? await rt.storage.prepareRescueDisk(t.ctx, t.spec, a.rescueImage) : null;
      const own = await rt.instanceDisks(t.ctx, t.spec, a.image);
      if (!rt.storage) t.log.warn("This agent has no instance storage: the rescue domain has no disks");
      const xml = await rt.domainXml(t.ctx, t.spec, { disks: rescueDiskLayout(rescueDisk, own), rescue: { imageId: a.rescueImage.id } });
      t.log.debug(`Rescue domain XML:\n${xml}`);

      await t.step("Booting the rescue image", 60);
      replaced = true;
      await destroyIfRunning(hv, uuid);
      await hv.define(xml);
      await hv.start(uuid);
      await waitForRunning(hv, uuid, rt.timings.startTimeoutMs, { pollIntervalMs: 500, ...signal });
      return { vmState: "rescued" };
    },
    // Nova sets ERROR ("Error trying to Rescue Instance") once the guest may be half rescued.
    vmStateOnError: () => (replaced ? "error" : a.spec.vmState),
  });
}

export function unrescueInstance(rt: TaskRuntime, a: InstanceTaskArgs): Promise<void> {
  const uuid = a.spec.uuid;
  return runInstanceTask(rt, {
    ...a,
    event: UNRESCUE_EVENT,
    title: "Unrescuing instance",
    expected: a.expected ?? ["unrescuing"],
    async run(t) {
      const signal = t.signal ? { signal: t.signal } : {};
      const hv = rt.hypervisor;
      await t.step("Restoring the original domain definition", 20);
      const savedPath = path.join(rt.instanceDir(uuid), UNRESCUE_XML);
      const saved = await readIfExists(savedPath);
      await destroyIfRunning(hv, uuid);
      if (saved !== null) {
        await hv.define(saved);
      } else {
        t.log.warn(`${savedPath} is missing; defining the domain from the instance's definition`);
        t.note("The saved definition (unrescue.xml) was missing; the domain was defined from the instance's definition.");
        await rt.recreateGuest(t.ctx, t.spec, a.image, { start: false });
      }
      await t.step("Starting the instance", 60);
      await hv.start(uuid);
      await waitForRunning(hv, uuid, rt.timings.startTimeoutMs, { pollIntervalMs: 500, ...signal });
      await t.step("Removing the rescue files", 90);
      await rt.storage?.removeRescueDisk(uuid);
      await rm(savedPath, { force: true });
      return { vmState: "active" };
    },
  });
}
