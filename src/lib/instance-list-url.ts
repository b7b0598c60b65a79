// The Instances page's state in its URL: page, filters and sort as search params, so a filtered,
// sorted page is a link that survives reload and back/forward. Each param is validated on its own
// with the API's schemas; a bad one is dropped and named, the rest still apply.
import {
  DEFAULT_SORT,
  LIST_FILTER_KEYS,
  listFiltersSchema,
  listSortSchema,
  type ListFilterKey,
  type ListFilters,
  type ListSort,
} from "@/lib/instance-list-query";

/** URL names; changes-since keeps Nova's spelling. */
export const FILTER_PARAM: Record<ListFilterKey, string> = {
  name: "name",
  status: "status",
  flavor: "flavor",
  image: "image",
  ip: "ip",
  host: "host",
  zone: "zone",
  changesSince: "changes-since",
};

export interface ListUrlState {
  page: number;
  filters: ListFilters;
  sort: ListSort;
  /** Params that were present but invalid, with the reason. */
  invalid: string[];
}

interface ReadableParams {
  get(name: string): string | null;
}

export function readListUrl(params: ReadableParams): ListUrlState {
  const invalid: string[] = [];
  const filters: ListFilters = {};
  for (const key of LIST_FILTER_KEYS) {
    const raw = params.get(FILTER_PARAM[key]);
    if (raw === null) continue;
    const parsed = listFiltersSchema.shape[key].safeParse(raw);
    if (parsed.success && parsed.data !== undefined) Object.assign(filters, { [key]: parsed.data });
    else if (!parsed.success) invalid.push(parsed.error.issues[0]?.message ?? `Invalid ${FILTER_PARAM[key]}`);
  }
  const sortParsed = listSortSchema.safeParse({ sort: params.get("sort") ?? undefined, dir: params.get("dir") ?? undefined });
  if (!sortParsed.success) invalid.push(...sortParsed.error.issues.map((i) => i.message));
  const pageRaw = params.get("page");
  const page = Number(pageRaw);
  const pageOk = Number.isInteger(page) && page >= 1;
  if (pageRaw !== null && !pageOk) invalid.push("Page must be a whole number of at least 1");
  return { page: pageOk ? page : 1, filters, sort: sortParsed.success ? sortParsed.data : DEFAULT_SORT, invalid };
}

/** The query string for a state: defaults left out, so the plain page stays a plain URL. */
export function listUrlQuery(state: Pick<ListUrlState, "page" | "filters" | "sort">): string {
  const out = new URLSearchParams();
  for (const key of LIST_FILTER_KEYS) {
    const value = state.filters[key];
    if (value !== undefined) out.set(FILTER_PARAM[key], value);
  }
  if (state.sort.sort !== DEFAULT_SORT.sort || state.sort.dir !== DEFAULT_SORT.dir) {
    out.set("sort", state.sort.sort);
    out.set("dir", state.sort.dir);
  }
  if (state.page > 1) out.set("page", String(state.page));
  const query = out.toString();
  return query ? `?${query}` : "";
}

/** Search params as Next hands them to a server page: a repeated name comes as an array. */
export type SearchParamsRecord = Record<string, string | string[] | undefined>;

/** The same URLSearchParams the browser's useSearchParams() reads (get() answers the first value). */
export function searchParamsFrom(record: SearchParamsRecord): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(record)) {
    for (const one of typeof value === "string" ? [value] : (value ?? [])) out.append(name, one);
  }
  return out;
}
