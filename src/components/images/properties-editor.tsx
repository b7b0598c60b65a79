"use client";
// Image properties (Glance's free-form properties: hw_disk_bus, os_distro, ...) on the shared
// key/value editor, with the names the image API accepts.
import { KeyValueEditor, keyValueErrors, keyValuesOf, newKeyValueRow, type KeyValueRow } from "@/components/ui/key-value-editor";

export type PropertyRow = KeyValueRow;

/** Property names as the image API accepts them. */
export const PROPERTY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

function propertyProblem(key: string, value: string): string | null {
  if (!PROPERTY_KEY.test(key)) return "Names use letters, digits, '_', '.', ':' and '-'.";
  if (value.length > 255) return "Values are at most 255 characters.";
  return null;
}

/** Why the rows cannot be sent, per row id; empty when they can. */
export function propertyErrors(rows: readonly PropertyRow[]): Map<number, string> {
  return keyValueErrors(rows, propertyProblem);
}

export const propertiesOf = keyValuesOf;
export const newPropertyRow = newKeyValueRow;

export function PropertiesEditor(props: { rows: PropertyRow[]; onChange: (rows: PropertyRow[]) => void; errors: Map<number, string>; disabled?: boolean }) {
  return <KeyValueEditor {...props} legend="Properties" noun="property" empty="No properties. Add one for metadata such as os_distro or hw_disk_bus." />;
}
