"use client";
// Free-form key/value rows (image properties, flavor extra specs): add a row, edit it, remove it.
// Each input is labelled for its row; what a key or value may be is the caller's rule.
import { useId, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/form-field";

export interface KeyValueRow {
  id: number;
  key: string;
  value: string;
}

/** Why one pair cannot be sent (key already trimmed), or null. */
export type KeyValueCheck = (key: string, value: string) => string | null;

/** Why the rows cannot be sent, per row id; empty when they can. Blank rows are ignored. */
export function keyValueErrors(rows: readonly KeyValueRow[], check: KeyValueCheck, noun = "property"): Map<number, string> {
  const errors = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.key.trim();
    if (!key && !r.value) continue;
    const problem = !key ? `Enter a name for this ${noun}.` : seen.has(key) ? `"${key}" is set twice.` : check(key, r.value);
    if (problem) errors.set(r.id, problem);
    seen.add(key);
  }
  return errors;
}

export function keyValuesOf(rows: readonly KeyValueRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value;
  return out;
}

let nextRowId = 1;
export function newKeyValueRow(key = "", value = ""): KeyValueRow {
  return { id: nextRowId++, key, value };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function KeyValueEditor({
  rows,
  onChange,
  errors,
  legend,
  noun,
  empty,
  keyPlaceholder = "name",
  disabled = false,
}: {
  rows: KeyValueRow[];
  onChange: (rows: KeyValueRow[]) => void;
  errors: Map<number, string>;
  legend: string;
  /** What one row is, lower case ("property", "extra spec"): names the labels and buttons. */
  noun: string;
  /** Shown when there are no rows. */
  empty: ReactNode;
  keyPlaceholder?: string;
  disabled?: boolean;
}) {
  const base = useId();
  const Noun = capitalise(noun);
  const update = (id: number, patch: Partial<KeyValueRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <fieldset className="space-y-2" disabled={disabled}>
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">{legend}</legend>
      {rows.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">{empty}</p>}
      <ul className="space-y-2">
        {rows.map((r, i) => {
          const error = errors.get(r.id);
          const errId = `${base}-${r.id}-error`;
          return (
            <li key={r.id}>
              <div className="flex items-start gap-2">
                <input
                  aria-label={`${Noun} ${i + 1} name`}
                  value={r.key}
                  onChange={(e) => update(r.id, { key: e.target.value })}
                  placeholder={keyPlaceholder}
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? errId : undefined}
                  className={`${INPUT_CLASS} font-mono`}
                />
                <input
                  aria-label={`${Noun} ${i + 1} value`}
                  value={r.value}
                  onChange={(e) => update(r.id, { value: e.target.value })}
                  placeholder="value"
                  autoComplete="off"
                  className={INPUT_CLASS}
                />
                <Button variant="ghost" onClick={() => onChange(rows.filter((x) => x.id !== r.id))} aria-label={`Remove ${noun} ${i + 1}${r.key ? ` (${r.key})` : ""}`}>
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
      <Button size="sm" onClick={() => onChange([...rows, newKeyValueRow()])}>
        Add {noun}
      </Button>
    </fieldset>
  );
}
