"use client";
// Horizon's "Confirm Delete Instance" dialog, for one row or a selection. Each instance is deleted
// by its own call; when any fail, the dialog stays open and reports per instance what happened.
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { useToast } from "@/components/ui/toaster";
import type { InstanceView } from "@/lib/instance-view";
import { errorMessage, useTRPCClient } from "@/lib/trpc/client";

/** Horizon's DeleteInstance.allowed: anything not already deleting, and ERROR instances always. */
export function canDelete(instance: InstanceView): boolean {
  return instance.status === "ERROR" || instance.taskState !== "deleting";
}

export interface DeleteTarget {
  uuid: string;
  name: string;
}

type Outcome = { target: DeleteTarget; ok: true } | { target: DeleteTarget; ok: false; message: string };

function quoted(targets: DeleteTarget[]): string {
  return targets.map((t) => `"${t.name}"`).join(", ");
}

export function DeleteInstancesDialog({
  targets,
  onClose,
  onDeleted,
}: {
  /** The instances to delete; the dialog is open while this is non-empty. */
  targets: DeleteTarget[];
  onClose: () => void;
  /** Called with the ids whose deletion was accepted. */
  onDeleted?: (uuids: string[]) => void;
}) {
  const client = useTRPCClient();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<Outcome[] | null>(null);

  const plural = targets.length > 1;
  const label = plural ? "Delete Instances" : "Delete Instance";

  function close() {
    setOutcomes(null);
    onClose();
  }

  async function confirm() {
    setBusy(true);
    const settled = await Promise.allSettled(targets.map((t) => client.server.delete.mutate({ id: t.uuid })));
    setBusy(false);
    const results: Outcome[] = settled.map((r, i) => {
      const target = targets[i] as DeleteTarget;
      return r.status === "fulfilled" ? { target, ok: true } : { target, ok: false, message: errorMessage(r.reason) };
    });
    const done = results.filter((r) => r.ok).map((r) => r.target);
    if (done.length) {
      onDeleted?.(done.map((t) => t.uuid));
      toast(`Scheduled deletion of Instance${done.length > 1 ? "s" : ""}: ${quoted(done)}`);
    }
    if (done.length === results.length) close();
    else setOutcomes(results);
  }

  return (
    <Dialog
      open={targets.length > 0}
      onClose={close}
      busy={busy}
      size="sm"
      title={outcomes ? "Delete results" : `Confirm ${label}`}
    >
      {outcomes ? (
        <div className="space-y-4">
          <ul className="space-y-2 text-sm" aria-label="Result per instance">
            {outcomes.map((o) => (
              <li key={o.target.uuid} className="flex gap-2">
                <span aria-hidden="true" className={o.ok ? "text-emerald-600" : "text-red-600"}>
                  {o.ok ? "✓" : "✕"}
                </span>
                <span>
                  <span className="font-medium">{o.target.name}</span>
                  {o.ok ? ": deletion scheduled." : `: could not be deleted. ${o.message}`}
                </span>
              </li>
            ))}
          </ul>
          <div className="flex justify-end">
            <Button variant="primary" onClick={close} autoFocus>
              Close
            </Button>
          </div>
        </div>
      ) : (
        <div className="space-y-4">
          <div className="space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
            <p>
              You have selected: <span className="font-medium text-zinc-900 dark:text-zinc-100">{quoted(targets)}</span>.
              Please confirm your selection.
            </p>
            <p>Deleted instances are not recoverable.</p>
          </div>
          <div className="flex justify-end gap-2">
            <Button onClick={close} disabled={busy} autoFocus>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => void confirm()} disabled={busy}>
              {busy ? "Deleting…" : label}
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
