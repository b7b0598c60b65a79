// The Instances page's list query, from its URL: one definition for the page and for the dashboard
// layout, which starts it together with the session check (one batched request) instead of after.
import { readListUrl } from "@/lib/instance-list-url";
import type { RouterInputs } from "@/lib/trpc/types";

export const INSTANCES_PAGE_SIZE = 50;

export function instancesListInput(params: { get(name: string): string | null }): RouterInputs["server"]["list"] {
  const { page, filters, sort } = readListUrl(params);
  return { page, pageSize: INSTANCES_PAGE_SIZE, ...filters, ...sort };
}
