"use client";
// "Manage Hosts": every compute host with a switch for membership of this aggregate. Each change
// goes to the server on its own, so a refusal (a host with instances cannot change zone) names
// the host it concerns and leaves the others as they are.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { AggregateItem } from "./types";

const COMPUTE_BINARY = "stratus-compute";

function HostList({ aggregate }: { aggregate: AggregateItem }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const services = useQuery(trpc.service.list.queryOptions());
  const aggregates = useQuery(trpc.aggregate.list.queryOptions());
  const [busyHost, setBusyHost] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // The live copy: the dialog's own snapshot would go stale after the first change.
  const current = aggregates.data?.find((a) => a.id === aggregate.id) ?? aggregate;
  const hosts = (services.data ?? []).filter((s) => s.binary === COMPUTE_BINARY);

  async function toggle(host: string, member: boolean) {
    setBusyHost(host);
    setError(null);
    try {
      if (member) await client.aggregate.removeHost.mutate({ id: current.id, host });
      else await client.aggregate.addHost.mutate({ id: current.id, host });
      await Promise.all([
        queryClient.invalidateQueries(trpc.aggregate.list.queryFilter()),
        queryClient.invalidateQueries(trpc.aggregate.zones.queryFilter()),
        queryClient.invalidateQueries(trpc.service.list.queryFilter()),
      ]);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusyHost(null);
    }
  }

  if (services.isError) return <ErrorAlert>Unable to list compute hosts: {errorMessage(services.error)}</ErrorAlert>;
  if (services.isPending) return <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading compute hosts…</p>;
  return (
    <div className="space-y-3">
      {error && <ErrorAlert>{error}</ErrorAlert>}
      {hosts.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No compute host has registered yet.</p>
      ) : (
        <ul className="divide-y divide-zinc-200 rounded-md border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
          {hosts.map((s) => {
            const member = current.hosts.includes(s.host);
            return (
              <li key={s.host} className="flex items-center justify-between gap-3 px-3 py-2 text-sm">
                <span>
                  <span className="font-medium">{s.host}</span>
                  <span className="block text-xs text-zinc-600 dark:text-zinc-400">zone {s.zone}</span>
                </span>
                <Button
                  size="sm"
                  variant={member ? "danger-outline" : "secondary"}
                  disabled={busyHost !== null}
                  onClick={() => void toggle(s.host, member)}
                  aria-label={`${member ? "Remove" : "Add"} host ${s.host}`}
                >
                  {busyHost === s.host ? "Saving…" : member ? "Remove" : "Add"}
                </Button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

export function ManageHostsDialog({ aggregate, onClose }: { aggregate: AggregateItem | null; onClose: () => void }) {
  return (
    <Dialog
      open={aggregate !== null}
      onClose={onClose}
      title={aggregate ? `Manage Hosts of ${aggregate.name}` : "Manage Hosts"}
      description={aggregate?.availabilityZone ? `Hosts added here move to availability zone ${aggregate.availabilityZone}.` : undefined}
    >
      {aggregate && (
        <div className="space-y-4">
          <HostList aggregate={aggregate} />
          <div className="flex justify-end">
            <Button onClick={onClose}>Done</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
