"use client";
// Admin → Host Aggregates (Nova's os-aggregates): groups of compute hosts, the availability zone
// each makes, and metadata the scheduler reads. Changes reach the scheduler at once.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDeleteDialog } from "@/components/ui/confirm-delete-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { MenuButton } from "@/components/ui/menu";
import { PageHeader } from "@/components/ui/page-header";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, trpcErrorCode, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { AggregateFormDialog } from "./aggregate-form-dialog";
import { ManageHostsDialog } from "./manage-hosts-dialog";
import { MetadataDialog } from "./metadata-dialog";
import type { AggregateItem } from "./types";

const TH = "whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-4 py-3 align-top";
const MUTED = "text-zinc-500 dark:text-zinc-400";

export function AggregatesView() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const aggregates = useQuery(trpc.aggregate.list.queryOptions());
  const [editing, setEditing] = useState<AggregateItem | null | undefined>(undefined);
  const [hostsOf, setHostsOf] = useState<AggregateItem | null>(null);
  const [metadataOf, setMetadataOf] = useState<AggregateItem | null>(null);
  const [deleting, setDeleting] = useState<AggregateItem | null>(null);
  const forbidden = trpcErrorCode(aggregates.error) === "FORBIDDEN";

  return (
    <div className="space-y-6">
      <PageHeader
        title="Host Aggregates"
        description="Groups of compute hosts. An aggregate with an availability zone puts its hosts in that zone; hosts in none are in the default zone."
        actions={
          <Button variant="primary" onClick={() => setEditing(null)} disabled={forbidden}>
            Create Host Aggregate
          </Button>
        }
      />
      {aggregates.isError && (
        <ErrorAlert>{forbidden ? "You are not authorized to manage host aggregates: this page needs the admin role." : `Unable to retrieve host aggregates: ${errorMessage(aggregates.error)}`}</ErrorAlert>
      )}
      {!aggregates.isError && (
        <section aria-label="Host aggregate list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          {aggregates.isPending ? (
            <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
              Loading host aggregates…
            </p>
          ) : aggregates.data.length === 0 ? (
            <EmptyState title="No host aggregates">Create one to define an availability zone or to group hosts for the scheduler.</EmptyState>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-sm">
                <caption className="sr-only">Host aggregates</caption>
                <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                  <tr>
                    <th scope="col" className={TH}>Name</th>
                    <th scope="col" className={TH}>Availability Zone</th>
                    <th scope="col" className={TH}>Hosts</th>
                    <th scope="col" className={TH}>Metadata</th>
                    <th scope="col" className={`${TH} text-right`}>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {aggregates.data.map((a) => {
                    const metadata = Object.entries(a.metadata);
                    return (
                      <tr key={a.id} data-testid={`aggregate-row-${a.name}`} className="border-t border-zinc-200 dark:border-zinc-800">
                        <th scope="row" className={`${TD} text-left font-medium`}>
                          {a.name}
                        </th>
                        <td className={TD}>{a.availabilityZone ?? <span className={MUTED}>-</span>}</td>
                        <td className={TD}>{a.hosts.length ? a.hosts.join(", ") : <span className={MUTED}>None</span>}</td>
                        <td className={`${TD} font-mono text-xs`}>
                          {metadata.length ? metadata.map(([k, v]) => <span key={k} className="block">{`${k}=${v}`}</span>) : <span className={`${MUTED} font-sans text-sm`}>-</span>}
                        </td>
                        <td className={`${TD} text-right whitespace-nowrap`}>
                          <div className="inline-flex gap-1">
                            <Button size="sm" onClick={() => setHostsOf(a)} aria-label={`Manage Hosts: ${a.name}`}>
                              Manage Hosts
                            </Button>
                            <MenuButton
                              ariaLabel={`More actions for ${a.name}`}
                              label={<span aria-hidden="true">▾</span>}
                              items={[
                                { key: "edit", label: "Edit Host Aggregate", onSelect: () => setEditing(a) },
                                { key: "metadata", label: "Update Metadata", onSelect: () => setMetadataOf(a) },
                                {
                                  key: "delete",
                                  label: "Delete Host Aggregate",
                                  danger: true,
                                  disabled: a.hosts.length > 0,
                                  reason: a.hosts.length > 0 ? "Remove its hosts first." : undefined,
                                  onSelect: () => setDeleting(a),
                                },
                              ]}
                            />
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      <AggregateFormDialog aggregate={editing} onClose={() => setEditing(undefined)} />
      <ManageHostsDialog aggregate={hostsOf} onClose={() => setHostsOf(null)} />
      <MetadataDialog aggregate={metadataOf} onClose={() => setMetadataOf(null)} />
      <ConfirmDeleteDialog
        noun="Host Aggregate"
        name={deleting?.name ?? null}
        consequence="An empty aggregate holds nothing else; its availability zone goes with it unless another aggregate names it."
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await client.aggregate.delete.mutate({ id: deleting.id });
          toast(`Deleted Host Aggregate: "${deleting.name}"`);
          void queryClient.invalidateQueries(trpc.aggregate.list.queryFilter());
          void queryClient.invalidateQueries(trpc.aggregate.zones.queryFilter());
        }}
      />
    </div>
  );
}
