"use client";
// Admin → Compute Services (`nova service-list`): every controller service and compute agent with
// its up/down state, kept current by `service:changed` pushes. A compute service can be disabled
// (with a reason) and enabled again; the row changes when the push arrives.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { StatusChip } from "@/components/ui/status-chip";
import { useToast } from "@/components/ui/toaster";
import type { ServiceView } from "@/lib/instance-view";
import { errorMessage, trpcErrorCode, useTRPC } from "@/lib/trpc/client";
import { COMPUTE_BINARY } from "@/lib/services";
import { DisableServiceDialog } from "./disable-service-dialog";

const TH = "whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-4 py-3 align-top";

function ServiceStatus({ service }: { service: ServiceView }) {
  if (service.status === "enabled") return <span>Enabled</span>;
  return (
    <span>
      Disabled
      {service.disabledReason && <em className="block text-xs text-zinc-500 dark:text-zinc-400">Reason: {service.disabledReason}</em>}
    </span>
  );
}

function ServiceState({ service }: { service: ServiceView }) {
  return (
    <span className="inline-flex items-center gap-2">
      <StatusChip tone={service.state === "up" ? "success" : "danger"}>{service.state === "up" ? "Up" : "Down"}</StatusChip>
      {service.forcedDown && <span className="text-xs text-zinc-600 dark:text-zinc-400">forced down</span>}
    </span>
  );
}

function EnableButton({ service }: { service: ServiceView }) {
  const trpc = useTRPC();
  const toast = useToast();
  const enable = useMutation(
    trpc.service.enable.mutationOptions({
      onSuccess: () => toast(`Enabled ${service.binary} on ${service.host}.`),
      onError: (e) => toast(`Unable to enable ${service.binary} on ${service.host}: ${errorMessage(e)}`, "error"),
    }),
  );
  return (
    <Button size="sm" onClick={() => enable.mutate({ id: service.id })} disabled={enable.isPending} aria-label={`Enable Service: ${service.binary} on ${service.host}`}>
      {enable.isPending ? "Enabling…" : "Enable Service"}
    </Button>
  );
}

function ServiceActions({ service, onDisable }: { service: ServiceView; onDisable: (s: ServiceView) => void }) {
  // As Horizon's Compute Host tab: only compute services are switched (the scheduler reads them).
  if (service.binary !== COMPUTE_BINARY) return null;
  if (service.status === "disabled") return <EnableButton service={service} />;
  return (
    <Button size="sm" variant="danger-outline" onClick={() => onDisable(service)} aria-label={`Disable Service: ${service.binary} on ${service.host}`}>
      Disable Service
    </Button>
  );
}

function ServiceRow({ service, onDisable }: { service: ServiceView; onDisable: (s: ServiceView) => void }) {
  return (
    <tr
      data-testid={`service-row-${service.binary}-${service.host}`}
      data-state={service.state}
      data-status={service.status}
      className="border-t border-zinc-200 dark:border-zinc-800"
    >
      <th scope="row" className={`${TD} text-left font-medium`}>
        {service.binary}
      </th>
      <td className={TD}>{service.host}</td>
      <td className={TD}>{service.zone}</td>
      <td className={TD}>
        <ServiceStatus service={service} />
      </td>
      <td className={TD}>
        <ServiceState service={service} />
      </td>
      <td className={`${TD} whitespace-nowrap text-zinc-600 dark:text-zinc-400`}>
        <RelativeTime value={service.lastSeenAt ?? service.updatedAt} style="ago" />
      </td>
      <td className={`${TD} text-right whitespace-nowrap`}>
        <ServiceActions service={service} onDisable={onDisable} />
      </td>
    </tr>
  );
}

export function ServicesView() {
  const trpc = useTRPC();
  const services = useQuery(trpc.service.list.queryOptions());
  const [disabling, setDisabling] = useState<ServiceView | null>(null);
  const forbidden = trpcErrorCode(services.error) === "FORBIDDEN";

  const down = services.data?.filter((s) => s.state === "down").length ?? 0;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Compute Services"
        description={
          services.data
            ? `${services.data.length} services, ${down === 0 ? "all up" : `${down} down`}.`
            : "Every controller service and compute agent, with its heartbeat."
        }
      />
      {services.isError && (
        <ErrorAlert>
          {forbidden ? "You are not authorized to view compute services: this page needs the admin role." : `Unable to get services: ${errorMessage(services.error)}`}
        </ErrorAlert>
      )}
      {!services.isError && (
        <section aria-label="Service list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          {services.isPending ? (
            <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
              Loading services…
            </p>
          ) : services.data.length === 0 ? (
            <EmptyState title="No services registered">Services appear here when the controller and compute agents start.</EmptyState>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-sm">
                <caption className="sr-only">Compute services</caption>
                <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                  <tr>
                    <th scope="col" className={TH}>Binary</th>
                    <th scope="col" className={TH}>Host</th>
                    <th scope="col" className={TH}>Zone</th>
                    <th scope="col" className={TH}>Status</th>
                    <th scope="col" className={TH}>State</th>
                    <th scope="col" className={TH}>Last Updated</th>
                    <th scope="col" className={`${TH} text-right`}>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {services.data.map((s) => (
                    <ServiceRow key={s.id} service={s} onDisable={setDisabling} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      <DisableServiceDialog service={disabling} onClose={() => setDisabling(null)} />
    </div>
  );
}
