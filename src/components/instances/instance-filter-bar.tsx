"use client";
// Horizon's InstancesFilterAction: pick a field, type (or pick) a value, apply; every active filter
// shows as a chip that removes it. The parent keeps the filters in the URL.
import { useId, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/form-field";
import {
  activeFilters,
  ADMIN_ONLY_FILTERS,
  LIST_FILTER_KEYS,
  listFiltersSchema,
  type ListFilterKey,
  type ListFilters,
} from "@/lib/instance-list-query";
import { API_STATUSES, statusDisplay, type ApiStatus } from "@/lib/states";

export const FILTER_LABEL: Record<ListFilterKey, string> = {
  name: "Name",
  status: "Status",
  flavor: "Flavor",
  image: "Image",
  ip: "IP Address",
  host: "Host",
  zone: "Availability Zone",
  changesSince: "Changes Since",
};

const PLACEHOLDER: Partial<Record<ListFilterKey, string>> = {
  name: "Part of the name, any case",
  flavor: "Flavor name or ID",
  image: "Image name or ID",
  ip: "Start of an address, e.g. 10.0.0.",
  host: "Compute host",
  zone: "Zone name",
};

function chipValue(key: ListFilterKey, value: string): string {
  if (key === "status") return statusDisplay(value as ApiStatus);
  // Shown in UTC, as stored in the URL, so the chip reads the same wherever the link is opened.
  if (key === "changesSince") return new Date(value).toISOString().replace("T", " ").replace(/(\.000)?Z$/, " UTC");
  return value;
}

/** A datetime-local value is in the browser's zone; the API takes an absolute instant. */
function toFilterValue(key: ListFilterKey, raw: string): string {
  if (key !== "changesSince" || raw === "") return raw;
  const when = new Date(raw);
  return Number.isNaN(when.getTime()) ? raw : when.toISOString();
}

export function InstanceFilterBar({
  filters,
  isAdmin,
  onChange,
}: {
  filters: ListFilters;
  isAdmin: boolean;
  onChange: (next: ListFilters) => void;
}) {
  const id = useId();
  const fields = LIST_FILTER_KEYS.filter((k) => isAdmin || !ADMIN_ONLY_FILTERS.includes(k));
  const [field, setField] = useState<ListFilterKey>("name");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);

  function apply(event: FormEvent) {
    event.preventDefault();
    const parsed = listFiltersSchema.shape[field].safeParse(toFilterValue(field, value));
    if (!parsed.success || parsed.data === undefined) {
      setError(parsed.success ? `Enter a value to filter by ${FILTER_LABEL[field]}.` : (parsed.error.issues[0]?.message ?? "Invalid filter"));
      return;
    }
    setError(null);
    setValue("");
    onChange({ ...filters, [field]: parsed.data });
  }

  function remove(key: ListFilterKey) {
    const next = { ...filters };
    delete next[key];
    onChange(next);
  }

  const chips = activeFilters(filters);
  const valueId = `${id}-value`;
  return (
    <div className="space-y-2">
      <form role="search" aria-label="Filter instances" onSubmit={apply} className="flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor={`${id}-field`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
            Filter by
          </label>
          <select
            id={`${id}-field`}
            value={field}
            onChange={(e) => {
              setField(e.target.value as ListFilterKey);
              setValue("");
              setError(null);
            }}
            className={`${INPUT_CLASS} w-44`}
          >
            {fields.map((k) => (
              <option key={k} value={k}>
                {FILTER_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="min-w-56 flex-1">
          <label htmlFor={valueId} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
            {FILTER_LABEL[field]}
          </label>
          {field === "status" ? (
            <select id={valueId} value={value} onChange={(e) => setValue(e.target.value)} className={INPUT_CLASS}>
              <option value="">Choose a status…</option>
              {API_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusDisplay(s)}
                </option>
              ))}
            </select>
          ) : (
            <input
              id={valueId}
              type={field === "changesSince" ? "datetime-local" : "text"}
              step={field === "changesSince" ? 1 : undefined}
              value={value}
              placeholder={PLACEHOLDER[field]}
              onChange={(e) => setValue(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              className={INPUT_CLASS}
            />
          )}
        </div>
        <Button type="submit" variant="secondary">
          Filter
        </Button>
      </form>
      {error && (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {chips.length > 0 && (
        <ul aria-label="Active filters" className="flex flex-wrap items-center gap-2">
          {chips.map(([key, v]) => (
            <li key={key}>
              <span className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pr-1 pl-3 text-xs font-medium text-indigo-800 dark:bg-indigo-500/10 dark:text-indigo-200">
                {FILTER_LABEL[key]}: {chipValue(key, v)}
                <button
                  type="button"
                  onClick={() => remove(key)}
                  aria-label={`Remove filter ${FILTER_LABEL[key]}: ${chipValue(key, v)}`}
                  className="rounded-full px-1.5 hover:bg-indigo-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-indigo-500/20"
                >
                  <span aria-hidden="true">×</span>
                </button>
              </span>
            </li>
          ))}
          {chips.length > 1 && (
            <li>
              <Button size="sm" variant="ghost" onClick={() => onChange({})}>
                Clear filters
              </Button>
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
