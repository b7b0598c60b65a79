"use client";
// Confirm Delete Flavor, naming the flavor. Instances built from it keep running (Nova keeps each
// instance's copy of its flavor); it only stops being offered for new instances.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { AdminFlavor } from "./types";

export function DeleteFlavorDialog({ flavor, onClose }: { flavor: AdminFlavor | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const remove = useMutation(trpc.flavor.delete.mutationOptions());

  function close() {
    remove.reset();
    onClose();
  }

  function confirm() {
    if (!flavor) return;
    remove.mutate(
      { id: flavor.id },
      {
        onSuccess: () => {
          toast(`Deleted Flavor: "${flavor.name}"`);
          void queryClient.invalidateQueries(trpc.flavor.adminList.queryFilter());
          void queryClient.invalidateQueries(trpc.flavor.list.queryFilter());
          close();
        },
      },
    );
  }

  return (
    <Dialog open={flavor !== null} onClose={close} busy={remove.isPending} size="sm" title="Confirm Delete Flavor">
      {flavor && (
        <div className="space-y-4">
          {remove.isError && <ErrorAlert>{errorMessage(remove.error)}</ErrorAlert>}
          <div className="space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
            <p>
              You have selected: <span className="font-medium text-zinc-900 dark:text-zinc-100">&quot;{flavor.name}&quot;</span>. Please confirm your selection.
            </p>
            <p>New instances can no longer use it. Instances already built from it keep running with their sizes.</p>
          </div>
          <div className="flex justify-end gap-2">
            <Button onClick={close} disabled={remove.isPending} autoFocus>
              Cancel
            </Button>
            <Button variant="danger" onClick={confirm} disabled={remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete Flavor"}
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
