"use client";
// "Launch Instance": name, flavor, image, count and, optionally, an availability zone and a server
// group, submitted to server.create. The call returns at once; the new rows then follow their build
// live in the table (or fail with the scheduler's explanation of why no host fits).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { FormActions } from "@/components/ui/form-actions";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { ImageListItem } from "@/lib/trpc/types";
import { groupSummary, policyLabel } from "@/components/server-groups/policy";
import { flavorSummary, formatBytes } from "./format";

const MAX_NAME = 255;
const MAX_COUNT = 100;

function imageLabel(i: ImageListItem): string {
  const base = `${i.name} (${i.diskFormat}, ${formatBytes(i.size)})`;
  return i.status === "active" ? base : `${base} — ${i.status}`;
}

interface FormErrors {
  name?: string;
  flavorId?: string;
  imageId?: string;
  count?: string;
}

function validate(name: string, flavorId: string, imageId: string, count: string): FormErrors {
  const errors: FormErrors = {};
  if (!name.trim()) errors.name = "Enter an instance name.";
  else if (name.trim().length > MAX_NAME) errors.name = `At most ${MAX_NAME} characters.`;
  if (!flavorId) errors.flavorId = "Select a flavor.";
  if (!imageId) errors.imageId = "Select an image.";
  const n = Number(count);
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) errors.count = `Enter a whole number from 1 to ${MAX_COUNT}.`;
  return errors;
}

function LaunchInstanceForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const id = useId();
  const flavors = useQuery(trpc.flavor.list.queryOptions());
  const images = useQuery(trpc.image.list.queryOptions());
  const zones = useQuery(trpc.aggregate.zones.queryOptions());
  const groups = useQuery(trpc.serverGroup.list.queryOptions());

  const [name, setName] = useState("");
  const [flavorId, setFlavorId] = useState("");
  const [imageId, setImageId] = useState("");
  const [count, setCount] = useState("1");
  const [zone, setZone] = useState("");
  const [groupId, setGroupId] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});

  const create = useMutation(
    trpc.server.create.mutationOptions({
      onSuccess: (result) => {
        void queryClient.invalidateQueries(trpc.server.list.queryFilter());
        const names = result.instances.map((i) => `"${i.name}"`).join(", ");
        toast(`Launched ${result.instances.length === 1 ? "instance" : "instances"} ${names}.`);
        onDone();
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validate(name, flavorId, imageId, count);
    setErrors(found);
    if (Object.keys(found).length) return;
    create.mutate({
      name: name.trim(),
      flavorId,
      imageId,
      count: Number(count),
      ...(zone ? { availabilityZone: zone } : {}),
      ...(groupId ? { serverGroupId: groupId } : {}),
    });
  }

  const field = (key: keyof FormErrors) => ({
    id: `${id}-${key}`,
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": errors[key] ? `${id}-${key}-error` : `${id}-${key}-help`,
  });

  const selectedFlavor = flavors.data?.find((f) => f.id === flavorId);
  const selectedGroup = groups.data?.find((g) => g.id === groupId);

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {create.isError && <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
      {(flavors.isError || images.isError) && (
        <ErrorAlert>Could not load {flavors.isError ? "flavors" : "images"}: {errorMessage(flavors.error ?? images.error)}</ErrorAlert>
      )}

      <FormField id={`${id}-name`} label="Instance Name" error={errors.name} help="With a count above 1, each name gets a suffix: web-1, web-2, …">
        <input {...field("name")} value={name} onChange={(e) => setName(e.target.value)} maxLength={MAX_NAME} required autoFocus autoComplete="off" className={INPUT_CLASS} />
      </FormField>

      <FormField
        id={`${id}-flavorId`}
        label="Flavor"
        error={errors.flavorId}
        help={selectedFlavor ? flavorSummary(selectedFlavor) : "The size of the virtual machine."}
      >
        <select {...field("flavorId")} value={flavorId} onChange={(e) => setFlavorId(e.target.value)} required className={INPUT_CLASS} disabled={!flavors.data}>
          <option value="">{flavors.isPending ? "Loading flavors…" : "Select a flavor"}</option>
          {flavors.data?.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name} — {flavorSummary(f)}
            </option>
          ))}
        </select>
      </FormField>

      <FormField id={`${id}-imageId`} label="Image" error={errors.imageId} help="The boot disk is created from this image.">
        <select {...field("imageId")} value={imageId} onChange={(e) => setImageId(e.target.value)} required className={INPUT_CLASS} disabled={!images.data}>
          <option value="">{images.isPending ? "Loading images…" : "Select an image"}</option>
          {images.data?.map((i) => (
            <option key={i.id} value={i.id} disabled={i.status !== "active"}>
              {imageLabel(i)}
            </option>
          ))}
        </select>
      </FormField>

      <FormField id={`${id}-count`} label="Count" error={errors.count} help={`How many instances to launch (1–${MAX_COUNT}).`}>
        <input
          {...field("count")}
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_COUNT}
          step={1}
          value={count}
          onChange={(e) => setCount(e.target.value)}
          required
          className={`${INPUT_CLASS} max-w-32`}
        />
      </FormField>

      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={`${id}-zone`} label="Availability Zone" help="Any zone, unless you pick one.">
          <select id={`${id}-zone`} aria-describedby={`${id}-zone-help`} value={zone} onChange={(e) => setZone(e.target.value)} className={INPUT_CLASS} disabled={!zones.data}>
            <option value="">{zones.isPending ? "Loading zones…" : "Any Availability Zone"}</option>
            {zones.data?.map((z) => (
              <option key={z.name} value={z.name} disabled={!z.available}>
                {z.name} ({z.hostCount} {z.hostCount === 1 ? "host" : "hosts"})
              </option>
            ))}
          </select>
        </FormField>

        <FormField
          id={`${id}-group`}
          label="Server Group"
          help={selectedGroup ? groupSummary(selectedGroup) : "Place the instances by a group's policy."}
        >
          <select id={`${id}-group`} aria-describedby={`${id}-group-help`} value={groupId} onChange={(e) => setGroupId(e.target.value)} className={INPUT_CLASS} disabled={!groups.data}>
            <option value="">{groups.isPending ? "Loading server groups…" : "No server group"}</option>
            {groups.data?.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name} ({policyLabel(g.policy)})
              </option>
            ))}
          </select>
        </FormField>
      </div>

      <FormActions onCancel={onDone} pending={create.isPending} label="Launch" pendingLabel="Launching…" className="pt-2" />
    </form>
  );
}

export function LaunchInstanceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  // The form mounts fresh on every opening, so a second launch starts from empty fields.
  return (
    <Dialog open={open} onClose={onClose} title="Launch Instance" description="Boot new virtual machines in this project.">
      {open && <LaunchInstanceForm onDone={onClose} />}
    </Dialog>
  );
}
