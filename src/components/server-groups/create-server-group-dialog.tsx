"use client";
// "Create Server Group": a name, a policy and — for anti-affinity only, as in Nova 2.64 — the
// max_server_per_host rule.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import { POLICY_HELP, POLICY_LABELS, type ServerGroupPolicy } from "./policy";

const POLICIES = Object.keys(POLICY_LABELS) as ServerGroupPolicy[];

interface FormErrors {
  name?: string;
  maxPerHost?: string;
}

function CreateServerGroupForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const id = useId();
  const [name, setName] = useState("");
  const [policy, setPolicy] = useState<ServerGroupPolicy>("anti-affinity");
  const [maxPerHost, setMaxPerHost] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});

  const create = useMutation(
    trpc.serverGroup.create.mutationOptions({
      onSuccess: (g) => {
        void queryClient.invalidateQueries(trpc.serverGroup.list.queryFilter());
        toast(`Created Server Group: "${g.name}"`);
        onDone();
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const found: FormErrors = {};
    if (!name.trim()) found.name = "Enter a name.";
    const n = Number(maxPerHost);
    if (policy === "anti-affinity" && maxPerHost !== "" && (!Number.isInteger(n) || n < 1)) found.maxPerHost = "Enter a whole number of at least 1.";
    setErrors(found);
    if (Object.keys(found).length) return;
    const rules = policy === "anti-affinity" && maxPerHost !== "" ? { max_server_per_host: n } : {};
    create.mutate({ name: name.trim(), policy, rules });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {create.isError && <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
      <FormField id={`${id}-name`} label="Name" error={errors.name}>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={255}
          required
          autoFocus
          autoComplete="off"
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? `${id}-name-error` : undefined}
          className={INPUT_CLASS}
        />
      </FormField>
      <FormField id={`${id}-policy`} label="Policy" help={POLICY_HELP[policy]}>
        <select
          id={`${id}-policy`}
          aria-describedby={`${id}-policy-help`}
          value={policy}
          onChange={(e) => setPolicy(e.target.value as ServerGroupPolicy)}
          className={INPUT_CLASS}
        >
          {POLICIES.map((p) => (
            <option key={p} value={p}>
              {POLICY_LABELS[p]}
            </option>
          ))}
        </select>
      </FormField>
      {policy === "anti-affinity" && (
        <FormField id={`${id}-max`} label="Max Servers per Host" error={errors.maxPerHost} help="Leave empty for one member per host.">
          <input
            id={`${id}-max`}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={maxPerHost}
            onChange={(e) => setMaxPerHost(e.target.value)}
            aria-invalid={errors.maxPerHost ? true : undefined}
            aria-describedby={errors.maxPerHost ? `${id}-max-error` : `${id}-max-help`}
            className={`${INPUT_CLASS} max-w-32`}
          />
        </FormField>
      )}
      <FormActions onCancel={onDone} pending={create.isPending} label="Create Server Group" pendingLabel="Creating…" className="pt-2" />
    </form>
  );
}

export function CreateServerGroupDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Create Server Group" description="Instances launched into a group are placed by its policy.">
      {open && <CreateServerGroupForm onDone={onClose} />}
    </Dialog>
  );
}
