// Applies a pushed service change to the cached service list: replace by id, or add a service
// that registered after the list was fetched.
import type { ServiceView } from "@/lib/instance-view";

export function upsertService<S extends ServiceView>(list: S[], view: S): S[] {
  const i = list.findIndex((s) => s.id === view.id);
  if (i < 0) return [...list, view];
  const next = list.slice();
  next[i] = view;
  return next;
}
