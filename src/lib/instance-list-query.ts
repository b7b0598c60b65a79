// The Instances list query: Nova's server list filters (name, status, flavor, image, IP, host,
// availability zone, changes-since) and sort keys, validated by one zod schema that the API, the
// URL of the Instances page and the live cache patches all share.
import { z } from "zod";
import { ipMatchesPrefix, ipPrefixRanges } from "@/lib/ip-filter";
import type { InstanceView } from "@/lib/instance-view";
import { API_STATUSES } from "@/lib/states";

export const LIST_SORT_KEYS = ["name", "status", "created", "updated", "host", "flavor", "zone"] as const;
export type ListSortKey = (typeof LIST_SORT_KEYS)[number];
export const SORT_DIRS = ["asc", "desc"] as const;
export type SortDir = (typeof SORT_DIRS)[number];

/** The filter fields, in the order the filter bar offers them. */
export const LIST_FILTER_KEYS = ["name", "status", "flavor", "image", "ip", "host", "zone", "changesSince"] as const;
export type ListFilterKey = (typeof LIST_FILTER_KEYS)[number];

/** Filters and sort keys only an admin may use (Nova: host is OS-EXT-SRV-ATTR, admin-only). */
export const ADMIN_ONLY_FILTERS: readonly ListFilterKey[] = ["host"];
export const ADMIN_ONLY_SORTS: readonly ListSortKey[] = ["host"];

const text = (label: string) =>
  z
    .string()
    .trim()
    .min(1, `${label} filter must not be empty`)
    .max(255, `${label} filter must be at most 255 characters`);

export const listFiltersSchema = z.object({
  /**
   * Case-insensitive substring of the display name (Nova takes a regex; we do not). It runs as SQL
   * LIKE on both databases, so `%` and `_` are wildcards there too; a backslash, an escape on
   * PostgreSQL but a plain character on SQLite, is refused so both answer alike.
   */
  name: text("Name")
    .refine((v) => !v.includes("\\"), "Name filter cannot contain a backslash")
    .optional(),
  /** Nova's API status, e.g. ACTIVE, SHUTOFF, ERROR. */
  status: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(API_STATUSES, { error: `Status must be one of ${API_STATUSES.join(", ")}` }))
    .optional(),
  /** A flavor id or exact flavor name. */
  flavor: text("Flavor").optional(),
  /** An image id or exact image name. */
  image: text("Image").optional(),
  /** The start of a fixed IPv4 address, taken literally: "10.0.0.1" also matches 10.0.0.12 (src/lib/ip-filter.ts). */
  ip: z
    .string()
    .trim()
    .min(1, { error: "IP filter must not be empty", abort: true })
    .refine((v) => ipPrefixRanges(v).length > 0, "IP filter must be the start of an IPv4 address, e.g. 10.0.0.12 or 10.0.")
    .optional(),
  host: text("Host").optional(),
  zone: text("Availability zone").optional(),
  /** Nova's changes-since: instances updated at or after this ISO 8601 instant. */
  changesSince: z.iso
    .datetime({ offset: true, error: "Changes since must be an ISO 8601 timestamp, e.g. 2026-11-27T03:00:00Z" })
    .optional(),
});
export type ListFilters = z.infer<typeof listFiltersSchema>;

export const listSortSchema = z.object({
  sort: z.enum(LIST_SORT_KEYS, { error: `Sort key must be one of ${LIST_SORT_KEYS.join(", ")}` }).default("created"),
  dir: z.enum(SORT_DIRS, { error: "Sort direction must be asc or desc" }).default("desc"),
});
export type ListSort = z.infer<typeof listSortSchema>;

export const serverListInput = z
  .object({
    page: z.number().int().min(1, "Page must be at least 1").default(1),
    pageSize: z.number().int().min(1).max(200, "Page size must be at most 200").default(50),
    /** Admins only: list every project's instances. */
    allProjects: z.boolean().default(false),
  })
  .extend(listFiltersSchema.shape)
  .extend(listSortSchema.shape)
  .default({ page: 1, pageSize: 50, allProjects: false, sort: "created", dir: "desc" });
export type ServerListInput = z.infer<typeof serverListInput>;

export const DEFAULT_SORT: ListSort = { sort: "created", dir: "desc" };

/** The active filters only, in the bar's order. */
export function activeFilters(filters: ListFilters): [ListFilterKey, string][] {
  const out: [ListFilterKey, string][] = [];
  for (const key of LIST_FILTER_KEYS) {
    const value = filters[key];
    if (value !== undefined) out.push([key, value]);
  }
  return out;
}

/**
 * Whether a live row could belong to a list with these filters, judged from the row alone.
 * Flavor and image compare ids or names; the server's answer stays the authority on refetch.
 */
export function matchesFilters(view: InstanceView, filters: ListFilters): boolean {
  if (filters.name && !view.name.toLowerCase().includes(filters.name.toLowerCase())) return false;
  if (filters.status && view.status !== filters.status) return false;
  if (filters.flavor && filters.flavor !== view.flavorId && filters.flavor !== view.flavorName) return false;
  if (filters.image && filters.image !== view.imageId && filters.image !== view.imageName) return false;
  if (filters.ip) {
    const ip = filters.ip;
    if (!Object.values(view.addresses).some((list) => list.some((a) => ipMatchesPrefix(a.address, ip)))) return false;
  }
  if (filters.host && view.host !== filters.host) return false;
  if (filters.zone && view.availabilityZone !== filters.zone) return false;
  if (filters.changesSince && Date.parse(view.updatedAt) < Date.parse(filters.changesSince)) return false;
  return true;
}
