"use client";
// Admin → Hypervisors (Horizon's panel, §2.5, with Placement's view folded in): cloud-wide vCPU,
// RAM and disk usage at the top, then per compute host its usage against both its physical total
// and its schedulable capacity (allocation ratio, reservations), VMs, state, failed builds, and how
// many more instances of each flavor fit. Kept current by refetching when instances or services
// change (src/lib/realtime), not by polling.
import { useQuery } from "@tanstack/react-query";
import { ErrorAlert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusChip } from "@/components/ui/status-chip";
import { formatMemory } from "@/components/instances/format";
import { errorMessage, trpcErrorCode, useTRPC } from "@/lib/trpc/client";
import { CapacityHeatmap } from "./capacity-heatmap";
import type { RouterOutputs } from "@/lib/trpc/types";

type Hypervisor = RouterOutputs["hypervisor"]["list"][number];
type Resource = Hypervisor["vcpus"];

const TH = "whitespace-nowrap px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-3 py-3 align-top";

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A usage meter: used against capacity, the bar amber past 80 % and red past 95 %. */
function UsageMeter({ label, used, capacity, unit }: { label: string; used: number; capacity: number; unit: (n: number) => string }) {
  const pct = capacity > 0 ? Math.min(100, (used / capacity) * 100) : 0;
  const tone = pct >= 95 ? "bg-red-500" : pct >= 80 ? "bg-amber-500" : "bg-indigo-500";
  return (
    <div className="space-y-1">
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={Math.round(capacity)}
        aria-valuenow={Math.round(used)}
        aria-valuetext={`${unit(used)} of ${unit(capacity)} used (${Math.round(pct)}%)`}
        className="h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div className={`h-full rounded-full ${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function SummaryCard({ title, used, total, capacity, unit }: { title: string; used: number; total: number; capacity: number; unit: (n: number) => string }) {
  return (
    <div className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h2 className="text-sm font-semibold text-zinc-700 dark:text-zinc-300">{title}</h2>
      <p className="mt-1 text-2xl font-semibold tracking-tight">
        {unit(used)} <span className="text-sm font-normal text-zinc-600 dark:text-zinc-400">used of {unit(total)}</span>
      </p>
      <div className="mt-3">
        <UsageMeter label={`${title} used of schedulable capacity`} used={used} capacity={capacity} unit={unit} />
      </div>
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">Schedulable capacity {unit(capacity)} (after allocation ratios and reservations)</p>
    </div>
  );
}

function ResourceCell({ label, r, unit }: { label: string; r: Resource; unit: (n: number) => string }) {
  return (
    <div className="min-w-40 space-y-1">
      <p>
        <span className="font-medium">{unit(r.used)}</span> <span className="text-zinc-600 dark:text-zinc-400">of {unit(r.capacity)}</span>
      </p>
      <UsageMeter label={label} used={r.used} capacity={r.capacity} unit={unit} />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        total {unit(r.total)} · ratio {num(r.allocationRatio)}
        {r.reserved > 0 ? ` · reserved ${unit(r.reserved)}` : ""}
      </p>
    </div>
  );
}

const vcpuUnit = (n: number) => `${num(n)} vCPU${n === 1 ? "" : "s"}`;
const ramUnit = (n: number) => formatMemory(Math.round(n));
const diskUnit = (n: number) => `${num(n)} GB`;

function fitsText(count: number): string {
  return Number.isFinite(count) ? String(count) : "no limit";
}

function sum(items: Hypervisor[], pick: (h: Hypervisor) => Resource, key: "used" | "total" | "capacity"): number {
  return items.reduce((acc, h) => acc + pick(h)[key], 0);
}

export function HypervisorsView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.hypervisor.list.queryOptions());
  const forbidden = trpcErrorCode(list.error) === "FORBIDDEN";
  const items = list.data ?? [];
  const up = items.filter((h) => h.state === "up").length;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Hypervisors"
        description={list.data ? `${items.length} compute host${items.length === 1 ? "" : "s"}, ${up} up. Usage changes appear as instances come and go.` : "Compute hosts and their capacity."}
      />

      {list.isError && (
        <ErrorAlert>
          {forbidden ? "You are not authorized to view hypervisors: this page needs the admin role." : `Unable to retrieve hypervisors: ${errorMessage(list.error)}`}
        </ErrorAlert>
      )}

      {items.length > 0 && (
        <section aria-label="Hypervisor summary" className="grid gap-4 md:grid-cols-3">
          <SummaryCard title="vCPU Usage" used={sum(items, (h) => h.vcpus, "used")} total={sum(items, (h) => h.vcpus, "total")} capacity={sum(items, (h) => h.vcpus, "capacity")} unit={vcpuUnit} />
          <SummaryCard title="Memory Usage" used={sum(items, (h) => h.memoryMb, "used")} total={sum(items, (h) => h.memoryMb, "total")} capacity={sum(items, (h) => h.memoryMb, "capacity")} unit={ramUnit} />
          <SummaryCard title="Local Disk Usage" used={sum(items, (h) => h.localGb, "used")} total={sum(items, (h) => h.localGb, "total")} capacity={sum(items, (h) => h.localGb, "capacity")} unit={diskUnit} />
        </section>
      )}

      {items.length > 0 && <CapacityHeatmap hosts={items} />}

      {!list.isError && (
        <section aria-label="Hypervisor list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          {list.isPending ? (
            <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
              Loading hypervisors…
            </p>
          ) : items.length === 0 ? (
            <EmptyState title="No compute hosts registered">Hosts appear here when their compute agents first report in.</EmptyState>
          ) : (
            // Wider than a laptop screen: the scroll area takes focus so keyboards can scroll it.
            <div className="overflow-x-auto focus-visible:outline-2 focus-visible:outline-indigo-500" tabIndex={0} role="region" aria-label="Hypervisors, scrollable">
              <table className="w-full text-sm">
                <caption className="sr-only">Hypervisors</caption>
                <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                  <tr>
                    <th scope="col" className={TH}>Hostname</th>
                    <th scope="col" className={TH}>Type</th>
                    <th scope="col" className={TH}>State</th>
                    <th scope="col" className={TH}>vCPUs</th>
                    <th scope="col" className={TH}>RAM</th>
                    <th scope="col" className={TH}>Local Storage</th>
                    <th scope="col" className={TH}>Instances</th>
                    <th scope="col" className={TH}>Room for</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((h) => (
                    <tr key={h.id} data-testid={`hypervisor-row-${h.host}`} data-state={h.state} className="border-t border-zinc-200 dark:border-zinc-800">
                      <th scope="row" className={`${TD} text-left font-medium`}>
                        {h.host}
                        {h.hypervisorHostname !== h.host && <span className="block text-xs font-normal text-zinc-500 dark:text-zinc-400">{h.hypervisorHostname}</span>}
                        <span className="block text-xs font-normal text-zinc-500 dark:text-zinc-400">Zone {h.zone}</span>
                      </th>
                      <td className={`${TD} whitespace-nowrap`}>
                        {h.hypervisorType}
                        <span className="block text-xs text-zinc-500 dark:text-zinc-400">{h.hypervisorVersion}</span>
                      </td>
                      <td className={TD}>
                        <div className="flex flex-col items-start gap-1">
                          <StatusChip tone={h.state === "up" ? "success" : "danger"}>{h.state === "up" ? "Up" : "Down"}</StatusChip>
                          <span className="text-xs">{h.status === "enabled" ? "Enabled" : "Disabled"}</span>
                          {h.disabledReason && <em className="text-xs text-zinc-500 dark:text-zinc-400">Reason: {h.disabledReason}</em>}
                        </div>
                      </td>
                      <td className={TD}>
                        <ResourceCell label={`${h.host} vCPUs used`} r={h.vcpus} unit={vcpuUnit} />
                      </td>
                      <td className={TD}>
                        <ResourceCell label={`${h.host} RAM used`} r={h.memoryMb} unit={ramUnit} />
                      </td>
                      <td className={TD}>
                        <ResourceCell label={`${h.host} local storage used`} r={h.localGb} unit={diskUnit} />
                      </td>
                      <td className={`${TD} whitespace-nowrap`}>
                        <span className="font-medium">{h.runningVms}</span> running
                        <span className="block text-xs text-zinc-500 dark:text-zinc-400">{h.instances} placed</span>
                        {h.failedBuilds > 0 && <span className="block text-xs text-amber-800 dark:text-amber-300">{h.failedBuilds} failed builds</span>}
                      </td>
                      <td className={TD}>
                        <ul className="min-w-36 space-y-0.5 text-xs" aria-label={`Instances that still fit on ${h.host}, per flavor`}>
                          {h.fits.map((f) => (
                            <li key={f.flavorId} className="flex justify-between gap-3">
                              <span className="text-zinc-600 dark:text-zinc-400">{f.name}</span>
                              <span className="font-medium tabular-nums">{fitsText(f.count)}</span>
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </div>
  );
}
