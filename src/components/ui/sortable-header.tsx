"use client";
// A column header that sorts the table by its key: a button inside the <th>, with aria-sort on the
// header so screen readers announce the current order.
import type { ReactNode } from "react";

export type SortDirection = "asc" | "desc";

export function SortableHeader({
  label,
  active,
  dir,
  onSort,
  className = "",
}: {
  label: ReactNode;
  /** Whether the table is sorted by this column now. */
  active: boolean;
  dir: SortDirection;
  onSort: () => void;
  className?: string;
}) {
  return (
    <th scope="col" aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"} className={className}>
      <button
        type="button"
        onClick={onSort}
        className="inline-flex items-center gap-1 uppercase hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:text-zinc-100"
      >
        {label}
        <span aria-hidden="true" className={active ? "" : "opacity-30"}>
          {active && dir === "asc" ? "▲" : "▼"}
        </span>
      </button>
    </th>
  );
}
