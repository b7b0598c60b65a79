"use client";
// Create or edit a host aggregate: its name and the availability zone it makes of its hosts.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { AggregateItem } from "./types";

function AggregateForm({ aggregate, onDone }: { aggregate: AggregateItem | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const id = useId();
  const [name, setName] = useState(aggregate?.name ?? "");
  const [zone, setZone] = useState(aggregate?.availabilityZone ?? "");
  const [nameError, setNameError] = useState<string>();

  const done = (verb: string) => (a: AggregateItem) => {
    void queryClient.invalidateQueries(trpc.aggregate.list.queryFilter());
    void queryClient.invalidateQueries(trpc.aggregate.zones.queryFilter());
    toast(`${verb} Host Aggregate: "${a.name}"`);
    onDone();
  };
  const create = useMutation(trpc.aggregate.create.mutationOptions({ onSuccess: done("Created") }));
  const update = useMutation(trpc.aggregate.update.mutationOptions({ onSuccess: done("Updated") }));
  const pending = create.isPending || update.isPending;
  const error = create.error ?? update.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setNameError("Enter a name.");
    setNameError(undefined);
    const availabilityZone = zone.trim() || undefined;
    if (aggregate) update.mutate({ id: aggregate.id, name: name.trim(), availabilityZone: availabilityZone ?? null });
    else create.mutate({ name: name.trim(), availabilityZone });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {error && <ErrorAlert>{errorMessage(error)}</ErrorAlert>}
      <FormField id={`${id}-name`} label="Name" error={nameError}>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={255}
          required
          autoFocus
          autoComplete="off"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
          className={INPUT_CLASS}
        />
      </FormField>
      <FormField id={`${id}-zone`} label="Availability Zone" help="Leave empty for an aggregate that only groups hosts (its hosts stay in their zone).">
        <input
          id={`${id}-zone`}
          value={zone}
          onChange={(e) => setZone(e.target.value)}
          maxLength={255}
          autoComplete="off"
          aria-describedby={`${id}-zone-help`}
          className={INPUT_CLASS}
        />
      </FormField>
      <FormActions onCancel={onDone} pending={pending} label={aggregate ? "Save" : "Create Host Aggregate"} pendingLabel="Saving…" className="pt-2" />
    </form>
  );
}

/** `aggregate` undefined: closed; null: create; an aggregate: edit it. */
export function AggregateFormDialog({ aggregate, onClose }: { aggregate: AggregateItem | null | undefined; onClose: () => void }) {
  return (
    <Dialog open={aggregate !== undefined} onClose={onClose} title={aggregate ? `Edit Host Aggregate ${aggregate.name}` : "Create Host Aggregate"}>
      {aggregate !== undefined && <AggregateForm aggregate={aggregate} onDone={onClose} />}
    </Dialog>
  );
}
