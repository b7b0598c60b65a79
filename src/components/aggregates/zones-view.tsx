"use client";
// Admin → Availability Zones (Nova's os-availability-zone detail): each zone with its hosts and
// whether it can take a launch. Zones are made by host aggregates (Admin → Host Aggregates).
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorAlert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusChip } from "@/components/ui/status-chip";
import { errorMessage, useTRPC } from "@/lib/trpc/client";

const TH = "whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-4 py-3 align-top";

export function ZonesView() {
  const trpc = useTRPC();
  const zones = useQuery(trpc.aggregate.zones.queryOptions());
  const services = useQuery(trpc.service.list.queryOptions());
  const stateOf = new Map((services.data ?? []).filter((s) => s.binary === "stratus-compute").map((s) => [s.host, s]));

  return (
    <div className="space-y-6">
      <PageHeader
        title="Availability Zones"
        description={
          <>
            Zones come from <Link href="/admin/aggregates" className="text-indigo-700 underline dark:text-indigo-300">host aggregates</Link>; a host in none is in the default zone.
          </>
        }
      />
      {zones.isError && <ErrorAlert>Unable to retrieve availability zones: {errorMessage(zones.error)}</ErrorAlert>}
      <section aria-label="Availability zone list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        {zones.isPending ? (
          <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading availability zones…
          </p>
        ) : !zones.data || zones.data.length === 0 ? (
          <EmptyState title="No availability zones">Zones appear when compute hosts register.</EmptyState>
        ) : (
          <table className="w-full text-sm">
            <caption className="sr-only">Availability zones</caption>
            <thead className="bg-zinc-50 dark:bg-zinc-900/60">
              <tr>
                <th scope="col" className={TH}>Name</th>
                <th scope="col" className={TH}>Hosts</th>
                <th scope="col" className={TH}>Available</th>
              </tr>
            </thead>
            <tbody>
              {zones.data.map((z) => (
                <tr key={z.name} data-testid={`zone-row-${z.name}`} className="border-t border-zinc-200 dark:border-zinc-800">
                  <th scope="row" className={`${TD} text-left font-medium`}>
                    {z.name}
                  </th>
                  <td className={TD}>
                    {z.hosts.length === 0 ? (
                      <span className="text-zinc-500 dark:text-zinc-400">None</span>
                    ) : (
                      <ul className="space-y-0.5">
                        {z.hosts.map((h) => {
                          const s = stateOf.get(h);
                          return (
                            <li key={h}>
                              {h}
                              {s && <span className="text-zinc-600 dark:text-zinc-400"> — {s.status}, {s.state}</span>}
                            </li>
                          );
                        })}
                      </ul>
                    )}
                  </td>
                  <td className={TD}>
                    <StatusChip tone={z.available ? "success" : "neutral"}>{z.available ? "Yes" : "No hosts"}</StatusChip>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
