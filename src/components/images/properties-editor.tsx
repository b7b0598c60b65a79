"use client";
// Image properties as key/value rows (Glance's free-form properties: hw_disk_bus, os_distro, ...):
// add a row, edit it, remove it. Each input is labelled for its row.
import { useId } from "react";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/form-field";

export interface PropertyRow {
  id: number;
  key: string;
  value: string;
}

/** Property names as the image API accepts them. */
export const PROPERTY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

/** Why the rows cannot be sent, per row id; empty when they can. */
export function propertyErrors(rows: readonly PropertyRow[]): Map<number, string> {
  const errors = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.key.trim();
    if (!key && !r.value) continue;
    if (!key) errors.set(r.id, "Enter a name for this property.");
    else if (!PROPERTY_KEY.test(key)) errors.set(r.id, "Names use letters, digits, '_', '.', ':' and '-'.");
    else if (seen.has(key)) errors.set(r.id, `"${key}" is set twice.`);
    else if (r.value.length > 255) errors.set(r.id, "Values are at most 255 characters.");
    seen.add(key);
  }
  return errors;
}

export function propertiesOf(rows: readonly PropertyRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value;
  return out;
}

let nextRowId = 1;
export function newPropertyRow(key = "", value = ""): PropertyRow {
  return { id: nextRowId++, key, value };
}

export function PropertiesEditor({
  rows,
  onChange,
  errors,
  disabled = false,
}: {
  rows: PropertyRow[];
  onChange: (rows: PropertyRow[]) => void;
  errors: Map<number, string>;
  disabled?: boolean;
}) {
  const base = useId();
  const update = (id: number, patch: Partial<PropertyRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <fieldset className="space-y-2" disabled={disabled}>
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">Properties</legend>
      {rows.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">No properties. Add one for metadata such as os_distro or hw_disk_bus.</p>}
      <ul className="space-y-2">
        {rows.map((r, i) => {
          const error = errors.get(r.id);
          const errId = `${base}-${r.id}-error`;
          return (
            <li key={r.id}>
              <div className="flex items-start gap-2">
                <input
                  aria-label={`Property ${i + 1} name`}
                  value={r.key}
                  onChange={(e) => update(r.id, { key: e.target.value })}
                  placeholder="name"
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? errId : undefined}
                  className={`${INPUT_CLASS} font-mono`}
                />
                <input
                  aria-label={`Property ${i + 1} value`}
                  value={r.value}
                  onChange={(e) => update(r.id, { value: e.target.value })}
                  placeholder="value"
                  autoComplete="off"
                  className={INPUT_CLASS}
                />
                <Button variant="ghost" onClick={() => onChange(rows.filter((x) => x.id !== r.id))} aria-label={`Remove property ${i + 1}${r.key ? ` (${r.key})` : ""}`}>
                  <span aria-hidden="true">✕</span>
                </Button>
              </div>
              {error && (
                <p id={errId} className="mt-1 text-xs text-red-700 dark:text-red-400">
                  {error}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <Button size="sm" onClick={() => onChange([...rows, newPropertyRow()])}>
        Add property
      </Button>
    </fieldset>
  );
}
