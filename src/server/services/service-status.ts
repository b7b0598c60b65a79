// An admin's switches on a service row (`openstack compute service set`): enable, disable with a
// reason, force down. The row is the truth; the change then reaches this controller's scheduler
// at once (other controllers pick it up on their next sync) and every open services page.
import { TRPCError } from "@trpc/server";
import { db, type Service } from "@/server/db";
import { loadedHostStateCache } from "@/server/scheduler/host-state-cache";
import { COMPUTE_BINARY, publishServiceRow } from "./service-registry";

export type ServiceTarget = { id: number } | { host: string; binary: string };

export type ServiceStatusChange =
  | { disabled: true; disabledReason: string | null }
  | { disabled: false }
  | { forcedDown: boolean };

function describe(target: ServiceTarget): string {
  return "id" in target ? `Service ${target.id}` : `Service ${target.binary} on host ${target.host}`;
}

async function findService(target: ServiceTarget): Promise<Service> {
  const s =
    "id" in target
      ? await db.service.findUnique({ where: { id: target.id } })
      : await db.service.findUnique({ where: { binary_host: { binary: target.binary, host: target.host } } });
  if (!s) throw new TRPCError({ code: "NOT_FOUND", message: `${describe(target)} could not be found.` });
  return s;
}

/** Applies one change and returns the updated row. Enabling clears the reason, as Nova does. */
export async function setServiceStatus(target: ServiceTarget, change: ServiceStatusChange): Promise<Service> {
  const s = await findService(target);
  const data =
    "forcedDown" in change
      ? { forcedDown: change.forcedDown }
      : change.disabled
        ? { disabled: true, disabledReason: change.disabledReason }
        : { disabled: false, disabledReason: null };
  const updated = await db.service.update({ where: { id: s.id }, data });
  if (updated.binary === COMPUTE_BINARY) await loadedHostStateCache()?.refreshHost(updated.host);
  await publishServiceRow(updated);
  return updated;
}
