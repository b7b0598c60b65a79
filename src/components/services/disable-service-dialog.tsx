"use client";
// Disable Service (Horizon's Compute Host → Disable Service): an optional reason of at most 255
// characters. The scheduler stops placing new instances on the host at once; its instances run on.
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import type { ServiceView } from "@/lib/instance-view";
import { errorMessage, useTRPC } from "@/lib/trpc/client";

const REASON_MAX = 255;

function DisableForm({ service, onDone, onBusy }: { service: ServiceView; onDone: () => void; onBusy: (busy: boolean) => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const id = useId();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  const disable = useMutation(trpc.service.disable.mutationOptions());

  async function submit(e: FormEvent) {
    e.preventDefault();
    const text = reason.trim();
    if (text.length > REASON_MAX) {
      setError(`At most ${REASON_MAX} characters (${text.length} now).`);
      return;
    }
    setError(undefined);
    onBusy(true);
    try {
      // The row itself follows the service:changed push.
      await disable.mutateAsync({ id: service.id, reason: text || undefined });
      toast(`Disabled ${service.binary} on ${service.host}.`);
      onDone();
    } catch {
      // shown from disable.error
    } finally {
      onBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
      {disable.isError && <ErrorAlert>{errorMessage(disable.error)}</ErrorAlert>}
      <FormField id={`${id}-reason`} label="Reason" error={error} help={`Optional, at most ${REASON_MAX} characters; shown with the service's status.`}>
        <textarea
          id={`${id}-reason`}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          rows={3}
          autoFocus
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-reason-error` : `${id}-reason-help`}
          disabled={disable.isPending}
          className={INPUT_CLASS}
        />
      </FormField>
      <FormActions onCancel={onDone} pending={disable.isPending} label="Disable Service" pendingLabel="Disabling…" variant="danger" />
    </form>
  );
}

export function DisableServiceDialog({ service, onClose }: { service: ServiceView | null; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      open={service !== null}
      onClose={onClose}
      busy={busy}
      size="sm"
      title="Disable Service"
      description={service ? `No new instances will be scheduled to ${service.host}. Instances already there keep running.` : undefined}
    >
      {service && <DisableForm key={service.id} service={service} onDone={onClose} onBusy={setBusy} />}
    </Dialog>
  );
}
