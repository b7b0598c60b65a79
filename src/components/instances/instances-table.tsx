"use client";
// The Instances table: Horizon's columns, one row per instance, a checkbox per row for bulk
// actions and the row's action menu (first allowed action as a button, the rest in a dropdown).
// Sortable headers ask the server for another order; the table itself never reorders rows.
import Link from "next/link";
import { memo, useEffect, useRef } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { useNow } from "@/components/ui/clock";
import { LockIcon } from "@/components/ui/icons";
import { RelativeTime } from "@/components/ui/relative-time";
import { SortableHeader } from "@/components/ui/sortable-header";
import type { ListSort, ListSortKey } from "@/lib/instance-list-query";
import type { InstanceView } from "@/lib/instance-view";
import { powerStateDisplay } from "@/lib/states";
import { InstanceActions } from "./instance-actions";
import { InstanceAddressList } from "./instance-addresses";
import { InstanceStatus, InstanceTask, isInTransition } from "./instance-status";
import { flavorSummary } from "./format";
import { isTaskStuck } from "./task-age";

const TH = "whitespace-nowrap px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-3 py-3 align-top";

function SelectAllCheckbox({ items, selected, onChange }: { items: InstanceView[]; selected: ReadonlySet<string>; onChange: (next: Set<string>) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const count = items.filter((i) => selected.has(i.uuid)).length;
  const all = items.length > 0 && count === items.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label="Select all instances on this page"
      checked={all}
      disabled={items.length === 0}
      onChange={() => onChange(all ? new Set() : new Set(items.map((i) => i.uuid)))}
      className="size-4 accent-indigo-600"
    />
  );
}

/** Horizon's lock column: a padlock with a tooltip when locked, nothing otherwise. */
export function LockedBadge({ locked }: { locked: boolean }) {
  if (!locked) return null;
  return (
    <span className="inline-flex items-center gap-1 text-xs font-normal text-zinc-600 dark:text-zinc-400" title="Locked: only an admin or whoever locked it can act on it">
      <LockIcon className="size-3.5" label="Locked" data-testid="lock-icon" />
      <span aria-hidden="true">Locked</span>
    </span>
  );
}

// Memoised: a live event replaces one row's object and leaves the others' identical, so only the
// changed row renders again.
const InstanceRow = memo(function InstanceRow({
  instance,
  selected,
  showHost,
  now,
  onToggle,
}: {
  instance: InstanceView;
  selected: boolean;
  showHost: boolean;
  now: number;
  onToggle: (uuid: string) => void;
}) {
  const busy = isInTransition(instance);
  const stuck = isTaskStuck(instance, now);
  return (
    <tr
      data-testid={`instance-row-${instance.name}`}
      data-status={instance.status}
      data-task={instance.taskState ?? ""}
      data-locked={instance.locked ? "true" : "false"}
      data-stuck={stuck ? "true" : undefined}
      className={
        "border-t border-zinc-200 dark:border-zinc-800 " +
        (selected
          ? "bg-indigo-50/60 dark:bg-indigo-500/5"
          : stuck
            ? "bg-amber-100/50 dark:bg-amber-500/[0.08]"
            : busy
              ? "bg-amber-50/40 dark:bg-amber-500/[0.03]"
              : "")
      }
    >
      <td className={`${TD} w-10`}>
        <input type="checkbox" aria-label={`Select ${instance.name}`} checked={selected} onChange={() => onToggle(instance.uuid)} className="size-4 accent-indigo-600" />
      </td>
      <th scope="row" className={`${TD} text-left font-medium whitespace-nowrap`}>
        {/* No prefetch: a page of rows would ask the server for 50 detail pages nobody opened. */}
        <Link
          href={`/instances/${instance.uuid}`}
          prefetch={false}
          className="block max-w-56 truncate text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-indigo-300"
          title={`${instance.name}\n${instance.uuid}`}
        >
          {instance.name}
        </Link>
        <LockedBadge locked={instance.locked} />
      </th>
      <td className={`${TD} whitespace-nowrap`}>{instance.imageName ?? <span className="text-zinc-500 dark:text-zinc-400">-</span>}</td>
      <td className={`${TD} whitespace-nowrap`}>
        <InstanceAddressList addresses={instance.addresses} />
      </td>
      <td className={`${TD} whitespace-nowrap`}>
        <span className="block">{instance.flavorName ?? "-"}</span>
        <span className="block text-xs text-zinc-500 dark:text-zinc-400">{flavorSummary(instance)}</span>
      </td>
      <td className={TD}>
        <InstanceStatus instance={instance} />
      </td>
      <td className={`${TD} whitespace-nowrap`}>{instance.availabilityZone ?? <span className="text-zinc-500 dark:text-zinc-400">-</span>}</td>
      <td className={TD}>
        <InstanceTask instance={instance} />
      </td>
      <td className={`${TD} whitespace-nowrap`}>{powerStateDisplay(instance.powerState)}</td>
      {showHost && <td className={`${TD} whitespace-nowrap`}>{instance.host ?? <span className="text-zinc-500 dark:text-zinc-400">-</span>}</td>}
      <td className={`${TD} whitespace-nowrap text-zinc-600 dark:text-zinc-400`}>
        <RelativeTime value={instance.createdAt} />
      </td>
      <td className={`${TD} whitespace-nowrap text-zinc-600 dark:text-zinc-400`}>
        <RelativeTime value={instance.updatedAt} />
      </td>
      <td className={`${TD} text-right whitespace-nowrap`}>
        <InstanceActions instance={instance} />
      </td>
    </tr>
  );
});

export function InstancesTable({
  items,
  selected,
  onSelectionChange,
  onToggle,
  sort,
  onSort,
}: {
  items: InstanceView[];
  selected: ReadonlySet<string>;
  onSelectionChange: (next: Set<string>) => void;
  /** Flips one row's checkbox; keep it stable (useCallback) so unchanged rows skip rendering. */
  onToggle: (uuid: string) => void;
  sort: ListSort;
  onSort: (key: ListSortKey) => void;
}) {
  // The host is an operator's detail (Nova shows OS-EXT-SRV-ATTR:host to admins only).
  const { isAdmin } = useSession();
  const now = useNow();
  const sortable = (key: ListSortKey, label: string, className = TH) => (
    <SortableHeader label={label} active={sort.sort === key} dir={sort.dir} onSort={() => onSort(key)} className={className} />
  );
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">Instances</caption>
        <thead className="bg-zinc-50 dark:bg-zinc-900/60">
          <tr>
            <th scope="col" className={`${TH} w-10`}>
              <SelectAllCheckbox items={items} selected={selected} onChange={onSelectionChange} />
            </th>
            {sortable("name", "Name")}
            <th scope="col" className={TH}>
              Image
            </th>
            <th scope="col" className={TH}>
              IP Address
            </th>
            {sortable("flavor", "Flavor")}
            {sortable("status", "Status")}
            {sortable("zone", "Availability Zone")}
            <th scope="col" className={TH}>
              Task
            </th>
            <th scope="col" className={TH}>
              Power State
            </th>
            {isAdmin && sortable("host", "Host")}
            {sortable("created", "Created")}
            {sortable("updated", "Updated")}
            <th scope="col" className={`${TH} text-right`}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((instance) => (
            <InstanceRow
              key={instance.uuid}
              instance={instance}
              selected={selected.has(instance.uuid)}
              showHost={isAdmin}
              now={now}
              onToggle={onToggle}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
