"use client";
// Modify Access (os-flavor-access): the projects a private flavor is shared with. Each add or
// remove is its own call and shows at once; public flavors have no access list.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { AdminFlavor } from "./types";

function AccessEditor({ flavor }: { flavor: AdminFlavor }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const selectId = useId();
  const projects = useQuery(trpc.project.list.queryOptions());
  // The list row is the truth; follow it as the mutations refresh it.
  const flavors = useQuery(trpc.flavor.adminList.queryOptions());
  const access = flavors.data?.find((f) => f.id === flavor.id)?.access ?? flavor.access;
  const [choice, setChoice] = useState("");
  const refresh = () => queryClient.invalidateQueries(trpc.flavor.adminList.queryFilter());
  const add = useMutation(trpc.flavor.addAccess.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.flavor.removeAccess.mutationOptions({ onSuccess: refresh }));
  const busy = add.isPending || remove.isPending;
  const candidates = (projects.data ?? []).filter((p) => !access.some((a) => a.id === p.id));
  const error = add.error ?? remove.error ?? projects.error;

  return (
    <div className="space-y-4">
      {error && <ErrorAlert>{errorMessage(error)}</ErrorAlert>}
      <section aria-label="Projects with access">
        <h3 className="text-sm font-medium text-zinc-800 dark:text-zinc-200">Projects with access</h3>
        {access.length === 0 ? (
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">No project can boot this flavor yet (admins always can).</p>
        ) : (
          <ul className="mt-2 divide-y divide-zinc-200 rounded-md border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
            {access.map((p) => (
              <li key={p.id} className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
                <span>{p.name}</span>
                <Button
                  size="sm"
                  variant="danger-outline"
                  disabled={busy}
                  aria-label={`Remove access: ${p.name}`}
                  onClick={() => remove.mutate({ id: flavor.id, projectId: p.id }, { onSuccess: () => toast(`Project "${p.name}" can no longer use "${flavor.name}".`) })}
                >
                  Remove
                </Button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form
        className="flex items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const project = candidates.find((p) => p.id === choice);
          if (!project) return;
          add.mutate(
            { id: flavor.id, projectId: project.id },
            {
              onSuccess: () => {
                setChoice("");
                toast(`Project "${project.name}" can now use "${flavor.name}".`);
              },
            },
          );
        }}
      >
        <div className="flex-1 space-y-1">
          <label htmlFor={selectId} className="block text-sm font-medium text-zinc-800 dark:text-zinc-200">
            Add a project
          </label>
          <select id={selectId} value={choice} onChange={(e) => setChoice(e.target.value)} disabled={busy || candidates.length === 0} className={INPUT_CLASS}>
            <option value="">{projects.isPending ? "Loading projects…" : candidates.length === 0 ? "Every project has access" : "Select a project"}</option>
            {candidates.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" variant="primary" disabled={busy || !choice}>
          Add
        </Button>
      </form>
    </div>
  );
}

export function FlavorAccessDialog({ flavor, onClose }: { flavor: AdminFlavor | null; onClose: () => void }) {
  return (
    <Dialog open={flavor !== null} onClose={onClose} title={flavor ? `Modify Access: ${flavor.name}` : "Modify Access"} description="Projects that may boot this private flavor.">
      {flavor && (
        <>
          <AccessEditor key={flavor.id} flavor={flavor} />
          <div className="mt-4 flex justify-end">
            <Button onClick={onClose}>Done</Button>
          </div>
        </>
      )}
    </Dialog>
  );
}
