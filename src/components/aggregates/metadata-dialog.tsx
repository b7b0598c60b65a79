"use client";
// "Update Metadata" of a host aggregate: the keys it has, each removable, and a key/value to set.
// Metadata such as cpu_weight_multiplier overrides a weigher's multiplier for the aggregate's hosts.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { AggregateItem } from "./types";

const KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

function MetadataForm({ aggregate }: { aggregate: AggregateItem }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const aggregates = useQuery(trpc.aggregate.list.queryOptions());
  const current = aggregates.data?.find((a) => a.id === aggregate.id) ?? aggregate;
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [keyError, setKeyError] = useState<string>();

  const set = useMutation(
    trpc.aggregate.setMetadata.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries(trpc.aggregate.list.queryFilter()),
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const k = key.trim();
    if (!KEY.test(k)) return setKeyError("Keys use letters, digits, '_', '.', ':' and '-' (at most 255).");
    setKeyError(undefined);
    set.mutate({ id: current.id, metadata: { [k]: value } }, { onSuccess: () => (setKey(""), setValue("")) });
  }

  const entries = Object.entries(current.metadata).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="space-y-4">
      {set.isError && <ErrorAlert>{errorMessage(set.error)}</ErrorAlert>}
      {entries.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No metadata.</p>
      ) : (
        <dl className="divide-y divide-zinc-200 rounded-md border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
          {entries.map(([k, v]) => (
            <div key={k} className="flex items-center justify-between gap-3 px-3 py-2 text-sm">
              <dt className="font-mono">{k}</dt>
              <dd className="flex items-center gap-3">
                <span className="font-mono">{v}</span>
                <Button size="sm" variant="danger-outline" disabled={set.isPending} onClick={() => set.mutate({ id: current.id, metadata: { [k]: null } })} aria-label={`Remove ${k}`}>
                  Remove
                </Button>
              </dd>
            </div>
          ))}
        </dl>
      )}
      <form onSubmit={submit} noValidate className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_auto]">
        <FormField id={`${id}-key`} label="Key" error={keyError}>
          <input
            id={`${id}-key`}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="cpu_weight_multiplier"
            autoComplete="off"
            aria-invalid={keyError ? true : undefined}
            aria-describedby={keyError ? `${id}-key-error` : undefined}
            className={INPUT_CLASS}
          />
        </FormField>
        <FormField id={`${id}-value`} label="Value">
          <input id={`${id}-value`} value={value} onChange={(e) => setValue(e.target.value)} maxLength={255} autoComplete="off" className={INPUT_CLASS} />
        </FormField>
        <Button type="submit" variant="primary" disabled={set.isPending}>
          Set
        </Button>
      </form>
    </div>
  );
}

export function MetadataDialog({ aggregate, onClose }: { aggregate: AggregateItem | null; onClose: () => void }) {
  return (
    <Dialog open={aggregate !== null} onClose={onClose} title={aggregate ? `Metadata of ${aggregate.name}` : "Metadata"}>
      {aggregate && (
        <div className="space-y-4">
          <MetadataForm aggregate={aggregate} />
          <div className="flex justify-end">
            <Button onClick={onClose}>Done</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
