"use client";
// Horizon's "Confirm Delete …" dialog: names what goes, says what follows, and keeps the dialog
// open with the server's reason when the delete is refused.
import { useState, type ReactNode } from "react";
import { ErrorAlert } from "./alert";
import { Button } from "./button";
import { Dialog } from "./dialog";
import { errorMessage } from "@/lib/trpc/client";

export interface ConfirmDeleteDialogProps {
  /** What is deleted, e.g. "Server Group": the title and button say "Delete Server Group". */
  noun: string;
  /** The name of the item, or null when the dialog is closed. */
  name: string | null;
  /** What deleting means for everything else. */
  consequence: ReactNode;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmDeleteDialog({ noun, name, consequence, onConfirm, onClose }: ConfirmDeleteDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function close() {
    setError(null);
    onClose();
  }

  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
      close();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={name !== null} onClose={close} busy={busy} size="sm" title={`Confirm Delete ${noun}`}>
      {name !== null && (
        <div className="space-y-4">
          {error && <ErrorAlert>{error}</ErrorAlert>}
          <div className="space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
            <p>
              You have selected: <span className="font-medium text-zinc-900 dark:text-zinc-100">&quot;{name}&quot;</span>. Please confirm your selection.
            </p>
            <p>{consequence}</p>
          </div>
          <div className="flex justify-end gap-2">
            <Button onClick={close} disabled={busy} autoFocus>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => void confirm()} disabled={busy}>
              {busy ? "Deleting…" : `Delete ${noun}`}
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
