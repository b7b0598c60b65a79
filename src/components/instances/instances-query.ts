// The Instances page's list query, from its URL: one definition for the server page, which
// prefetches it into the HTML, and the client view, which then finds it in its cache.
import { readListUrl } from "@/lib/instance-list-url";
import type { RouterInputs } from "@/lib/trpc/types";

export const INSTANCES_PAGE_SIZE = 50;

/** An empty element after the list: the server page holds the first paint until it is parsed. */
export const INSTANCE_LIST_END_ID = "instance-list-end";

export function instancesListInput(params: { get(name: string): string | null }): RouterInputs["server"]["list"] {
  const { page, filters, sort } = readListUrl(params);
  return { page, pageSize: INSTANCES_PAGE_SIZE, ...filters, ...sort };
}
