"use client";
// The fields of the Resize and Migrate dialogs. Resize picks the new flavor (never the current
// one, never a smaller disk: the API refuses both, so the list does not offer them). Migrate lets
// the scheduler choose, or an admin pick a host from the candidates with their free room; hosts
// that are down, disabled or too full are listed but cannot be picked, with the reason. Live
// migration uses the same list; hosts on libvirt's test driver cannot take a running guest.
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { INPUT_CLASS } from "@/components/ui/form-field";
import type { InstanceView } from "@/lib/instance-view";
import { useTRPC } from "@/lib/trpc/client";
import { flavorSummary, formatMemory } from "./format";

const LABEL = "block text-sm font-medium text-zinc-800 dark:text-zinc-200";
const HELP = "text-xs text-zinc-500 dark:text-zinc-400";

export function ResizeFields({ instance, value, onChange }: { instance: InstanceView | undefined; value: string; onChange: (v: string) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const flavors = useQuery(trpc.flavor.list.queryOptions());
  const choices = (flavors.data ?? []).filter((f) => f.id !== instance?.flavorId && f.rootGb >= (instance?.rootGb ?? 0));
  const picked = choices.find((f) => f.id === value);
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={LABEL}>
        New flavor
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required className={INPUT_CLASS} aria-describedby={`${id}-help`} disabled={!flavors.data}>
        <option value="">{flavors.isPending ? "Loading flavors…" : "Select a flavor"}</option>
        {choices.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name} — {flavorSummary(f)}
          </option>
        ))}
      </select>
      <p id={`${id}-help`} className={HELP}>
        {picked
          ? `From ${instance?.flavorName ?? "its flavor"} to ${picked.name}. The instance moves to another host and waits for you to confirm or revert.`
          : "Flavors with a smaller disk are not offered: a disk cannot shrink."}
      </p>
    </div>
  );
}

export function MigrateFields({
  instance,
  value,
  onChange,
  live = false,
}: {
  instance: InstanceView | undefined;
  value: string;
  onChange: (v: string) => void;
  /** Live migration: the guest keeps running; no confirm step afterwards. */
  live?: boolean;
}) {
  const trpc = useTRPC();
  const id = useId();
  const targets = useQuery({ ...trpc.server.migrationTargets.queryOptions({ id: instance?.uuid ?? "" }), enabled: !!instance });
  const why = (t: NonNullable<typeof targets.data>[number]) =>
    t.state === "down" ? "down" : t.status === "disabled" ? "disabled" : live && !t.liveMigration ? "test driver: no live migration" : !t.fits ? "not enough room" : null;
  const noLiveHost = live && !!targets.data && targets.data.every((t) => !t.liveMigration);
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={LABEL}>
        Destination host
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={INPUT_CLASS} aria-describedby={`${id}-help`}>
        <option value="">Automatically schedule a host</option>
        {(targets.data ?? []).map((t) => {
          const reason = why(t);
          return (
            <option key={t.host} value={t.host} disabled={reason !== null}>
              {t.host} — {Math.max(0, t.freeVcpus)} vCPUs, {formatMemory(Math.max(0, t.freeMemoryMb))}, {Math.max(0, t.freeDiskGb)} GB free
              {reason ? ` (${reason})` : ""}
            </option>
          );
        })}
      </select>
      <p id={`${id}-help`} className={HELP}>
        {targets.isError
          ? "Could not list the hosts; the scheduler can still pick one."
          : noLiveHost
            ? "No host can take a live migration: libvirt's test driver cannot move a running guest. Use Migrate Instance (cold) instead."
            : live
              ? "A chosen host must still pass the scheduler's filters. The guest keeps running while its memory and disk are copied; progress shows on the instance."
              : "A chosen host must still pass the scheduler's filters. The instance waits on it for you to confirm or revert."}
      </p>
    </div>
  );
}
