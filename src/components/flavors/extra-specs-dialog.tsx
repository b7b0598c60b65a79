"use client";
// Update Metadata (a flavor's extra specs): edit the set as rows, then save the difference — the
// added and changed specs in one call (checked as a whole by the API, so a refusal changes
// nothing), then an unset per removed key. The scheduler reads `capabilities:` specs.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { KeyValueEditor, keyValueErrors, keyValuesOf, newKeyValueRow, type KeyValueRow } from "@/components/ui/key-value-editor";
import { useToast } from "@/components/ui/toaster";
import { extraSpecProblem } from "@/lib/flavors/extra-specs";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { AdminFlavor } from "./types";

const NOUN = "extra spec";

function ExtraSpecsForm({ flavor, onDone, onBusy }: { flavor: AdminFlavor; onDone: () => void; onBusy: (busy: boolean) => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [rows, setRows] = useState<KeyValueRow[]>(() => Object.entries(flavor.extraSpecs).map(([k, v]) => newKeyValueRow(k, v)));
  const [showErrors, setShowErrors] = useState(false);
  const errors = keyValueErrors(rows, extraSpecProblem, NOUN);

  const save = useMutation({
    mutationFn: async (next: Record<string, string>) => {
      const changed = Object.fromEntries(Object.entries(next).filter(([k, v]) => flavor.extraSpecs[k] !== v));
      const removed = Object.keys(flavor.extraSpecs).filter((k) => !(k in next));
      if (Object.keys(changed).length > 0) await client.flavor.setExtraSpecs.mutate({ id: flavor.id, extraSpecs: changed });
      for (const key of removed) await client.flavor.unsetExtraSpec.mutate({ id: flavor.id, key });
    },
    onSettled: () => queryClient.invalidateQueries(trpc.flavor.adminList.queryFilter()),
  });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setShowErrors(true);
    if (errors.size > 0) return;
    onBusy(true);
    try {
      await save.mutateAsync(keyValuesOf(rows));
      toast(`Updated the extra specs of "${flavor.name}".`);
      onDone();
    } catch {
      // shown from save.error
    } finally {
      onBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
      {save.isError && <ErrorAlert>{errorMessage(save.error)}</ErrorAlert>}
      <KeyValueEditor
        rows={rows}
        onChange={setRows}
        errors={showErrors ? errors : new Map()}
        legend="Extra specs"
        noun={NOUN}
        keyPlaceholder="key"
        empty="No extra specs. E.g. hw:cpu_policy=dedicated, or capabilities:cpu_info:arch=x86_64 to schedule only to matching hosts."
        disabled={save.isPending}
      />
      <FormActions onCancel={onDone} pending={save.isPending} label="Save" pendingLabel="Saving…" />
    </form>
  );
}

export function ExtraSpecsDialog({ flavor, onClose }: { flavor: AdminFlavor | null; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog open={flavor !== null} onClose={onClose} busy={busy} title={flavor ? `Update Metadata: ${flavor.name}` : "Update Metadata"}>
      {flavor && <ExtraSpecsForm key={flavor.id} flavor={flavor} onDone={onClose} onBusy={setBusy} />}
    </Dialog>
  );
}
