"use client";
// Create Flavor (Horizon's Admin → Flavors → Create Flavor): name, optional ID, sizes, public or
// private. The form is checked with the API's own schema, so a refusal is explained before sending.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { createFlavorSchema } from "@/lib/flavors/flavor-input";
import { errorMessage, useTRPC } from "@/lib/trpc/client";

const FIELDS = [
  { key: "vcpus", label: "vCPUs", initial: "1", help: "Virtual CPUs of each instance." },
  { key: "memoryMb", label: "RAM (MB)", initial: "512", help: "At least 1 MB." },
  { key: "rootGb", label: "Root Disk (GB)", initial: "1", help: "0 sizes the disk to the image." },
  { key: "ephemeralGb", label: "Ephemeral Disk (GB)", initial: "0", help: "A second, empty disk; 0 for none." },
  { key: "swapMb", label: "Swap Disk (MB)", initial: "0", help: "0 for no swap disk." },
] as const;

type SizeKey = (typeof FIELDS)[number]["key"];
type FieldKey = SizeKey | "name" | "id" | "description";
type Errors = Partial<Record<FieldKey, string>>;

const toNumber = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));

function CreateFlavorForm({ onDone, onBusy }: { onDone: () => void; onBusy: (busy: boolean) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const id = useId();
  const [name, setName] = useState("");
  const [flavorId, setFlavorId] = useState("");
  const [sizes, setSizes] = useState<Record<SizeKey, string>>(() => Object.fromEntries(FIELDS.map((f) => [f.key, f.initial])) as Record<SizeKey, string>);
  const [isPublic, setPublic] = useState(true);
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const create = useMutation(trpc.flavor.create.mutationOptions());

  async function submit(e: FormEvent) {
    e.preventDefault();
    const parsed = createFlavorSchema.safeParse({
      name: name.trim(),
      id: flavorId.trim() || undefined,
      ...Object.fromEntries(FIELDS.map((f) => [f.key, toNumber(sizes[f.key])])),
      isPublic,
      description: description.trim() || undefined,
    });
    if (!parsed.success) {
      const found: Errors = {};
      for (const issue of parsed.error.issues) found[issue.path[0] as FieldKey] ??= issue.message;
      setErrors(found);
      return;
    }
    setErrors({});
    onBusy(true);
    try {
      const flavor = await create.mutateAsync(parsed.data);
      toast(`Created flavor "${flavor.name}".`);
      void queryClient.invalidateQueries(trpc.flavor.adminList.queryFilter());
      void queryClient.invalidateQueries(trpc.flavor.list.queryFilter());
      onDone();
    } catch {
      // shown from create.error
    } finally {
      onBusy(false);
    }
  }

  const field = (key: FieldKey) => ({
    id: `${id}-${key}`,
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": errors[key] ? `${id}-${key}-error` : `${id}-${key}-help`,
    disabled: create.isPending,
    className: INPUT_CLASS,
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
      {create.isError && <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={`${id}-name`} label="Name" error={errors.name} help="Unique among flavors.">
          <input {...field("name")} value={name} onChange={(e) => setName(e.target.value)} maxLength={255} required autoFocus autoComplete="off" />
        </FormField>
        <FormField id={`${id}-id`} label="ID" error={errors.id} help="Leave empty for a generated UUID.">
          <input {...field("id")} value={flavorId} onChange={(e) => setFlavorId(e.target.value)} maxLength={255} autoComplete="off" spellCheck={false} placeholder="auto" />
        </FormField>
        {FIELDS.map((f) => (
          <FormField key={f.key} id={`${id}-${f.key}`} label={f.label} error={errors[f.key]} help={f.help}>
            <input
              {...field(f.key)}
              type="number"
              inputMode="numeric"
              min={f.key === "vcpus" || f.key === "memoryMb" ? 1 : 0}
              step={1}
              value={sizes[f.key]}
              onChange={(e) => setSizes((s) => ({ ...s, [f.key]: e.target.value }))}
              required
            />
          </FormField>
        ))}
      </div>
      <FormField id={`${id}-description`} label="Description" error={errors.description} help="Optional.">
        <textarea {...field("description")} value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
      </FormField>
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.target.checked)} disabled={create.isPending} className="mt-0.5 size-4 accent-indigo-600" />
        <span>
          <span className="font-medium">Public</span>
          <span className="block text-xs text-zinc-600 dark:text-zinc-400">Every project can boot a public flavor; a private one only the projects given access.</span>
        </span>
      </label>
      <FormActions onCancel={onDone} pending={create.isPending} label="Create Flavor" pendingLabel="Creating…" />
    </form>
  );
}

export function CreateFlavorDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog open={open} onClose={onClose} busy={busy} title="Create Flavor" description="Flavors are immutable: to change one, delete it and create it again.">
      {open && <CreateFlavorForm onDone={onClose} onBusy={setBusy} />}
    </Dialog>
  );
}
