import type { Metadata } from "next";
import { instancesListInput } from "@/components/instances/instances-query";
import { InstancesView } from "@/components/instances/instances-view";
import { searchParamsFrom, type SearchParamsRecord } from "@/lib/instance-list-url";
import { getServerTrpc, HydrateQueries } from "@/lib/trpc/server";

export const metadata: Metadata = { title: "Instances" };

// The page of rows the URL asks for is fetched here, as the caller, from the same URL params the
// client reads, so the HTML already holds the rows and the browser's query finds them in its cache.
// No <Suspense> around the view: on this dynamic page nothing in it suspends, and a boundary would
// stream the rows as a hidden block that React reveals only on a later animation frame.
export default async function InstancesPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const input = instancesListInput(searchParamsFrom(await searchParams));
  return (
    <HydrateQueries prefetch={(queryClient) => queryClient.prefetchQuery(getServerTrpc().server.list.queryOptions(input))}>
      <InstancesView />
    </HydrateQueries>
  );
}
