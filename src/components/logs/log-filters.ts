// The Log Viewer's filters as URL search parameters, so a filtered view can be linked, reloaded
// and navigated back to. Values the API would refuse are reported, not sent.
import type { LogFilters } from "./use-log-tail";

export const FILTER_PARAMS = ["host", "binary", "module", "level", "request", "instance"] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];
export type FilterValues = Record<FilterParam, string>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LEVELS = new Set(["", "20", "30", "40", "50"]);

export function readFilterValues(params: { get(name: string): string | null }): FilterValues {
  const values = {} as FilterValues;
  for (const p of FILTER_PARAMS) values[p] = (params.get(p) ?? "").trim();
  return values;
}

/** Why a value cannot be searched for, per field; empty when all can. */
export function filterErrors(v: FilterValues): Partial<FilterValues> {
  const errors: Partial<FilterValues> = {};
  if (v.instance && !UUID.test(v.instance)) errors.instance = "Instance IDs are UUIDs.";
  if (v.request.length > 64) errors.request = "Request IDs are at most 64 characters.";
  if (v.module.length > 255) errors.module = "Modules are at most 255 characters.";
  if (!LEVELS.has(v.level)) errors.level = "Pick a level from the list.";
  return errors;
}

/** The log.search input of valid values (invalid ones are left out, and shown as errors). */
export function toLogFilters(v: FilterValues): LogFilters {
  const errors = filterErrors(v);
  const ok = (p: FilterParam) => v[p] !== "" && !errors[p];
  return {
    ...(ok("host") ? { host: v.host } : {}),
    ...(ok("binary") ? { binary: v.binary } : {}),
    ...(ok("module") ? { module: v.module } : {}),
    ...(ok("level") ? { minLevel: Number(v.level) } : {}),
    ...(ok("request") ? { requestId: v.request } : {}),
    ...(ok("instance") ? { instanceUuid: v.instance.toLowerCase() } : {}),
  };
}

export function toSearchParams(v: FilterValues): string {
  const params = new URLSearchParams();
  for (const p of FILTER_PARAMS) if (v[p]) params.set(p, v[p]);
  const qs = params.toString();
  return qs ? `?${qs}` : "";
}
