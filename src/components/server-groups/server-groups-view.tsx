"use client";
// Project → Server Groups (Nova's os-server-groups): each group with its policy, rule and members
// and the hosts they run on — so an anti-affinity group's spread can be read at a glance.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDeleteDialog } from "@/components/ui/confirm-delete-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { CreateServerGroupDialog } from "./create-server-group-dialog";
import { policyLabel, rulesSummary, type ServerGroupItem } from "./policy";

const TH = "whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-4 py-3 align-top";

function Members({ group }: { group: ServerGroupItem }) {
  if (group.members.length === 0) return <span className="text-zinc-500 dark:text-zinc-400">None</span>;
  return (
    <ul className="space-y-0.5">
      {group.members.map((m) => (
        <li key={m.uuid}>
          <Link href={`/instances/${m.uuid}`} className="font-medium text-indigo-700 underline underline-offset-2 dark:text-indigo-300">
            {m.name}
          </Link>
          {m.host ? <span className="text-zinc-600 dark:text-zinc-400"> on {m.host}</span> : !m.hostId && <span className="text-zinc-600 dark:text-zinc-400"> (no host yet)</span>}
        </li>
      ))}
    </ul>
  );
}

export function ServerGroupsView() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const groups = useQuery(trpc.serverGroup.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ServerGroupItem | null>(null);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Server Groups"
        description="Groups place their members by policy: together on one host, or spread across hosts."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create Server Group
          </Button>
        }
      />
      {groups.isError && <ErrorAlert>Unable to retrieve server groups: {errorMessage(groups.error)}</ErrorAlert>}
      <section aria-label="Server group list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        {groups.isPending ? (
          <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading server groups…
          </p>
        ) : !groups.data || groups.data.length === 0 ? (
          <EmptyState title="No server groups yet">Create one, then pick it in Launch Instance to place the instances by its policy.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm">
              <caption className="sr-only">Server groups</caption>
              <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                <tr>
                  <th scope="col" className={TH}>Name</th>
                  <th scope="col" className={TH}>Policy</th>
                  <th scope="col" className={TH}>Members</th>
                  <th scope="col" className={TH}>Created</th>
                  <th scope="col" className={`${TH} text-right`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {groups.data.map((g) => {
                  const rules = rulesSummary(g);
                  return (
                    <tr key={g.id} data-testid={`server-group-row-${g.name}`} className="border-t border-zinc-200 dark:border-zinc-800">
                      <th scope="row" className={`${TD} text-left font-medium`}>
                        <span className="block max-w-64 truncate" title={`${g.name}\n${g.id}`}>
                          {g.name}
                        </span>
                      </th>
                      <td className={TD}>
                        {policyLabel(g.policy)}
                        {rules && <span className="block text-xs text-zinc-600 dark:text-zinc-400">{rules}</span>}
                      </td>
                      <td className={TD}>
                        <Members group={g} />
                      </td>
                      <td className={`${TD} whitespace-nowrap text-zinc-600 dark:text-zinc-400`}>
                        <RelativeTime value={g.createdAt} />
                      </td>
                      <td className={`${TD} text-right`}>
                        <Button size="sm" variant="danger-outline" onClick={() => setDeleting(g)} aria-label={`Delete Server Group: ${g.name}`}>
                          Delete
                        </Button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateServerGroupDialog open={creating} onClose={() => setCreating(false)} />
      <ConfirmDeleteDialog
        noun="Server Group"
        name={deleting?.name ?? null}
        consequence="Its members keep running, outside any group; new instances can no longer join it."
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await client.serverGroup.delete.mutate({ id: deleting.id });
          toast(`Deleted Server Group: "${deleting.name}"`);
          void queryClient.invalidateQueries(trpc.serverGroup.list.queryFilter());
        }}
      />
    </div>
  );
}
